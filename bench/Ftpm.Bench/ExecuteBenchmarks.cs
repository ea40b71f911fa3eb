using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Ftpm.Bench;

/// <summary>
/// In-process cost of <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>: command copy,
/// header/handle/auth-area parsing, dispatch, parameter unmarshal, the command itself and response
/// marshaling. Commands are built once; the response buffer is reused, so the Allocated column is
/// what the engine itself allocates per command. Within the Random and Hash categories the raw
/// primitive (RandomNumberGenerator.Fill, SHA256.HashData) is the baseline, so Ratio shows the
/// command path's cost on top of the crypto it wraps; PCR's baseline is the one SHA-256 over
/// PCR || digest that PCR_Extend performs. Raw_HmacSha256_OneShot was the unit of the first DRBG
/// (HMAC_DRBG: three HMACs per request); the DRBG is now Hash_DRBG (two SHA-256 per 32 octets).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ExecuteBenchmarks
{
    Tpm _tpm = null!;
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];

    byte[] _getRandom32 = null!;
    byte[] _pcrExtend = null!;
    byte[] _pcrRead = null!;
    byte[] _hashNull = null!;
    byte[] _hashOwner = null!;
    byte[] _readClock = null!;

    readonly byte[] _data = new byte[1024];
    readonly byte[] _digest = new byte[32];
    readonly byte[] _random = new byte[32];
    readonly byte[] _key = new byte[32];
    readonly byte[] _pcrAndDigest = new byte[64];

    [GlobalSetup]
    public void Setup()
    {
        _tpm = new Tpm(new TpmOptions
        {
            Crypto = new Ftpm.Crypto.PlatformCrypto(),
            Store = new Ftpm.Ports.MemoryNvStore(),
            Platform = new Ftpm.Ports.SoftwarePlatform(),
        });
        _tpm.PowerOn();
        Check("Startup(CLEAR)", Commands.StartupClear);

        var digest = new byte[32];
        for (int i = 0; i < digest.Length; i++) digest[i] = (byte)(0xA0 + i);
        var data = _data;
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;   // does not start with TPM_GENERATED_VALUE

        _getRandom32 = Commands.GetRandom(32);
        _pcrExtend = Commands.PcrExtendSha256(16, digest);
        _pcrRead = Commands.PcrReadSha256(16);
        _hashNull = Commands.HashSha256(data, ownerHierarchy: false);
        _hashOwner = Commands.HashSha256(data, ownerHierarchy: true);
        _readClock = Commands.ReadClock();

        Check("GetRandom(32)", _getRandom32, expectLength: 10 + 2 + 32);
        Check("PCR_Extend", _pcrExtend);
        Check("PCR_Read", _pcrRead);
        Check("Hash(NULL)", _hashNull, expectLength: 10 + 2 + 32 + 2 + 4 + 2);
        Check("Hash(owner)", _hashOwner, expectLength: 10 + 2 + 32 + 2 + 4 + 2 + 32);
        Check("ReadClock", _readClock);
    }

    void Check(string name, byte[] command, int expectLength = -1)
    {
        int n = Commands.ExecuteOk(_tpm, command, _response, name);
        if (expectLength >= 0 && n != expectLength)
            throw new InvalidOperationException($"{name}: response of {n} bytes, expected {expectLength}");
    }

    [Benchmark, BenchmarkCategory("Random")]
    public int GetRandom32() => _tpm.Execute(0, _getRandom32, _response);

    [Benchmark, BenchmarkCategory("PCR")]
    public int PcrExtend_Sha256_Pcr16_Password() => _tpm.Execute(0, _pcrExtend, _response);

    [Benchmark, BenchmarkCategory("PCR")]
    public int PcrRead_Sha256_OnePcr() => _tpm.Execute(0, _pcrRead, _response);

    [Benchmark, BenchmarkCategory("Hash")]
    public int Hash_1KiB_Sha256_NullHierarchy() => _tpm.Execute(0, _hashNull, _response);

    [Benchmark, BenchmarkCategory("Hash")]
    public int Hash_1KiB_Sha256_OwnerTicket() => _tpm.Execute(0, _hashOwner, _response);

    [Benchmark, BenchmarkCategory("Clock")]
    public int ReadClock() => _tpm.Execute(0, _readClock, _response);

    // Raw baselines: the primitive alone, no marshaling.

    [Benchmark(Baseline = true), BenchmarkCategory("Random")]
    public void Raw_RandomNumberGenerator_Fill32() => RandomNumberGenerator.Fill(_random);

    [Benchmark, BenchmarkCategory("Random")]
    public int Raw_HmacSha256_OneShot_32B() => HMACSHA256.HashData(_key, _random, _digest);

    [Benchmark(Baseline = true), BenchmarkCategory("Hash")]
    public int Raw_Sha256_HashData_1KiB() => SHA256.HashData(_data, _digest);

    [Benchmark(Baseline = true), BenchmarkCategory("PCR")]
    public int Raw_Sha256_HashData_64B() => SHA256.HashData(_pcrAndDigest, _digest);
}
