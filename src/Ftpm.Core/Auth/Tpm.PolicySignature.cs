using System.Security.Cryptography;
using Ftpm.Marshal;

namespace Ftpm;

// Signature checks of TPM2_PolicySigned (the reference's CryptValidateSignature): RSASSA/RSAPSS with an
// RSA key, ECDSA with an ECC key, HMAC with a KEYEDHASH key, through the crypto port.
public sealed partial class Tpm
{
    /// <summary>Verifies <paramref name="signature"/> over <paramref name="digest"/> with the object behind
    /// <paramref name="handle"/>. Codes (numbered by the caller): TPM_RC_SIGNATURE for a NULL signature or
    /// one that does not verify; TPM_RC_SCHEME for a signature scheme that does not fit the key;
    /// TPM_RC_HANDLE for an HMAC key with only its public part.</summary>
    internal TpmRc VerifyPolicySignature(uint handle, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, in TpmtSignature signature)
    {
        if (signature.SigAlg == TpmAlgId.Null) return TpmRc.Signature;
        var key = KeyOf(handle);
        if (key is null) return TpmRc.Scheme;
        switch (key.Type)
        {
            case TpmAlgId.Rsa when signature.SigAlg is TpmAlgId.RsaSsa or TpmAlgId.RsaPss && key.Asymmetric is { } rsa:
                return _crypto.Verify(rsa, signature.SigAlg, hashAlg, digest, signature.Signature.Rsa.Sig.Span)
                    ? TpmRc.Success : TpmRc.Signature;
            case TpmAlgId.Ecc when signature.SigAlg is TpmAlgId.EcDsa or TpmAlgId.EcSchnorr && key.Asymmetric is { } ecc:
            {
                // r and s, each padded to the curve's size, as the port takes them.
                int size = (ecc.KeyBits + 7) / 8;
                var r = TrimLeadingZeros(signature.Signature.Ecc.SignatureR.Span);
                var s = TrimLeadingZeros(signature.Signature.Ecc.SignatureS.Span);
                if (r.Length > size || s.Length > size) return TpmRc.Signature;
                Span<byte> rs = stackalloc byte[2 * size];
                rs.Clear();
                r.CopyTo(rs[(size - r.Length)..size]);
                s.CopyTo(rs[(2 * size - s.Length)..]);
                return _crypto.Verify(ecc, signature.SigAlg, hashAlg, digest, rs) ? TpmRc.Success : TpmRc.Signature;
            }
            case TpmAlgId.KeyedHash when signature.SigAlg == TpmAlgId.Hmac:
            {
                if (!key.HasSensitive) return TpmRc.Handle;
                Span<byte> mac = stackalloc byte[TpmLimits.MaxDigestSize];
                int n = _crypto.Hmac(hashAlg, key.SensitiveData, digest, mac);
                return CryptographicOperations.FixedTimeEquals(mac[..n], signature.Signature.Hmac.Digest.Digest.Span)
                    ? TpmRc.Success : TpmRc.Signature;
            }
            default:
                return TpmRc.Scheme;
        }
    }

    static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0) i++;
        return value[i..];
    }
}
