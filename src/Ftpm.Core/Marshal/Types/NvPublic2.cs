namespace Ftpm.Marshal;

/// <summary>TPMA_NV_EXP (Part 2, 13.4, 1.84): TPMA_NV in the low 32 bits, then the attributes of an
/// external NV index (encryption, integrity, anti-rollback). Reserved: TPMA_NV's reserved bits and bits 35-63.</summary>
[Flags]
public enum TpmaNvExp : ulong
{
    None = 0,
    Encryption = 1ul << 32,
    Integrity = 1ul << 33,
    AntiRollback = 1ul << 34,
    Reserved = 0xFFFFFFF801F00300,
}

/// <summary>TPMS_NV_PUBLIC_EXP_ATTR (Part 2, 13.8, 1.84): the public area of an external NV index, with 64-bit attributes.</summary>
[TpmStruct("TPMS_NV_PUBLIC_EXP_ATTR")]
internal partial struct TpmsNvPublicExpAttr
{
    /// <summary>TPMI_RH_NV_EXP_INDEX.</summary>
    [Check(nameof(TpmCheck.NvExpIndexHandle))] public uint NvIndex;
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId NameAlg;
    [Check(nameof(TpmCheck.NvExpAttributes))] public TpmaNvExp Attributes;
    public Tpm2bDigest AuthPolicy;
    [Check(nameof(TpmCheck.NvDataSize))] public ushort DataSize;
}

/// <summary>TPMU_NV_PUBLIC_2 (Part 2, 13.9, 1.84): the public area by the index's handle type.</summary>
[TpmUnion("TPMU_NV_PUBLIC_2", typeof(TpmHt))]
internal partial struct TpmuNvPublic2
{
    [Arm(TpmHt.NvIndex)] public TpmsNvPublic NvIndex;
    [Arm(TpmHt.ExternalNv)] public TpmsNvPublicExpAttr ExternalNv;
    [Arm(TpmHt.PermanentNv)] public TpmsNvPublic PermanentNv;
}

/// <summary>TPMT_NV_PUBLIC_2 (Part 2, 13.10, 1.84).</summary>
[TpmStruct("TPMT_NV_PUBLIC_2")]
internal partial struct TpmtNvPublic2
{
    public TpmHt HandleType;
    [Selector(nameof(HandleType))] public TpmuNvPublic2 NvPublic2;
}

/// <summary>TPM2B_NV_PUBLIC_2 (Part 2, 13.11, 1.84): size must be non-zero and match the structure.</summary>
[TpmStruct("TPM2B_NV_PUBLIC_2")]
internal partial struct Tpm2bNvPublic2
{
    [Sized] public TpmtNvPublic2 NvPublic2;
}
