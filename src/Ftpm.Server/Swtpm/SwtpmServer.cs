using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Ftpm.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ftpm.Server.Swtpm;

/// <summary>
/// Serves one <see cref="Tpm"/> the way swtpm does (QEMU's tpm-emulator backend, libvirt, the tpm2-tss
/// swtpm TCTI, swtpm_ioctl): a data channel carrying raw TPM commands (or mssim SEND_COMMAND frames),
/// and a control channel with swtpm's CMD_* requests. Everything of one instance hangs off this object,
/// so one process can serve many TPMs, each with its own store and sockets.
/// </summary>
/// <remarks>
/// Each connection runs a synchronous loop on a thread of its own: read one request, answer it with one
/// write. Calls into the TPM are serialized by one lock per instance. The TPM "runs" (swtpm's
/// tpm_running) between CMD_INIT and CMD_STOP; data commands meanwhile get TPM_RC_FAILURE.
/// </remarks>
public sealed class SwtpmServer : IDisposable
{
    /// <summary>The smallest buffer size SET_BUFFERSIZE grants (room for any PC Client command but the largest).</summary>
    public const int MinBufferSize = 1024;

    readonly Tpm _tpm;
    readonly SoftwarePlatform _platform;
    readonly INvStore _store;
    readonly SwtpmServerOptions _options;
    readonly ILogger _logger;
    readonly Lock _lock = new();
    readonly byte[]? _encryptionKey;
    readonly ConcurrentDictionary<long, SwtpmConnection> _connections = new();
    readonly TaskCompletionSource<string> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly List<Socket> _listeners = [];
    long _nextConnectionId;
    int _state; // 0 new, 1 started, 2 stopped

    bool _running;
    byte _locality;
    bool _established;
    uint _lastCommand;
    int _bufferSize = TpmLimits.MaxCommandSize;
    byte[]? _volatileBlob;
    SwtpmConnection? _passedDataConnection;

    /// <param name="tpm">The TPM to serve; the server becomes its only caller.</param>
    /// <param name="platform">The TPM's platform (timer and cancel flag).</param>
    /// <param name="store">The TPM's store: the permanent and savestate blobs are its records.</param>
    /// <param name="options">Channels and swtpm flags.</param>
    /// <param name="logger">Connection, command and control log.</param>
    public SwtpmServer(Tpm tpm, SoftwarePlatform platform, INvStore store, SwtpmServerOptions options, ILogger? logger = null)
    {
        _tpm = tpm;
        _platform = platform;
        _store = store;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        if (options.StateKey is { } key) _encryptionKey = SwtpmStateBlob.EncryptionKey(key);
        if (options.VolatileStatePath is { } path && File.Exists(path)) _volatileBlob = File.ReadAllBytes(path);
    }

    /// <summary>The data channel's bound end point (after <see cref="Start"/>; the real port when 0 was asked).</summary>
    public SwtpmEndPoint? DataEndPoint { get; private set; }

    /// <summary>The control channel's bound end point.</summary>
    public SwtpmEndPoint? ControlEndPoint { get; private set; }

    /// <summary>Completes with the reason once the server has stopped (<see cref="Stop"/>, CMD_SHUTDOWN, --terminate).</summary>
    public Task<string> Stopped => _stopped.Task;

    /// <summary>True while the TPM runs (between CMD_INIT and CMD_STOP).</summary>
    public bool IsRunning { get { lock (_lock) return _running; } }

    internal ILogger Logger => _logger;
    internal SwtpmServerOptions Options => _options;

