using Ftpm.Crypto;
using Ftpm.Ports;
using BcInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Tests.Crypto;

/// <summary>The RSA prime search: Miller-Rabin on known primes and strong pseudoprimes, agreement with
/// BouncyCastle's primality test, and a pinned result so that a change to the search (which would
/// change every RSA primary key) cannot go unnoticed.</summary>
public sealed class PrimeSearchTests
{
    readonly PlatformCrypto _crypto = new();

    KdfStream Stream(string seed) => new(_crypto, TpmAlgId.Sha256, System.Text.Encoding.ASCII.GetBytes(seed), "test"u8, [], []);

    static ulong[] Limbs(BcInteger v, int limbs)
    {
        var bytes = new byte[limbs * 8];
        var raw = v.ToByteArrayUnsigned();
        raw.CopyTo(bytes, bytes.Length - raw.Length);
        var result = new ulong[limbs];
        PrimeSearch.FromBigEndian(bytes, result);
        return result;
    }

    [Fact]
    public void Montgomery_multiplication_matches_big_integers()
    {
        var rnd = new Random(7);
        foreach (int limbs in new[] { 1, 4, 8, 16, 24, 32 })
        {
            var nBytes = new byte[limbs * 8];
            rnd.NextBytes(nBytes);
            nBytes[0] |= 0x80;
            nBytes[^1] |= 1;
            var n = new BcInteger(1, nBytes);
            var m = new PrimeSearch.Montgomery(Limbs(n, limbs));
            var r = BcInteger.One.ShiftLeft(64 * limbs);
            var rInv = r.ModInverse(n);
            for (int i = 0; i < 20; i++)
            {
                var a = new BcInteger(64 * limbs, rnd).Mod(n);
                var b = new BcInteger(64 * limbs, rnd).Mod(n);
                var result = new ulong[limbs];
                m.Multiply(Limbs(a, limbs), Limbs(b, limbs), result);
                Assert.Equal(Limbs(a.Multiply(b).Multiply(rInv).Mod(n), limbs), result);
                m.Multiply(Limbs(a, limbs), Limbs(a, limbs), result);
                Assert.Equal(Limbs(a.Multiply(a).Multiply(rInv).Mod(n), limbs), result);
            }
        }
    }

    [Theory]
    // 2^64 - 59 (prime); 3215031751 = 151·751·28351 and 2047 = 23·89 are strong pseudoprimes to base 2;
    // 341550071728321 is a strong pseudoprime to bases 2..17; the Carmichael number 561 = 3·11·17.
    [InlineData("18446744073709551557", true, true)]
    [InlineData("3215031751", true, false)]
    [InlineData("2047", true, false)]
    [InlineData("341550071728321", true, false)]
    [InlineData("561", false, false)]
    [InlineData("18446744073709551559", false, false)]
    public void Miller_rabin_base_2_and_random_bases(string number, bool base2, bool prime)
    {
        var n = new[] { ulong.Parse(number) };
        Assert.Equal(base2, new PrimeSearch.Montgomery(n).MillerRabinBase2());
        // Stream bases for a 64-bit test are drawn below 2^62, so only the 64-bit prime uses this path.
        if (n[0] >> 62 == 3) Assert.Equal(prime, PrimeSearch.IsProbablePrime(n, 64, Stream("bases")));
    }

    [Fact]
    public void Agrees_with_bouncycastle_on_random_odd_numbers()
    {
        var rnd = new Random(11);
        int primes = 0;
        for (int i = 0; i < 3000; i++)
        {
            var bytes = new byte[64];
            rnd.NextBytes(bytes);
            bytes[0] |= 0xC0;
            bytes[^1] |= 1;
            var bc = new BcInteger(1, bytes);
            var limbs = Limbs(bc, 8);
            bool ours = PrimeSearch.IsProbablePrime(limbs, 512, Stream("b" + i));
            Assert.Equal(bc.IsProbablePrime(100), ours);
            if (ours) primes++;
        }
        Assert.InRange(primes, 3, 30); // about 3000·2/ln(2^512) ≈ 17
    }

