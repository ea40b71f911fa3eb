using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;

namespace Ftpm.Crypto;

// RSA and ECC: .NET (OpenSSL) for every operation it has; BouncyCastle integers for point arithmetic
// and raw RSA (RsaRaw); the prime search is our own (PrimeSearch).
public sealed partial class PlatformCrypto
{
    public IAsymmetricKey? RsaGenerate(int keyBits, uint exponent, IKeyStream random) =>
        RsaKeyGeneration.Generate(keyBits, exponent, random);

    public IAsymmetricKey? RsaImport(ReadOnlySpan<byte> modulus, uint exponent, ReadOnlySpan<byte> prime) =>
        RsaKey.Create(modulus, exponent, prime);

    public IAsymmetricKey? EccGenerate(TpmEccCurve curve, IKeyStream random) => EccKey.Generate(curve, random);

    public IAsymmetricKey? EccImport(TpmEccCurve curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, ReadOnlySpan<byte> d) =>
        EccKey.Import(curve, x, y, d);

    public int Sign(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, Span<byte> signature)
    {
        if (!key.HasPrivate || !TryName(hashAlg, out var name)) return -1;
        try
        {
            switch (key, scheme)
            {
                case (RsaKey rsa, TpmAlgId.RsaSsa or TpmAlgId.RsaPss):
                    // RSASSA and RSAPSS sign a digest of the scheme's hash (its DigestInfo names it).
                    if (digest.Length != TpmAlgorithms.DigestSize(hashAlg)) return -1;
                    return rsa.Rsa.TrySignHash(digest, signature, name,
                        scheme == TpmAlgId.RsaSsa ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss, out int n) ? n : -1;
                case (EccKey ecc, TpmAlgId.EcDsa):
                    if (ecc.Ecdsa is not { } ecdsa) return SignEcdsaManaged(ecc, hashAlg, digest, signature);
                    return ecdsa.TrySignHash(digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out int m) ? m : -1;
                case (EccKey ecc, TpmAlgId.EcSchnorr):
                    return SignSchnorr(ecc, hashAlg, digest, signature);
                default:
                    return -1;
            }
        }
        catch (CryptographicException) { return -1; }
    }