    /// <summary>Starts the TPM unless it needs CMD_INIT, sends the configured Startup, binds the channels and accepts.</summary>
    /// <exception cref="AddressInUseException">A port or socket path is taken.</exception>
    /// <exception cref="InvalidOperationException">The TPM could not be started.</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            throw new InvalidOperationException("the server was already started");
        try
        {
            if (!_options.NeedInit)
            {
                lock (_lock)
                {
                    var rc = InitLocked(0);
                    if (rc != SwtpmResult.Success) throw new InvalidOperationException($"the TPM could not be started (0x{(uint)rc:X})");
                    if (_options.Startup != SwtpmStartup.None) SendStartupLocked();
                }
            }
            if (_options.Data is { } data)
            {
                var listener = Bind(data);
                DataEndPoint = BoundEndPoint(data, listener);
                StartAcceptThread(listener, "data", DataEndPoint);
            }
            if (_options.Control is { } control)
            {
                var listener = Bind(control);
                ControlEndPoint = BoundEndPoint(control, listener);
                StartAcceptThread(listener, "control", ControlEndPoint);
            }
        }
        catch
        {
            Stop("start failed");
            throw;
        }
    }

    /// <summary>Stops accepting, closes every connection and (unless disabled) shuts the TPM down orderly. Idempotent.</summary>
    public void Stop() => Stop("stopped by the host");

    public void Dispose() => Stop();

    internal void Stop(string reason)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        lock (_listeners)
        {
            foreach (var listener in _listeners) listener.Dispose();
        }
        foreach (var connection in _connections.Values) connection.Abort();
        lock (_lock)
        {
            if (_running && !_options.DisableAutoShutdown) AutoShutdownLocked();
            _running = false;
            _tpm.PowerOff();
        }
        foreach (var endPoint in new[] { _options.Data, _options.Control })
            if (endPoint is SwtpmUnixEndPoint unix) try { File.Delete(unix.Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        SwtpmLog.Stopped(_logger, reason);
        _stopped.TrySetResult(reason);
    }

    // ---- listeners ----

    Socket Bind(SwtpmEndPoint endPoint)
    {
        Socket socket;
        EndPoint address;
        switch (endPoint)
        {
            case SwtpmTcpEndPoint tcp:
                address = new IPEndPoint(tcp.Address, tcp.Port);
                socket = new Socket(tcp.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (tcp.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
                break;
            case SwtpmUnixEndPoint unix:
                // A socket file left by a process that died is in the way (swtpm removes it too).
                if (File.Exists(unix.Path) && (File.GetAttributes(unix.Path) & FileAttributes.Directory) == 0) File.Delete(unix.Path);
                address = new UnixDomainSocketEndPoint(unix.Path);
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                break;
            default:
                throw new ArgumentException($"unknown end point {endPoint}");
        }
        try
        {
            socket.Bind(address);
            if (endPoint is SwtpmUnixEndPoint { Mode: { } mode } u && !OperatingSystem.IsWindows()) File.SetUnixFileMode(u.Path, mode);
            socket.Listen(Math.Max(_options.Backlog, 128));
            lock (_listeners) _listeners.Add(socket);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException($"address {endPoint} is already in use", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    static SwtpmEndPoint BoundEndPoint(SwtpmEndPoint asked, Socket listener) => asked switch
    {
        SwtpmTcpEndPoint tcp => tcp with { Port = ((IPEndPoint)listener.LocalEndPoint!).Port },
        _ => asked,
    };

    void StartAcceptThread(Socket listener, string channel, SwtpmEndPoint endPoint)
    {
        SwtpmLog.Listening(_logger, channel, endPoint);
        var thread = new Thread(() => AcceptLoop(listener, channel)) { IsBackground = true, Name = $"swtpm {channel} accept" };
        thread.Start();
    }

    void AcceptLoop(Socket listener, string channel)
    {
        int delay = 0;
        while (Volatile.Read(ref _state) == 1)
        {
            Socket socket;
            try
            {
                socket = listener.Accept();
                delay = 0;
            }
            catch (Exception e) when (Volatile.Read(ref _state) != 1 && e is ObjectDisposedException or SocketException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // the client gave up while waiting in the backlog
            }
            catch (SocketException e)
            {
                // Out of descriptors or memory: back off instead of spinning, and try again.
                delay = Math.Clamp(delay * 2, 10, 1000);
                SwtpmLog.AcceptError(_logger, channel, delay, e);
                Thread.Sleep(delay);
                continue;
            }
            if (_connections.Count >= _options.MaxConnections)
            {
                SwtpmLog.ConnectionLimit(_logger, channel, _options.MaxConnections);
                socket.Dispose();
                continue;
            }
            if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true;
            StartConnection(socket, channel == "control" ? SwtpmChannel.Control : SwtpmChannel.Data);
        }
    }

    SwtpmConnection StartConnection(Socket socket, SwtpmChannel channel)
    {
        long id = Interlocked.Increment(ref _nextConnectionId);
        var connection = new SwtpmConnection(this, socket, id, channel);
        _connections[id] = connection;
        if (Volatile.Read(ref _state) != 1) connection.Abort();
        var thread = new Thread(() =>
        {
            connection.Run();
            _connections.TryRemove(id, out _);
            ConnectionEnded(connection);
        })
        { IsBackground = true, Name = $"swtpm {channel} {id}" };
        thread.Start();
        return connection;
    }

    void ConnectionEnded(SwtpmConnection connection)
    {
        if (connection.Channel == SwtpmChannel.Data)
        {
            lock (_lock) if (_passedDataConnection == connection) _passedDataConnection = null;
            if (_options.TerminateOnDataClose) Stop("the data connection closed (--terminate)");
        }
        else if (_options.TerminateOnControlClose)
        {
            Stop("the control connection closed (ctrl terminate)");
        }
    }

    // ---- data channel ----

    /// <summary>Runs one command from the data channel; <paramref name="mssimLocality"/> is the locality of an
    /// mssim SEND_COMMAND prefix, which (as in swtpm) becomes the locality of later commands too.</summary>
    internal int Execute(long connectionId, ReadOnlySpan<byte> command, Span<byte> response, int mssimLocality)
    {
        int n;
        uint commandCode = command.Length >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(command[6..]) : 0;
        lock (_lock)
        {
            if (mssimLocality >= 0) _locality = (byte)mssimLocality;
            if (!_running)
                n = WriteResponse(response, TpmRcFailure);
            else if (commandCode == SwtpmProtocol.SetLocalityCommandCode && command.Length >= 10)
                n = SetLocalityCommand(command, response);
            else if (_locality == 4 && _options.RejectLocality4)
                n = WriteResponse(response, TpmRcLocality);
            else if (command.Length > _bufferSize)
                n = WriteResponse(response, TpmRcCommandSize);
            else
            {
                _platform.Cancelled = false;
                n = _tpm.Execute(_locality, command, response);
                _platform.Cancelled = false;
                if (commandCode != 0) _lastCommand = commandCode;
            }
        }
        if (_logger.IsEnabled(LogLevel.Debug))
            SwtpmLog.CommandExecuted(_logger, connectionId, commandCode, _locality, n >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(response[6..]) : 0);
        return n;
    }

    const uint TpmRcFailure = 0x101, TpmRcLocality = 0x907, TpmRcCommandSize = 0x142, TpmRcInsufficient = 0x09A;

    static int WriteResponse(Span<byte> response, uint rc)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response, 0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(response[2..], 10);
        BinaryPrimitives.WriteUInt32BigEndian(response[6..], rc);
        return 10;
    }

    // swtpm's vendor command TPM2_CC_SET_LOCALITY: header, then one octet, the new locality.
    int SetLocalityCommand(ReadOnlySpan<byte> command, Span<byte> response)
    {
        if (!_options.AllowSetLocality) return WriteResponse(response, TpmRcFailure);
        if (command.Length < 11) return WriteResponse(response, TpmRcInsufficient);
        byte locality = command[10];
        if (locality > 4 || (locality == 4 && _options.RejectLocality4)) return WriteResponse(response, TpmRcLocality);
        _locality = locality;
        return WriteResponse(response, 0);
    }

    /// <summary>SET_DATAFD: serve the passed socket as the data channel.</summary>
    internal SwtpmResult SetDataSocket(Socket socket)
    {
        lock (_lock)
        {
            if (_passedDataConnection is not null) return SwtpmResult.IoError;
            if (Volatile.Read(ref _state) != 1) return SwtpmResult.IoError;
            _passedDataConnection = StartConnection(socket, SwtpmChannel.Data);
        }
        return SwtpmResult.Success;
    }

    // ---- control channel ----

    internal SwtpmResult Init(uint flags)
    {
        lock (_lock)
        {
            if (_running && !_options.DisableAutoShutdown) AutoShutdownLocked();
            return InitLocked(flags);
        }
    }

    SwtpmResult InitLocked(uint flags)
    {
        _running = false;
        _tpm.PowerOff();
        _platform.ResetTimer();
        _platform.Cancelled = false;
        try
        {
            _tpm.PowerOn();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            SwtpmLog.Error(_logger, $"Could not initialize the TPM: {e.Message}");
            _tpm.PowerOff();
            return SwtpmResult.Fail;
        }
        if (_volatileBlob is { Length: > 0 } blob)
        {
            // The volatile state of CMD_STORE_VOLATILE or SET_STATEBLOB: continue where that TPM was.
            var payload = SwtpmStateBlob.Open(blob, SwtpmBlobType.Volatile, _encryptionKey, _ => StoreKey(SwtpmBlobType.Volatile), out var rc, out var error);
            if (payload is null || !_tpm.RestoreVolatileState(payload))
            {
                SwtpmLog.Error(_logger, $"Could not restore the volatile state: {(payload is null ? error : "malformed")}");
                _tpm.PowerOff();
                return payload is null ? rc : SwtpmResult.Fail;
            }
            CryptographicOperations.ZeroMemory(payload);
        }
        if ((flags & SwtpmProtocol.InitFlagDeleteVolatile) != 0) DeleteVolatile();
        _running = true;
        return SwtpmResult.Success;
    }

    void SendStartupLocked()
    {
        Span<byte> command = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(command, 0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(command[2..], 12);
        BinaryPrimitives.WriteUInt32BigEndian(command[6..], (uint)TpmCc.Startup);
        BinaryPrimitives.WriteUInt16BigEndian(command[10..], (ushort)(_options.Startup == SwtpmStartup.State ? TpmSu.State : TpmSu.Clear));
        var response = _tpm.Execute(0, command);
        uint rc = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));
        if (rc != 0) throw new InvalidOperationException($"TPM2_Startup failed: 0x{rc:X}");
        _lastCommand = (uint)TpmCc.Startup;
    }

    /// <summary>swtpm's tpmlib_maybe_send_tpm2_shutdown: unless the last command was TPM2_Shutdown, try
    /// Shutdown(STATE) (which keeps more for a Resume), then Shutdown(CLEAR).</summary>
    void AutoShutdownLocked()
    {
        if (_lastCommand == (uint)TpmCc.Shutdown || !_tpm.IsPoweredOn) return;
        Span<byte> command = stackalloc byte[12];
        foreach (var type in new[] { TpmSu.State, TpmSu.Clear })
        {
            BinaryPrimitives.WriteUInt16BigEndian(command, 0x8001);
            BinaryPrimitives.WriteUInt32BigEndian(command[2..], 12);
            BinaryPrimitives.WriteUInt32BigEndian(command[6..], (uint)TpmCc.Shutdown);
            BinaryPrimitives.WriteUInt16BigEndian(command[10..], (ushort)type);
            var response = _tpm.Execute(_locality, command);
            uint rc = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));
            if (rc == 0)
            {
                _lastCommand = (uint)TpmCc.Shutdown;
                return;
            }
            if (rc == (uint)TpmRc.Initialize) return;
        }
    }

    /// <summary>CMD_STOP (and CMD_SHUTDOWN, which then ends the process).</summary>
    internal SwtpmResult StopTpm()
    {
        lock (_lock)
        {
            if (_running && !_options.DisableAutoShutdown) AutoShutdownLocked();
            _running = false;
            _tpm.PowerOff();
        }
        return SwtpmResult.Success;
    }

    internal SwtpmResult GetEstablished(out bool established)
    {
        lock (_lock)
        {
            established = _established;
            return _running ? SwtpmResult.Success : SwtpmResult.BadOrdinal;
        }
    }

    /// <summary>RESET_TPMESTABLISHED: only from locality 3 or 4 (PC Client PTP, TPM_ACCESS.tpmEstablishment).</summary>
    internal SwtpmResult ResetEstablished(byte locality)
    {
        lock (_lock)
        {
            if (!_running) return SwtpmResult.BadOrdinal;
            if (locality > 4 || locality < 3) return SwtpmResult.BadLocality;
            _established = false;
            return SwtpmResult.Success;
        }
    }

    internal SwtpmResult SetLocality(byte locality)
    {
        lock (_lock)
        {
            if (locality > 4 || (locality == 4 && _options.RejectLocality4)) return SwtpmResult.BadLocality;
            _locality = locality;
            return SwtpmResult.Success;
        }
    }

    /// <summary>HASH_START/DATA/END: _TPM_Hash_Start (which also sets tpmEstablished), _Data, _End.</summary>
    internal SwtpmResult Hash(SwtpmControlCode code, ReadOnlySpan<byte> data = default)
    {
        lock (_lock)
        {
            if (!_running) return SwtpmResult.BadOrdinal;
            switch (code)
            {
                case SwtpmControlCode.HashStart: _tpm.HashStart(); _established = true; break;
                case SwtpmControlCode.HashData: _tpm.HashData(data); break;
                default: _tpm.HashEnd(); break;
            }
            return SwtpmResult.Success;
        }
    }

    internal bool Running { get { lock (_lock) return _running; } }

    /// <summary>CANCEL_TPM_CMD: raises the platform's cancel flag without waiting for the command's lock.</summary>
    internal SwtpmResult Cancel()
    {
        if (!Running) return SwtpmResult.BadOrdinal;
        _platform.Cancelled = true;
        return SwtpmResult.Success;
    }

    internal SwtpmResult StoreVolatile()
    {
        lock (_lock)
        {
            if (!_running) return SwtpmResult.BadOrdinal;
            return SetVolatile(SealVolatileLocked());
        }
    }

    byte[] SealVolatileLocked()
    {
        var state = _tpm.SaveVolatileState();
        try
        {
            var key = _encryptionKey is null ? StoreKey(SwtpmBlobType.Volatile) ?? throw new InvalidOperationException("the TPM has no persistent data") : null;
            return SwtpmStateBlob.Seal(SwtpmBlobType.Volatile, state, _encryptionKey, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(state);
        }
    }

    internal uint ConfigFlags => _options.StateKey is null ? 0 : SwtpmProtocol.ConfigFlagFileKey;

    /// <summary>SET_BUFFERSIZE: 0 queries; a size is only set while the TPM is stopped.</summary>
    internal SwtpmResult SetBufferSize(uint requested, out uint size)
    {
        lock (_lock)
        {
            size = (uint)_bufferSize;
            if (requested == 0) return SwtpmResult.Success;
            if (_running) return SwtpmResult.BadOrdinal;
            _bufferSize = (int)Math.Clamp(requested, MinBufferSize, TpmLimits.MaxCommandSize);
            size = (uint)_bufferSize;
            return SwtpmResult.Success;
        }
    }

    /// <summary>GET_INFO's JSON text for the SWTPM_INFO_* flags this host knows (what TPM2_GetCapability reports).</summary>
    internal static string Info(ulong flags)
    {
        var parts = new List<string>();
        if ((flags & SwtpmProtocol.InfoTpmSpecification) != 0)
            parts.Add("\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,\"revision\":184}");
        if ((flags & SwtpmProtocol.InfoTpmAttributes) != 0)
            parts.Add("\"TPMAttributes\":{\"manufacturer\":\"id:4654504D\",\"version\":\"id:00010000\",\"model\":\"ftpm\"}");
        return "{" + string.Join(",", parts) + "}";
    }

    // ---- state blobs ----

    static bool IsSaveStateKey(uint key) => key is NvKeys.SavedState or NvKeys.SavedAuthState or NvKeys.SavedCommitState;

    /// <summary>The MAC key of unencrypted volatile and savestate blobs: from the secrets of the TPM in the store.</summary>
    byte[]? StoreKey(SwtpmBlobType type) => HostKey(_store.Load().Records, type);

    byte[]? HostKey(IReadOnlyDictionary<uint, byte[]> records, SwtpmBlobType type)
    {
        var key = new byte[32];
        return _tpm.TryDeriveHostKey(records, SwtpmStateBlob.KeyLabel(type), key) ? key : null;
    }

    /// <summary>GET_STATEBLOB: only while the TPM runs (as swtpm); the volatile state is taken now.</summary>
    internal SwtpmResult GetStateBlob(uint type, out byte[] blob)
    {
        blob = [];
        lock (_lock)
        {
            if (!_running) return SwtpmResult.BadOrdinal;
            try
            {
                switch ((SwtpmBlobType)type)
                {
                    case SwtpmBlobType.Volatile:
                        blob = SealVolatileLocked();
                        DeleteVolatile(); // as swtpm: a volatile state handed out is not kept
                        return SwtpmResult.Success;
                    case SwtpmBlobType.Permanent:
                    case SwtpmBlobType.SaveState:
                    {
                        var records = _store.Load().Records;
                        bool saveState = (SwtpmBlobType)type == SwtpmBlobType.SaveState;
                        var payload = SwtpmStateBlob.EncodeRecords(records.Where(r => IsSaveStateKey(r.Key) == saveState));
                        var key = _encryptionKey is null ? HostKey(records, (SwtpmBlobType)type) : null;
                        if (_encryptionKey is null && key is null) return SwtpmResult.Fail;
                        blob = SwtpmStateBlob.Seal((SwtpmBlobType)type, payload, _encryptionKey, key);
                        CryptographicOperations.ZeroMemory(payload);
                        if (key is not null) CryptographicOperations.ZeroMemory(key);
                        return SwtpmResult.Success;
                    }
                    default:
                        return SwtpmResult.Fail;
                }
            }
            catch (IOException e)
            {
                SwtpmLog.Error(_logger, $"Could not read the state: {e.Message}");
                return SwtpmResult.IoError;
            }
        }
    }

    /// <summary>SET_STATEBLOB: only while the TPM is stopped. The blob is checked completely before anything
    /// changes; a refused blob leaves the state as it was.</summary>
    internal SwtpmResult SetStateBlob(uint type, ReadOnlySpan<byte> blob)
    {
        lock (_lock)
        {
            if (_running) return SwtpmResult.BadOrdinal;
            var blobType = (SwtpmBlobType)type;
            if (blobType is not (SwtpmBlobType.Permanent or SwtpmBlobType.Volatile or SwtpmBlobType.SaveState))
                return SwtpmResult.Fail;
            // An empty volatile or savestate blob (swtpm hands these out when there is none) means: none.
            if (blob.IsEmpty && blobType != SwtpmBlobType.Permanent)
                return blobType == SwtpmBlobType.Volatile ? SetVolatile(null) : ReplaceRecords(IsSaveStateKey, new Dictionary<uint, byte[]>());

            Func<byte[], byte[]?> macKey = blobType == SwtpmBlobType.Permanent
                ? payload => SwtpmStateBlob.DecodeRecords(payload) is { } records ? HostKey(records, blobType) : null
                : _ => StoreKey(blobType);
            byte[]? payload = SwtpmStateBlob.Open(blob, blobType, _encryptionKey, macKey, out var rc, out var error);
            if (payload is null)
            {
                SwtpmLog.BlobRefused(_logger, error);
                return rc;
            }
            try
            {
                if (blobType == SwtpmBlobType.Volatile) return SetVolatile(blob.ToArray());
                var records = SwtpmStateBlob.DecodeRecords(payload);
                bool saveState = blobType == SwtpmBlobType.SaveState;
                if (records is null || records.Keys.Any(k => IsSaveStateKey(k) != saveState) ||
                    (!saveState && !records.ContainsKey(NvKeys.Persistent)))
                {
                    SwtpmLog.BlobRefused(_logger, "the blob's records are malformed (damaged)");
                    return SwtpmResult.Fail;
                }
                return saveState ? ReplaceRecords(IsSaveStateKey, records) : ReplaceRecords(k => !IsSaveStateKey(k), records);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(payload);
            }
        }
    }

    /// <summary>Replaces the store's records selected by <paramref name="part"/> with <paramref name="records"/> in one commit.</summary>
    SwtpmResult ReplaceRecords(Func<uint, bool> part, Dictionary<uint, byte[]> records)
    {
        try
        {
            var changes = new List<NvChange>();
            foreach (var key in _store.Load().Records.Keys)
                if (part(key) && !records.ContainsKey(key)) changes.Add(new NvChange(key, null));
            foreach (var (key, data) in records) changes.Add(new NvChange(key, data));
            _store.Commit(changes);
            return SwtpmResult.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            SwtpmLog.Error(_logger, $"Could not write the state: {e.Message}");
            return SwtpmResult.IoError;
        }
    }

    SwtpmResult SetVolatile(byte[]? blob)
    {
        _volatileBlob = blob;
        if (_options.VolatileStatePath is not { } path) return SwtpmResult.Success;
        try
        {
            if (blob is null)
            {
                File.Delete(path);
                return SwtpmResult.Success;
            }
            string temp = path + ".tmp";
            var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = _options.StateFileMode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using (var file = new FileStream(temp, fileOptions))
            {
                file.Write(blob);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            return SwtpmResult.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SwtpmLog.Error(_logger, $"Could not write the volatile state: {e.Message}");
            return SwtpmResult.IoError;
        }
    }

    void DeleteVolatile() => SetVolatile(null);
}

/// <summary>The two channels of swtpm's protocol.</summary>
enum SwtpmChannel
{
    Data,
    Control,
}
