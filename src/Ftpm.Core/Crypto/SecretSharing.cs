using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Crypto;

/// <summary>
/// Secret sharing with an asymmetric key (Part 1, "Secret Sharing" and annexes B/C; the reference's
/// CryptSecretEncrypt and CryptSecretDecrypt): a seed is encrypted to a decryption key so that only that
/// key's TPM can recover it. RSA: OAEP with the label; ECC: a one-pass Diffie-Hellman, the
/// TPM2B_ENCRYPTED_SECRET holding an ephemeral point Qe and seed = KDFe(nameAlg, x(d·Qe), label, Qe.x,
/// Qs.x, digest bits); ML-KEM (v185): the Labeled KEM of <see cref="EncryptMlKem"/>. The seed is as long as
/// the key's nameAlg digest. Used by salted sessions
/// ("SECRET"), credentials ("IDENTITY") and duplication ("DUPLICATE"). Labels end with their NUL.
/// </summary>
internal static class SecretSharing
{
    public static ReadOnlySpan<byte> Secret => "SECRET\0"u8;
    public static ReadOnlySpan<byte> Identity => "IDENTITY\0"u8;
    public static ReadOnlySpan<byte> Duplicate => "DUPLICATE\0"u8;

    /// <summary>
    /// CryptSecretEncrypt: a fresh seed (from the DRBG for RSA, from the ephemeral exchange for ECC) and its
    /// encrypted form for <paramref name="key"/>. RSA uses OAEP with the key's nameAlg whatever its scheme.
    /// Codes (unnumbered, as the reference returns them): TPM_RC_ATTRIBUTES for a key without decrypt;
    /// TPM_RC_VALUE when the seed does not fit the RSA key's OAEP block; TPM_RC_KEY for an ECC key whose
    /// point the backend refuses, or a key that is not asymmetric.
    /// </summary>
    public static TpmRc Encrypt(Tpm tpm, TpmKey key, ReadOnlySpan<byte> label, out byte[] seed, out byte[] encrypted)
    {
        seed = [];
        encrypted = [];
        if (!key.Has(TpmaObject.Decrypt)) return TpmRc.Attributes;
        var asymmetric = key.Asymmetric;
        if (asymmetric is null) return TpmRc.Key;
        int digestSize = TpmAlgorithms.DigestSize(key.NameAlg);
        var crypto = tpm.Crypto;
        if (key.Type == TpmAlgId.MlKem) return EncryptMlKem(tpm, key, label, out seed, out encrypted);
        if (key.Type == TpmAlgId.Rsa)
        {
            var value = new byte[digestSize];
            tpm.Random.Generate(value);
            var output = new byte[TpmLimits.MaxRsaKeyBytes];
            int n = crypto.RsaEncrypt(asymmetric, TpmAlgId.Oaep, key.NameAlg, label, value, output);
            if (n < 0)
            {
                CryptographicOperations.ZeroMemory(value);
                return TpmRc.Value;
            }
            seed = value;
            encrypted = output[..n];
            return TpmRc.Success;
        }

        using var ephemeral = crypto.EccGenerate(asymmetric.Curve, new DrbgStream(tpm.Random));
        if (ephemeral is null) return TpmRc.Key;
        int size = (asymmetric.KeyBits + 7) / 8;
        var qx = new byte[size];
        var qy = new byte[size];
        ephemeral.ExportPublic(qx, qy);
        var zx = new byte[size];
        var zy = new byte[size];
        try
        {
            var q = key.Public.Unique.Ecc;
            if (!crypto.EccMultiply(ephemeral, q.X.Span, q.Y.Span, zx, zy)) return TpmRc.Key;
            seed = new byte[digestSize];
            Kdf.KdfE(crypto, key.NameAlg, zx, label, qx, q.X.Span, seed);
            // TPMS_ECC_POINT Qe, the caller's TPM2B_ENCRYPTED_SECRET.
            encrypted = new byte[4 + 2 * size];
            var w = new TpmWriter(encrypted);
            w.WriteSized(qx);
            w.WriteSized(qy);
            return TpmRc.Success;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(zx);
            CryptographicOperations.ZeroMemory(zy);
        }
    }

