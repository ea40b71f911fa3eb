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
        // Both kinds of Startup, each on its own power cycle of its own copy: STATE resumes what a
        // Shutdown(STATE) saved (falling back to CLEAR when it is refused), CLEAR restarts from it or resets.
        var second = new Harnesses.CopyStore(records);
        INvStore secondStore = GuardedNvStore.Open(second, new StateGuardOptions { StateName = "fuzz" });
        if (!StartAndUse(store, records, StartupState)) return;
        StartAndUse(secondStore, records, Harnesses.StartupClear);
    }

    /// <summary>FTPM_FUZZ_TRACE=1 (replay): print each command's response code.</summary>
    static readonly bool Trace = Environment.GetEnvironmentVariable("FTPM_FUZZ_TRACE") == "1";

    static readonly uint[] HandleRanges = [0x01000000, 0x02000000, 0x03000000, 0x40000000, 0x80000000, 0x81000000];
    static readonly uint[] PropertyGroups = [0x100, 0x200];

    static readonly byte[] StartupState = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 1];

    /// <summary>Powers a TPM on over <paramref name="store"/>, starts it (<paramref name="startup"/>, else
    /// Startup(CLEAR)) and uses what the records hold: every capability, the public area of every NV index and
    /// persistent object, and an HMAC session that authorizes the hierarchies and each NV index (its HMAC is
    /// wrong, but the TPM keys its check with the stored authValue). False when power-on refused the state.</summary>
    bool StartAndUse(INvStore store, Dictionary<uint, byte[]> records, byte[] startup)
    {
        var failures = new FailureLogger();
        var tpm = new Tpm(new TpmOptions { Crypto = _crypto, Store = store, Platform = new SoftwarePlatform(), Logger = failures });
        try
        {
            tpm.PowerOn();
        }
        catch (InvalidDataException)
        {
            return false;
        }
        int n = tpm.Execute(0, startup, _response);
        Harnesses.CheckResponse(startup, _response.AsSpan(0, n));
        if (BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(6)) != 0 && startup != Harnesses.StartupClear)
        {
            n = tpm.Execute(0, Harnesses.StartupClear, _response);
            Harnesses.CheckResponse(Harnesses.StartupClear, _response.AsSpan(0, n));
        }
        if (tpm.InFailureMode) throw new FuzzFinding($"a state that loaded starts in failure mode: {failures.Last}");
        void Run(byte[] command, string what)
        {
            int length = tpm.Execute(0, command, _response);
            if (Trace) Console.WriteLine($"{what}: 0x{BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(6)):X}");
            Harnesses.CheckResponse(command, _response.AsSpan(0, length));
            if (tpm.InFailureMode) throw new FuzzFinding($"failure mode at {what} on a loaded state: {failures.Last}");
        }
        // TPM_CAP_ALGS .. TPM_CAP_ACT, from the start of each range.
        for (uint cap = 0; cap <= 0x0A; cap++)
            foreach (uint property in cap switch { 1 => HandleRanges, 6 => PropertyGroups, 9 => [0x40000000u], 10 => [0x40000110u], _ => [0u] })
                Run(GetCapability(cap, property), $"GetCapability 0x{cap:X}");
        // An unbound, unsalted HMAC session (handle 0x02000000).
        byte[] start = [0x80, 0x01, 0, 0, 0, 59, 0, 0, 0x01, 0x76, 0x40, 0, 0, 7, 0x40, 0, 0, 7, 0, 32, .. new byte[32], 0, 0, 0, 0, 0x10, 0, 0x0B];
        Run(start, "StartAuthSession");
        bool session = BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(6)) == 0;
        uint[] authorized = [0x40000001, 0x4000000A, 0x4000000B, 0x4000000C];
        foreach (uint handle in records.Keys)
        {
            byte[] command = (handle >> 24) switch
            {
                0x01 => Command(0x0169, handle),   // NV_ReadPublic
                0x81 => Command(0x0173, handle),   // ReadPublic
                _ => [],
            };
            if (command.Length == 0) continue;
            Run(command, $"reading handle 0x{handle:X8}");
            if (session && handle >> 24 == 0x01) Run(NvReadWithSession(handle), $"NV_Read of 0x{handle:X8} with an HMAC session");
        }
        if (session)
            foreach (uint hierarchy in authorized) Run(ChangeAuthWithSession(hierarchy), $"an HMAC session for 0x{hierarchy:X8}");
        return true;
    }

    static byte[] GetCapability(uint capability, uint property)
    {
        var c = new byte[22];
        BinaryPrimitives.WriteUInt16BigEndian(c, 0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(2), 22);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), 0x017A);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(10), capability);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(14), property);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(18), 64);
        return c;
    }

    /// <summary>The authorization area of one HMAC session 0x02000000: a nonce, continueSession, a wrong HMAC.</summary>
    static byte[] SessionArea() => [0x02, 0, 0, 0, 0, 32, .. new byte[32], 0x01, 0, 32, .. new byte[32]];

    /// <summary>TPM2_NV_Read (0x014E) of 8 octets at 0, the index authorizing itself.</summary>
    static byte[] NvReadWithSession(uint index)
    {
        byte[] area = SessionArea();
        byte[] body = [.. U32(index), .. U32(index), .. U32((uint)area.Length), .. area, 0, 8, 0, 0];
        return [0x80, 0x02, .. U32((uint)(10 + body.Length)), 0, 0, 0x01, 0x4E, .. body];
    }

    /// <summary>TPM2_HierarchyChangeAuth (0x0129) to an empty authValue, authorized by <paramref name="hierarchy"/>
    /// (the wrong HMAC fails the authorization check, which keys it with the hierarchy's stored authValue).</summary>
    static byte[] ChangeAuthWithSession(uint hierarchy)
    {
        byte[] area = SessionArea();
        byte[] body = [.. U32(hierarchy), .. U32((uint)area.Length), .. area, 0, 0];
        return [0x80, 0x02, .. U32((uint)(10 + body.Length)), 0, 0, 0x01, 0x29, .. body];
    }

    static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
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
/// platform port instead of the command port), then it closes its side. Deterministic: each input gets a
/// TPM just manufactured and started (the same every time), a server that is not listening, and one
/// connection handler (<see cref="MssimConnection"/>, the code every accepted client runs) over a fresh
/// loopback socket pair, with no idle timeout; the client drains every reply while it writes. Invariants:
/// the handler ends once the client has closed (a handler that does not is a hang afl-fuzz reports); no
/// exception ends it other than the expected socket errors; and commands from the command port never put
/// the TPM into failure mode.
/// </summary>
sealed class MssimHarness : IHarness
{
    readonly PlatformCrypto _crypto = new();
    readonly IReadOnlyDictionary<uint, byte[]> _manufactured;
    readonly Socket _listener;
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    long _nextId;

