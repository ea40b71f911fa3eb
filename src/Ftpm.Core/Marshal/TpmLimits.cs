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

    /// <summary>sizeof(TPMU_ENCRYPTED_SECRET) (Part 2 v185, Table 223): an ML-KEM-1024 ciphertext is the largest
    /// encrypted secret (an RSA-4096 OAEP block takes 512 octets, an ECC point of P-521 136).</summary>
    public const int MaxEncryptedSecretSize = MaxMlKemCtSize > MaxRsaKeyBytes ? MaxMlKemCtSize : MaxRsaKeyBytes;

    /// <summary>sizeof(TPMS_ID_OBJECT): the integrity HMAC and the encrypted TPM2B_DIGEST of a credential.</summary>
    public const int MaxIdObjectSize = 2 * (2 + MaxDigestSize);

    /// <summary>TPM2B_LABEL (Part 2, the TPMS_DERIVE tables): LABEL_MAX_BUFFER, the reference's
    /// MIN(32, MAX(MAX_ECC_KEY_BYTES, MAX_DIGEST_SIZE)).</summary>
    public const int LabelMaxBuffer = 32;

    /// <summary>sizeof(TPMT_PUBLIC), the bound of TPM2B_TEMPLATE and TPM2B_PUBLIC: type, nameAlg, attributes,
    /// the largest authPolicy, the largest parameters (ECC's) and the largest unique (v185: an ML-DSA-87
    /// public key; before it an RSA-4096 modulus).</summary>
    public const int MaxPublicSize = 2 + 2 + 4 + (2 + MaxDigestSize) + 18 + (2 + MaxMlDsaPubSize);

    // ---- v185 post-quantum objects (Part 2 v185, 10.3.12-14, 11.2.6-7, 11.3.4-9) -------------------

    /// <summary>MAX_MLKEM_PUB_SIZE: an ML-KEM-1024 encapsulation key (Table 205).</summary>
    public const int MaxMlKemPubSize = 1568;

    /// <summary>MAX_MLKEM_CT_SIZE: an ML-KEM-1024 ciphertext (Table 205).</summary>
    public const int MaxMlKemCtSize = 1568;

    /// <summary>MAX_SHARED_SECRET_SIZE (TPM2B_SHARED_SECRET): ML-KEM's 32 octets; an ECC KEM's secret (a
    /// KDF output of the curve's size) is no longer than the largest digest.</summary>
    public const int MaxSharedSecretSize = MaxDigestSize;

    /// <summary>sizeof(TPMU_KEM_CIPHERTEXT) (Table 101): the ML-KEM-1024 ciphertext, larger than an ECC
    /// point (sizeof(TPMS_ECC_POINT)).</summary>
    public const int MaxKemCiphertextSize = MaxMlKemCtSize;

    /// <summary>MAX_MLDSA_PUB_SIZE: an ML-DSA-87 public key (Table 208).</summary>
    public const int MaxMlDsaPubSize = 2592;

    /// <summary>MAX_MLDSA_SIG_SIZE: an ML-DSA-87 signature (Table 208).</summary>
    public const int MaxMlDsaSigSize = 4627;

    /// <summary>sizeof(TPMU_SIGNATURE_CTX) (Table 220): the ML-DSA context, at most 255 octets.</summary>
    public const int MaxSignatureCtxSize = 255;

    /// <summary>MAX_SIGNATURE_HINT_SIZE (Table 222): only EdDSA has a hint, its encoded R (at most
    /// 2 * MAX_ECC_KEY_BYTES); every other scheme takes an empty one.</summary>
    public const int MaxSignatureHintSize = 2 * MaxEccKeyBytes;

    /// <summary>TPM_MAX_DERIVATION_BITS (Part 2, TPM_CONSTANTS32): the KDFa length of the stream a
    /// derived object is made from.</summary>
    public const int MaxDerivationBits = 8192;

    /// <summary>MAX_CONTEXT_SIZE: an encrypted object context (its public and sensitive areas and state); v185
    /// public areas reach <see cref="MaxPublicSize"/>, so this is larger than the reference's 2168.</summary>
    public const int MaxContextSize = 5120;
}
