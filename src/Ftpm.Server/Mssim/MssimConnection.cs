using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Ftpm.Server.Mssim;

/// <summary>
/// One client on the command or the platform port: owns the socket, its id (in every log line), its buffers
/// and a dedicated thread that reads one request, answers it in a single send, and repeats. Blocking calls on
/// a thread of its own keep a command's path free of thread-pool hops and allocations: the buffers are
/// allocated once per connection. Nothing escapes <see cref="Run"/>.
/// </summary>
sealed class MssimConnection
{
    // u32 length, the response, u32 0: the whole reply goes out in one send.
    const int ReplyCapacity = 4 + TpmLimits.MaxResponseSize + 4;
    // One whole SEND_COMMAND frame (u32 code, u8 locality, u32 length, command) fits, so a client that
    // writes a frame at once costs one receive.
    const int InputCapacity = 9 + TpmLimits.MaxCommandSize;

    // Linux: IPPROTO_TCP, TCP_QUICKACK (include/uapi/linux/tcp.h).
    const int IpProtoTcp = 6, TcpQuickAck = 12;
    static readonly byte[] One = BitConverter.GetBytes(1);

    readonly MssimServer _server;
    readonly Socket _socket;
    readonly long _id;
    readonly MssimPort _port;
    readonly long _stallTicks; // 0: never drop a stalled request
    readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Lock _abortLock = new();
    bool _aborted;
    bool _quickAck;
    bool _splitsWrites; // a request of this client arrived in pieces (tpm2-tss writes prefix and command apart)
    readonly byte[] _in;
    int _start, _end;
    long _frameStart; // timestamp of the current request's first byte; 0 while waiting between requests
    readonly byte[] _reply;

    public MssimConnection(MssimServer server, Socket socket, long id, MssimPort port, TimeSpan idleTimeout)
    {
        _server = server;
        _socket = socket;
        _id = id;
        _port = port;
        _in = new byte[port == MssimPort.Command ? InputCapacity : 64];
        _reply = new byte[port == MssimPort.Command ? ReplyCapacity : 32];
        if (idleTimeout > TimeSpan.Zero)
        {
            _stallTicks = (long)(idleTimeout.TotalSeconds * Stopwatch.Frequency);
            // The receive timeout only wakes the loop to check for a stalled request; between requests it waits on.
            int ms = (int)Math.Clamp(idleTimeout.TotalMilliseconds, 1, int.MaxValue);
            _socket.ReceiveTimeout = ms;
            _socket.SendTimeout = ms;
        }
        _quickAck = ConfigureSocket(socket);
    }

    public long Id => _id;

    public MssimPort Port => _port;

    internal Socket Socket => _socket;

    /// <summary>Completes once the connection's thread has closed the socket.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// NoDelay, so a reply leaves at once; on Linux also TCP_QUICKACK. tpm2-tss writes the 9-octet SEND_COMMAND
    /// prefix and the command in two writes without TCP_NODELAY: Nagle holds the command until the prefix is
    /// acknowledged, and a delayed ACK takes ~40 ms. Acknowledging at once removes the stall for every such
    /// client. The kernel leaves quick-ACK mode on its own, so it is re-armed before waiting for the rest of a
    /// partly received request and, for a client that splits its requests, after every reply.
    /// </summary>
    /// <returns>Whether TCP_QUICKACK is in use.</returns>
    internal static bool ConfigureSocket(Socket socket)
    {
        socket.NoDelay = true;
        return OperatingSystem.IsLinux() && TryQuickAck(socket);
    }

    static bool TryQuickAck(Socket socket)
    {
        try
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, One);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The connection's loop; call on its own thread.</summary>
    public void Run()
    {
        _server.LogConnection(l => MssimLog.ConnectionOpened(l, _id, _port, SafeRemoteEndPoint()));
        string reason;
        try
        {
            reason = _port == MssimPort.Command ? ServeCommands() : ServePlatform();
        }
        catch (StalledException e)
        {
            reason = Dropped(e.Message);
        }
        catch (Exception e) when (IsExpected(e))
        {
            reason = _server.IsStopping ? "server stopping" : "connection reset";
        }
        catch (Exception e)
        {
            _server.LogConnection(l => MssimLog.ConnectionError(l, _id, e));
            reason = "error";
        }
        Abort();
        _server.LogConnection(l => MssimLog.ConnectionClosed(l, _id, reason));
        _completion.TrySetResult();
    }

    /// <summary>Closes the socket; idempotent, callable from any thread (wakes a blocked receive).</summary>
    public void Abort()
    {
        lock (_abortLock)
        {
            if (_aborted) return;
            _aborted = true;
            try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            _socket.Dispose();
        }
    }

