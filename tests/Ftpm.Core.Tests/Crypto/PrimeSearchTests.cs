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
