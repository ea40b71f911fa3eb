using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm;

// The salt of a salted session (Part 1, 19.6.x "Salted session"; Part 3, 11.1): the caller encrypts a
// random salt to tpmKey, the TPM recovers it with the key's private part (the reference's
// CryptSecretDecrypt with the label "SECRET").
public sealed partial class Tpm
{
    /// <summary>
    /// Recovers the salt of TPM2_StartAuthSession from encryptedSalt with the key <paramref name="tpmKey"/>.
    /// Codes as the reference gives them: TPM_RC_KEY (H1) for an object that is no RSA or ECC key;
    /// TPM_RC_VALUE (P2) for an empty encryptedSalt; TPM_RC_HANDLE (H1) for a key with only its public part
    /// loaded; TPM_RC_ATTRIBUTES (H1) for a key without decrypt; TPM_RC_VALUE (P2) when decryption fails.
    /// </summary>
    internal TpmRc DecryptSessionSalt(uint tpmKey, ReadOnlySpan<byte> nonceCaller, ReadOnlySpan<byte> encryptedSalt, out byte[] salt)
    {
        salt = [];
        var key = KeyOf(tpmKey);
        if (key is null || key.Type is not (TpmAlgId.Rsa or TpmAlgId.Ecc)) return TpmRc.Key.AtHandle(1);
        if (encryptedSalt.IsEmpty) return TpmRc.Value.AtParameter(Commands.SessionCommands.StartAuthSessionIn.Param.EncryptedSalt);
        if (!key.HasSensitive) return TpmRc.Handle.AtHandle(1);
        if (!key.Has(TpmaObject.Decrypt)) return TpmRc.Attributes.AtHandle(1);
        var rc = DecryptSecret(key, "SECRET\0"u8, encryptedSalt, out salt);
        return rc == TpmRc.Success ? TpmRc.Success : TpmRc.Value.AtParameter(Commands.SessionCommands.StartAuthSessionIn.Param.EncryptedSalt);
    }

    /// <summary>
    /// Secret sharing (Part 1, 11.4.x and Annex B/C): RSA, OAEP with the key's scheme hash (nameAlg when the
    /// key has no scheme) and the label, the secret no longer than that digest; ECC, the secret is a
    /// TPMS_ECC_POINT Q, Z = d·Q and secret = KDFe(nameAlg, Z.x, label, Q.x, key.x, digest bits).
    /// Any failure is TPM_RC_VALUE (TPM_RC_SCHEME for an RSA key whose scheme is not OAEP).
    /// </summary>
    internal TpmRc DecryptSecret(TpmKey key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> encrypted, out byte[] secret)
    {
        secret = [];
        var asymmetric = key.Asymmetric;
        if (asymmetric is null) return TpmRc.Key;
        if (key.Type == TpmAlgId.Rsa)
        {
            var scheme = key.Public.Parameters.RsaDetail.Scheme;
            var hashAlg = scheme.Scheme == TpmAlgId.Null ? key.NameAlg : scheme.Details.AnySig.HashAlg;
            if ((scheme.Scheme != TpmAlgId.Null && scheme.Scheme != TpmAlgId.Oaep) || !TpmAlgorithms.IsHash(hashAlg))
                return TpmRc.Scheme;
            var output = new byte[TpmLimits.MaxRsaKeyBytes];
            int n = _crypto.RsaDecrypt(asymmetric, TpmAlgId.Oaep, hashAlg, label, encrypted, output);
            if (n < 0 || n > TpmAlgorithms.DigestSize(hashAlg))
            {
                CryptographicOperations.ZeroMemory(output);
                return TpmRc.Value;
            }
            secret = output[..n];
            CryptographicOperations.ZeroMemory(output);
            return TpmRc.Success;
        }

        var reader = new TpmReader(encrypted.ToArray());
        if (TpmsEccPoint.Read(ref reader, out var point) != TpmRc.Success || reader.HasData) return TpmRc.Value;
        int size = (asymmetric.KeyBits + 7) / 8;
        var zx = new byte[size];
        var zy = new byte[size];
        try
        {
            if (!_crypto.EccMultiply(asymmetric, point.X.Span, point.Y.Span, zx, zy)) return TpmRc.Value;
            secret = new byte[TpmAlgorithms.DigestSize(key.NameAlg)];
            Kdf.KdfE(_crypto, key.NameAlg, zx, label, point.X.Span, key.Public.Unique.Ecc.X.Span, secret);
            return TpmRc.Success;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(zx);
            CryptographicOperations.ZeroMemory(zy);
        }
    }

    internal ulong TimeEpoch => _timeEpoch;
}
