using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Ftpm.Server.Swtpm;

/// <summary>
/// One client of a <see cref="SwtpmServer"/> on the data or the control channel: owns the socket, its id
/// (in every log line) and its buffers, allocated once; <see cref="Run"/> reads one request, answers it
/// with one write, and repeats on the connection's own thread. Nothing escapes <see cref="Run"/>.
/// </summary>
sealed class SwtpmConnection
{
    // The longest data-channel frame: an mssim prefix (u32 8, u8 locality, u32 size) and a command.
    const int MssimPrefix = 9, TpmHeader = 10;

    readonly SwtpmServer _server;
    readonly Socket _socket;
    readonly long _id;
    readonly Lock _abortLock = new();
    bool _aborted;
    UnixSocketRights? _rights;
    Socket? _passed;

    public SwtpmConnection(SwtpmServer server, Socket socket, long id, SwtpmChannel channel)
    {
        _server = server;
        _socket = socket;
        _id = id;
        Channel = channel;
    }

    public SwtpmChannel Channel { get; }

    /// <summary>Serves the connection until the peer closes it, it breaks or the server stops.</summary>
    public void Run()
    {
        var log = _server.Logger;
        SwtpmLog.ConnectionOpened(log, _id, Channel == SwtpmChannel.Data ? "data" : "control");
        string reason;
        try
        {
            reason = Channel == SwtpmChannel.Data ? ServeData() : ServeControl();
        }
        catch (Exception e) when (IsExpected(e))
        {
            reason = "connection reset";
        }
        catch (Exception e)
        {
            SwtpmLog.ConnectionError(log, _id, e);
            reason = "error";
        }
        Abort();
        _rights?.Dispose();
        _passed?.Dispose();
        SwtpmLog.ConnectionClosed(log, _id, reason);
    }

    /// <summary>Closes the socket; idempotent, callable from any thread.</summary>
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

    // ---- data channel ----

