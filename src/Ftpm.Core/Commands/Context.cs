using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 28 "Context Management". TPM2_FlushContext for transient objects (sequences now,
/// keys with the keys issue); ContextSave/ContextLoad and sessions come with those issues.</summary>
internal static partial class Context
{
    public static readonly CommandInfo[] Commands =
    [
        new(TpmCc.FlushContext, FlushContext),
    ];

    [TpmParameters]
    internal partial struct FlushContextIn
    {
        /// <summary>TPMI_DH_CONTEXT: a transient object or a session. It is a parameter, not a handle, of this command.</summary>
        public uint FlushHandle;
    }

    /// <summary>TPM2_FlushContext (Part 3, 28.4). Codes: TPM_RC_VALUE (P1) for a handle that is no
    /// transient object or session, TPM_RC_HANDLE (P1) for one that is not loaded.</summary>
    static TpmRc FlushContext(Tpm tpm, ref CommandContext c)
    {
        var rc = c.ReadParameters(out FlushContextIn p);
        if (rc != TpmRc.Success) return rc;
        var kind = Tpm.KindOf(p.FlushHandle);
        if ((kind & (HandleKinds.Transient | HandleKinds.HmacSession | HandleKinds.PolicySession)) == 0)
            return TpmRc.Value.AtParameter(1);
        if (kind != HandleKinds.Transient || tpm.Objects.Get(p.FlushHandle) is null)
            return TpmRc.Handle.AtParameter(1);
        tpm.Objects.Remove(p.FlushHandle);
        return TpmRc.Success;
    }
}
