namespace Ftpm;

/// <summary>
/// Implementation sizes (Part 2 "Implementation Parameters"; the reference's TpmProfile values
/// where ftpm does not differ). Buffers are sized for v185 from the start: 8 KiB commands.
/// </summary>
public static class TpmLimits
{
    /// <summary>MAX_COMMAND_SIZE / MAX_RESPONSE_SIZE: v185's post-quantum objects need about 8 KiB.</summary>
    public const int MaxCommandSize = 8192;
    public const int MaxResponseSize = 8192;

    /// <summary>HASH_COUNT: SHA-1, SHA-256, SHA-384, SHA-512.</summary>
    public const int HashCount = 4;

    /// <summary>IMPLEMENTATION_PCR and PCR_SELECT_MIN/MAX ((24 + 7) / 8).</summary>
    public const int PcrCount = 24;
    public const int PcrSelectMin = 3;
    public const int PcrSelectMax = 3;

    /// <summary>sizeof(TPMU_HA): the largest digest (SHA-512).</summary>
    public const int MaxDigestSize = 64;

    /// <summary>MAX_DIGEST_BUFFER: TPM2B_MAX_BUFFER and TPM2B_EVENT hold at most this.</summary>
    public const int MaxDigestBuffer = 1024;

    /// <summary>TPM2B_EVENT (Part 2, 10.4.7) holds at most 1024 octets.</summary>
    public const int MaxEventSize = 1024;

    /// <summary>TPML_DIGEST holds at most 8 digests (Part 2, 10.9.2).</summary>
    public const int MaxDigestListCount = 8;

    /// <summary>At most three sessions in a command's authorization area (Part 1, 18.2).</summary>
    public const int MaxSessions = 3;

    /// <summary>TPM2B_AUTH and TPM2B_NONCE: at most the largest digest.</summary>
    public const int MaxAuthSize = MaxDigestSize;

    /// <summary>MAX_CAP_BUFFER: the capability data of one GetCapability response.</summary>
    public const int MaxCapBuffer = 1024;

    // ---- Objects (the keys issue) ----------------------------------------------------------------

    /// <summary>MAX_RSA_KEY_BYTES: RSA-4096.</summary>
    public const int MaxRsaKeyBytes = 512;

    /// <summary>MAX_ECC_KEY_BYTES: NIST P-521 (66 octets).</summary>
    public const int MaxEccKeyBytes = 66;

    /// <summary>MAX_SYM_KEY_BYTES: AES-256.</summary>
    public const int MaxSymKeyBytes = 32;

    /// <summary>MAX_SYM_DATA: TPM2B_SENSITIVE_DATA holds at most 128 octets (sealed data, HMAC keys).</summary>
    public const int MaxSymData = 128;

    /// <summary>sizeof(TPMU_NAME): a hash algorithm and the largest digest.</summary>
    public const int MaxNameSize = 2 + MaxDigestSize;

    /// <summary>TPM2B_DATA holds at most sizeof(TPMT_HA).</summary>
    public const int MaxDataSize = 2 + MaxDigestSize;

    /// <summary>sizeof(_PRIVATE): an integrity digest and an encrypted TPM2B_SENSITIVE of the largest object.</summary>
    public const int MaxPrivateSize = 2 + MaxDigestSize + 2 + 2 + (2 + MaxAuthSize) + (2 + MaxDigestSize) + (2 + MaxRsaKeyBytes / 2 * 5);

    /// <summary>sizeof(TPMU_ENCRYPTED_SECRET): an RSA-4096 OAEP block is the largest encrypted secret (an
    /// ECC point of P-521 takes 136 octets).</summary>
    public const int MaxEncryptedSecretSize = MaxRsaKeyBytes;

    /// <summary>sizeof(TPMS_ID_OBJECT): the integrity HMAC and the encrypted TPM2B_DIGEST of a credential.</summary>
    public const int MaxIdObjectSize = 2 * (2 + MaxDigestSize);

    /// <summary>TPM2B_LABEL (Part 2, the TPMS_DERIVE tables): LABEL_MAX_BUFFER, the reference's
    /// MIN(32, MAX(MAX_ECC_KEY_BYTES, MAX_DIGEST_SIZE)).</summary>
    public const int LabelMaxBuffer = 32;

    /// <summary>sizeof(TPMT_PUBLIC), the bound of TPM2B_TEMPLATE: type, nameAlg, attributes, the largest
    /// authPolicy, the largest parameters (ECC's) and the largest unique (an RSA-4096 modulus).</summary>
    public const int MaxPublicSize = 2 + 2 + 4 + (2 + MaxDigestSize) + 18 + (2 + MaxRsaKeyBytes);

    /// <summary>TPM_MAX_DERIVATION_BITS (Part 2, TPM_CONSTANTS32): the KDFa length of the stream a
    /// derived object is made from.</summary>
    public const int MaxDerivationBits = 8192;

    /// <summary>MAX_CONTEXT_SIZE: an encrypted object context (its public and sensitive areas and state).</summary>
    public const int MaxContextSize = 2560;
}