    /// <summary>
    /// CryptSecretDecrypt with an RSA or ECC key: RSA, OAEP with the key's scheme hash (nameAlg when the key
    /// has no scheme) and the label, the seed no longer than that digest; ECC, the seed from the point in
    /// <paramref name="encrypted"/> (octets after the point are not looked at, as in the reference).
    /// Codes (unnumbered; the caller numbers them): TPM_RC_SCHEME for an RSA key whose scheme is not OAEP;
    /// TPM_RC_SIZE for an RSA block that is not modulus-sized; TPM_RC_VALUE for one that does not decrypt
    /// or holds more than a digest; TPM_RC_INSUFFICIENT or TPM_RC_SIZE for an ECC point that does not
    /// unmarshal; TPM_RC_ECC_POINT for a point not on the key's curve; TPM_RC_NO_RESULT when the product
    /// is the point at infinity; TPM_RC_KEY for a key that is not asymmetric.
    /// </summary>
    public static TpmRc Decrypt(Tpm tpm, TpmKey key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> encrypted, out byte[] seed)
    {
        seed = [];
        var crypto = tpm.Crypto;
        var asymmetric = key.Asymmetric;
        if (asymmetric is null || !key.HasSensitive) return TpmRc.Key;
        if (key.Type == TpmAlgId.MlKem) return DecryptMlKem(tpm, key, label, encrypted, out seed);
        if (key.Type == TpmAlgId.Rsa)
        {
            var scheme = key.Public.Parameters.RsaDetail.Scheme;
            var hashAlg = scheme.Scheme == TpmAlgId.Null ? key.NameAlg : scheme.Details.AnySig.HashAlg;
            if ((scheme.Scheme != TpmAlgId.Null && scheme.Scheme != TpmAlgId.Oaep) || !TpmAlgorithms.IsHash(hashAlg))
                return TpmRc.Scheme;
            if (encrypted.Length != asymmetric.KeyBits / 8) return TpmRc.Size;
            var output = new byte[TpmLimits.MaxRsaKeyBytes];
            try
            {
                int n = crypto.RsaDecrypt(asymmetric, TpmAlgId.Oaep, hashAlg, label, encrypted, output);
                if (n < 0 || n > TpmAlgorithms.DigestSize(hashAlg)) return TpmRc.Value;
                seed = output[..n];
                return TpmRc.Success;
            }
            finally { CryptographicOperations.ZeroMemory(output); }
        }

        var reader = new TpmReader(encrypted.ToArray());
        var rc = TpmsEccPoint.Read(ref reader, out var point);
        if (rc != TpmRc.Success) return rc;
        if (!crypto.EccIsOnCurve(asymmetric.Curve, point.X.Span, point.Y.Span)) return TpmRc.EccPoint;
        int size = (asymmetric.KeyBits + 7) / 8;
        var zx = new byte[size];
        var zy = new byte[size];
        try
        {
            if (!crypto.EccMultiply(asymmetric, point.X.Span, point.Y.Span, zx, zy)) return TpmRc.NoResult;
            seed = new byte[TpmAlgorithms.DigestSize(key.NameAlg)];
            Kdf.KdfE(crypto, key.NameAlg, zx, label, point.X.Span, key.Public.Unique.Ecc.X.Span, seed);
            return TpmRc.Success;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(zx);
            CryptographicOperations.ZeroMemory(zy);
        }
    }

    // ---- ML-KEM (v185) ----------------------------------------------------------------------------

    /// <summary>
    /// The ML-KEM Labeled KEM (Part 1 v185, 47.4, Equation 67): ML-KEM.Encaps to the key gives (K,
    /// ciphertext), and seed = KDFa(nameAlg, K, label, ciphertext, publicKey, digest bits), where publicKey is
    /// the TPM2B_PUBLIC_KEY_MLKEM contents (unique) and only buffer contents enter KDFa. The
    /// TPM2B_ENCRYPTED_SECRET is the ciphertext itself (TPMU_ENCRYPTED_SECRET's mlkem arm, Part 2 v185,
    /// Table 223). Part 1 calls K "the 64-byte shared secret"; ML-KEM's shared secret is 32 octets for every
    /// parameter set (FIPS 203; Part 2 v185, Table 205), and those 32 octets are K here.
    /// </summary>
    static TpmRc EncryptMlKem(Tpm tpm, TpmKey key, ReadOnlySpan<byte> label, out byte[] seed, out byte[] encrypted)
    {
        var ciphertext = new byte[TpmLimits.MaxMlKemCtSize];
        Span<byte> k = stackalloc byte[MlKemSharedSecretSize];
        int n = tpm.Crypto.MlKemEncapsulate(key.Asymmetric!, new DrbgStream(tpm.Random), k, ciphertext);
        encrypted = ciphertext[..n];
        seed = MlKemSeed(tpm, key, k, label, encrypted);
        CryptographicOperations.ZeroMemory(k);
        return TpmRc.Success;
    }

    /// <summary>The recipient's side of <see cref="EncryptMlKem"/>: TPM_RC_SIZE (unnumbered) for a ciphertext
    /// that is not the parameter set's size (FIPS 203, 7.3); any ciphertext of the right size yields a seed
    /// (ML-KEM's implicit rejection: a forged one gives a seed no one else knows, caught later by the
    /// protocol's integrity check or session HMAC).</summary>
    static TpmRc DecryptMlKem(Tpm tpm, TpmKey key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> encrypted, out byte[] seed)
    {
        seed = [];
        if (encrypted.Length != MlParameterSets.CiphertextSize(key.Public.Parameters.MlKemDetail.ParameterSet)) return TpmRc.Size;
        Span<byte> k = stackalloc byte[MlKemSharedSecretSize];
        if (!tpm.Crypto.MlKemDecapsulate(key.Asymmetric!, encrypted, k)) return TpmRc.Size;
        seed = MlKemSeed(tpm, key, k, label, encrypted);
        CryptographicOperations.ZeroMemory(k);
        return TpmRc.Success;
    }

    /// <summary>ML-KEM's shared secret size (FIPS 203; Part 2 v185, Table 205: 32 for every set).</summary>
    internal const int MlKemSharedSecretSize = 32;

    static byte[] MlKemSeed(Tpm tpm, TpmKey key, ReadOnlySpan<byte> k, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ciphertext)
    {
        var seed = new byte[TpmAlgorithms.DigestSize(key.NameAlg)];
        Kdf.KdfA(tpm.Crypto, key.NameAlg, k, label, ciphertext, key.Public.Unique.MlKem.Span, seed);
        return seed;
    }
}
