using BenchmarkDotNet.Attributes;
using Ftpm.Ports;
using Ftpm.Storage;
using static Ftpm.Bench.NvBenchmarks;
using static Ftpm.Bench.Wire;

namespace Ftpm.Bench;

/// <summary>
/// What an NV commit costs as NV fills: NV_Write of 64 octets followed by NV_Read of them, on a
/// <see cref="FileNvStore"/> in a temporary folder, with <see cref="NvInUseKiB"/> KiB of NV indices
/// defined and written besides (2 KiB indices). A commit appends the changed records to the store's
/// journal and flushes it (one fsync), so its cost should not grow with the NV in use.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project bench/Ftpm.Bench -- --filter '*NvCommitBenchmarks*' --job short</c>
/// (figures in bench/README.md).</remarks>
[MemoryDiagnoser]
public class NvCommitBenchmarks
{
    const uint Index = 0x01500001, FillerFirst = 0x01510000;
    const int FillerSize = 2048;

    [Params(1, 60)]
    public int NvInUseKiB { get; set; }

    Tpm _tpm = null!;
    string _dir = null!;
    FileNvStore _store = null!;
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    byte[] _write = null!, _read = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("ftpm-nvcommit-").FullName;
        _store = new FileNvStore(Path.Combine(_dir, "state"));
        _tpm = new Tpm(new TpmOptions { Crypto = new Ftpm.Crypto.PlatformCrypto(), Store = _store, Platform = new SoftwarePlatform() });
        _tpm.PowerOn();
        Commands.ExecuteOk(_tpm, Commands.StartupClear, _response, "Startup(CLEAR)");
        const uint ownerRw = (1u << 17) | (1u << 1);
        Commands.ExecuteOk(_tpm, DefineSpace(Index, ownerRw, 64), _response, "NV_DefineSpace");
        // Filler indices, each written in full (1024 octets per NV_Write), up to the NV in use asked for.
        int fillers = NvInUseKiB * 1024 / FillerSize;
        var chunk = new byte[1024];
        for (int i = 0; i < fillers; i++)
        {
            uint handle = FillerFirst + (uint)i;
            Commands.ExecuteOk(_tpm, DefineSpace(handle, ownerRw, FillerSize), _response, "NV_DefineSpace(filler)");
            for (ushort offset = 0; offset < FillerSize; offset += 1024)
            {
                Random.Shared.NextBytes(chunk);
                ushort at = offset;
                Commands.ExecuteOk(_tpm, Nv(0x137, handle, w => { w.AddRange(U16(1024)); w.AddRange(chunk); w.AddRange(U16(at)); }), _response, "NV_Write(filler)");
            }
        }
        _write = Nv(0x137, Index, w => { w.AddRange(U16(64)); w.AddRange(new byte[64]); w.AddRange(U16(0)); });
        _read = Nv(0x14E, Index, w => { w.AddRange(U16(64)); w.AddRange(U16(0)); });
        Commands.ExecuteOk(_tpm, _write, _response, "NV_Write(64)");
        Commands.ExecuteOk(_tpm, _read, _response, "NV_Read(64)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public int NvWriteRead_64B()
    {
        _tpm.Execute(0, _write, _response);
        return _tpm.Execute(0, _read, _response);
    }
}
