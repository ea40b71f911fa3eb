using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 12.5 TPM2_ActivateCredential and 12.6 TPM2_MakeCredential: credential protection
/// (Part 1, "Credential Protection"). A credential is a digest wrapped for one object (its Name) under a
/// seed that only the holder of a restricted decryption key (an EK) can recover: the seed is shared with
/// the label "IDENTITY" (<see cref="SecretSharing"/>), the wrapper is an outer wrapper with the key's
/// nameAlg and cipher (<see cref="ObjectSupport.ProduceOuterWrap"/>).</summary>
internal static partial class ObjectCommands
{
    public static readonly CommandInfo[] CredentialCommands =
    [
        new Command<ActivateCredentialIn, ActivateCredentialOut>(TpmCc.ActivateCredential, ActivateCredential)
        {
            Handles = [new(HandleKinds.Object, AuthRole.Admin), new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<MakeCredentialIn, MakeCredentialOut>(TpmCc.MakeCredential, MakeCredential)
        {
            Handles = [new(HandleKinds.Object)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
    ];

    /// <summary>The key a credential is protected with: an asymmetric, restricted decryption key, which
    /// therefore names the cipher of the wrapper (the reference's check, "needs to be restricted to have a
    /// symmetric value").</summary>
    static bool IsCredentialKey(TpmKey? key) =>
        key is { Type: TpmAlgId.Rsa or TpmAlgId.Ecc or TpmAlgId.MlKem } && key.Has(TpmaObject.Decrypt | TpmaObject.Restricted) &&
        key.ProtectionSymmetric.Algorithm != TpmAlgId.Null;

    [TpmParameters]
    internal partial struct MakeCredentialIn
    {
        public Tpm2bDigest Credential;
        /// <summary>TPM2B_NAME.</summary>
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> ObjectName;
    }

    [TpmParameters]
    internal partial struct MakeCredentialOut
    {
        /// <summary>TPM2B_ID_OBJECT: integrityHMAC || encIdentity.</summary>
        [Sized(TpmLimits.MaxIdObjectSize)] public ReadOnlyMemory<byte> CredentialBlob;
        /// <summary>TPM2B_ENCRYPTED_SECRET.</summary>
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> Secret;
    }

    /// <summary>TPM2_MakeCredential (Part 3, 12.6): what a certificate authority does in software, done by
    /// the TPM with a loaded (typically public-only) key. seed is shared with handle under "IDENTITY";
    /// credentialBlob = outer wrapper of TPM2B_DIGEST(credential) keyed by KDFa(nameAlg, seed, "STORAGE",
    /// objectName) and KDFa(nameAlg, seed, "INTEGRITY"). Codes: TPM_RC_TYPE (H1) for a key that is not an
    /// asymmetric restricted decryption key; TPM_RC_SIZE (P1) for a credential longer than the key's
    /// nameAlg digest; TPM_RC_VALUE/TPM_RC_KEY (unnumbered) when the seed cannot be encrypted to the key.</summary>
    static TpmRc MakeCredential(Tpm tpm, ref CommandContext c, in MakeCredentialIn p, out MakeCredentialOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (!IsCredentialKey(key)) return TpmRc.Type.AtHandle(1);
        if (p.Credential.Buffer.Length > TpmAlgorithms.DigestSize(key!.NameAlg)) return TpmRc.Size.AtParameter(MakeCredentialIn.Param.Credential);

        var rc = SecretSharing.Encrypt(tpm, key, SecretSharing.Identity, out var seed, out var secret);
        if (rc != TpmRc.Success) return rc;
        var plain = new byte[2 + p.Credential.Buffer.Length];
        var w = new TpmWriter(plain);
        w.WriteSized(p.Credential.Buffer.Span);
        o.CredentialBlob = ObjectSupport.ProduceOuterWrap(tpm, key.NameAlg, key.ProtectionSymmetric, seed, p.ObjectName.Span, plain);
        o.Secret = secret;
        CryptographicOperations.ZeroMemory(seed);
        CryptographicOperations.ZeroMemory(plain);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ActivateCredentialIn
    {
        /// <summary>TPM2B_ID_OBJECT.</summary>
        [Sized(TpmLimits.MaxIdObjectSize)] public ReadOnlyMemory<byte> CredentialBlob;
        /// <summary>TPM2B_ENCRYPTED_SECRET.</summary>
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> Secret;
    }

    [TpmParameters]
    internal partial struct ActivateCredentialOut
    {
        public Tpm2bDigest CertInfo;
    }

    /// <summary>TPM2_ActivateCredential (Part 3, 12.5): keyHandle (USER; an EK's policy) recovers the seed,
    /// and the credential opens only for the Name of activateHandle (ADMIN), proving both objects are in
    /// one TPM. Codes as the reference gives them: TPM_RC_TYPE (H2) for a keyHandle that is not an
    /// asymmetric restricted decryption key; for the secret (P2) those of
    /// <see cref="SecretSharing.Decrypt"/> (TPM_RC_SIZE for an RSA block of the wrong size, TPM_RC_VALUE
    /// when it does not decrypt, TPM_RC_ECC_POINT, TPM_RC_NO_RESULT, TPM_RC_INSUFFICIENT for ECC); for the
    /// blob (P1) TPM_RC_INSUFFICIENT/TPM_RC_SIZE when its integrity or credential does not unmarshal or
    /// bytes are left over, TPM_RC_INTEGRITY when it was not made for this seed and this Name.</summary>
    static TpmRc ActivateCredential(Tpm tpm, ref CommandContext c, in ActivateCredentialIn p, out ActivateCredentialOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[1]);
        if (!IsCredentialKey(key)) return TpmRc.Type.AtHandle(2);

        var rc = SecretSharing.Decrypt(tpm, key!, SecretSharing.Identity, p.Secret.Span, out var seed);
        if (rc != TpmRc.Success) return rc.AtParameter(ActivateCredentialIn.Param.Secret);
        rc = ObjectSupport.UnwrapOuter(tpm, key!.NameAlg, key.ProtectionSymmetric, seed, tpm.NameOf(c.Handles[0]),
            p.CredentialBlob.Span, out var plain);
        CryptographicOperations.ZeroMemory(seed);
        if (rc != TpmRc.Success) return rc.AtParameter(ActivateCredentialIn.Param.CredentialBlob);

        var reader = new TpmReader(plain);
        rc = reader.ReadSized(TpmLimits.MaxDigestSize, out var certInfo);
        if (rc == TpmRc.Success && reader.HasData) rc = TpmRc.Size;
        if (rc == TpmRc.Success) o.CertInfo = new Tpm2bDigest { Buffer = ObjectSupport.MoveToScratch(tpm, certInfo.ToArray()) };
        CryptographicOperations.ZeroMemory(plain);
        return rc == TpmRc.Success ? rc : rc.AtParameter(ActivateCredentialIn.Param.CredentialBlob);
    }
}
