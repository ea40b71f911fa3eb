using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Ftpm.Ports;
using Ftpm.Storage;
using static Ftpm.Bench.Wire;

namespace Ftpm.Bench;

/// <summary>
/// NV index commands through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>, including the
/// NV commit each writing command ends with (NV_Write/NV_Read/NV_Increment cost including the
/// durable commit). <see cref="Store"/> picks the backend:
/// <list type="bullet">
/// <item>Memory: <see cref="MemoryNvStore"/>, the engine alone;</item>
/// <item>File: <see cref="FileNvStore"/> in a temporary folder: the whole state rewritten to a new file,
/// fsync, rename, fsync of the folder, per command;</item>
/// <item>Guarded: File under <see cref="GuardedNvStore"/> with a state key and an RPMB file: AES-GCM of the
/// changed record, HMAC-SHA256 over the state, and a second durable write (the RPMB counter).</item>
/// </list>
/// Each command carries a password session (tag 0x8002) for TPM_RH_OWNER with an empty password. The state
/// holds the three indices plus the engine's persistent data (about 1.3 KiB), so the file is small:
/// the fsyncs dominate. NV_Read writes nothing and commits nothing. Orderly_Increment is an increment of a
/// TPMA_NV_ORDERLY counter: RAM only, until its low 8 bits wrap (one commit in 256 increments).
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project bench/Ftpm.Bench -- --filter '*NvBenchmarks*' --job short</c>
/// <para>Results, --job short on the shared 2-core build machine (AMD EPYC 2.10GHz, Debian 12, .NET 10.0.12,
/// ext4 on a virtual disk, other builders running). Means; ShortRun's Error column is wide, and the file
/// rows are set by the disk's fsync latency (about 5 ms each here), not by ftpm.</para>
/// <code>
/// Benchmark             Memory     File (2 fsyncs)   Guarded (4 fsyncs, AES-GCM, HMAC)
/// NvWrite_64B           1.3 µs     11.0 ms           22.4 ms
/// NvWrite_1KiB          1.3 µs     10.4 ms           15.3 ms
/// NvRead_64B            0.31 µs    0.26 µs           0.23 µs   (no commit)
/// NvIncrement           0.64 µs    10.5 ms           10.6 ms
/// NvIncrement_Orderly   0.32 µs    38 µs             26 µs     (one commit per 256)
/// </code>
/// </remarks>
[MemoryDiagnoser]
public class NvBenchmarks
{
    const uint Ordinary = 0x01500001, Counter = 0x01500002, OrderlyCounter = 0x01500003;
    const uint RhOwner = 0x40000001;

    public enum Backend { Memory, File, Guarded }

    [Params(Backend.Memory, Backend.File, Backend.Guarded)]
    public Backend Store { get; set; }

    Tpm _tpm = null!;
    string? _dir;
    FileNvStore? _file;
    RpmbFile? _rpmb;
    IDisposable? _guard;
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    byte[] _write64 = null!, _write1024 = null!, _read64 = null!, _increment = null!, _orderlyIncrement = null!;

    [GlobalSetup]
    public void Setup()
    {
        INvStore store = new MemoryNvStore();
        if (Store != Backend.Memory)
        {
            _dir = Directory.CreateTempSubdirectory("ftpm-nvbench-").FullName;
            _file = new FileNvStore(Path.Combine(_dir, "state"));
            store = _file;
            if (Store == Backend.Guarded)
            {
                _rpmb = new RpmbFile(Path.Combine(_dir, "rpmb.bin"));
                store = GuardedNvStore.Open(_file, new StateGuardOptions { StateKey = RandomNumberGenerator.GetBytes(32), Rpmb = _rpmb });
                _guard = (IDisposable)store;
            }
        }
        _tpm = new Tpm(new TpmOptions { Crypto = new Ftpm.Crypto.PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        _tpm.PowerOn();
        Check("Startup(CLEAR)", Commands.StartupClear);

        const uint ownerRw = (1u << 17) | (1u << 1);
        Check("NV_DefineSpace(ordinary)", DefineSpace(Ordinary, ownerRw, 1024));
        Check("NV_DefineSpace(counter)", DefineSpace(Counter, ownerRw | (1u << 4), 8));
        Check("NV_DefineSpace(orderly counter)", DefineSpace(OrderlyCounter, ownerRw | (1u << 4) | (1u << 26), 8));

        _write64 = Nv(0x137, Ordinary, w => { w.AddRange(U16(64)); w.AddRange(new byte[64]); w.AddRange(U16(0)); });
        _write1024 = Nv(0x137, Ordinary, w => { w.AddRange(U16(1024)); w.AddRange(new byte[1024]); w.AddRange(U16(0)); });
        _read64 = Nv(0x14E, Ordinary, w => { w.AddRange(U16(64)); w.AddRange(U16(0)); });
        _increment = Nv(0x134, Counter, _ => { });
        _orderlyIncrement = Nv(0x134, OrderlyCounter, _ => { });
        Check("NV_Write(64)", _write64);
        Check("NV_Write(1024)", _write1024);
        Check("NV_Read(64)", _read64);
        Check("NV_Increment", _increment);
        Check("NV_Increment(orderly)", _orderlyIncrement);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _guard?.Dispose();
        _rpmb?.Dispose();
        _file?.Dispose();
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
    }

    [Benchmark] public int NvWrite_64B() => _tpm.Execute(0, _write64, _response);
    [Benchmark] public int NvWrite_1KiB() => _tpm.Execute(0, _write1024, _response);
    [Benchmark] public int NvRead_64B() => _tpm.Execute(0, _read64, _response);
    [Benchmark] public int NvIncrement() => _tpm.Execute(0, _increment, _response);
    [Benchmark] public int NvIncrement_Orderly() => _tpm.Execute(0, _orderlyIncrement, _response);

    void Check(string name, byte[] command) => Commands.ExecuteOk(_tpm, command, _response, name);

    /// <summary>A TPM_ST_SESSIONS command with the given handles, one empty password session and parameters.</summary>
    static byte[] Build(uint code, uint[] handles, Action<List<byte>> parameters)
    {
        var p = new List<byte>();
        parameters(p);
        return Wire.Build(code, handles, 1, [.. p]);
    }

    /// <summary>An NV command authorized by the owner: authHandle TPM_RH_OWNER, then the index.</summary>
    internal static byte[] Nv(uint code, uint index, Action<List<byte>> parameters) => Build(code, [RhOwner, index], parameters);

    /// <summary>TPM2_NV_DefineSpace by the owner: empty auth, nameAlg SHA-256, no authPolicy.</summary>
    internal static byte[] DefineSpace(uint index, uint attributes, ushort size) => Build(0x12A, [RhOwner], w =>
    {
        w.AddRange(U16(0));                                       // auth: empty
        w.AddRange(U16(14));                                      // TPM2B_NV_PUBLIC size
        w.AddRange(U32(index)); w.AddRange(U16(0x000B));          // nvIndex, nameAlg SHA-256
        w.AddRange(U32(attributes)); w.AddRange(U16(0));          // attributes, empty authPolicy
        w.AddRange(U16(size));
    });
}
