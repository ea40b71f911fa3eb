namespace Ftpm;

// Platform signals (the mssim platform port and swtpm's control channel map onto these).
public sealed partial class Tpm
{
    /// <summary>True between <see cref="PowerOn"/> and <see cref="PowerOff"/>.</summary>
    public bool IsPoweredOn => _poweredOn;

    /// <summary>True once TPM2_Startup has succeeded since the last _TPM_Init.</summary>
    public bool IsStarted => _started;

    /// <summary>Power on: runs _TPM_Init (Part 1, "TPM Initialization"). A no-op while already on: the mssim
    /// TCTI sends POWER_ON at every connection, and PCRs must not vanish between two tools.</summary>
    public void PowerOn()
    {
        if (_poweredOn) return;
        _poweredOn = true;
        TpmInit();
    }

    /// <summary>Power off: volatile state is lost. Without a prior Shutdown, the next startup is unorderly.</summary>
    public void PowerOff()
    {
        if (!_poweredOn) return;
        _poweredOn = false;
        _started = false;
        DropVolatileState();
    }

    /// <summary>_TPM_Init while powered (mssim SIGNAL_RESET, swtpm CMD_INIT): a power cycle without losing power.</summary>
    public void Reset()
    {
        PowerOff();
        PowerOn();
    }

    /// <summary>Test signal (mssim TEST_FAILURE_MODE; the reference's _plat__SetForceFailureMode): the next
    /// command puts the TPM into failure mode (Part 1, 12 "Failure Mode"), where it answers TPM_RC_FAILURE
    /// to everything but GetTestResult and GetCapability until the next _TPM_Init.</summary>
    public void ForceFailureMode() => _forceFailureMode = true;

    /// <summary>The TPM's timer stopped and restarted while power stayed on (mssim SIGNAL_RESTART; the
    /// reference's _plat__TimerRestart): Time is no longer continuous, so a new time epoch begins and
    /// policy timeouts and tickets with an expiration from the old one no longer hold (Part 1, 36.x
    /// "Timing"; the reference's TimeNewEpoch). Ignored while power is off.</summary>
    public void RestartTimer()
    {
        if (_poweredOn) NewTimeEpoch();
    }

    /// <summary>_TPM_Hash_Start (H-CRTM, Part 3, 11.2): begins a measurement at locality 4 before Startup.</summary>
    public void HashStart() => HcrtmStart();

    /// <summary>_TPM_Hash_Data: adds bytes to the H-CRTM measurement.</summary>
    public void HashData(ReadOnlySpan<byte> data) => HcrtmData(data);

    /// <summary>_TPM_Hash_End: extends the measurement into PCR 0 of every bank.</summary>
    public void HashEnd() => HcrtmEnd();
}
