namespace Ftpm.Marshal;

/// <summary>TPMT_TK_HASHCHECK (Part 2, 10.7.6): proof that the TPM hashed data not starting with TPM_GENERATED_VALUE.</summary>
[TpmStruct("TPMT_TK_HASHCHECK")]
internal partial struct TpmtTkHashcheck
{
    /// <summary>TPM_ST_HASHCHECK, else TPM_RC_TAG.</summary>
    [Check(nameof(TpmCheck.HashCheckTag))] public TpmSt Tag;
    /// <summary>TPMI_RH_HIERARCHY+ (a NULL ticket names TPM_RH_NULL), else TPM_RC_VALUE.</summary>
    [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    public Tpm2bDigest Digest;
}
