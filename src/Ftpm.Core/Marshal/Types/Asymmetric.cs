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
