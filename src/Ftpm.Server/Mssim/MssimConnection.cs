using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Ftpm.Server.Mssim;

/// <summary>
/// One client on the command or the platform port: owns the socket, its id (in every log line) and its
/// buffers; reads one request, answers it in a single send, repeats. Nothing escapes <see cref="RunAsync"/>.
/// </summary>
sealed class MssimConnection
{
    // u32 length, the response, u32 0: the whole reply goes out in one send.
    const int ReplyCapacity = 4 + TpmLimits.MaxResponseSize + 4;

    readonly MssimServer _server;
    readonly Socket _socket;
    readonly long _id;
    readonly MssimPort _port;
    readonly CancellationTokenSource _closed;
    readonly Lock _abortLock = new();
    bool _aborted;
    readonly byte[] _header = new byte[8];
    byte[]? _command;
    byte[]? _reply;

    public MssimConnection(MssimServer server, Socket socket, long id, MssimPort port, CancellationToken serverStopping)
    {
        _server = server;
        _socket = socket;
        _id = id;
        _port = port;
        _closed = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
    }

    /// <summary>The connection's task; completes once the socket is closed.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public Task RunAsync() => Completion = RunCoreAsync();

    async Task RunCoreAsync()
    {
        await Task.Yield();
        var log = _server.Logger;
        MssimLog.ConnectionOpened(log, _id, _port, SafeRemoteEndPoint());
        string reason;
        try
        {
            reason = _port == MssimPort.Command ? await ServeCommandsAsync() : await ServePlatformAsync();
        }
        catch (Exception e) when (IsExpected(e))
        {
            reason = _closed.IsCancellationRequested ? "server stopping" : "connection reset";
        }
        catch (Exception e)
        {
            MssimLog.ConnectionError(log, _id, e);
            reason = "error";
        }
        Abort();
        MssimLog.ConnectionClosed(log, _id, reason);
        _closed.Dispose();
    }

    /// <summary>Closes the socket; idempotent, callable from any thread.</summary>
    public void Abort()
    {
        lock (_abortLock)
        {
            if (_aborted) return;
            _aborted = true;
            try { _closed.Cancel(); } catch (ObjectDisposedException) { }
            try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            _socket.Dispose();
        }
    }

