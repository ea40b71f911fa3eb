namespace Ftpm.Marshal;

/// <summary>TPMT_RSA_DECRYPT (Part 2, 11.2.4.4). The scheme is a TPMI_ALG_RSA_DECRYPT+ (RSAES, OAEP; TPM_RC_VALUE).</summary>
[TpmStruct("TPMT_RSA_DECRYPT")]
internal partial struct TpmtRsaDecrypt
{
    [Check(nameof(TpmCheck.RsaDecrypt), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuAsymScheme Details;
}

/// <summary>TPM2B_ECC_POINT (Part 2, 11.2.5.3).</summary>
[TpmStruct("TPM2B_ECC_POINT")]
internal partial struct Tpm2bEccPoint
{
    [Sized] public TpmsEccPoint Point;
}

/// <summary>TPMS_ALGORITHM_DETAIL_ECC (Part 2, 11.2.5.7): the TPM2_ECC_Parameters response.</summary>
[TpmStruct("TPMS_ALGORITHM_DETAIL_ECC")]
internal partial struct TpmsAlgorithmDetailEcc
{
    public TpmEccCurve CurveId;
    public ushort KeySize;
    public TpmtKdfScheme Kdf;
    public TpmtEccScheme Sign;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> P;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> A;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> B;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> GX;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> GY;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> N;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> H;
}

/// <summary>TPM2B_SHARED_SECRET (Part 2 v185, 10.3.12, Table 100): the shared secret of a KEM (TPM2_Encapsulate,
/// TPM2_Decapsulate), at most MAX_SHARED_SECRET_SIZE.</summary>
[TpmStruct("TPM2B_SHARED_SECRET")]
internal partial struct Tpm2bSharedSecret
{
    [Sized(TpmLimits.MaxSharedSecretSize)] public ReadOnlyMemory<byte> Buffer;
}

/// <summary>TPM2B_KEM_CIPHERTEXT (Part 2 v185, 10.3.14, Table 102): a KEM ciphertext, at most
/// sizeof(TPMU_KEM_CIPHERTEXT). Every member of TPMU_KEM_CIPHERTEXT (Table 101) is a byte array, so the
/// union needs no selector when marshaled: it is a plain buffer here.</summary>
[TpmStruct("TPM2B_KEM_CIPHERTEXT")]
internal partial struct Tpm2bKemCiphertext
{
    [Sized(TpmLimits.MaxKemCiphertextSize)] public ReadOnlyMemory<byte> Buffer;
}
