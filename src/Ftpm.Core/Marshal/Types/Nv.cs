namespace Ftpm.Marshal;

/// <summary>TPM_NT (Part 2, 13.4): the type of an NV index, kept in bits 4-7 of TPMA_NV.</summary>
public enum TpmNt : byte
{
    Ordinary = 0x0,
    Counter = 0x1,
    Bits = 0x2,
    Extend = 0x4,
    PinFail = 0x8,
    PinPass = 0x9,
}

/// <summary>TPMA_NV (Part 2, 13.4). Bits 8-9 and 20-24 are reserved (TPM_RC_RESERVED_BITS on input).</summary>
[Flags]
public enum TpmaNv : uint
{
    None = 0,
    PpWrite = 1u << 0,
    OwnerWrite = 1u << 1,
    AuthWrite = 1u << 2,
    PolicyWrite = 1u << 3,
    /// <summary>TPM_NT in bits 4-7.</summary>
    TpmNtMask = 0xFu << 4,
    PolicyDelete = 1u << 10,
    WriteLocked = 1u << 11,
    WriteAll = 1u << 12,
    WriteDefine = 1u << 13,
    WriteStClear = 1u << 14,
    GlobalLock = 1u << 15,
    PpRead = 1u << 16,
    OwnerRead = 1u << 17,
    AuthRead = 1u << 18,
    PolicyRead = 1u << 19,
    NoDa = 1u << 25,
    Orderly = 1u << 26,
    ClearStClear = 1u << 27,
    ReadLocked = 1u << 28,
    Written = 1u << 29,
    PlatformCreate = 1u << 30,
    ReadStClear = 1u << 31,

    /// <summary>The reserved bits (Part 2, Table "Definition of TPMA_NV Bits").</summary>
    Reserved = 0x01F00300,
}

/// <summary>Helpers over TPMA_NV's TPM_NT field.</summary>
internal static class TpmaNvExtensions
{
    const int NtShift = 4;

    /// <summary>The index type (TPM_NT) held in bits 4-7.</summary>
    public static TpmNt Type(this TpmaNv attributes) => (TpmNt)(((uint)attributes >> NtShift) & 0xF);

    /// <summary>TPMA_NV with the given TPM_NT in bits 4-7.</summary>
    public static TpmaNv WithType(this TpmaNv attributes, TpmNt type) =>
        (attributes & ~TpmaNv.TpmNtMask) | (TpmaNv)((uint)type << NtShift);

    public static bool Has(this TpmaNv attributes, TpmaNv flag) => (attributes & flag) != 0;

    /// <summary>The attributes in the spec's lower-case names joined by '|', with the type as nt=...
    /// (as tpm2-tools prints them): "ownerwrite|nt=counter|ownerread|written".</summary>
    public static string Describe(this TpmaNv attributes)
    {
        var names = new List<string>();
        foreach (var (flag, name) in Names)
        {
            if (flag == TpmaNv.TpmNtMask)
            {
                if (attributes.Type() != TpmNt.Ordinary) names.Add("nt=" + attributes.Type().ToString().ToLowerInvariant());
            }
            else if (attributes.Has(flag)) names.Add(name);
        }
        if ((attributes & TpmaNv.Reserved) != 0) names.Add($"reserved=0x{(uint)(attributes & TpmaNv.Reserved):x}");
        return names.Count == 0 ? "none" : string.Join('|', names);
    }

    static readonly (TpmaNv, string)[] Names =
    [
        (TpmaNv.PpWrite, "ppwrite"), (TpmaNv.OwnerWrite, "ownerwrite"), (TpmaNv.AuthWrite, "authwrite"),
        (TpmaNv.PolicyWrite, "policywrite"), (TpmaNv.TpmNtMask, "nt"), (TpmaNv.PolicyDelete, "policy_delete"),
        (TpmaNv.WriteLocked, "writelocked"), (TpmaNv.WriteAll, "writeall"), (TpmaNv.WriteDefine, "writedefine"),
        (TpmaNv.WriteStClear, "write_stclear"), (TpmaNv.GlobalLock, "globallock"), (TpmaNv.PpRead, "ppread"),
        (TpmaNv.OwnerRead, "ownerread"), (TpmaNv.AuthRead, "authread"), (TpmaNv.PolicyRead, "policyread"),
        (TpmaNv.NoDa, "no_da"), (TpmaNv.Orderly, "orderly"), (TpmaNv.ClearStClear, "clear_stclear"),
        (TpmaNv.ReadLocked, "readlocked"), (TpmaNv.Written, "written"), (TpmaNv.PlatformCreate, "platformcreate"),
        (TpmaNv.ReadStClear, "read_stclear"),
    ];
}

/// <summary>TPMS_NV_PUBLIC (Part 2, 13.5): the public area of an NV index. Its marshaled form is
/// what the index's Name hashes (Part 1, 16).</summary>
[TpmStruct("TPMS_NV_PUBLIC")]
internal partial struct TpmsNvPublic
{
    /// <summary>TPMI_RH_NV_LEGACY_INDEX: a handle in the NV index range, else TPM_RC_VALUE.</summary>
    [Check(nameof(TpmCheck.NvIndexHandle))] public uint NvIndex;
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId NameAlg;
    [Check(nameof(TpmCheck.NvAttributes))] public TpmaNv Attributes;
    public Tpm2bDigest AuthPolicy;
    /// <summary>At most MAX_NV_INDEX_SIZE, else TPM_RC_SIZE.</summary>
    [Check(nameof(TpmCheck.NvDataSize))] public ushort DataSize;
}

/// <summary>TPM2B_NV_PUBLIC (Part 2, 13.6): size must be non-zero and match the structure.</summary>
[TpmStruct("TPM2B_NV_PUBLIC")]
internal partial struct Tpm2bNvPublic
{
    [Sized] public TpmsNvPublic NvPublic;
}
