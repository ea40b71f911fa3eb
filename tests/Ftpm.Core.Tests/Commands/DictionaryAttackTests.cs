using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>Dictionary-attack protection (Part 1, 19.8; Part 3, 25), codes as libtpms gives them.</summary>
public class DictionaryAttackTests
{
    const uint Owner = 0x40000001, Lockout = 0x4000000A;

    static TpmRc Run(TpmTestHost host, TpmCc code, uint handle, byte[] parameters, byte[]? password = null) =>
        host.RunWithPasswords(code, [handle], [password ?? []], parameters).Rc;

    static byte[] DaParameters(uint maxTries, uint recovery, uint lockoutRecovery) =>
        Cmd.Cat(Cmd.U32(maxTries), Cmd.U32(recovery), Cmd.U32(lockoutRecovery));

    [Fact]
    public void Wrong_lockout_password_locks_lockout_auth_until_lockout_recovery()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackParameters, Lockout, DaParameters(3, 1000, 2)));
        Assert.Equal((TpmRc)0x98E, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, [], [9]));   // AUTH_FAIL + S1
        Assert.Equal((TpmRc)0x921, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));        // LOCKOUT, even with the right one
        Thread.Sleep(2100);
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
    }

    /// <summary>With NV unavailable a DA-protected authorization is not even checked (a failure could
    /// not be recorded): TPM_RC_NV_UNAVAILABLE, and lockoutAuth stays usable afterwards.</summary>
    [Fact]
    public void Da_protected_authorization_waits_for_nv()
    {
        var host = new TpmTestHost();
        host.Platform.NvAvailable = false;
        Assert.Equal((TpmRc)0x923, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, [], [9]));
        Assert.Equal((TpmRc)0x923, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
        host.Platform.NvAvailable = true;
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
        Assert.Equal(0u, AuthTestHelpers.Property(host, TpmPt.LockoutCounter));
    }

    [Fact]
    public void Lockout_state_survives_a_power_cycle()
    {
        var store = new Ports.MemoryNvStore();
        var host = new TpmTestHost(store);
        Assert.Equal((TpmRc)0x98E, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, [], [9]));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(0)).Rc);
        host.Tpm.PowerOff();
        var again = new TpmTestHost(store);
        Assert.Equal((TpmRc)0x921, Run(again, TpmCc.DictionaryAttackLockReset, Lockout, []));
    }

    [Fact]
    public void Lockout_recovery_zero_restores_lockout_auth_at_the_next_startup()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackParameters, Lockout, DaParameters(3, 1000, 0)));
        Assert.Equal((TpmRc)0x98E, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, [], [9]));
        Assert.Equal((TpmRc)0x921, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(0)).Rc);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
    }

    [Fact]
    public void Unorderly_startups_count_as_failures_and_lock_reset_clears_them()
    {
        var host = new TpmTestHost();
        Assert.Equal(0u, AuthTestHelpers.Property(host, TpmPt.LockoutCounter));
        for (int i = 1; i <= 3; i++)
        {
            host.Tpm.Reset();                                            // no Shutdown
            Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
            Assert.Equal((uint)i, AuthTestHelpers.Property(host, TpmPt.LockoutCounter));
        }
        Assert.NotEqual(0u, AuthTestHelpers.Permanent(host) & (1u << 9));  // inLockout
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Equal(3u, AuthTestHelpers.Property(host, TpmPt.LockoutCounter)); // no further than maxTries
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
        Assert.Equal(0u, AuthTestHelpers.Property(host, TpmPt.LockoutCounter));
        Assert.Equal(0u, AuthTestHelpers.Permanent(host) & (1u << 9));
    }

    [Fact]
    public void Parameters_are_reported_and_zero_recovery_time_forgets_failures()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackParameters, Lockout, DaParameters(7, 20, 30)));
        Assert.Equal(7u, AuthTestHelpers.Property(host, TpmPt.MaxAuthFail));
        Assert.Equal(20u, AuthTestHelpers.Property(host, TpmPt.LockoutInterval));
        Assert.Equal(30u, AuthTestHelpers.Property(host, TpmPt.LockoutRecovery));
        Assert.Equal((TpmRc)0x184, Run(host, TpmCc.DictionaryAttackParameters, Owner, DaParameters(1, 1, 1)));
        Assert.Equal((TpmRc)0x184, Run(host, TpmCc.DictionaryAttackLockReset, Owner, []));
    }

    [Fact]
    public void Session_bound_to_lockout_makes_a_wrong_hmac_a_lockout_failure()
    {
        // Part 1, 19.8: a failure through a session bound to lockoutAuth counts against lockoutAuth,
        // whatever the session authorizes (here: the owner, which is DA-exempt).
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, bind: Lockout);
        var parameters = Cmd.U64(1UL << 41);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.ClockSet, [SessionClient.HandleName(Owner)], parameters);
        var auth = s.AuthCommand(cp, 1, Owner, []);
        auth[^1] ^= 1;
        Assert.Equal((TpmRc)0x98E, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.ClockSet, [Owner], auth, parameters)).Rc);
        Assert.Equal((TpmRc)0x921, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
        // The session itself is refused while lockoutAuth is locked out.
        auth = s.AuthCommand(cp, 1, Owner, []);
        Assert.Equal((TpmRc)0x921, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.ClockSet, [Owner], auth, parameters)).Rc);
    }
}