    string ServeCommands()
    {
        while (true)
        {
            BeginRequest();
            if (!Need(4)) return _server.IsStopping ? "server stopping" : "closed by client";
            uint code = TakeU32();
            switch ((MssimCode)code)
            {
                case MssimCode.SendCommand:
                {
                    // u8 locality, u32 length: check the declared length before reading the payload.
                    if (!Need(5)) return Dropped("closed in the middle of a command");
                    byte locality = _in[_start];
                    _start++;
                    uint length = TakeU32();
                    if (length > TpmLimits.MaxCommandSize)
                        return Dropped($"declared command length {length} exceeds {TpmLimits.MaxCommandSize}");
                    if (!Need((int)length)) return Dropped("closed in the middle of a command");
                    var command = _in.AsSpan(_start, (int)length);
                    _start += (int)length;
                    int n = ExecuteLogged(locality, command, _reply.AsSpan(4, TpmLimits.MaxResponseSize));
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, (uint)n);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(4 + n), 0);
                    Send(4 + n + 4);
                    break;
                }
                case MssimCode.SignalHashStart:
                case MssimCode.SignalHashEnd:
                    Signal((MssimCode)code);
                    SendAck();
                    break;
                case MssimCode.SignalHashData:
                {
                    if (!Need(4)) return Dropped("closed in the middle of HASH_DATA");
                    uint length = TakeU32();
                    if (length > MssimProtocol.MaxHashDataSize)
                        return Dropped($"declared HASH_DATA length {length} exceeds {MssimProtocol.MaxHashDataSize}");
                    // Stream it through the input buffer: HashData is incremental.
                    for (int left = (int)length; left > 0;)
                    {
                        if (!Need(1)) return Dropped("closed in the middle of HASH_DATA");
                        int chunk = Math.Min(left, _end - _start);
                        _server.Signal(MssimCode.SignalHashData, _in.AsSpan(_start, chunk));
                        _start += chunk;
                        left -= chunk;
                    }
                    MssimLog.Signal(_server.Logger, _id, MssimCode.SignalHashData);
                    SendAck();
                    break;
                }
                case MssimCode.RemoteHandshake:
                {
                    if (!Need(4)) return Dropped("closed in the middle of REMOTE_HANDSHAKE");
                    uint clientVersion = TakeU32();
                    if (clientVersion == 0)
                        return Dropped("REMOTE_HANDSHAKE with unsupported client version 0");
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, MssimProtocol.ServerVersion);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(4), MssimProtocol.HandshakeFlags);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(8), 0);
                    Send(12);
                    break;
                }
                case MssimCode.SetAlternativeResult:
                    // Meaningless for a simulator; read the argument and acknowledge.
                    if (!Need(4)) return Dropped("closed in the middle of SET_ALTERNATIVE_RESULT");
                    _start += 4;
                    SendAck();
                    break;
                case MssimCode.SessionEnd:
                    return "session end";
                case MssimCode.Stop:
                    _server.RequestStop(_id);
                    return "stop";
                default:
                    // The reference simulator drops a client that sends an unknown code here: the stream
                    // cannot be resynchronized without knowing the code's arguments.
                    return Dropped($"unknown command-port code {code}");
            }
        }
    }

    string ServePlatform()
    {
        while (true)
        {
            BeginRequest();
            if (!Need(4)) return _server.IsStopping ? "server stopping" : "closed by client";
            uint code = TakeU32();
            switch ((MssimCode)code)
            {
                case MssimCode.SignalPowerOn:
                case MssimCode.SignalPowerOff:
                case MssimCode.SignalReset:
                case MssimCode.SignalRestart:
                case MssimCode.SignalPhysPresOn:
                case MssimCode.SignalPhysPresOff:
                case MssimCode.SignalCancelOn:
                case MssimCode.SignalCancelOff:
                case MssimCode.SignalNvOn:
                case MssimCode.SignalNvOff:
                case MssimCode.SignalKeyCacheOn:
                case MssimCode.SignalKeyCacheOff:
                case MssimCode.TestFailureMode:
                    Signal((MssimCode)code);
                    SendAck();
                    break;
                case MssimCode.SetFwHash:
                case MssimCode.SetFwSvn:
                    if (!Need(4)) return Dropped($"closed in the middle of {(MssimCode)code}");
                    _start += 4;
                    Signal((MssimCode)code);
                    SendAck();
                    break;
                case MssimCode.ActGetSignaled:
                    // u32 ACT handle -> u32 signaled (1 while the ACT's output is asserted), then the ack.
                    if (!Need(4)) return Dropped("closed in the middle of ACT_GET_SIGNALED");
                    uint actHandle = BinaryPrimitives.ReadUInt32BigEndian(_in.AsSpan(_start, 4));
                    _start += 4;
                    MssimLog.Signal(_server.Logger, _id, MssimCode.ActGetSignaled);
                    Array.Clear(_reply, 0, 8);
                    if (_server.ActGetSignaled(actHandle)) _reply[3] = 1;
                    Send(8);
                    break;
                case MssimCode.GetCommandResponseSizes:
                    MssimLog.Signal(_server.Logger, _id, MssimCode.GetCommandResponseSizes);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, 16);
                    _server.TakeCommandResponseSizes(_reply.AsSpan(4, 16));
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(20), 0);
                    Send(24);
                    break;
                case MssimCode.SessionEnd:
                    return "session end";
                case MssimCode.Stop:
                    _server.RequestStop(_id);
                    return "stop";
                default:
                    // Every platform code has a fixed size, so the stream stays in step: answer 1 and go on.
                    _server.LogConnection(l => MssimLog.UnknownPlatformCode(l, _id, code));
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, 1);
                    Send(4);
                    break;
            }
        }
    }

    void Signal(MssimCode code)
    {
        MssimLog.Signal(_server.Logger, _id, code);
        _server.Signal(code);
    }

    int ExecuteLogged(byte locality, ReadOnlySpan<byte> command, Span<byte> response)
    {
        long start = Stopwatch.GetTimestamp();
        int n = _server.Execute(locality, command, response);
        long micros = (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        uint commandCode = command.Length >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(command[6..]) : 0;
        uint responseCode = n >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(response[6..]) : 0;
        MssimLog.CommandExecuted(_server.Logger, _id, commandCode, locality, responseCode, micros);
        return n;
    }

    string Dropped(string reason)
    {
        _server.LogConnection(l => MssimLog.ConnectionDropped(l, _id, reason));
        return "dropped";
    }

    void SendAck()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_reply, 0);
        Send(4);
    }

    /// <summary>A new request starts: the stall clock runs from its first octet (now, if it is already buffered).</summary>
    void BeginRequest() => _frameStart = _end > _start ? Stopwatch.GetTimestamp() : 0;

    uint TakeU32()
    {
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_in.AsSpan(_start));
        _start += 4;
        return value;
    }

    /// <summary>Makes <paramref name="count"/> (at most the buffer's size) octets available from <c>_start</c>,
    /// receiving whatever the client has sent; false if the peer closed first.</summary>
    /// <remarks>The caller tells a clean close (between requests) from a torn request.</remarks>
    bool Need(int count)
    {
        if (_end - _start >= count) return true;
        if (_start > 0)
        {
            // Move what is left of the request to the front (at most one frame: rare and short).
            _in.AsSpan(_start, _end - _start).CopyTo(_in);
            _end -= _start;
            _start = 0;
        }
        while (_end < count)
        {
            // In the middle of a request (a client that writes the prefix and the command separately waits
            // for the prefix's ACK before sending the rest): acknowledge now. A client that writes a request
            // at once never gets here, so it costs no extra system call.
            if (_quickAck && _frameStart != 0)
            {
                _quickAck = TryQuickAck(_socket);
                _splitsWrites = true;
            }
            int n;
            try
            {
                n = _socket.Receive(_in, _end, _in.Length - _end, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                if (_frameStart == 0) continue; // idle between requests: allowed
                if (Stopwatch.GetTimestamp() - _frameStart >= _stallTicks)
                    throw new StalledException("stalled in the middle of a request");
                continue;
            }
            if (n == 0) return false;
            if (_frameStart == 0) _frameStart = Stopwatch.GetTimestamp();
            _end += n;
        }
        return true;
    }

    /// <summary>Sends <c>_reply[..length]</c>; one send unless the kernel takes less.</summary>
    void Send(int length)
    {
        int sent = 0;
        while (sent < length)
        {
            try
            {
                sent += _socket.Send(_reply, sent, length - sent, SocketFlags.None);
                // Sending right after a receive puts Linux back to delayed ACKs ("pingpong"); for a client
                // seen splitting its requests, re-arm now, so its next prefix is acknowledged on arrival,
                // before this thread wakes. A client that writes whole requests costs no extra call.
                if (_quickAck && _splitsWrites) _quickAck = TryQuickAck(_socket);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                throw new StalledException("stopped reading its replies");
            }
        }
    }

    System.Net.EndPoint? SafeRemoteEndPoint()
    {
        try { return _socket.RemoteEndPoint; }
        catch (SocketException) { return null; }
        catch (ObjectDisposedException) { return null; }
    }

    // Kestrel sorts socket errors the same way: a peer that resets or a local abort is routine.
    static bool IsExpected(Exception e) => e switch
    {
        OperationCanceledException or ObjectDisposedException => true,
        SocketException s => s.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted
            or SocketError.OperationAborted or SocketError.Shutdown or SocketError.Interrupted or SocketError.NotConnected,
        _ => false,
    };

    sealed class StalledException(string message) : Exception(message);
}
