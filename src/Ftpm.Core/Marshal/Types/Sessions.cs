namespace Ftpm.Marshal;

// Part 2 structures of sessions and policies.

/// <summary>TPMT_SYM_DEF (Part 2, 11.1.6): the symmetric algorithm of a session's parameter encryption.
/// The algorithm is a TPMI_ALG_SYM+ (TPM_RC_SYMMETRIC); key size, XOR hash and mode are checked with the
/// whole structure (<see cref="TpmCheck.SymDef"/>).</summary>
[TpmStruct("TPMT_SYM_DEF")]
internal partial struct TpmtSymDef
{
    [Check(nameof(TpmCheck.SymAlgorithm), AllowNull = true)] public TpmAlgId Algorithm;
    [Selector(nameof(Algorithm))] public TpmuSymKeyBits KeyBits;
    [Selector(nameof(Algorithm))] public TpmuSymMode Mode;
}

/// <summary>TPMT_TK_AUTH (Part 2, 10.7.5): proof that an authorization (PolicySecret, PolicySigned) was
/// given, for TPM2_PolicyTicket. The tag is TPM_ST_AUTH_SECRET or TPM_ST_AUTH_SIGNED, else TPM_RC_TAG.</summary>
[TpmStruct("TPMT_TK_AUTH")]
internal partial struct TpmtTkAuth
{
    [Check(nameof(TpmCheck.AuthTicketTag))] public TpmSt Tag;
    [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> Digest;
}

/// <summary>Storage for the entries of a TPML_CC (MAX_CAP_CC: (MAX_CAP_BUFFER - 8) / 4).</summary>
[System.Runtime.CompilerServices.InlineArray(TpmlCc.MaxCount)]
internal struct TpmCcArray { TpmCc _element; }

/// <summary>TPML_CC (Part 2, 10.9.1): a list of command codes (TPM2_SetCommandCodeAuditStatus).</summary>
[TpmStruct("TPML_CC")]
internal partial struct TpmlCc
{
    public const int MaxCount = (TpmLimits.MaxCapBuffer - 8) / 4;

    public uint Count;
    [List(nameof(Count))] public TpmCcArray CommandCodes;
}
