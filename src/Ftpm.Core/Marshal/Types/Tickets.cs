namespace Ftpm.Marshal;

/// <summary>TPMT_TK_HASHCHECK (Part 2, 10.7.6): proof that the TPM hashed data not starting with TPM_GENERATED_VALUE.</summary>
[TpmStruct("TPMT_TK_HASHCHECK")]
public partial struct TpmtTkHashcheck
{
    public TpmSt Tag;
    public uint Hierarchy;
    public Tpm2bDigest Digest;
}
