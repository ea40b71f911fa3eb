namespace Ftpm.Auth;

/// <summary>
/// A loaded asymmetric key that can recover a secret encrypted to it (Part 1, 11.4.x "Secret Sharing";
/// the reference's CryptSecretDecrypt): RSA with OAEP and the label, or ECC with ECDH on an ephemeral
/// point and KDFe(nameAlg, Z, label, ephemeral.x, key.x). The keys issue's loaded-key class implements
/// it; StartAuthSession uses it with the label "SECRET" to recover a session's salt.
/// </summary>
internal interface ISecretDecryptionKey
{
    /// <summary>An RSA or ECC key (TPM_RC_KEY otherwise).</summary>
    bool IsAsymmetric { get; }

    /// <summary>TPMA_OBJECT decrypt (TPM_RC_ATTRIBUTES otherwise).</summary>
    bool Decrypt { get; }

    /// <summary>Only the public part is loaded (TPM_RC_HANDLE).</summary>
    bool PublicOnly { get; }

    /// <summary>Recovers the secret; any failure (bad padding, point not on the curve, wrong size) is
    /// reported by the caller as TPM_RC_VALUE on the encrypted parameter.</summary>
    TpmRc DecryptSecret(ReadOnlySpan<byte> label, ReadOnlySpan<byte> encryptedSecret, out byte[] secret);
}
