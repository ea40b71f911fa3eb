using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm;

// Time and Clock (Part 1, 36): Time counts milliseconds since _TPM_Init; Clock counts milliseconds
// the TPM has been powered in its life, is kept in NV at least every 2^NV_CLOCK_UPDATE_INTERVAL ms,
// can only be advanced (ClockSet) and its rate nudged (ClockRateAdjust).
public sealed partial class Tpm
{
    /// <summary>2^22 ms (about 70 minutes): the longest Clock may run ahead of its NV copy.</summary>
    internal const ulong ClockNvUpdateInterval = 1UL << 22;

    /// <summary>CLOCK_NOMINAL and the adjust steps of the reference implementation; the total
    /// adjustment is limited to CLOCK_ADJUST_LIMIT (about 16 %).</summary>
    const int ClockNominal = 30000;
    const int ClockAdjustLimit = 5000;
    static readonly int[] ClockAdjustSteps = [300, 30, 1];

    ulong _timerAtInit;
    ulong _timerAtSync;
    ulong _clockAtSync;
    int _clockAdjust;
    bool _clockSafe;

    void ClockInit()
    {
        _timerAtInit = _timerAtSync = _platform.TimerMilliseconds;
        _clockAtSync = _persistent.Clock;
        _clockAdjust = 0;
        // After a shutdown without TPM2_Shutdown, Clock resumes from its last NV copy and may
        // have gone back: it is not "safe" until that copy is next updated (Part 1, 36.6).
        _clockSafe = _persistent.OrderlyState != PersistentData.NoOrderlyShutdown;
    }

    /// <summary>Milliseconds since _TPM_Init.</summary>
    internal ulong Time => _platform.TimerMilliseconds - _timerAtInit;

    internal ulong Clock
    {
        get
        {
            ulong elapsed = _platform.TimerMilliseconds - _timerAtSync;
            return _clockAtSync + elapsed * (ulong)(ClockNominal + _clockAdjust) / ClockNominal;
        }
    }

    internal TpmsClockInfo ClockInfo => new()
    {
        Clock = Clock,
        ResetCount = _persistent.ResetCount,
        RestartCount = _persistent.RestartCount,
        Safe = _clockSafe ? (byte)1 : (byte)0,
    };

    internal TpmsTimeInfo TimeInfo => new() { Time = Time, ClockInfo = ClockInfo };

    /// <summary>Sets Clock and writes it to NV with the running command (ClockSet).</summary>
    internal void ClockSetValue(ulong value)
    {
        _timerAtSync = _platform.TimerMilliseconds;
        _clockAtSync = value;
        PersistClock(value);
    }

    /// <summary>TPM2_ClockRateAdjust: -3..3, coarse/medium/fine slower or faster.</summary>
    internal void ClockAdjustRate(sbyte step)
    {
        if (step == 0) return;
        // Rebase first so the time already elapsed keeps the old rate.
        _clockAtSync = Clock;
        _timerAtSync = _platform.TimerMilliseconds;
        int amount = ClockAdjustSteps[3 - Math.Abs((int)step)];
        _clockAdjust = Math.Clamp(_clockAdjust + Math.Sign(step) * amount, -ClockAdjustLimit, ClockAdjustLimit);
    }

    void ClockMaybePersist()
    {
        ulong now = Clock;
        if (now - _persistent.Clock >= ClockNvUpdateInterval) PersistClock(now);
    }

    void PersistClock(ulong value)
    {
        _persistent.Clock = value;
        _clockSafe = true;
        StagePersistent();
    }
}
