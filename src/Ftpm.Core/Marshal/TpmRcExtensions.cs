namespace Ftpm;

/// <summary>
/// Response-code numbering (Part 2, 6.6.3): a format-1 code names the handle (bits 8-10),
/// session (bit 11 set, bits 8-10) or parameter (bit 6 set, bits 8-11) it is about.
/// </summary>
internal static class TpmRcExtensions
{
    const uint Fmt1 = 0x080;
    const uint ParameterFlag = 0x040;
    const uint SessionFlag = 0x800;
    const uint NumberMask = 0xF00;

    public static bool IsError(this TpmRc rc) => rc != TpmRc.Success;

    /// <summary>True for a format-1 code (bit 7 set).</summary>
    public static bool IsFormat1(this TpmRc rc) => ((uint)rc & Fmt1) != 0;

    /// <summary>The code without its handle/session/parameter number (format-1) or unchanged (format-0).</summary>
    public static TpmRc Base(this TpmRc rc) => rc.IsFormat1() ? (TpmRc)((uint)rc & 0xBF) : rc;

    /// <summary>Numbers a format-1 code that has no number yet with handle n (1..7); other codes pass unchanged.</summary>
    public static TpmRc AtHandle(this TpmRc rc, int n) => Number(rc, (uint)n << 8, n, 7);

    /// <summary>Numbers a format-1 code that has no number yet with session n (1..7).</summary>
    public static TpmRc AtSession(this TpmRc rc, int n) => Number(rc, SessionFlag | ((uint)n << 8), n, 7);

    /// <summary>Numbers a format-1 code that has no number yet with parameter n (1..15).</summary>
    public static TpmRc AtParameter(this TpmRc rc, int n) => Number(rc, ParameterFlag | ((uint)n << 8), n, 15);

    /// <summary>The code as the spec names it, with its number and value, for logs and test failures:
    /// "TPM_RC_VALUE at parameter 2 (0x2C4)", "TPM_RC_AUTH_FAIL at session 1 (0x98E)", "TPM_RC_RETRY (0x922)".</summary>
    public static string Describe(this TpmRc rc)
    {
        uint v = (uint)rc;
        string where = "";
        var code = rc;
        if (rc.IsFormat1())
        {
            code = rc.Base();
            int n = (int)((v & NumberMask) >> 8);
            if ((v & ParameterFlag) != 0) where = " at parameter " + n;
            else if (n == 0) where = "";
            else if ((v & SessionFlag) != 0) where = " at session " + (n & 7);
            else where = " at handle " + n;
        }
        return SpecName(code) + where + " (0x" + v.ToString("X3", System.Globalization.CultureInfo.InvariantCulture) + ")";
    }

    /// <summary>TPM_RC_ and the enum name in upper snake case (AuthFail: TPM_RC_AUTH_FAIL), or "TPM_RC 0x..." for a value with no name.</summary>
    static string SpecName(TpmRc rc)
    {
        if (!Enum.IsDefined(rc)) return "TPM_RC";
        var name = rc.ToString();
        var b = new System.Text.StringBuilder("TPM_RC_", 7 + 2 * name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            char ch = name[i];
            if (i > 0 && (char.IsUpper(ch) || char.IsDigit(ch) && !char.IsDigit(name[i - 1])) && !char.IsUpper(name[i - 1])) b.Append('_');
            b.Append(char.ToUpperInvariant(ch));
        }
        return b.ToString();
    }

    static TpmRc Number(TpmRc rc, uint bits, int n, int max)
    {
        if (n < 1 || n > max) throw new ArgumentOutOfRangeException(nameof(n));
        uint v = (uint)rc;
        // Only a format-1 code without a number yet takes one (Part 2, 6.6.3). Warnings
        // (0x900 range) and format-0 codes are returned unchanged.
        if ((v & Fmt1) == 0 || (v & (NumberMask | ParameterFlag)) != 0) return rc;
        return (TpmRc)(v | bits);
    }
}
