using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Server.Mssim;
using Ftpm.Storage;

namespace Ftpm.Fuzz;

/// <summary>One fuzz target: runs an input and throws <see cref="FuzzFinding"/> (or lets an unexpected
/// exception escape) when an invariant breaks; afl-fuzz records that input as a crash.</summary>
interface IHarness : IDisposable
{
    void Run(byte[] input);
}

/// <summary>An invariant broke.</summary>
sealed class FuzzFinding(string message) : Exception(message);

/// <summary>Keeps the last exception the engine logged (the cause of a failure mode), so a finding names it.</summary>
sealed class FailureLogger : Microsoft.Extensions.Logging.ILogger
{
    public Exception? Last;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
        Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is not null) Last = exception;
    }
}

static class Harnesses
{
    public static IHarness Create(string name) => name switch
    {
        "execute" => new ExecuteHarness(),
        "state" => new StateHarness(),
        "mssim" => new MssimHarness(),
        _ => throw new ArgumentException($"unknown harness {name} (execute, state, mssim)"),
    };

    /// <summary>A store over a copy of some records (the committed state of a fuzz run).</summary>
    internal sealed class CopyStore(IReadOnlyDictionary<uint, byte[]> records) : INvStore
    {
        readonly Dictionary<uint, byte[]> _records = new(records);
        public ulong Counter { get; private set; }
        public NvSnapshot Load() => new(new Dictionary<uint, byte[]>(_records), Counter);

        public void Commit(IReadOnlyList<NvChange> changes)
        {
            foreach (var c in changes)
            {
                if (c.Data is null) _records.Remove(c.Key);
                else _records[c.Key] = (byte[])c.Data.Clone();
            }
            Counter++;
        }
    }

    internal static readonly byte[] StartupClear = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0];

    /// <summary>The checks every response must pass (Part 1, 18 "Response Structure"): at least a header,
    /// its size field equal to its length, a response tag, and an error response is a bare header.</summary>
    internal static void CheckResponse(ReadOnlySpan<byte> command, ReadOnlySpan<byte> response)
    {
        if (response.Length < 10) throw new FuzzFinding($"response of {response.Length} octets (shorter than a header)");
        uint size = BinaryPrimitives.ReadUInt32BigEndian(response[2..]);
        if (size != response.Length) throw new FuzzFinding($"response size field {size} but {response.Length} octets");
        ushort tag = BinaryPrimitives.ReadUInt16BigEndian(response);
        uint rc = BinaryPrimitives.ReadUInt32BigEndian(response[6..]);
        if (tag is not (0x8001 or 0x8002)) throw new FuzzFinding($"response tag 0x{tag:X4}");
        if (rc != 0 && (response.Length != 10 || tag != 0x8001))
            throw new FuzzFinding($"error response 0x{rc:X} with a body or a sessions tag");
        ushort commandTag = command.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(command) : (ushort)0;
        if (rc == 0 && tag == 0x8002 && commandTag != 0x8002)
            throw new FuzzFinding("a sessions response to a command without sessions");
    }
}

/// <summary>
/// TPM commands through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte})"/>. An input is a sequence of
/// commands, each cut at its header's commandSize (the rest of the input when that does not fit), run
/// on a TPM that was just manufactured and started. Invariants: no exception escapes, every response is
/// well-formed, the TPM never enters failure mode, and the state it committed loads back and starts.
/// </summary>
sealed class ExecuteHarness : IHarness
{
    const int MaxCommands = 64;
    readonly PlatformCrypto _crypto = new();
    readonly IReadOnlyDictionary<uint, byte[]> _manufactured;
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];

    public ExecuteHarness()
    {
        var store = new MemoryNvStore();
        var tpm = new Tpm(new TpmOptions { Crypto = _crypto, Store = store, Platform = new SoftwarePlatform() });
        tpm.PowerOn();
        _manufactured = store.Load().Records;
    }

    public void Run(byte[] input)
    {
        var store = new Harnesses.CopyStore(_manufactured);
        var tpm = Boot(store);
        int offset = 0;
        for (int i = 0; i < MaxCommands && offset < input.Length; i++)
        {
            int remaining = input.Length - offset;
            int size = remaining;
            if (remaining >= 6)
            {
                uint declared = BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(offset + 2));
                if (declared >= 10 && declared <= remaining) size = (int)declared;
            }
            var command = input.AsSpan(offset, size);
            offset += size;
            int n = tpm.Execute(0, command, _response);
            Harnesses.CheckResponse(command, _response.AsSpan(0, n));
            if (tpm.InFailureMode)
                throw new FuzzFinding($"failure mode after command {i} (code 0x{(command.Length >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(command[6..]) : 0):X})");
        }
        if (store.Counter > 0)
        {
            // What was committed must load and start again (a power cycle without Shutdown).
            var again = Boot(store);
            if (again.InFailureMode) throw new FuzzFinding("the committed state starts in failure mode");
        }
    }

    Tpm Boot(INvStore store)
    {
        var tpm = new Tpm(new TpmOptions { Crypto = _crypto, Store = store, Platform = new SoftwarePlatform() });
        tpm.PowerOn();
        int n = tpm.Execute(0, Harnesses.StartupClear, _response);
        uint rc = BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(6));
        if (n != 10 || rc != 0) throw new FuzzFinding($"Startup(CLEAR) answered 0x{rc:X}");
        return tpm;
    }

    public void Dispose() { }
}

