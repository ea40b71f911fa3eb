using Ftpm.Auth;

namespace Ftpm;

// The salt of a salted session (Part 1, 19.6.x "Salted session"; Part 3, 11.1): the caller encrypts a
// random salt to tpmKey, the TPM recovers it with the key's private part.
public sealed partial class Tpm
{
    /// <summary>
    /// Recovers the salt of TPM2_StartAuthSession from encryptedSalt with the key <paramref name="tpmKey"/>.
    /// Codes as the reference gives them: TPM_RC_KEY (H1) for an object that is no asymmetric key;
    /// TPM_RC_VALUE (P2) for an empty encryptedSalt; TPM_RC_HANDLE (H1) for a key with only its public part
    /// loaded; TPM_RC_ATTRIBUTES (H1) for a key without decrypt; TPM_RC_VALUE (P2) when decryption fails.
    /// Until the keys issue provides RSA and ECC keys (<see cref="ISecretDecryptionKey"/>), every loaded
    /// object is a hash sequence and the answer is TPM_RC_KEY (H1).
    /// </summary>
    internal TpmRc DecryptSessionSalt(uint tpmKey, ReadOnlySpan<byte> nonceCaller, ReadOnlySpan<byte> encryptedSalt, out byte[] salt)
    {
        salt = [];
        if (Objects.Get(tpmKey) is not ISecretDecryptionKey key || !key.IsAsymmetric) return TpmRc.Key.AtHandle(1);
        if (encryptedSalt.IsEmpty) return TpmRc.Value.AtParameter(2);
        if (key.PublicOnly) return TpmRc.Handle.AtHandle(1);
        if (!key.Decrypt) return TpmRc.Attributes.AtHandle(1);
        var rc = key.DecryptSecret("SECRET"u8, encryptedSalt, out salt);
        return rc == TpmRc.Success ? TpmRc.Success : TpmRc.Value.AtParameter(2);
    }

    internal ulong TimeEpoch => _timeEpoch;
}