    public MssimHarness()
    {
        var store = new MemoryNvStore();
        var tpm = new Tpm(new TpmOptions { Crypto = _crypto, Store = store, Platform = new SoftwarePlatform() });
        tpm.PowerOn();
        _manufactured = store.Load().Records;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4);
    }

    public void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var port = (input[0] & 1) != 0 ? MssimPort.Platform : MssimPort.Command;
        var platform = new SoftwarePlatform();
        var failures = new FailureLogger();
        var tpm = new Tpm(new TpmOptions { Crypto = _crypto, Store = new Harnesses.CopyStore(_manufactured), Platform = platform });
        tpm.PowerOn();
        tpm.Execute(0, Harnesses.StartupClear, _response);
        var server = new MssimServer(tpm, platform, new MssimServerOptions { IdleTimeout = TimeSpan.Zero }, failures);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(_listener.LocalEndPoint!);
        var accepted = _listener.Accept();
        var connection = new MssimConnection(server, accepted, ++_nextId, port, TimeSpan.Zero);
        var handler = new Thread(connection.Run, maxStackSize: 2 << 20) { IsBackground = true };
        handler.Start();
        var drain = new Thread(() =>
        {
            var buffer = new byte[1 << 16];
            try
            {
                while (client.Receive(buffer) > 0) { }
            }
            catch (SocketException) { } // the handler may close a connection it finds malformed before reading it all
        }) { IsBackground = true };
        drain.Start();
        try
        {
            client.Send(input.AsSpan(1));
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            // The handler closed a malformed connection before reading all of it.
        }
        handler.Join();
        drain.Join();
        if (failures.Last is { } error)
            throw new FuzzFinding($"the connection handler failed: {error}");
        if (port == MssimPort.Command && tpm.InFailureMode)
            throw new FuzzFinding("commands from the command port put the TPM into failure mode");
    }

    public void Dispose() => _listener.Dispose();
}
