using Ftpm.Ports;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>
/// RSA key generation driven by a stream of bits (FIPS 186-5 A.1.3 "probable primes", with the
/// stream in place of the RBG): two primes of half the modulus size from <see cref="PrimeSearch"/>
/// (two top bits set, so p·q has exactly the requested size; gcd(p - 1, e) = 1), kept when
/// |p - q| is large enough. Deterministic in the stream, which is what makes primary keys
/// reproducible (Part 1, 27.1): the same seed and template give the same primes.
/// </summary>
internal static class RsaKeyGeneration
{
    public static RsaKey? Generate(int keyBits, uint exponent, IKeyStream random)
    {
        uint e = RsaKey.EffectiveExponent(exponent);
        // The prime search works on whole 64-bit limbs: the TPM's sizes (1024 ... 4096) all are.
        if ((e & 1) == 0 || e < 3 || keyBits % 128 != 0 || keyBits < 512) return null;
        int half = keyBits / 2;
        var bigE = BigInteger.ValueOf(e);
        while (true)
        {
            var pBytes = PrimeSearch.Find(half, e, random);
            var qBytes = PrimeSearch.Find(half, e, random);
            var p = new BigInteger(1, pBytes);
            var q = new BigInteger(1, qBytes);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(pBytes);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(qBytes);
            // FIPS 186-5 A.1.3 step 5.4: |p - q| > 2^(nlen/2 - 100).
            if (p.Subtract(q).Abs().BitLength <= half - 100) continue;
            var n = p.Multiply(q);
            if (n.BitLength != keyBits) continue;
            var key = RsaKey.FromPrimes(n, bigE, p, q, keyBits / 8);
            if (key is not null) return key;
        }
    }
}
