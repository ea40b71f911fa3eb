namespace Ftpm.Marshal;

using System.Runtime.CompilerServices;

// TPMS_CAPABILITY_DATA (Part 2, 10.10) and its lists. Each TPML_ holds as many entries as fit in
// MAX_CAP_BUFFER after the capability and the count (8 octets), the reference's MAX_CAP_ALGS,
// MAX_CAP_HANDLES, MAX_CAP_CC, MAX_TPM_PROPERTIES ... GetCapability fills one of them in a stack-held
// TPMS_CAPABILITY_DATA (about 11 KiB: the union's arms are not overlaid, since some hold memory).

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

/// <summary>The octets of TPMS_CAPABILITY_DATA a list's entries may take (Part 2, "Implementation Parameters").</summary>
internal static class CapLimits
{
    public const int MaxCapData = TpmLimits.MaxCapBuffer - 8;
}

[InlineArray(TpmlAlgProperty.MaxCount)]
internal struct TpmsAlgPropertyArray { TpmsAlgProperty _element; }

/// <summary>TPML_ALG_PROPERTY (Part 2, 10.9.8): MAX_CAP_ALGS entries.</summary>
[TpmStruct("TPML_ALG_PROPERTY")]
internal partial struct TpmlAlgProperty
{
    public const int MaxCount = CapLimits.MaxCapData / 6;
    public uint Count;
    [List(nameof(Count))] public TpmsAlgPropertyArray AlgProperties;
}

[InlineArray(TpmlHandle.MaxCount)]
internal struct TpmHandleArray { uint _element; }

/// <summary>TPML_HANDLE (Part 2, 10.9.2): MAX_CAP_HANDLES handles.</summary>
[TpmStruct("TPML_HANDLE")]
internal partial struct TpmlHandle
{
    public const int MaxCount = CapLimits.MaxCapData / 4;
    public uint Count;
    [List(nameof(Count))] public TpmHandleArray Handle;
}

[InlineArray(TpmlCca.MaxCount)]
internal struct TpmaCcArray { uint _element; }

/// <summary>TPML_CCA (Part 2, 10.9.3): MAX_CAP_CC TPMA_CC values.</summary>
[TpmStruct("TPML_CCA")]
internal partial struct TpmlCca
{
    public const int MaxCount = CapLimits.MaxCapData / 4;
    public uint Count;
    [List(nameof(Count))] public TpmaCcArray CommandAttributes;
}

[InlineArray(TpmlTaggedTpmProperty.MaxCount)]
internal struct TpmsTaggedPropertyArray { TpmsTaggedProperty _element; }

/// <summary>TPML_TAGGED_TPM_PROPERTY (Part 2, 10.9.9): MAX_TPM_PROPERTIES entries.</summary>
[TpmStruct("TPML_TAGGED_TPM_PROPERTY")]
internal partial struct TpmlTaggedTpmProperty
{
    public const int MaxCount = CapLimits.MaxCapData / 8;
    public uint Count;
    [List(nameof(Count))] public TpmsTaggedPropertyArray TpmProperty;
}

[InlineArray(TpmlTaggedPcrProperty.MaxCount)]
internal struct TpmsTaggedPcrSelectArray { TpmsTaggedPcrSelect _element; }

/// <summary>TPML_TAGGED_PCR_PROPERTY (Part 2, 10.9.10): MAX_PCR_PROPERTIES entries.</summary>
[TpmStruct("TPML_TAGGED_PCR_PROPERTY")]
internal partial struct TpmlTaggedPcrProperty
{
    public const int MaxCount = CapLimits.MaxCapData / (4 + 1 + TpmLimits.PcrSelectMax);
    public uint Count;
    [List(nameof(Count))] public TpmsTaggedPcrSelectArray PcrProperty;
}

[InlineArray(TpmlEccCurve.MaxCount)]
internal struct TpmEccCurveArray { TpmEccCurve _element; }

/// <summary>TPML_ECC_CURVE (Part 2, 10.9.11): MAX_ECC_CURVES curves.</summary>
[TpmStruct("TPML_ECC_CURVE")]
internal partial struct TpmlEccCurve
{
    public const int MaxCount = CapLimits.MaxCapData / 2;
    public uint Count;
    [List(nameof(Count))] public TpmEccCurveArray EccCurves;
}

[InlineArray(TpmlTaggedPolicy.MaxCount)]
internal struct TpmsTaggedPolicyArray { TpmsTaggedPolicy _element; }

/// <summary>TPML_TAGGED_POLICY (Part 2, 10.9.12): MAX_TAGGED_POLICIES entries.</summary>
[TpmStruct("TPML_TAGGED_POLICY")]
internal partial struct TpmlTaggedPolicy
{
    public const int MaxCount = CapLimits.MaxCapData / (4 + 2 + TpmLimits.MaxDigestSize);
    public uint Count;
    [List(nameof(Count))] public TpmsTaggedPolicyArray Policies;
}

[InlineArray(TpmlActData.MaxCount)]
internal struct TpmsActDataArray { TpmsActData _element; }

/// <summary>TPML_ACT_DATA (Part 2, 10.9.13): MAX_ACT_DATA entries.</summary>
[TpmStruct("TPML_ACT_DATA")]
internal partial struct TpmlActData
{
    public const int MaxCount = CapLimits.MaxCapData / 12;
    public uint Count;
    [List(nameof(Count))] public TpmsActDataArray ActData;
}

/// <summary>TPMU_CAPABILITIES (Part 2, 10.10.1), selected by the capability. ppCommands and auditCommands
/// are both a TPML_CC.</summary>
[TpmUnion("TPMU_CAPABILITIES", typeof(TpmCap))]
internal partial struct TpmuCapabilities
{
    [Arm(TpmCap.Algs)] public TpmlAlgProperty Algorithms;
    [Arm(TpmCap.Handles)] public TpmlHandle Handles;
    [Arm(TpmCap.Commands)] public TpmlCca Command;
    [Arm(TpmCap.PpCommands)]
    [Arm(TpmCap.AuditCommands)]
    public TpmlCc CommandCodes;
    [Arm(TpmCap.Pcrs)] public TpmlPcrSelection AssignedPcr;
    [Arm(TpmCap.TpmProperties)] public TpmlTaggedTpmProperty TpmProperties;
    [Arm(TpmCap.Properties)] public TpmlTaggedPcrProperty PcrProperties;
    [Arm(TpmCap.EccCurves)] public TpmlEccCurve EccCurves;
    [Arm(TpmCap.AuthPolicies)] public TpmlTaggedPolicy AuthPolicies;
    [Arm(TpmCap.Act)] public TpmlActData ActData;
}

/// <summary>TPMS_CAPABILITY_DATA (Part 2, 10.10.2).</summary>
[TpmStruct("TPMS_CAPABILITY_DATA")]
internal partial struct TpmsCapabilityData
{
    public TpmCap Capability;
    [Selector(nameof(Capability))] public TpmuCapabilities Data;
}
