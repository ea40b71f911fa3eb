using Ftpm.Auth;

namespace Ftpm;

// Dictionary-attack protection (Part 1, 19.8 "Dictionary Attack Protection"). Each authorization
// failure with the authValue of a DA-protected entity (TPM_RH_LOCKOUT, objects and NV indices without
// noDA) counts: failedTries rises until maxTries, then such entities answer TPM_RC_LOCKOUT; every
// recoveryTime seconds of power-on time one failure is forgotten. A failure with lockoutAuth instead
// disables lockoutAuth for lockoutRecovery seconds. The counts live in NV (PersistentData) and are
// written even though the failing command is refused, so that a power cycle does not reset them.
public sealed partial class Tpm
{
    /// <summary>Time of the last failure that counted (selfHealTimer) and of the last lockoutAuth failure.</summary>
    ulong _selfHealTimer;
    ulong _lockoutTimer;

    /// <summary>Whether the running command changed DA state that must be committed even if it fails.</summary>
    bool _daChanged;

    /// <summary>Whether NV can be written now, as the platform reports it (the reference's NvCheckState):
    /// TPM_RC_NV_UNAVAILABLE when it cannot, TPM_RC_NV_RATE when it is rate-limiting writes.</summary>
    TpmRc NvStatus() => !_platform.NvAvailable ? TpmRc.NvUnavailable
        : _platform.NvRateLimited ? TpmRc.NvRate : TpmRc.Success;

    /// <summary>Part 1, 19.8.x: TPM_RC_LOCKOUT when lockoutAuth is disabled (for TPM_RH_LOCKOUT) or
    /// failedTries has reached maxTries (for other protected entities). Before that,
    /// TPM_RC_NV_UNAVAILABLE (or TPM_RC_NV_RATE) while NV cannot be written: a failure could not be recorded, and an
    /// attacker who cuts NV off must not get guesses that are never counted.</summary>
    TpmRc CheckLockedOut(bool lockoutAuthCheck)
    {
        // The same while a failed commit left the count unsaved: it is retried with every command.
        if (NvStatus() is var nv and not TpmRc.Success) return nv;
        if (_persistentUnsaved) return TpmRc.NvUnavailable;
        if (lockoutAuthCheck) return _persistent.LockoutAuthEnabled ? TpmRc.Success : TpmRc.Lockout;
        return _persistent.FailedTries >= _persistent.MaxTries ? TpmRc.Lockout : TpmRc.Success;
    }

    /// <summary>
    /// After a wrong password or HMAC (the reference's IncrementLockout): TPM_RC_BAD_AUTH when the
    /// failure does not count (the entity is DA-exempt, or the session did not use its authValue and is
    /// not bound to a protected entity); otherwise the failure counts and the answer is TPM_RC_AUTH_FAIL.
    /// A session bound to lockout makes the failure one of lockoutAuth.
    /// </summary>
    TpmRc IncrementLockout(ref AuthCommand s)
    {
        uint handle = s.Authorizes ? s.AssociatedHandle : (uint)TpmRh.Unassigned;
        var session = s.Session;
        if (session is null)
        {
            if (IsDaExempt(handle)) return TpmRc.BadAuth;
        }
        else
        {
            if (session.IsLockoutBound) handle = (uint)TpmRh.Lockout;
            if (!session.IsDaBound && (IsDaExempt(handle) || !session.IncludeAuth)) return TpmRc.BadAuth;
        }

        if (handle == (uint)TpmRh.Lockout)
        {
            _persistent.LockoutAuthEnabled = false;
            _lockoutTimer = Time;
            // With lockoutRecovery 0 lockoutAuth comes back at the next startup: nothing to keep in NV.
            if (_persistent.LockoutRecovery != 0) _daChanged = true;
        }
        else
        {
            if (_persistent.RecoveryTime != 0)
            {
                _persistent.FailedTries++;
                _daChanged = true;
            }
            _selfHealTimer = Time;
        }
        return TpmRc.AuthFail;
    }

    /// <summary>Time-based recovery, run before every command (the reference's DASelfHeal): one failure is
    /// forgotten per recoveryTime seconds since the last one; lockoutAuth comes back lockoutRecovery
    /// seconds after its failure.</summary>
    void DaSelfHeal()
    {
        ulong now = Time;
        var p = _persistent;
        if (p.FailedTries != 0)
        {
            if (p.RecoveryTime == 0)
            {
                p.FailedTries = 0;
                StagePersistent();
            }
            else
            {
                ulong decrease = (now - _selfHealTimer) / 1000 / p.RecoveryTime;
                if (decrease != 0)
                {
                    p.FailedTries = p.FailedTries <= decrease ? 0 : p.FailedTries - (uint)decrease;
                    _selfHealTimer += decrease * p.RecoveryTime * 1000;
                    StagePersistent();
                }
            }
        }
        if (!p.LockoutAuthEnabled && p.LockoutRecovery != 0 && (now - _lockoutTimer) / 1000 >= p.LockoutRecovery)
        {
            p.LockoutAuthEnabled = true;
            StagePersistent();
        }
    }

    /// <summary>At Startup (the reference's DAStartup): the recovery timers start over; lockoutAuth is
    /// usable again when lockoutRecovery is 0; a startup after a shutdown without TPM2_Shutdown counts as
    /// one failure (an attacker could otherwise power-cycle between guesses).</summary>
    internal void DaStartup(bool previousShutdownWasOrderly)
    {
        _selfHealTimer = 0;
        _lockoutTimer = 0;
        var p = _persistent;
        if (p.LockoutRecovery == 0) p.LockoutAuthEnabled = true;
        if (p.RecoveryTime != 0 && p.FailedTries < p.MaxTries && !previousShutdownWasOrderly) p.FailedTries++;
    }

    /// <summary>TPM2_DictionaryAttackLockReset and TPM2_Clear: failedTries back to 0.</summary>
    internal void DaLockReset()
    {
        _persistent.FailedTries = 0;
        StagePersistent();
    }

    /// <summary>TPM2_DictionaryAttackParameters: new limits; failedTries starts over.</summary>
    internal void DaSetParameters(uint maxTries, uint recoveryTime, uint lockoutRecovery)
    {
        var p = _persistent;
        p.MaxTries = maxTries;
        p.RecoveryTime = recoveryTime;
        p.LockoutRecovery = lockoutRecovery;
        p.FailedTries = 0;
        _selfHealTimer = Time;
        _lockoutTimer = Time;
        StagePersistent();
    }

    /// <summary>TPM2_Clear: the DA state of a new TPM (the reference's DAPreInstall_Init).</summary>
    internal void DaReset()
    {
        var p = _persistent;
        p.FailedTries = 0;
        p.MaxTries = 3;
        p.RecoveryTime = 1000;
        p.LockoutRecovery = 1000;
        p.LockoutAuthEnabled = true;
        StagePersistent();
    }

    /// <summary>TPMA_PERMANENT inLockout: failedTries has reached maxTries.</summary>
    internal bool InLockout => _persistent.FailedTries >= _persistent.MaxTries;
}
