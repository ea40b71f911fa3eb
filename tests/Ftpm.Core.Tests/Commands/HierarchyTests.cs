using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>Part 3, 24 hierarchy commands; codes as libtpms gives them (checked against swtpm).</summary>
public class HierarchyTests
{
    const uint Owner = 0x40000001, Null = 0x40000007, Lockout = 0x4000000A, Endorsement = 0x4000000B,
        Platform = 0x4000000C, PlatformNv = 0x4000000D;

    static TpmRc Run(TpmTestHost host, TpmCc code, uint handle, byte[] parameters, byte[]? password = null) =>
        host.RunWithPasswords(code, [handle], [password ?? []], parameters).Rc;

    static TpmRc ClockSet(TpmTestHost host, byte[] ownerPassword) =>
        Run(host, TpmCc.ClockSet, Owner, Cmd.U64(1UL << 40), ownerPassword);

    [Fact]
    public void Change_auth_of_owner_then_owner_commands_need_the_new_value()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Owner, Cmd.Sized("new"u8.ToArray())));
        Assert.Equal((TpmRc)0x9A2, ClockSet(host, []));
        Assert.Equal(TpmRc.Success, ClockSet(host, "new"u8.ToArray()));
        Assert.Equal(TpmRc.Success, ClockSet(host, [.. "new"u8, 0, 0]));    // trailing zeros are no part of it
        Assert.True(AuthTestHelpers.Permanent(host) is var p && (p & 1) != 0, "ownerAuthSet");
    }

    [Fact]
    public void Change_auth_takes_64_octets_and_trims_trailing_zeros()
    {
        var host = new TpmTestHost();
        var auth = Enumerable.Repeat((byte)'a', 64).ToArray();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Owner, Cmd.Sized(auth)));
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Owner, Cmd.Sized([1, 2, 0, 0]), auth));
        Assert.Equal(TpmRc.Success, ClockSet(host, [1, 2]));
        Assert.Equal((TpmRc)0x1D5, Run(host, TpmCc.HierarchyChangeAuth, Owner, Cmd.Sized(new byte[65]), [1, 2]));
        Assert.Equal((TpmRc)0x184, Run(host, TpmCc.HierarchyChangeAuth, Null, Cmd.Sized([1])));
    }

    [Fact]
    public void Response_hmac_of_change_auth_uses_the_new_value()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host);
        var parameters = Cmd.Sized("fresh"u8.ToArray());
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.HierarchyChangeAuth, [SessionClient.HandleName(Owner)], parameters);
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.HierarchyChangeAuth, [Owner], s.AuthCommand(cp, 1, Owner, []), parameters));
        Assert.Equal(TpmRc.Success, r.Rc);
        s.CheckResponse(r.Bytes, 14, TpmCc.HierarchyChangeAuth, [], Owner, "fresh"u8.ToArray());
    }

    [Fact]
    public void Platform_auth_is_volatile()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Platform, Cmd.Sized([7])));
        Assert.Equal((TpmRc)0x9A2, Run(host, TpmCc.ChangePPS, Platform, []));
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.ChangePPS, Platform, []));
    }

    [Fact]
    public void Set_primary_policy_codes_and_state()
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x1D5, Run(host, TpmCc.SetPrimaryPolicy, Owner, Cmd.Cat(Cmd.Sized(new byte[20]), Cmd.U16((ushort)TpmAlgId.Sha256))));
        Assert.Equal((TpmRc)0x1D5, Run(host, TpmCc.SetPrimaryPolicy, Owner, Cmd.Cat(Cmd.Sized(new byte[20]), Cmd.U16((ushort)TpmAlgId.Null))));
        Assert.Equal((TpmRc)0x2C3, Run(host, TpmCc.SetPrimaryPolicy, Owner, Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x99))));
        var policy = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.SetPrimaryPolicy, Lockout, Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256))));
        Assert.Equal(policy, host.Tpm.AuthPolicyOf(Lockout, out var alg).ToArray());
        Assert.Equal(TpmAlgId.Sha256, alg);
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.SetPrimaryPolicy, Lockout, Cmd.Cat(Cmd.Sized([]), Cmd.U16((ushort)TpmAlgId.Null))));
        Assert.Equal(0, host.Tpm.AuthPolicyOf(Lockout, out _).Length);
    }

    [Fact]
    public void Hierarchy_control_rules()
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x124, Run(host, TpmCc.HierarchyControl, Owner, Cmd.Cat(Cmd.U32(Platform), [1])));     // AUTH_TYPE
        Assert.Equal((TpmRc)0x124, Run(host, TpmCc.HierarchyControl, Owner, Cmd.Cat(Cmd.U32(Endorsement), [0])));
        Assert.Equal((TpmRc)0x1C4, Run(host, TpmCc.HierarchyControl, Owner, Cmd.Cat(Cmd.U32(Lockout), [1])));      // VALUE + P1
        Assert.Equal((TpmRc)0x2C4, Run(host, TpmCc.HierarchyControl, Owner, Cmd.Cat(Cmd.U32(Owner), [2])));        // VALUE + P2

        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyControl, Owner, Cmd.Cat(Cmd.U32(Owner), [0])));
        Assert.Equal((TpmRc)0x185, ClockSet(host, []));                                                                // HIERARCHY + H1
        Assert.Equal(0x0Du, AuthTestHelpers.StartupClear(host) & 0xF);                                         // ph, eh, phNV
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyControl, Platform, Cmd.Cat(Cmd.U32(Owner), [1])));
        Assert.Equal(TpmRc.Success, ClockSet(host, []));

        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyControl, Platform, Cmd.Cat(Cmd.U32(PlatformNv), [0])));
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyControl, Platform, Cmd.Cat(Cmd.U32(Platform), [0])));
        Assert.Equal((TpmRc)0x185, Run(host, TpmCc.ChangePPS, Platform, []));
        // A TPM Reset enables everything again.
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Equal(0x0Fu, AuthTestHelpers.StartupClear(host) & 0xF);
    }

    [Fact]
    public void Disabled_owner_hierarchy_stays_disabled_across_resume_only()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyControl, Owner, Cmd.Cat(Cmd.U32(Owner), [0])));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(1)).Rc);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(1)).Rc);    // Resume
        Assert.Equal((TpmRc)0x185, ClockSet(host, []));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(1)).Rc);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);    // Restart
        Assert.Equal(TpmRc.Success, ClockSet(host, []));
    }

    [Fact]
    public void Clear_control_and_clear()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Owner, Cmd.Sized([1])));
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Lockout, Cmd.Sized([2])));
        Assert.Equal((TpmRc)0x08E, Run(host, TpmCc.ClearControl, Lockout, [0], [2]));     // only the platform may re-enable
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.ClearControl, Lockout, [1], [2]));
        Assert.Equal((TpmRc)0x120, Run(host, TpmCc.Clear, Lockout, [], [2]));             // TPM_RC_DISABLED
        Assert.Equal((TpmRc)0x184, Run(host, TpmCc.ClearControl, Owner, [0], [1]));
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.ClearControl, Platform, [0]));

        var storageSeed = host.Tpm.Persistent.StorageSeed.ToArray();
        var endorsementSeed = host.Tpm.Persistent.EndorsementSeed.ToArray();
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.Clear, Lockout, [], [2]));
        Assert.NotEqual(storageSeed, host.Tpm.Persistent.StorageSeed);
        Assert.Equal(endorsementSeed, host.Tpm.Persistent.EndorsementSeed);
        Assert.Equal(TpmRc.Success, ClockSet(host, []));                                  // owner auth removed
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.DictionaryAttackLockReset, Lockout, []));
        Assert.Equal(0u, host.Tpm.Persistent.ResetCount);
    }

    [Fact]
    public void Change_eps_and_pps_replace_seeds_and_proofs()
    {
        var host = new TpmTestHost();
        var p = host.Tpm.Persistent;
        var (eps, pps, ehProof, phProof) = (p.EndorsementSeed.ToArray(), p.PlatformSeed.ToArray(), p.EndorsementProof.ToArray(), p.PlatformProof.ToArray());
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.HierarchyChangeAuth, Endorsement, Cmd.Sized([3])));
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.ChangeEPS, Platform, []));
        Assert.Equal(TpmRc.Success, Run(host, TpmCc.ChangePPS, Platform, []));
        Assert.NotEqual(eps, p.EndorsementSeed);
        Assert.NotEqual(pps, p.PlatformSeed);
        Assert.NotEqual(ehProof, p.EndorsementProof);
        Assert.NotEqual(phProof, p.PlatformProof);
        Assert.Empty(p.EndorsementAuth);
        Assert.Equal((TpmRc)0x184, Run(host, TpmCc.ChangeEPS, Owner, []));
    }
}