    public bool Verify(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        if (!TryName(hashAlg, out var name)) return false;
        try
        {
            return (key, scheme) switch
            {
                (RsaKey rsa, TpmAlgId.RsaSsa) => digest.Length == TpmAlgorithms.DigestSize(hashAlg) &&
                    rsa.Rsa.VerifyHash(digest, signature, name, RSASignaturePadding.Pkcs1),
                (RsaKey rsa, TpmAlgId.RsaPss) => digest.Length == TpmAlgorithms.DigestSize(hashAlg) &&
                    rsa.Rsa.VerifyHash(digest, signature, name, RSASignaturePadding.Pss),
                (EccKey ecc, TpmAlgId.EcDsa) => ecc.Ecdsa is { } ecdsa
                    ? ecdsa.VerifyHash(digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                    : VerifyEcdsaManaged(ecc, digest, signature),
                (EccKey ecc, TpmAlgId.EcSchnorr) => VerifySchnorr(ecc, hashAlg, digest, signature),
                _ => false,
            };
        }
        catch (CryptographicException) { return false; }
    }

    public int RsaEncrypt(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> message, Span<byte> output)
    {
        if (key is not RsaKey rsa) return -1;
        int k = rsa.ModulusBytes;
        try
        {
            switch (scheme)
            {
                case TpmAlgId.RsaEs:
                    // RFC 8017, 7.2.1: at most k - 11 octets.
                    if (message.Length > k - 11) return -1;
                    return rsa.Rsa.TryEncrypt(message, output, RSAEncryptionPadding.Pkcs1, out int n) ? n : -1;
                case TpmAlgId.Oaep:
                {
                    if (!TryName(hashAlg, out var name)) return -1;
                    int hLen = TpmAlgorithms.DigestSize(hashAlg);
                    // RFC 8017, 7.1.1: at most k - 2 hLen - 2 octets.
                    if (message.Length > k - 2 * hLen - 2) return -1;
                    if (label.IsEmpty)
                        return rsa.Rsa.TryEncrypt(message, output, RSAEncryptionPadding.CreateOaep(name), out int m) ? m : -1;
                    var em = new byte[k];
                    if (!Oaep.Encode(name, hLen, label, message, em)) return -1;
                    var c = RsaRaw.Public(rsa, new Org.BouncyCastle.Math.BigInteger(1, em));
                    if (c is null) return -1;
                    BigNumbers.ToBytes(c, output[..k]);
                    return k;
                }
                case TpmAlgId.Null:
                {
                    // Raw RSA: the message is a number below the modulus (Part 1, 11.4.3 "NULL").
                    if (message.Length > k) return -1;
                    var c = RsaRaw.Public(rsa, BigNumbers.FromBytes(message));
                    if (c is null) return -1;
                    BigNumbers.ToBytes(c, output[..k]);
                    return k;
                }
                default:
                    return -1;
            }
        }
        catch (CryptographicException) { return -1; }
    }

    public int RsaDecrypt(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        if (key is not RsaKey { HasPrivate: true } rsa) return -1;
        int k = rsa.ModulusBytes;
        if (ciphertext.Length != k) return -1;
        byte[]? em = null;
        try
        {
            switch (scheme)
            {
                case TpmAlgId.RsaEs:
                    return rsa.Rsa.TryDecrypt(ciphertext, output, RSAEncryptionPadding.Pkcs1, out int n) ? n : -1;
                case TpmAlgId.Oaep:
                {
                    if (!TryName(hashAlg, out var name)) return -1;
                    if (label.IsEmpty)
                        return rsa.Rsa.TryDecrypt(ciphertext, output, RSAEncryptionPadding.CreateOaep(name), out int m) ? m : -1;
                    // A label (credential, salt and duplication seeds): .NET's RSA has no parameter for it.
                    if (OpenSsl.RsaDecrypt(rsa.Rsa, name, label, ciphertext, output) is int written) return written;
                    em = RawPrivate(rsa, ciphertext, k);
                    if (em is null) return -1;
                    return Oaep.Decode(name, TpmAlgorithms.DigestSize(hashAlg), label, em, output);
                }
                case TpmAlgId.Null:
                {
                    if (output.Length < k) return -1;
                    if (OpenSsl.RsaDecrypt(rsa.Rsa, null, default, ciphertext, output) is int written)
                        return written < 0 ? -1 : LeftPad(output, written, k);
                    em = RawPrivate(rsa, ciphertext, k);
                    if (em is null) return -1;
                    em.CopyTo(output);
                    return k;
                }
                default:
                    return -1;
            }
        }
        catch (CryptographicException) { return -1; }
        finally { if (em is not null) CryptographicOperations.ZeroMemory(em); }
    }

    /// <summary>Moves the <paramref name="written"/> octets at the start of <paramref name="output"/> to the end
    /// of its first <paramref name="k"/> octets, zeros before: raw RSA's result is always k octets.</summary>
    static int LeftPad(Span<byte> output, int written, int k)
    {
        if (written < k)
        {
            output[..written].CopyTo(output[(k - written)..k]);
            output[..(k - written)].Clear();
        }
        return k;
    }

    /// <summary>c^d mod n (<see cref="RsaRaw.Private"/>, blinded), k octets; null when c is not below n.</summary>
    static byte[]? RawPrivate(RsaKey rsa, ReadOnlySpan<byte> ciphertext, int k)
    {
        var m = RsaRaw.Private(rsa, BigNumbers.FromBytes(ciphertext));
        return m is null ? null : BigNumbers.ToBytes(m, k);
    }

    public bool EccMultiply(IAsymmetricKey key, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, Span<byte> outX, Span<byte> outY)
    {
        if (key is not EccKey { HasPrivate: true } ecc) return false;
        var point = ecc.Info.Point(x, y);
        if (point is null) return false;
        var product = Multiply(point, ecc.D);
        if (product.IsInfinity) return false;
        BigNumbers.ToBytes(product.AffineXCoord.ToBigInteger(), outX[..ecc.Info.Size]);
        BigNumbers.ToBytes(product.AffineYCoord.ToBigInteger(), outY[..ecc.Info.Size]);
        return true;
    }

    static bool TryName(TpmAlgId hashAlg, out HashAlgorithmName name)
    {
        name = hashAlg switch
        {
            TpmAlgId.Sha1 => HashAlgorithmName.SHA1,
            TpmAlgId.Sha256 => HashAlgorithmName.SHA256,
            TpmAlgId.Sha384 => HashAlgorithmName.SHA384,
            TpmAlgId.Sha512 => HashAlgorithmName.SHA512,
            _ => default,
        };
        return name != default;
    }

    static IDigest Digest(TpmAlgId hashAlg) => hashAlg switch
    {
        TpmAlgId.Sha1 => new Sha1Digest(),
        TpmAlgId.Sha256 => new Sha256Digest(),
        TpmAlgId.Sha384 => new Sha384Digest(),
        _ => new Sha512Digest(),
    };
}