    /// <summary>
    /// Raw TPM commands, each answered by the raw response; the length comes from the command header.
    /// As swtpm does, a frame whose tag is not a TPM 2.0 tag but whose first u32 is 8 (mssim
    /// TPM_SEND_COMMAND) is taken as <c>u32 8, u8 locality, u32 size, command</c> and answered as mssim
    /// does: <c>u32 size, response, u32 0</c>.
    /// </summary>
    string ServeData()
    {
        // Bytes are received into `input` as they come (usually a whole command per receive), and frames
        // are taken from it; the command is executed from there without another copy.
        var input = new byte[MssimPrefix + TpmLimits.MaxCommandSize];
        var reply = new byte[4 + TpmLimits.MaxResponseSize + 4];
        bool disconnect = _server.Options.DisconnectAfterResponse;
        int start = 0, end = 0;
        while (true)
        {
            if (start == end) start = end = 0;
            if (!Fill(input, ref start, ref end, TpmHeader))
                return end == start ? "closed by client" : Dropped("closed in the middle of a command");
            var header = input.AsSpan(start);
            ushort tag = BinaryPrimitives.ReadUInt16BigEndian(header);
            int locality = -1;
            int offset, size;
            if (tag is not (0x8001 or 0x8002) && BinaryPrimitives.ReadUInt32BigEndian(header) == SwtpmProtocol.MssimSendCommand)
            {
                locality = header[4];
                uint declared = BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
                if (declared < 1 || declared > TpmLimits.MaxCommandSize)
                    return Dropped($"mssim frame declares a command of {declared} bytes");
                offset = MssimPrefix;
                size = (int)declared;
            }
            else
            {
                uint declared = BinaryPrimitives.ReadUInt32BigEndian(header[2..]);
                offset = 0;
                if (declared is < TpmHeader or > TpmLimits.MaxCommandSize)
                {
                    // A size that is not a command's cannot be framed: the TPM answers the header it got,
                    // and the connection ends.
                    int m = _server.Execute(_id, input.AsSpan(start, TpmHeader), reply.AsSpan(4, TpmLimits.MaxResponseSize), -1);
                    Send(reply.AsSpan(4, m));
                    return Dropped($"command declares {declared} bytes");
                }
                size = (int)declared;
            }
            if (!Fill(input, ref start, ref end, offset + size))
                return Dropped("closed in the middle of a command");
            int n = _server.Execute(_id, input.AsSpan(start + offset, size), reply.AsSpan(4, TpmLimits.MaxResponseSize), locality);
            start += offset + size;
            if (locality >= 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(reply, (uint)n);
                BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4 + n), 0);
                Send(reply.AsSpan(0, 4 + n + 4));
            }
            else
            {
                Send(reply.AsSpan(4, n));
            }
            if (disconnect) return "disconnect after response";
        }
    }

    /// <summary>Receives until <paramref name="buffer"/>[start..end] holds at least <paramref name="count"/>
    /// bytes (moving them to the front when the buffer's end is near); false if the peer closed first.</summary>
    bool Fill(byte[] buffer, ref int start, ref int end, int count)
    {
        if (end - start >= count) return true;
        if (buffer.Length - start < count)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        while (end - start < count)
        {
            int n = _socket.Receive(buffer.AsSpan(end));
            if (n == 0) return false;
            end += n;
        }
        return true;
    }

    // ---- control channel ----

    string ServeControl()
    {
        if (_socket.AddressFamily == AddressFamily.Unix && UnixSocketRights.IsSupported)
            _rights = new UnixSocketRights(SwtpmProtocol.MaxHashDataChunk + 16);
        var request = new byte[SwtpmProtocol.MaxHashDataChunk + 16];
        var reply = new byte[16 + SwtpmProtocol.GetInfoChunk];
        while (true)
        {
            if (!Receive(request.AsSpan(0, 4)))
                return "closed by client";
            var code = (SwtpmControlCode)BinaryPrimitives.ReadUInt32BigEndian(request);
            SwtpmResult result;
            int length = 4;
            switch (code)
            {
                case SwtpmControlCode.GetCapability:
                    result = SwtpmResult.Success;
                    BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4), (uint)SwtpmProtocol.Capabilities);
                    length = 8;
                    break;
                case SwtpmControlCode.Init:
                    if (!Receive(request.AsSpan(0, 4))) return Torn(code);
                    result = _server.Init(BinaryPrimitives.ReadUInt32BigEndian(request));
                    break;
                case SwtpmControlCode.Shutdown:
                    result = _server.StopTpm();
                    Reply(code, reply, result, 4);
                    _server.Stop("CMD_SHUTDOWN");
                    return "CMD_SHUTDOWN";
                case SwtpmControlCode.Stop:
                    result = _server.StopTpm();
                    break;
                case SwtpmControlCode.GetTpmEstablished:
                    result = _server.GetEstablished(out bool established);
                    if (result == SwtpmResult.Success)
                    {
                        reply.AsSpan(4, 4).Clear();
                        reply[4] = established ? (byte)1 : (byte)0;
                        length = 8;
                    }
                    break;
                case SwtpmControlCode.SetLocality:
                    if (!ReceiveLocality(request)) return Torn(code);
                    result = _server.SetLocality(request[0]);
                    break;
                case SwtpmControlCode.ResetTpmEstablished:
                    if (!ReceiveLocality(request)) return Torn(code);
                    result = _server.ResetEstablished(request[0]);
                    break;
                case SwtpmControlCode.HashStart:
                case SwtpmControlCode.HashEnd:
                    result = _server.Hash(code);
                    break;
                case SwtpmControlCode.HashData:
                {
                    if (!Receive(request.AsSpan(0, 4))) return Torn(code);
                    // Stream the data through the request buffer: _TPM_Hash_Data is incremental.
                    result = SwtpmResult.Success;
                    for (long left = BinaryPrimitives.ReadUInt32BigEndian(request); left > 0;)
                    {
                        int chunk = (int)Math.Min(left, SwtpmProtocol.MaxHashDataChunk);
                        if (!Receive(request.AsSpan(0, chunk))) return Torn(code);
                        if (result == SwtpmResult.Success) result = _server.Hash(code, request.AsSpan(0, chunk));
                        left -= chunk;
                    }
                    break;
                }
                case SwtpmControlCode.CancelTpmCmd:
                    result = _server.Cancel();
                    break;
                case SwtpmControlCode.StoreVolatile:
                    result = _server.StoreVolatile();
                    break;
                case SwtpmControlCode.GetStateBlob:
                {
                    if (!Receive(request.AsSpan(0, 12))) return Torn(code);
                    uint type = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(4));
                    uint offset = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8));
                    result = _server.GetStateBlob(type, out var blob);
                    if (result == SwtpmResult.BadOrdinal) break;
                    // u32 res, u32 state_flags, u32 totlength, u32 length, then the blob from offset, in one write.
                    int count = result == SwtpmResult.Success && offset < blob.Length ? blob.Length - (int)offset : 0;
                    var message = new byte[16 + count];
                    BinaryPrimitives.WriteUInt32BigEndian(message, (uint)result);
                    BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), _server.Options.StateKey is null ? 0 : SwtpmProtocol.StateFlagEncrypted);
                    BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), (uint)count);
                    BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)count);
                    blob.AsSpan((int)Math.Min(offset, (uint)blob.Length), count).CopyTo(message.AsSpan(16));
                    Send(message);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(message);
                    SwtpmLog.Control(_server.Logger, _id, code, (uint)result);
                    continue;
                }
                case SwtpmControlCode.SetStateBlob:
                {
                    if (!Receive(request.AsSpan(0, 12))) return Torn(code);
                    uint type = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(4));
                    uint size = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8));
                    if (size > SwtpmProtocol.MaxStateBlobSize)
                    {
                        Reply(code, reply, SwtpmResult.Fail, 4);
                        return Dropped($"SET_STATEBLOB of {size} bytes exceeds {SwtpmProtocol.MaxStateBlobSize}");
                    }
                    var blob = new byte[size];
                    if (!Receive(blob)) return Torn(code);
                    result = _server.SetStateBlob(type, blob);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(blob);
                    break;
                }
                case SwtpmControlCode.GetConfig:
                    result = SwtpmResult.Success;
                    BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4), _server.ConfigFlags);
                    length = 8;
                    break;
                case SwtpmControlCode.SetDataFd:
                {
                    // The descriptor arrived with the code's bytes (SCM_RIGHTS); only a unix socket carries one.
                    var passed = _passed;
                    _passed = null;
                    if (passed is null)
                    {
                        result = SwtpmResult.BadParameter;
                        break;
                    }
                    result = _server.SetDataSocket(passed);
                    if (result != SwtpmResult.Success) passed.Dispose();
                    break;
                }
                case SwtpmControlCode.SetBufferSize:
                    if (!Receive(request.AsSpan(0, 4))) return Torn(code);
                    result = _server.SetBufferSize(BinaryPrimitives.ReadUInt32BigEndian(request), out uint bufferSize);
                    if (result == SwtpmResult.Success)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4), bufferSize);
                        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), SwtpmServer.MinBufferSize);
                        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(12), TpmLimits.MaxCommandSize);
                        length = 16;
                    }
                    break;
                case SwtpmControlCode.GetInfo:
                {
                    if (!Receive(request.AsSpan(0, 16))) return Torn(code);
                    ulong flags = BinaryPrimitives.ReadUInt64BigEndian(request);
                    uint offset = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8));
                    // The text with its NUL, from offset; a client collects it in chunks of PTM_GETINFO_SIZE.
                    byte[] text = Encoding.UTF8.GetBytes(SwtpmServer.Info(flags) + "\0");
                    if (offset >= text.Length - 1)
                    {
                        result = SwtpmResult.BadParameter;
                        break;
                    }
                    int count = Math.Min(text.Length - (int)offset, SwtpmProtocol.GetInfoChunk);
                    result = SwtpmResult.Success;
                    BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4), (uint)text.Length);
                    BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), (uint)count);
                    text.AsSpan((int)offset, count).CopyTo(reply.AsSpan(12));
                    length = 12 + count;
                    break;
                }
                case SwtpmControlCode.LockStorage:
                    // The store locked its folder when it opened (FileNvStore): nothing is left to lock.
                    if (!Receive(request.AsSpan(0, 4))) return Torn(code);
                    result = SwtpmResult.Success;
                    break;
                default:
                    result = SwtpmResult.BadOrdinal;
                    break;
            }
            Reply(code, reply, result, result == SwtpmResult.Success ? length : 4);
        }
    }

    void Reply(SwtpmControlCode code, byte[] reply, SwtpmResult result, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(reply, (uint)result);
        Send(reply.AsSpan(0, length));
        SwtpmLog.Control(_server.Logger, _id, code, (uint)result);
    }

    /// <summary>The u8 locality of SET_LOCALITY and RESET_TPMESTABLISHED. QEMU sends the whole ptm_loc
    /// union (4 octets: the u8 and the padding up to the u32 result); swtpm reads a request with one
    /// read and ignores the rest, so the padding that came with the request is read and dropped.</summary>
    bool ReceiveLocality(byte[] request)
    {
        if (!Receive(request.AsSpan(0, 1))) return false;
        int padding = Math.Min(3, _socket.Available);
        return padding == 0 || Receive(request.AsSpan(1, padding));
    }

    string Torn(SwtpmControlCode code) => Dropped($"closed in the middle of {code}");

    string Dropped(string reason)
    {
        SwtpmLog.ConnectionDropped(_server.Logger, _id, reason);
        return "dropped";
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; false if the peer closed first. On a
    /// unix control socket every read is a recvmsg, so a descriptor passed with the bytes is kept.</summary>
    bool Receive(Span<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n;
            if (_rights is not null)
            {
                // recvmsg fills a managed array; copy into the caller's span.
                var chunk = _chunk ??= new byte[SwtpmProtocol.MaxHashDataChunk + 16];
                n = _rights.Receive(_socket, chunk, 0, Math.Min(buffer.Length - got, chunk.Length), out var passed);
                if (passed is not null)
                {
                    _passed?.Dispose();
                    _passed = passed;
                }
                chunk.AsSpan(0, n).CopyTo(buffer[got..]);
            }
            else
            {
                n = _socket.Receive(buffer[got..]);
            }
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    byte[]? _chunk;

    void Send(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = _socket.Send(data);
            data = data[n..];
        }
    }

    // A peer that resets or a local abort is routine.
    static bool IsExpected(Exception e) => e switch
    {
        ObjectDisposedException => true,
        SocketException s => s.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted
            or SocketError.OperationAborted or SocketError.Shutdown or SocketError.Interrupted or SocketError.NotConnected
            or SocketError.Success,
        _ => false,
    };
}
