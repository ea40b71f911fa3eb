using System.Runtime.CompilerServices;

namespace Ftpm.Marshal;

/// <summary>TPMS_PCR_SELECTION (Part 2, 10.6.2): a bank and a bitmap of its PCRs (bit n of octet n/8 is PCR n).</summary>
[TpmStruct("TPMS_PCR_SELECTION")]
internal partial struct TpmsPcrSelection
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId Hash;
    [Sized8(TpmLimits.PcrSelectMax), Check(nameof(TpmCheck.PcrSelect))] public ReadOnlyMemory<byte> PcrSelect;
}

/// <summary>Storage for the entries of a TPML_PCR_SELECTION (HASH_COUNT).</summary>
[InlineArray(TpmLimits.HashCount)]
internal struct TpmsPcrSelectionArray { TpmsPcrSelection _element; }

/// <summary>TPML_PCR_SELECTION (Part 2, 10.9.7).</summary>
[TpmStruct("TPML_PCR_SELECTION")]
internal partial struct TpmlPcrSelection
{
    public uint Count;
    [List(nameof(Count))] public TpmsPcrSelectionArray PcrSelections;
}
