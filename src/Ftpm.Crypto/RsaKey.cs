using System.Security.Cryptography;
using Ftpm.Ports;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>An RSA key: a .NET <see cref="RSA"/> (OpenSSL) for the padded operations, and the
/// numbers for raw RSA (TPM_ALG_NULL, OAEP with a label; <see cref="RsaRaw"/>). The numbers are kept as
/// BouncyCastle integers, not as its RsaKeyParameters: those re-test every modulus for compositeness
/// (Miller-Rabin on the whole modulus, 30–70 ms for RSA-2048), which a key whose factors are known
/// does not need and which made every RSA Create, Load and CreatePrimary that much slower.</summary>
internal sealed class RsaKey : IAsymmetricKey
{
    public readonly RSA Rsa;
    /// <summary>n and e.</summary>
    public readonly BigInteger N, E;
    /// <summary>The private CRT numbers; null for a public key.</summary>
    public readonly RsaCrt? Crt;
    readonly byte[] _modulus;
    readonly byte[]? _prime;

    RsaKey(RSA rsa, BigInteger n, BigInteger e, RsaCrt? crt, byte[] modulus, byte[]? prime)
    {
        Rsa = rsa;
        N = n;
        E = e;
        Crt = crt;
        _modulus = modulus;
        _prime = prime;
    }

    public TpmAlgId Type => TpmAlgId.Rsa;
    public int KeyBits => _modulus.Length * 8;
    public TpmEccCurve Curve => TpmEccCurve.None;
    public bool HasPrivate => Crt is not null;
    public int ModulusBytes => _modulus.Length;

    public (int First, int Second) ExportPublic(Span<byte> first, Span<byte> second)
    {
        _modulus.CopyTo(first);
        return (_modulus.Length, 0);
    }

    public int ExportPrivate(Span<byte> output)
    {
        if (_prime is null) throw new InvalidOperationException("public key");
        _prime.CopyTo(output);
        return _prime.Length;
    }

    public void Dispose()
    {
        Rsa.Dispose();
        if (_prime is not null) CryptographicOperations.ZeroMemory(_prime);
    }

    public static uint EffectiveExponent(uint exponent) => exponent == 0 ? 65537u : exponent;

    /// <summary>The key from n, e and (for a key pair) one prime p: q = n / p, d = e^-1 mod lcm(p-1, q-1).
    /// Null when the numbers are no key. The larger prime is P for .NET's CRT form.</summary>
    public static RsaKey? Create(ReadOnlySpan<byte> modulus, uint exponent, ReadOnlySpan<byte> prime)
    {
        if (modulus.IsEmpty || modulus[0] == 0 || modulus.Length % 2 != 0) return null;
        var n = BigNumbers.FromBytes(modulus);
        var e = BigInteger.ValueOf(EffectiveExponent(exponent));
        if (!n.TestBit(0) || !e.TestBit(0) || e.CompareTo(BigInteger.Three) < 0) return null;
        int k = modulus.Length;
        if (prime.IsEmpty)
        {
            var rsa = RSA.Create();
            try { rsa.ImportParameters(new RSAParameters { Modulus = modulus.ToArray(), Exponent = e.ToByteArrayUnsigned() }); }
            catch (CryptographicException) { rsa.Dispose(); return null; }
            return new RsaKey(rsa, n, e, null, modulus.ToArray(), null);
        }
        var p = BigNumbers.FromBytes(prime);
        if (p.BitLength > k * 4 || p.CompareTo(BigInteger.One) <= 0) return null;
        var qr = n.DivideAndRemainder(p);
        var q = qr[0];
        if (qr[1].SignValue != 0 || q.BitLength > k * 4) return null;
        return FromPrimes(n, e, p, q, k);
    }

    /// <summary>The key from its primes; null when e is not invertible modulo lcm(p-1, q-1).</summary>
    public static RsaKey? FromPrimes(BigInteger n, BigInteger e, BigInteger p, BigInteger q, int k)
    {
        if (p.CompareTo(q) < 0) (p, q) = (q, p);
        var p1 = p.Subtract(BigInteger.One);
        var q1 = q.Subtract(BigInteger.One);
        var lambda = p1.Divide(p1.Gcd(q1)).Multiply(q1);
        if (!e.Gcd(lambda).Equals(BigInteger.One)) return null;
        var d = e.ModInverse(lambda);
        var dp = d.Mod(p1);
        var dq = d.Mod(q1);
        var qInv = q.ModInverse(p);
        int half = k / 2;
        var parameters = new RSAParameters
        {
            Modulus = BigNumbers.ToBytes(n, k),
            Exponent = e.ToByteArrayUnsigned(),
            D = BigNumbers.ToBytes(d, k),
            P = BigNumbers.ToBytes(p, half),
            Q = BigNumbers.ToBytes(q, half),
            DP = BigNumbers.ToBytes(dp, half),
            DQ = BigNumbers.ToBytes(dq, half),
            InverseQ = BigNumbers.ToBytes(qInv, half),
        };
        // On Linux the OpenSSL-backed class by name, so that OpenSsl.RsaDecrypt can reach its key handle.
        RSA rsa = OperatingSystem.IsLinux() ? new RSAOpenSsl() : RSA.Create();
        try { rsa.ImportParameters(parameters); }
        catch (CryptographicException) { rsa.Dispose(); return null; }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
            CryptographicOperations.ZeroMemory(parameters.P);
            CryptographicOperations.ZeroMemory(parameters.Q);
            CryptographicOperations.ZeroMemory(parameters.DP);
            CryptographicOperations.ZeroMemory(parameters.DQ);
            CryptographicOperations.ZeroMemory(parameters.InverseQ);
        }
        // The TPM stores one prime; the larger one (P), so that re-importing gives the same key object.
        return new RsaKey(rsa, n, e, new RsaCrt(d, p, q, dp, dq, qInv), parameters.Modulus, BigNumbers.ToBytes(p, half));
    }
}

/// <summary>The private numbers of an RSA key in CRT form (RFC 8017, 3.2): d, p, q, dP, dQ and qInv.</summary>
internal sealed record RsaCrt(BigInteger D, BigInteger P, BigInteger Q, BigInteger DP, BigInteger DQ, BigInteger QInv);
