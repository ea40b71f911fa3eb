using Ftpm.Marshal;

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
    /// <summary>TPMI_RH_ACT: TPM_RH_ACT_0..TPM_RH_ACT_F (an unimplemented one answers TPM_RC_VALUE when checked).</summary>
    Act = 1 << 12,
    /// <summary>TPM_HT_EXTERNAL_NV (1.84): accepted by TPMI_RH_NV_INDEX and TPMI_RH_NV_DEFINED_INDEX, but no
    /// such index exists here, so it fails the load-status check with TPM_RC_VALUE (the reference's
    /// EntityGetLoadStatus, "not yet supported") after every handle has unmarshaled.</summary>
    ExternalNv = 1 << 13,
    /// <summary>TPM_HT_PERMANENT_NV (1.84): accepted by TPMI_RH_NV_INDEX only; as <see cref="ExternalNv"/>.</summary>
    PermanentNv = 1 << 14,

    Object = Transient | Persistent,
    /// <summary>TPMI_RH_HIERARCHY</summary>
    Hierarchy = Owner | Endorsement | Platform,
    /// <summary>TPMI_RH_PROVISION</summary>
    Provision = Owner | Platform,
    /// <summary>TPMI_RH_NV_INDEX (Part 2, 9.24): the nvIndex of the NV commands, NV_Certify, PolicyNV and
    /// PolicyAuthorizeNV.</summary>
    NvIndexAny = NvIndex | ExternalNv | PermanentNv,
    /// <summary>TPMI_RH_NV_DEFINED_INDEX (1.84): the nvIndex of NV_UndefineSpace and NV_UndefineSpaceSpecial.</summary>
    NvDefinedIndex = NvIndex | ExternalNv,
}

/// <summary>One handle of a command: what it may be and what authorization it needs.</summary>
internal readonly record struct HandleSpec(HandleKinds Kinds, AuthRole Auth = AuthRole.None);

/// <summary>The body of a command without parameters.</summary>
internal delegate TpmRc CommandHandler(Tpm tpm, ref CommandContext context);

/// <summary>The body of a command, given its parameters already unmarshaled by the dispatcher.</summary>
internal delegate TpmRc CommandHandler<TIn>(Tpm tpm, ref CommandContext context, in TIn input)
    where TIn : struct, ITpmMarshal<TIn>;

/// <summary>The body of a command without parameters that fills in a response structure the dispatcher marshals.</summary>
internal delegate TpmRc OutputHandler<TOut>(Tpm tpm, ref CommandContext context, out TOut output)
    where TOut : struct, ITpmMarshal<TOut>;

/// <summary>The body of a command that fills in a response structure the dispatcher marshals.</summary>
internal delegate TpmRc CommandHandler<TIn, TOut>(Tpm tpm, ref CommandContext context, in TIn input, out TOut output)
    where TIn : struct, ITpmMarshal<TIn>
    where TOut : struct, ITpmMarshal<TOut>;

/// <summary>
/// A command's facts, stated once (the reference spreads these over CommandAttributeData.h and
/// per-command tables), read by the dispatcher, the authorization checks and GetCapability alike: its
/// code, handles with auth roles, whether a handle is returned, whether its first parameter / response
/// parameter may be encrypted, whether it writes NV or an NV index, whether it may be made to need
/// physical presence, and its TPMA_CC extensive and flushed bits. The subclass fixes how the parameters are read: the dispatcher
/// unmarshals the whole parameter area into the command's <c>XxxIn</c> structure before the body
/// runs (Part 3, 5: header, handles, sessions, parameters, then the command's own checks), so no
/// body can look at state before its parameters parsed.
/// </summary>
internal abstract record CommandInfo(TpmCc Code)
{
    public HandleSpec[] Handles { get; init; } = [];
    public bool ReturnsHandle { get; init; }
    public bool DecryptFirstParameter { get; init; }
    public bool EncryptFirstResponseParameter { get; init; }
    public bool WritesNv { get; init; }

    /// <summary>The platform authorization of this command may be made to need physical presence with
    /// TPM2_PP_Commands (Part 3's "Physical Presence" column; the reference's PP_COMMAND attribute).</summary>
    public bool PhysicalPresence { get; init; }

