using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 29 "Clocks and Timers": ReadClock, ClockSet, ClockRateAdjust.</summary>
internal static partial class ClockTimer
{
    public static readonly CommandInfo[] Commands =
    [
        new CommandOut<ReadClockOut>(TpmCc.ReadClock, ReadClock),
        new Command<ClockSetIn>(TpmCc.ClockSet, ClockSet) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Provision, AuthRole.User)], WritesNv = true, PhysicalPresence = true },
        new Command<ClockRateAdjustIn>(TpmCc.ClockRateAdjust, ClockRateAdjust) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Provision, AuthRole.User)], PhysicalPresence = true },
    ];

    /// <summary>TPM2_ReadClock (Part 3, 29.1): TPMS_TIME_INFO.</summary>
    static TpmRc ReadClock(Tpm tpm, ref CommandContext c, out ReadClockOut o)
    {
        o = new ReadClockOut { CurrentTime = tpm.TimeInfo };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ReadClockOut
    {
        public TpmsTimeInfo CurrentTime;
    }

    /// <summary>The largest Clock value ClockSet accepts (Part 3, 29.2: the TPM must keep room to count).</summary>
    const ulong ClockMax = 0xFFFF000000000000;

    [TpmParameters]
    internal partial struct ClockSetIn
    {
        public ulong NewTime;
    }

    /// <summary>TPM2_ClockSet (Part 3, 29.2): Clock may only go forward.
    /// Codes: TPM_RC_VALUE (P1) for a time before the current Clock or above 0xFFFF000000000000.</summary>
    static TpmRc ClockSet(Tpm tpm, ref CommandContext c, in ClockSetIn p)
    {
        if (p.NewTime > ClockMax || p.NewTime < tpm.Clock) return TpmRc.Value.AtParameter(ClockSetIn.Param.NewTime);
        tpm.ClockSetValue(p.NewTime);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ClockRateAdjustIn
    {
        /// <summary>TPM_CLOCK_ADJUST: an INT8 from -3 (coarse slower) to 3 (coarse faster).</summary>
        public byte RateAdjust;
    }

    /// <summary>TPM2_ClockRateAdjust (Part 3, 29.3). Codes: TPM_RC_VALUE (P1) outside -3..3.</summary>
    static TpmRc ClockRateAdjust(Tpm tpm, ref CommandContext c, in ClockRateAdjustIn p)
    {
        sbyte step = unchecked((sbyte)p.RateAdjust);
        if (step < -3 || step > 3) return TpmRc.Value.AtParameter(ClockRateAdjustIn.Param.RateAdjust);
        tpm.ClockAdjustRate(step);
        return TpmRc.Success;
    }
}
