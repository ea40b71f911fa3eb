namespace Ftpm.Dispatch;

/// <summary>The authorization a handle needs (Part 3, "Auth Index" and "Auth Role" of each command).</summary>
internal enum AuthRole : byte
{
    None,
    User,
    Admin,
    Dup,
}

/// <summary>Which kinds of handle a handle parameter accepts (its TPMI_ type, Part 2 chapter 9).
/// A handle of another kind fails to unmarshal with TPM_RC_VALUE.</summary>
[Flags]
internal enum HandleKinds : ushort
{
    None = 0,
    Pcr = 1 << 0,
    NvIndex = 1 << 1,
    Transient = 1 << 2,
    Persistent = 1 << 3,
    Owner = 1 << 4,
    Endorsement = 1 << 5,
    Platform = 1 << 6,
    Lockout = 1 << 7,
    Null = 1 << 8,
    HmacSession = 1 << 9,
    PolicySession = 1 << 10,
    PlatformNv = 1 << 11,

    Object = Transient | Persistent,
    /// <summary>TPMI_RH_HIERARCHY</summary>
    Hierarchy = Owner | Endorsement | Platform,
    /// <summary>TPMI_RH_PROVISION</summary>
    Provision = Owner | Platform,
}

/// <summary>One handle of a command: what it may be and what authorization it needs.</summary>
internal readonly record struct HandleSpec(HandleKinds Kinds, AuthRole Auth = AuthRole.None);

internal delegate TpmRc CommandHandler(Tpm tpm, ref CommandContext context);

/// <summary>
/// A command's facts, stated once (the reference spreads these over CommandAttributeData.h and
/// per-command tables): its code, handles with auth roles, whether a handle is returned, whether
/// its first parameter / response parameter may be encrypted, whether it writes NV, and whether it
/// needs physical presence.
/// </summary>
internal sealed record CommandInfo(TpmCc Code, CommandHandler Handler)
{
    public HandleSpec[] Handles { get; init; } = [];
    public bool ReturnsHandle { get; init; }
    public bool DecryptFirstParameter { get; init; }
    public bool EncryptFirstResponseParameter { get; init; }
    public bool WritesNv { get; init; }
    public bool PhysicalPresence { get; init; }

    /// <summary>The command takes no authorization area at all (Startup, ContextSave, ContextLoad,
    /// FlushContext): TPM_ST_SESSIONS gets TPM_RC_AUTH_CONTEXT.</summary>
    public bool NoSessions { get; init; }

    public int AuthCount
    {
        get
        {
            int n = 0;
            foreach (var h in Handles) if (h.Auth != AuthRole.None) n++;
            return n;
        }
    }
}
