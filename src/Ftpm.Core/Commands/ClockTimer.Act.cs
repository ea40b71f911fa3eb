using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

// Part 3, 29.8: ACT_SetTimeout, the one command of the Authenticated Countdown Timers (the state and the
// countdown are in Tpm.Act.cs).
internal static partial class ClockTimer
{
    internal static readonly CommandInfo[] ActCommands =
    [
        new Command<ActSetTimeoutIn>(TpmCc.ActSetTimeout, ActSetTimeout) { Handles = [new(HandleKinds.Act, AuthRole.User)] },
    ];

    [TpmParameters]
    internal partial struct ActSetTimeoutIn
    {
        /// <summary>Seconds until the ACT signals; UINT32_MAX stops a signaling ACT without a countdown.</summary>
        public uint StartTimeout;
    }

    /// <summary>TPM2_ACT_SetTimeout (Part 3, 29.8): starts the ACT's countdown from startTimeout seconds,
    /// which ends its signal; 0 makes a running countdown expire now. Authorized by platformAuth or the ACT's
    /// policy. Codes: TPM_RC_VALUE (H1) for an ACT this TPM does not implement (handle check); TPM_RC_VALUE
    /// (P1) for UINT32_MAX while the ACT is not signaling.</summary>
    static TpmRc ActSetTimeout(Tpm tpm, ref CommandContext c, in ActSetTimeoutIn p)
    {
        if (p.StartTimeout == uint.MaxValue && !tpm.ActGet(c.Handles[0]).Signaled)
            return TpmRc.Value.AtParameter(ActSetTimeoutIn.Param.StartTimeout);
        tpm.ActSetTimeout(c.Handles[0], p.StartTimeout);
        return TpmRc.Success;
    }
}
