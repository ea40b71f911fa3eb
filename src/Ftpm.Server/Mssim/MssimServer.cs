using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ftpm.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ftpm.Server.Mssim;

/// <summary>
/// Serves one <see cref="Tpm"/> over the Microsoft simulator protocol (tpm2-tss "mssim" TCTI, IBM TSS,
/// TSS.MSR): a command port for TPM commands and a platform port for power, NV, physical presence and
/// cancel signals. Clients may connect to both ports at once and come and go; all calls into the TPM are
/// serialized, so commands run one at a time. Each listener and each connection has a thread of its own
/// (blocking calls: no thread-pool hop on a command's path); connections per port are limited
/// (<see cref="MssimServerOptions.MaxConnectionsPerPort"/>) and one that stalls mid-request is dropped
/// (<see cref="MssimServerOptions.IdleTimeout"/>).
/// </summary>
/// <example>
/// <code>
/// await using var server = new MssimServer(tpm, platform, new MssimServerOptions { CommandPort = 0 }, logger);
/// server.Start();
/// int port = server.CommandEndPoint.Port;
/// </code>
/// </example>
public sealed class MssimServer : IAsyncDisposable
{
    // Back-off after a failed accept (EMFILE, ENFILE, ENOBUFS ...): the failure lasts until something
    // closes, so retrying at once only burns CPU; doubling from 10 ms up to 1 s.
    static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromSeconds(1);

    readonly Tpm _tpm;
    readonly SoftwarePlatform _platform;
    readonly MssimServerOptions _options;
    readonly ILogger _logger;
    readonly Lock _tpmLock = new();
    readonly CancellationTokenSource _stopping = new();
    readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<long, MssimConnection> _connections = new();
    readonly List<Thread> _acceptThreads = [];
    readonly int[] _open = new int[2]; // connections per MssimPort
    readonly LogLimiter _connectionLog = new(burst: 40, perSecond: 5);
    Socket? _commandListener;
    Socket? _platformListener;
    long _nextConnectionId;
    int _state; // 0 new, 1 started, 2 stopping
    readonly CommandResponseSizes _sizes = new();

    /// <param name="tpm">The TPM to serve; the server becomes its only caller.</param>
    /// <param name="platform">The TPM's platform, whose flags the platform port sets.</param>
    /// <param name="options">Address, ports and limits; defaults to 127.0.0.1:2321 and 2322.</param>
    /// <param name="logger">Connection and command log.</param>
    public MssimServer(Tpm tpm, SoftwarePlatform platform, MssimServerOptions? options = null, ILogger? logger = null)
    {
        _tpm = tpm;
        _platform = platform;
        _options = options ?? new MssimServerOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The command port's bound address and port (valid after <see cref="Start"/>; the real port when 0 was asked).</summary>
    public IPEndPoint CommandEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>The platform port's bound address and port (valid after <see cref="Start"/>).</summary>
    public IPEndPoint PlatformEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Completes when the server has stopped: after <see cref="StopAsync"/> or a client's STOP.</summary>
    public Task Stopped => _stopped.Task;

    internal bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Binds both listeners and starts accepting connections.</summary>
    /// <exception cref="AddressInUseException">A port is taken.</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            throw new InvalidOperationException("the server was already started");
        try
        {
            _commandListener = Bind(_options.Address, _options.CommandPort, _options.ListenBacklog);
            _platformListener = Bind(_options.PlatformAddress ?? _options.Address, _options.EffectivePlatformPort, _options.ListenBacklog);
        }
        catch
        {
            _commandListener?.Dispose();
            _platformListener?.Dispose();
            _state = 2;
            _stopped.TrySetResult();
            throw;
        }
        CommandEndPoint = (IPEndPoint)_commandListener.LocalEndPoint!;
        PlatformEndPoint = (IPEndPoint)_platformListener.LocalEndPoint!;
        MssimLog.Listening(_logger, MssimPort.Command, CommandEndPoint);
        MssimLog.Listening(_logger, MssimPort.Platform, PlatformEndPoint);
        foreach (var (listener, port) in new[] { (_commandListener, MssimPort.Command), (_platformListener, MssimPort.Platform) })
        {
            var thread = new Thread(() => AcceptLoop(listener, port)) { IsBackground = true, Name = $"mssim accept {port}" };
            _acceptThreads.Add(thread);
            thread.Start();
        }
    }

