namespace Ftpm.Marshal;

// The entries of TPMS_CAPABILITY_DATA (Part 2, 10.10). GetCapability writes its lists entry by
// entry (the TPML_ types would be 1 KiB inline arrays), so only the entries are declared.

/// <summary>TPMS_TAGGED_PROPERTY (Part 2, 10.8.2): one TPM_PT and its value.</summary>
[TpmStruct("TPMS_TAGGED_PROPERTY")]
internal partial struct TpmsTaggedProperty
{
    public TpmPt Property;
    public uint Value;
}

/// <summary>TPMS_TAGGED_PCR_SELECT (Part 2, 10.8.3): a PCR property and the PCRs that have it.</summary>
[TpmStruct("TPMS_TAGGED_PCR_SELECT")]
internal partial struct TpmsTaggedPcrSelect
{
    public TpmPtPcr Tag;
    [Sized8(TpmLimits.PcrSelectMax)] public ReadOnlyMemory<byte> PcrSelect;
}

/// <summary>TPMS_TAGGED_POLICY (Part 2, 10.8.4): a permanent handle and its authPolicy.</summary>
[TpmStruct("TPMS_TAGGED_POLICY")]
internal partial struct TpmsTaggedPolicy
{
    public uint Handle;
    public TpmtHa PolicyHash;
}

/// <summary>TPMS_ACT_DATA (Part 2, 10.8.5): an authenticated countdown timer.</summary>
[TpmStruct("TPMS_ACT_DATA")]
internal partial struct TpmsActData
{
    public uint Handle;
    public uint Timeout;
    public uint Attributes;
}

/// <summary>TPMA_CC (Part 2, 8.9): a command's attributes as GetCapability(TPM_CAP_COMMANDS)
/// reports them. Bits 0-15 are the commandIndex and bits 25-27 cHandles; see <see cref="TpmaCcBits"/>.</summary>
[Flags]
public enum TpmaCc : uint
{
    None = 0,
    /// <summary>The command may write to NV.</summary>
    Nv = 1u << 22,
    /// <summary>The command could flush any number of loaded contexts.</summary>
    Extensive = 1u << 23,
    /// <summary>The context of the command's handle(s) is flushed when it completes.</summary>
    Flushed = 1u << 24,
    /// <summary>The response has a handle.</summary>
    RHandle = 1u << 28,
    /// <summary>A vendor-specific command.</summary>
    V = 1u << 29,
}

/// <summary>The multi-bit fields of <see cref="TpmaCc"/>.</summary>
internal static class TpmaCcBits
{
    public const uint CommandIndexMask = 0x0000FFFF;
    public const int CHandlesShift = 25;
    public const uint CHandlesMask = 0x7u << CHandlesShift;
}

/// <summary>TPMA_PERMANENT (Part 2, 8.6): TPM_PT_PERMANENT.</summary>
[Flags]
public enum TpmaPermanent : uint
{
    None = 0,
    OwnerAuthSet = 1u << 0,
    EndorsementAuthSet = 1u << 1,
    LockoutAuthSet = 1u << 2,
    DisableClear = 1u << 8,
    InLockout = 1u << 9,
    TpmGeneratedEps = 1u << 10,
}

/// <summary>TPMA_STARTUP_CLEAR (Part 2, 8.7): TPM_PT_STARTUP_CLEAR.</summary>
[Flags]
public enum TpmaStartupClear : uint
{
    None = 0,
    PhEnable = 1u << 0,
    ShEnable = 1u << 1,
    EhEnable = 1u << 2,
    PhEnableNv = 1u << 3,
    /// <summary>Read-only mode (TPM2_ReadOnlyControl, 1.84).</summary>
    ReadOnly = 1u << 4,
    /// <summary>The previous Startup was preceded by a Shutdown of any type.</summary>
    Orderly = 1u << 31,
}

/// <summary>TPMA_MEMORY (Part 2, 8.8): TPM_PT_MEMORY.</summary>
[Flags]
public enum TpmaMemory : uint
{
    None = 0,
    SharedRam = 1u << 0,
    SharedNv = 1u << 1,
    ObjectCopiedToRam = 1u << 2,
}
