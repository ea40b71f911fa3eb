using Ftpm.Crypto;
using Ftpm.Marshal;

namespace Ftpm;

// The salt of a salted session (Part 1, 19.6.x "Salted session"; Part 3, 11.1): the caller encrypts a
// random salt to tpmKey, the TPM recovers it with the key's private part (secret sharing with the
// label "SECRET", <see cref="SecretSharing"/>).
public sealed partial class Tpm
{
    /// <summary>
    /// Recovers the salt of TPM2_StartAuthSession from encryptedSalt with the key <paramref name="tpmKey"/>.
    /// Codes as the reference gives them: TPM_RC_KEY (H1) for an object that is no RSA, ECC or (v185) ML-KEM key;
    /// TPM_RC_VALUE (P2) for an empty encryptedSalt; TPM_RC_HANDLE (H1) for a key with only its public part
    /// loaded; TPM_RC_ATTRIBUTES (H1) for a key without decrypt; TPM_RC_VALUE (P2) when decryption fails
    /// for any reason (the reference's StartAuthSession folds every CryptSecretDecrypt error into it).
    /// </summary>
    internal TpmRc DecryptSessionSalt(uint tpmKey, ReadOnlySpan<byte> encryptedSalt, out byte[] salt)
    {
        salt = [];
        var key = KeyOf(tpmKey);
        if (key is null || key.Type is not (TpmAlgId.Rsa or TpmAlgId.Ecc or TpmAlgId.MlKem)) return TpmRc.Key.AtHandle(1);
        if (encryptedSalt.IsEmpty) return TpmRc.Value.AtParameter(Commands.SessionCommands.StartAuthSessionIn.Param.EncryptedSalt);
        if (!key.HasSensitive) return TpmRc.Handle.AtHandle(1);
        if (!key.Has(TpmaObject.Decrypt)) return TpmRc.Attributes.AtHandle(1);
        var rc = SecretSharing.Decrypt(this, key, SecretSharing.Secret, encryptedSalt, out salt);
        return rc == TpmRc.Success ? TpmRc.Success : TpmRc.Value.AtParameter(Commands.SessionCommands.StartAuthSessionIn.Param.EncryptedSalt);
    }

    internal ulong TimeEpoch => _timeEpoch;
}
