namespace Ftpm.Marshal;

// Part 2 structures of sessions and policies (issue 4).

/// <summary>TPMT_SYM_DEF (Part 2, 11.1.6): the symmetric algorithm of a session's parameter encryption.
/// The algorithm is a TPMI_ALG_SYM+ (TPM_RC_SYMMETRIC); key size, XOR hash and mode are checked with the
/// whole structure (<see cref="TpmCheck.SymDef"/>).</summary>
[TpmStruct("TPMT_SYM_DEF")]
public partial struct TpmtSymDef
{
    [Check(nameof(TpmCheck.SymAlgorithm), AllowNull = true)] public TpmAlgId Algorithm;
    [Selector(nameof(Algorithm))] public TpmuSymKeyBits KeyBits;
    [Selector(nameof(Algorithm))] public TpmuSymMode Mode;
}