    /// <summary>The platform authorization of this command always needs physical presence: it is in the
    /// list a new TPM starts with, and TPM2_PP_Commands cannot take it out (Part 3, 26.2: TPM2_PP_Commands
    /// itself; the reference's PP_REQUIRED, read by PhysicalPresencePreInstall_Init and
    /// PhysicalPresenceCommandClear).</summary>
    public bool PhysicalPresenceRequired { get; init; }

    /// <summary>Read-only mode refuses this command with TPM_RC_READ_ONLY before anything else is checked
    /// (Part 3, 24.12 TPM2_ReadOnlyControl; the commands with RO_DISALLOW in the reference's
    /// CommandAttributeData.h): those that change hierarchies, persistent objects, NV definitions, policies
    /// and auth values, and that create keys. NV_Write, NV_Extend, NV_SetBits, NV_WriteLock, NV_ReadLock and
    /// PolicySecret make their own, narrower check.</summary>
    public bool RefusedInReadOnlyMode { get; init; }

    /// <summary>The command writes an NV index it names, so an index's authValue or authPolicy authorizes
    /// it with TPMA_NV_AUTHWRITE / POLICYWRITE (Part 1, 19.7.4-19.7.5); the other commands that authorize
    /// with an index read it.</summary>
    public bool WritesNvIndex { get; init; }

    /// <summary>TPMA_CC extensive: the command may flush many objects (Part 2, 8.9).</summary>
    public bool Extensive { get; init; }

    /// <summary>TPMA_CC flushed: the command flushes any transient object in its handle area (Part 2, 8.9).</summary>
    public bool Flushed { get; init; }

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

    /// <summary>Unmarshals the parameter area, runs the body and marshals its response parameters.</summary>
    public abstract TpmRc Execute(Tpm tpm, ref CommandContext context);
}

/// <summary>A command with no parameters: any byte in the parameter area is TPM_RC_SIZE.</summary>
internal sealed record Command(TpmCc Code, CommandHandler Body) : CommandInfo(Code)
{
    public override TpmRc Execute(Tpm tpm, ref CommandContext context)
    {
        var rc = context.NoParameters();
        return rc != TpmRc.Success ? rc : Body(tpm, ref context);
    }
}

/// <summary>A command with no parameters whose response parameters are <typeparamref name="TOut"/>,
/// marshaled by the dispatcher when the body succeeds.</summary>
internal sealed record CommandOut<TOut>(TpmCc Code, OutputHandler<TOut> Body) : CommandInfo(Code)
    where TOut : struct, ITpmMarshal<TOut>
{
    public override TpmRc Execute(Tpm tpm, ref CommandContext context)
    {
        var rc = context.NoParameters();
        if (rc != TpmRc.Success) return rc;
        rc = Body(tpm, ref context, out TOut output);
        if (rc == TpmRc.Success) output.Write(ref context.Out);
        return rc;
    }
}

/// <summary>A command whose parameters are <typeparamref name="TIn"/>; the body writes its response
/// parameters itself (structures the generator does not describe, or written in place).</summary>
internal sealed record Command<TIn>(TpmCc Code, CommandHandler<TIn> Body) : CommandInfo(Code)
    where TIn : struct, ITpmMarshal<TIn>
{
    public override TpmRc Execute(Tpm tpm, ref CommandContext context)
    {
        var rc = context.ReadParameters(out TIn input);
        return rc != TpmRc.Success ? rc : Body(tpm, ref context, in input);
    }
}

/// <summary>A command whose parameters are <typeparamref name="TIn"/> and whose response parameters
/// are <typeparamref name="TOut"/>, marshaled by the dispatcher when the body succeeds.</summary>
internal sealed record Command<TIn, TOut>(TpmCc Code, CommandHandler<TIn, TOut> Body) : CommandInfo(Code)
    where TIn : struct, ITpmMarshal<TIn>
    where TOut : struct, ITpmMarshal<TOut>
{
    public override TpmRc Execute(Tpm tpm, ref CommandContext context)
    {
        var rc = context.ReadParameters(out TIn input);
        if (rc != TpmRc.Success) return rc;
        rc = Body(tpm, ref context, in input, out TOut output);
        if (rc == TpmRc.Success) output.Write(ref context.Out);
        return rc;
    }
}
