using Ftpm.Ports;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>
/// RSA key generation driven by a stream of bits (FIPS 186-5 A.1.3 "probable primes", with the
/// stream in place of the RBG): candidates of half the modulus size with the two top bits set (so
/// p·q has exactly the requested size) and the low bit set; a candidate is kept when gcd(p-1, e) = 1
/// and it passes trial division and Miller-Rabin. Deterministic in the stream, which is what makes
/// primary keys reproducible (Part 1, 27.1): the same seed and template give the same primes.
/// The primality decision uses BouncyCastle's probabilistic test; it errs with probability far
/// below 2^-100, so the key found is the same on every run.
/// </summary>
internal static class RsaKeyGeneration
{
    public static RsaKey? Generate(int keyBits, uint exponent, IKeyStream random)
    {
        var e = BigInteger.ValueOf(RsaKey.EffectiveExponent(exponent));
        if (!e.TestBit(0) || e.CompareTo(BigInteger.Three) < 0 || keyBits % 16 != 0 || keyBits < 512) return null;
        int half = keyBits / 2;
        while (true)
        {
            var p = FindPrime(half, e, random);
            var q = FindPrime(half, e, random);
            // FIPS 186-5 A.1.3 step 5.4: |p - q| > 2^(nlen/2 - 100).
            if (p.Subtract(q).Abs().BitLength <= half - 100) continue;
            var n = p.Multiply(q);
            if (n.BitLength != keyBits) continue;
            var key = RsaKey.FromPrimes(n, e, p, q, keyBits / 8);
            if (key is not null) return key;
        }
    }

    static BigInteger FindPrime(int bits, BigInteger e, IKeyStream random)
    {
        var bytes = new byte[bits / 8];
        int certainty = bits >= 1024 ? 100 : 128;
        while (true)
        {
            random.Generate(bytes);
            bytes[0] |= 0xC0;
            bytes[^1] |= 0x01;
            var candidate = new BigInteger(1, bytes);
            if (!candidate.Subtract(BigInteger.One).Gcd(e).Equals(BigInteger.One)) continue;
            if (candidate.IsProbablePrime(certainty))
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
                return candidate;
            }
        }
    }
}
