using BenchmarkDotNet.Attributes;
using Ftpm.Crypto;
using BcInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Bench;

/// <summary>
/// The pieces of an RSA-2048 prime search (src/Ftpm.Crypto/PrimeSearch.cs) on a 1024-bit odd number:
/// one Montgomery multiplication, one Miller-Rabin round to base 2 (what almost every sieved
/// candidate costs), and BouncyCastle's and .NET's modular exponentiation of the same size, which
/// the search replaced. A search needs about 40 base-2 rounds per 1024-bit prime.
/// </summary>
[MemoryDiagnoser]
public class PrimeSearchBenchmarks
{
    PrimeSearch.Montgomery _m = null!;
    ulong[] _a = null!, _b = null!, _r = null!;
    BcInteger _bcN = null!, _bcExp = null!, _bcTwo = null!;
    System.Numerics.BigInteger _n, _exp;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(5);
        var bytes = new byte[128];
        rnd.NextBytes(bytes);
        bytes[0] |= 0xC0;
        bytes[^1] |= 1;
        var limbs = new ulong[16];
        PrimeSearch.FromBigEndian(bytes, limbs);
        _m = new PrimeSearch.Montgomery(limbs);
        _a = new ulong[16]; _b = new ulong[16]; _r = new ulong[16];
        for (int i = 0; i < 16; i++) { _a[i] = (ulong)rnd.NextInt64(); _b[i] = (ulong)rnd.NextInt64(); }
        _a[15] >>= 2; _b[15] >>= 2;
        _bcN = new BcInteger(1, bytes);
        _bcExp = _bcN.Subtract(BcInteger.One);
        _bcTwo = BcInteger.Two;
        _n = new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        _exp = _n - 1;
    }

    sealed class RandomStream : Ports.IKeyStream
    {
        readonly Random _random = new(9);
        public void Generate(Span<byte> output) => _random.NextBytes(output);
    }

    readonly RandomStream _stream = new();
    readonly PlatformCrypto _crypto = new();

    /// <summary>A whole 1024-bit prime (one half of an RSA-2048 key), a new one each call.</summary>
    [Benchmark] public byte[] Find_1024() => PrimeSearch.Find(1024, 65537, _stream);

    /// <summary>A whole RSA-2048 key pair: two primes and the key objects.</summary>
    [Benchmark] public void RsaGenerate_2048() => _crypto.RsaGenerate(2048, 0, _stream)!.Dispose();

    [Benchmark] public void Montgomery_Multiply_1024() => _m.Multiply(_a, _b, _r);
    [Benchmark] public void Montgomery_Square_1024() => _m.Multiply(_a, _a, _r);
    [Benchmark] public bool MillerRabin_Base2_1024() => _m.MillerRabinBase2();
    [Benchmark] public BcInteger Raw_BouncyCastle_ModPow2_1024() => _bcTwo.ModPow(_bcExp, _bcN);
    [Benchmark] public System.Numerics.BigInteger Raw_DotNet_ModPow2_1024() => System.Numerics.BigInteger.ModPow(2, _exp, _n);
}