    /// <summary>Stops accepting, closes every connection and waits for their threads. Idempotent.
    /// The TPM itself is left as it is (no power signal): stopping is like pulling the cable.</summary>
    public async Task StopAsync()
    {
        int previous = Interlocked.Exchange(ref _state, 2);
        if (previous == 2)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _stopping.Cancel();
        // Shutdown wakes a thread blocked in accept(); closing alone does not on Linux.
        foreach (var listener in new[] { _commandListener, _platformListener })
        {
            if (listener is null) continue;
            try { listener.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
            listener.Dispose();
        }
        foreach (var connection in _connections.Values) connection.Abort();
        await Task.Run(() => { foreach (var t in _acceptThreads) t.Join(); }).ConfigureAwait(false);
        foreach (var connection in _connections.Values) connection.Abort(); // admitted while stopping
        await Task.WhenAll(_connections.Values.Select(c => c.Completion)).ConfigureAwait(false);
        MssimLog.Stopped(_logger);
        _stopped.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    static Socket Bind(IPAddress address, int port, int backlog)
    {
        var endPoint = new IPEndPoint(address, port);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(endPoint);
            socket.Listen(Math.Max(backlog, 1));
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

    void AcceptLoop(Socket listener, MssimPort port)
    {
        long failures = 0;
        var backoff = TimeSpan.Zero;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = listener.Accept();
            }
            catch (Exception e) when (_stopping.IsCancellationRequested && e is SocketException or ObjectDisposedException)
            {
                return; // StopAsync closed the listener
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // the client gave up while waiting in the backlog
            }
            catch (SocketException e)
            {
                // Out of descriptors or buffers: one line per burst, then wait for something to close.
                if (failures++ == 0) MssimLog.AcceptError(_logger, port, $"{e.SocketErrorCode}: {e.Message}");
                backoff = backoff == TimeSpan.Zero ? FirstBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                _stopping.Token.WaitHandle.WaitOne(backoff);
                continue;
            }
            if (failures > 0)
            {
                MssimLog.AcceptRecovered(_logger, port, failures);
                failures = 0;
                backoff = TimeSpan.Zero;
            }
            Admit(socket, port);
        }
    }

    void Admit(Socket socket, MssimPort port)
    {
        ref int open = ref _open[(int)port];
        if (Interlocked.Increment(ref open) > _options.MaxConnectionsPerPort)
        {
            Interlocked.Decrement(ref open);
            LogConnection(l => MssimLog.ConnectionRefused(l, port, SafeRemoteEndPoint(socket), _options.MaxConnectionsPerPort));
            socket.Dispose();
            return;
        }
        long id = Interlocked.Increment(ref _nextConnectionId);
        MssimConnection connection;
        try
        {
            connection = new MssimConnection(this, socket, id, port, _options.IdleTimeout);
            _connections[id] = connection;
            var thread = new Thread(() =>
            {
                try
                {
                    connection.Run();
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                    Interlocked.Decrement(ref _open[(int)port]);
                }
            }, maxStackSize: 2 << 20) { IsBackground = true, Name = $"mssim {port} {id}" };
            thread.Start();
        }
        catch (Exception e) when (e is SocketException or OutOfMemoryException or ThreadStartException)
        {
            _connections.TryRemove(id, out _);
            Interlocked.Decrement(ref open);
            LogConnection(l => MssimLog.ConnectionError(l, id, e));
            socket.Dispose();
            return;
        }
        if (_stopping.IsCancellationRequested) connection.Abort();
    }

    static EndPoint? SafeRemoteEndPoint(Socket socket)
    {
        try { return socket.RemoteEndPoint; }
        catch (SocketException) { return null; }
        catch (ObjectDisposedException) { return null; }
    }

    /// <summary>Writes a line about one connection unless the rate limit holds it back (a client can cause
    /// these lines at will: opening, refusing, dropping); held-back lines are counted in the next one.</summary>
    internal void LogConnection(Action<ILogger> write)
    {
        if (!_logger.IsEnabled(LogLevel.Information) && !_logger.IsEnabled(LogLevel.Warning)) return;
        if (!_connectionLog.TryTake(out long suppressed)) return;
        if (suppressed > 0) MssimLog.Suppressed(_logger, suppressed);
        write(_logger);
    }

    /// <summary>The sockets of the open connections (tests check their options).</summary>
    internal IReadOnlyList<Socket> ConnectionSockets(MssimPort port) =>
        [.. _connections.Values.Where(c => c.Port == port).Select(c => c.Socket)];

    /// <summary>Connections open on <paramref name="port"/>.</summary>
    internal int OpenConnections(MssimPort port) => Volatile.Read(ref _open[(int)port]);

    internal ILogger Logger => _logger;

    /// <summary>A client sent STOP: stop in the background (the calling connection is one of those awaited).</summary>
    internal void RequestStop(long connectionId)
    {
        MssimLog.StopRequested(_logger, connectionId);
        _ = Task.Run(StopAsync);
    }

    /// <summary>Runs one TPM command; <paramref name="response"/> holds <see cref="TpmLimits.MaxResponseSize"/> bytes.</summary>
    internal int Execute(byte locality, ReadOnlySpan<byte> command, Span<byte> response)
    {
        lock (_tpmLock)
        {
            int n = _tpm.Execute(locality, command, response);
            _sizes.Record(command, response[..n]);
            return n;
        }
    }

    /// <summary>Runs one platform action on the TPM or its platform, serialized with commands.</summary>
    internal void Signal(MssimCode code, ReadOnlySpan<byte> data = default)
    {
        // Cancel must reach a command that is running, so it does not wait for the lock.
        switch (code)
        {
            case MssimCode.SignalCancelOn: _platform.Cancelled = true; return;
            case MssimCode.SignalCancelOff: _platform.Cancelled = false; return;
        }
        lock (_tpmLock)
        {
            switch (code)
            {
                case MssimCode.SignalPowerOn:
                    // tpm2-tss sends POWER_ON at every connection: while on it changes nothing.
                    if (!_tpm.IsPoweredOn)
                    {
                        _platform.ResetTimer();
                        // Power-on is followed by _TPM_Init, which clears a cancel (the reference's
                        // _plat__Signal_Reset), as SIGNAL_RESET does below.
                        _platform.Cancelled = false;
                        _tpm.PowerOn();
                    }
                    break;
                case MssimCode.SignalPowerOff: _tpm.PowerOff(); break;
                case MssimCode.SignalReset:
                    // _TPM_Init without a power cycle; ignored while off, as in the reference simulator.
                    if (_tpm.IsPoweredOn)
                    {
                        _platform.Cancelled = false;
                        _tpm.Reset();
                    }
                    break;
                case MssimCode.SignalPhysPresOn: _platform.PhysicalPresence = true; break;
                case MssimCode.SignalPhysPresOff: _platform.PhysicalPresence = false; break;
                case MssimCode.SignalNvOn: _platform.NvAvailable = true; break;
                case MssimCode.SignalNvOff: _platform.NvAvailable = false; break;
                case MssimCode.SignalHashStart: _tpm.HashStart(); break;
                case MssimCode.SignalHashData: _tpm.HashData(data); break;
                case MssimCode.SignalHashEnd: _tpm.HashEnd(); break;
                case MssimCode.SignalRestart: _tpm.RestartTimer(); break;
                case MssimCode.TestFailureMode: _tpm.ForceFailureMode(); break;
                // KEY_CACHE_ON/OFF switch the reference simulator's cache of pre-generated RSA keys, a
                // speed-up with no visible effect; ftpm has none. SET_FW_HASH/SET_FW_SVN feed the
                // firmware-limited and SVN-limited hierarchies, which ftpm does not implement.
                default: break;
            }
        }
    }

    /// <summary>ACT_GET_SIGNALED: whether the ACT's signal is asserted (the platform's view of its output).</summary>
    internal bool ActGetSignaled(uint actHandle)
    {
        lock (_tpmLock) return _tpm.ActGetSignaled(actHandle);
    }

    /// <summary>GET_COMMAND_RESPONSE_SIZES: the largest command and response seen since the last query, then reset.</summary>
    internal void TakeCommandResponseSizes(Span<byte> destination)
    {
        lock (_tpmLock) _sizes.TakeInto(destination);
    }

    /// <summary>The reference simulator's CommandResponseSizes record (four u32 in host order, codes as on the wire).</summary>
    sealed class CommandResponseSizes
    {
        uint _commandSize, _responseSize;
        uint _commandCode, _responseCode; // raw wire bytes, as the reference copies them

        public void Record(ReadOnlySpan<byte> command, ReadOnlySpan<byte> response)
        {
            if ((uint)command.Length > _commandSize)
            {
                _commandSize = (uint)command.Length;
                _commandCode = command.Length >= 10 ? BitConverter.ToUInt32(command[6..10]) : 0;
            }
            if ((uint)response.Length > _responseSize)
            {
                _responseSize = (uint)response.Length;
                _responseCode = response.Length >= 10 ? BitConverter.ToUInt32(response[6..10]) : 0;
            }
        }

        public void TakeInto(Span<byte> destination)
        {
            BitConverter.TryWriteBytes(destination[0..], _commandSize);
            BitConverter.TryWriteBytes(destination[4..], _commandCode);
            BitConverter.TryWriteBytes(destination[8..], _responseSize);
            BitConverter.TryWriteBytes(destination[12..], _responseCode);
            _commandSize = _responseSize = _commandCode = _responseCode = 0;
        }
    }
}
