namespace Ftpm.Marshal;

/// <summary>
/// Value checks for the TPMI_ interface types (Part 2, chapter 9), run by generated unmarshal
/// code through [Check(...)]. Each returns the code Part 2 names for the type.
/// </summary>
public static class TpmCheck
{
    /// <summary>TPMI_ALG_HASH: an implemented hash, or TPM_ALG_NULL where "+" allows it; else TPM_RC_HASH.</summary>
    public static TpmRc Hash(TpmAlgId value, bool allowNull) =>
        TpmAlgorithms.IsHash(value) || (allowNull && value == TpmAlgId.Null) ? TpmRc.Success : TpmRc.Hash;

    /// <summary>TPMI_YES_NO: 0 or 1, else TPM_RC_VALUE.</summary>
    public static TpmRc YesNo(byte value, bool allowNull) => value <= 1 ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMS_PCR_SELECT sizeofSelect: at least PCR_SELECT_MIN (Part 2, 10.6.1), else TPM_RC_VALUE.</summary>
    public static TpmRc PcrSelect(ReadOnlyMemory<byte> value, bool allowNull) =>
        value.Length >= TpmLimits.PcrSelectMin ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPM_SU: CLEAR or STATE, else TPM_RC_VALUE.</summary>
    public static TpmRc StartupType(TpmSu value, bool allowNull) =>
        value is TpmSu.Clear or TpmSu.State ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMI_RH_HIERARCHY: owner, endorsement or platform (+ TPM_RH_NULL), else TPM_RC_VALUE.</summary>
    public static TpmRc Hierarchy(uint value, bool allowNull) =>
        (TpmRh)value is TpmRh.Owner or TpmRh.Endorsement or TpmRh.Platform || (allowNull && value == (uint)TpmRh.Null)
            ? TpmRc.Success : TpmRc.Value;
}
