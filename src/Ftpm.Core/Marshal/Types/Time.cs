namespace Ftpm.Marshal;

/// <summary>TPMS_CLOCK_INFO (Part 2, 10.11.1).</summary>
[TpmStruct("TPMS_CLOCK_INFO")]
internal partial struct TpmsClockInfo
{
    public ulong Clock;
    public uint ResetCount;
    public uint RestartCount;
    [Check(nameof(TpmCheck.YesNo))] public byte Safe;
}

/// <summary>TPMS_TIME_INFO (Part 2, 10.11.6).</summary>
[TpmStruct("TPMS_TIME_INFO")]
internal partial struct TpmsTimeInfo
{
    public ulong Time;
    public TpmsClockInfo ClockInfo;
}
