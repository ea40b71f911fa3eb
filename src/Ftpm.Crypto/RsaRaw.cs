using System.Security.Cryptography;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>
/// Raw RSA (RFC 8017, 5.1: RSAEP and RSADP) for what .NET's RSA has no call for: TPM_ALG_NULL and OAEP
/// with a label. The private operation uses the CRT numbers, is blinded with a fresh random r (so its
/// timing is unrelated to the ciphertext the caller chose), and is checked by re-encrypting before the
/// result leaves (a fault in one CRT half would otherwise reveal a factor: Boneh, DeMillo and Lipton).
/// </summary>
internal static class RsaRaw
{
    /// <summary>m^e mod n; null when m is not below n.</summary>
    public static BigInteger? Public(RsaKey key, BigInteger m) =>
        m.CompareTo(key.N) >= 0 ? null : m.ModPow(key.E, key.N);

    /// <summary>c^d mod n; null when c is not below n or the key has no private part.</summary>
    public static BigInteger? Private(RsaKey key, BigInteger c)
    {
        if (key.Crt is not { } k || c.CompareTo(key.N) >= 0) return null;
        var r = RandomUnit(key.N);
        var blinded = c.Multiply(r.ModPow(key.E, key.N)).Mod(key.N);
        var m1 = blinded.Mod(k.P).ModPow(k.DP, k.P);
        var m2 = blinded.Mod(k.Q).ModPow(k.DQ, k.Q);
        var h = m1.Subtract(m2).Multiply(k.QInv).Mod(k.P);
        var m = m2.Add(h.Multiply(k.Q));
        if (!m.ModPow(key.E, key.N).Equals(blinded)) throw new CryptographicException("RSA private operation failed its check");
        return m.Multiply(r.ModInverse(key.N)).Mod(key.N);
    }

    /// <summary>A random r in [2, n) with gcd(r, n) = 1.</summary>
    static BigInteger RandomUnit(BigInteger n)
    {
        var bytes = new byte[(n.BitLength + 7) / 8 + 8];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            var r = new BigInteger(1, bytes).Mod(n);
            if (r.CompareTo(BigInteger.Two) >= 0 && r.Gcd(n).Equals(BigInteger.One)) return r;
        }
    }
}
