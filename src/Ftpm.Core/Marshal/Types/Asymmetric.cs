namespace Ftpm.Marshal;

/// <summary>TPMT_RSA_DECRYPT (Part 2, 11.2.4.4). The scheme is a TPMI_ALG_RSA_DECRYPT+ (RSAES, OAEP; TPM_RC_VALUE).</summary>
[TpmStruct("TPMT_RSA_DECRYPT")]
public partial struct TpmtRsaDecrypt
{
    [Check(nameof(TpmCheck.RsaDecrypt), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuAsymScheme Details;
}

/// <summary>TPM2B_ECC_POINT (Part 2, 11.2.5.3).</summary>
[TpmStruct("TPM2B_ECC_POINT")]
public partial struct Tpm2bEccPoint
{
    [Sized] public TpmsEccPoint Point;
}