    [Fact]
    public void Division_free_remainders_match_big_integers()
    {
        var rnd = new Random(17);
        foreach (uint p in new uint[] { 3, 5, 7, 251, 257, 65521, 65519, 40961 })
        {
            for (int i = 0; i < 50; i++)
            {
                var bytes = new byte[128];
                rnd.NextBytes(bytes);
                if (i == 0) Array.Fill(bytes, (byte)0xFF);
                var n = new BcInteger(1, bytes);
                Assert.Equal((uint)n.Mod(BcInteger.ValueOf(p)).IntValue, PrimeSearch.ModSmall(Limbs(n, 16), p, ulong.MaxValue / p + 1));
            }
        }
    }

    /// <summary>OpenSSL's exponentiation (Linux) and the managed Montgomery code run the same rounds with
    /// the same bases, so they must answer alike, and a key search finds the same primes on either.</summary>
    [SkippableFact]
    public void Native_and_managed_miller_rabin_agree()
    {
        Skip.IfNot(OpenSsl.Available, "libcrypto.so.3 is not available here");
        var rnd = new Random(13);
        int primes = 0;
        for (int i = 0; i < 600; i++)
        {
            var bytes = new byte[64];
            rnd.NextBytes(bytes);
            bytes[0] |= 0xC0;
            bytes[^1] |= 1;
            var limbs = Limbs(new BcInteger(1, bytes), 8);
            bool managed = PrimeSearch.IsProbablePrimeManaged(limbs, 512, Stream("n" + i));
            Assert.Equal(managed, PrimeSearch.IsProbablePrimeNative(limbs, 512, Stream("n" + i)));
            if (managed) primes++;
        }
        Assert.InRange(primes, 1, 20);
        // A 1024-bit prime (so more than the base-2 round runs) and its neighbour, on both paths.
        var p = PrimeSearch.Find(1024, 65537, Stream("agree"));
        var pl = new ulong[16];
        PrimeSearch.FromBigEndian(p, pl);
        Assert.True(PrimeSearch.IsProbablePrimeManaged(pl, 1024, Stream("x")));
        Assert.True(PrimeSearch.IsProbablePrimeNative(pl, 1024, Stream("x")));
        pl[0] += 2;
        Assert.Equal(PrimeSearch.IsProbablePrimeManaged(pl, 1024, Stream("y")), PrimeSearch.IsProbablePrimeNative(pl, 1024, Stream("y")));
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1024)]
    public void Found_primes_have_the_size_the_top_bits_and_gcd_with_e(int bits)
    {
        var p = new BcInteger(1, PrimeSearch.Find(bits, 65537, Stream("p" + bits)));
        Assert.Equal(bits, p.BitLength);
        Assert.True(p.TestBit(bits - 2));
        Assert.True(p.IsProbablePrime(100));
        Assert.Equal(BcInteger.One, p.Subtract(BcInteger.One).Gcd(BcInteger.ValueOf(65537)));
    }

    [Fact]
    public void Exponent_three_keeps_p_minus_one_coprime()
    {
        for (int i = 0; i < 5; i++)
        {
            var p = new BcInteger(1, PrimeSearch.Find(256, 3, Stream("e3-" + i)));
            Assert.NotEqual(BcInteger.One, p.Mod(BcInteger.Three));
        }
    }

    /// <summary>Pins the prime search: RSA primary keys are derived through it, so the same seed and
    /// template must keep giving the same key in every later version of ftpm.</summary>
    [Fact]
    public void Rsa_2048_from_a_fixed_stream_is_pinned()
    {
        using var key = _crypto.RsaGenerate(2048, 0, Stream("pinned"))!;
        var n = new byte[256];
        key.ExportPublic(n, []);
        Assert.Equal("5BE0D82D528B4710263BDDA5A14B84B632FA15631BB6B5BD6F7DFCAC8753C53A", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(n)));
    }
}