/// <summary>
/// State loading: an input is a state file (first octet: bit 0 appends the SHA-256 the file layout
/// ends with, so the fuzzer gets past the checksum; bit 1 also runs the guard's verification with a
/// fixed state key). Loading may refuse the state (InvalidDataException, StateRefusedException) but
/// nothing else may escape; a state that loads must power on and start without failure mode, or be
/// refused with InvalidDataException at power-on.
/// </summary>
sealed class StateHarness : IHarness
{
    readonly PlatformCrypto _crypto = new();
    readonly byte[] _key = SHA256.HashData("ftpm fuzz state key"u8);
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];

    public void Run(byte[] input)
    {
        if (input.Length == 0) return;
        byte mode = input[0];
        byte[] file = (mode & 1) != 0 ? [.. input.AsSpan(1), .. SHA256.HashData(input.AsSpan(1))] : input[1..];
        Dictionary<uint, byte[]> records;
        try
        {
            (records, _) = FileNvStore.Parse(file, "fuzz");
        }
        catch (InvalidDataException)
        {
            return;
        }
        if ((mode & 2) != 0)
        {
            try
            {
                GuardedNvStore.Verify(records, _key, null, "fuzz");
            }
            catch (StateRefusedException) { }
            _ = GuardedNvStore.HeaderInfo(records);
        }
        INvStore store;
        try
        {
            store = GuardedNvStore.Open(new Harnesses.CopyStore(records), new StateGuardOptions { StateName = "fuzz" });
        }
        catch (StateRefusedException)
        {
            return;
        }
        try
        {
            // `ftpm state show` decodes every record; a malformed one is refused with InvalidDataException.
            StateInspector.Describe(records, TextWriter.Null);
        }
        catch (InvalidDataException) { }
        var failures = new FailureLogger();
        var tpm = new Tpm(new TpmOptions { Crypto = _crypto, Store = store, Platform = new SoftwarePlatform(), Logger = failures });
        try
        {
            tpm.PowerOn();
        }
        catch (InvalidDataException)
        {
            return;
        }
        int n = tpm.Execute(0, Harnesses.StartupClear, _response);
        Harnesses.CheckResponse(Harnesses.StartupClear, _response.AsSpan(0, n));
        if (tpm.InFailureMode) throw new FuzzFinding($"a state that loaded starts in failure mode: {failures.Last}");
        // Touch what the records define: the handles in NV and their public areas.
        foreach (uint handle in records.Keys)
        {
            byte[] command = (handle >> 24) switch
            {
                0x01 => Command(0x0169, handle),   // NV_ReadPublic
                0x81 => Command(0x0173, handle),   // ReadPublic
                _ => [],
            };
            if (command.Length == 0) continue;
            n = tpm.Execute(0, command, _response);
            Harnesses.CheckResponse(command, _response.AsSpan(0, n));
            if (tpm.InFailureMode) throw new FuzzFinding($"failure mode reading handle 0x{handle:X8} of a loaded state: {failures.Last}");
        }
    }

    static byte[] Command(uint code, uint handle)
    {
        var c = new byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(c, 0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(2), 14);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), code);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(10), handle);
        return c;
    }

    public void Dispose() { }
}

/// <summary>
/// The mssim framing: an input is what a client writes on one connection (first octet: bit 0 picks the
/// platform port instead of the command port), then it closes its side. The server must answer or
/// close within a second and keep accepting connections; a STOP from the input restarts it.
/// </summary>
sealed class MssimHarness : IHarness
{
    readonly SoftwarePlatform _platform = new();
    readonly Tpm _tpm;
    MssimServer _server;
    readonly byte[] _buffer = new byte[1 << 16];

    public MssimHarness()
    {
        _tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = new MemoryNvStore(), Platform = _platform });
        _server = StartServer();
    }

    MssimServer StartServer()
    {
        var server = new MssimServer(_tpm, _platform, new MssimServerOptions { Address = IPAddress.Loopback, CommandPort = 0, PlatformPort = 0 });
        server.Start();
        return server;
    }

    public void Run(byte[] input)
    {
        if (input.Length == 0) return;
        if (_server.Stopped.IsCompleted)
        {
            _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _server = StartServer();
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 1000 };
        try
        {
            socket.Connect((input[0] & 1) != 0 ? _server.PlatformEndPoint : _server.CommandEndPoint);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // A STOP in the previous input: the server answers it, then closes its listeners, so the
            // next connection may arrive before Stopped completes. Refused while still running is a finding.
            if (!_server.Stopped.Wait(TimeSpan.FromSeconds(2)))
                throw new FuzzFinding("the server refused a connection while running");
            _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _server = StartServer();
            socket.Connect((input[0] & 1) != 0 ? _server.PlatformEndPoint : _server.CommandEndPoint);
        }
        try
        {
            socket.Send(input.AsSpan(1));
            socket.Shutdown(SocketShutdown.Send);
            while (socket.Receive(_buffer) > 0) { }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            // The server may close a connection it finds malformed before reading all of it.
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new FuzzFinding("the server neither answered nor closed the connection within a second after the client closed its side");
        }
    }

    public void Dispose() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