    async Task<string> ServeCommandsAsync()
    {
        _command = new byte[TpmLimits.MaxCommandSize];
        _reply = new byte[ReplyCapacity];
        while (true)
        {
            if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                return "closed by client";
            uint code = BinaryPrimitives.ReadUInt32BigEndian(_header);
            switch ((MssimCode)code)
            {
                case MssimCode.SendCommand:
                {
                    // u8 locality, u32 length: check the declared length before reading the payload.
                    if (!await ReceiveAsync(_header.AsMemory(0, 5)))
                        return Dropped("closed in the middle of a command");
                    byte locality = _header[0];
                    uint length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1));
                    if (length > TpmLimits.MaxCommandSize)
                        return Dropped($"declared command length {length} exceeds {TpmLimits.MaxCommandSize}");
                    if (!await ReceiveAsync(_command.AsMemory(0, (int)length)))
                        return Dropped("closed in the middle of a command");
                    int n = ExecuteLogged(locality, _command.AsSpan(0, (int)length), _reply.AsSpan(4, TpmLimits.MaxResponseSize));
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, (uint)n);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(4 + n), 0);
                    await SendAsync(_reply.AsMemory(0, 4 + n + 4));
                    break;
                }
                case MssimCode.SignalHashStart:
                case MssimCode.SignalHashEnd:
                    Signal((MssimCode)code);
                    await SendAckAsync();
                    break;
                case MssimCode.SignalHashData:
                {
                    if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                        return Dropped("closed in the middle of HASH_DATA");
                    uint length = BinaryPrimitives.ReadUInt32BigEndian(_header);
                    if (length > MssimProtocol.MaxHashDataSize)
                        return Dropped($"declared HASH_DATA length {length} exceeds {MssimProtocol.MaxHashDataSize}");
                    // Stream it through the command buffer: HashData is incremental.
                    for (int left = (int)length; left > 0;)
                    {
                        int chunk = Math.Min(left, _command.Length);
                        if (!await ReceiveAsync(_command.AsMemory(0, chunk)))
                            return Dropped("closed in the middle of HASH_DATA");
                        _server.Signal(MssimCode.SignalHashData, _command.AsSpan(0, chunk));
                        left -= chunk;
                    }
                    MssimLog.Signal(_server.Logger, _id, MssimCode.SignalHashData);
                    await SendAckAsync();
                    break;
                }
                case MssimCode.RemoteHandshake:
                {
                    if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                        return Dropped("closed in the middle of REMOTE_HANDSHAKE");
                    uint clientVersion = BinaryPrimitives.ReadUInt32BigEndian(_header);
                    if (clientVersion == 0)
                        return Dropped("REMOTE_HANDSHAKE with unsupported client version 0");
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, MssimProtocol.ServerVersion);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(4), MssimProtocol.HandshakeFlags);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(8), 0);
                    await SendAsync(_reply.AsMemory(0, 12));
                    break;
                }
                case MssimCode.SetAlternativeResult:
                    // Meaningless for a simulator; read the argument and acknowledge.
                    if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                        return Dropped("closed in the middle of SET_ALTERNATIVE_RESULT");
                    await SendAckAsync();
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

    async Task<string> ServePlatformAsync()
    {
        _reply = new byte[32];
        while (true)
        {
            if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                return "closed by client";
            uint code = BinaryPrimitives.ReadUInt32BigEndian(_header);
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
                    await SendAckAsync();
                    break;
                case MssimCode.SetFwHash:
                case MssimCode.SetFwSvn:
                    if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                        return Dropped($"closed in the middle of {(MssimCode)code}");
                    Signal((MssimCode)code);
                    await SendAckAsync();
                    break;
                case MssimCode.ActGetSignaled:
                    // u32 ACT handle -> u32 signaled (1 while the ACT's output is asserted), then the ack.
                    if (!await ReceiveAsync(_header.AsMemory(0, 4)))
                        return Dropped("closed in the middle of ACT_GET_SIGNALED");
                    MssimLog.Signal(_server.Logger, _id, MssimCode.ActGetSignaled);
                    Array.Clear(_reply, 0, 8);
                    if (_server.ActGetSignaled(BinaryPrimitives.ReadUInt32BigEndian(_header))) _reply[3] = 1;
                    await SendAsync(_reply.AsMemory(0, 8));
                    break;
                case MssimCode.GetCommandResponseSizes:
                    MssimLog.Signal(_server.Logger, _id, MssimCode.GetCommandResponseSizes);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, 16);
                    _server.TakeCommandResponseSizes(_reply.AsSpan(4, 16));
                    BinaryPrimitives.WriteUInt32BigEndian(_reply.AsSpan(20), 0);
                    await SendAsync(_reply.AsMemory(0, 24));
                    break;
                case MssimCode.SessionEnd:
                    return "session end";
                case MssimCode.Stop:
                    _server.RequestStop(_id);
                    return "stop";
                default:
                    // Every platform code has a fixed size, so the stream stays in step: answer 1 and go on.
                    MssimLog.UnknownPlatformCode(_server.Logger, _id, code);
                    BinaryPrimitives.WriteUInt32BigEndian(_reply, 1);
                    await SendAsync(_reply.AsMemory(0, 4));
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
        MssimLog.ConnectionDropped(_server.Logger, _id, reason);
        return "dropped";
    }

    ValueTask SendAckAsync()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_reply, 0);
        return SendAsync(_reply.AsMemory(0, 4));
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; false if the peer closed first.</summary>
    /// <remarks>The caller tells a clean close (between requests) from a torn request.</remarks>
    async ValueTask<bool> ReceiveAsync(Memory<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await _socket.ReceiveAsync(buffer[got..], SocketFlags.None, _closed.Token);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = await _socket.SendAsync(data, SocketFlags.None, _closed.Token);
            data = data[n..];
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
            or SocketError.OperationAborted or SocketError.Shutdown or SocketError.Interrupted,
        _ => false,
    };
}
