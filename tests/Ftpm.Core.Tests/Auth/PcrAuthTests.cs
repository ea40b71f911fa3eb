using System.Security.Cryptography;

namespace Ftpm.Tests.Auth;

/// <summary>PCR authorization groups (Part 3, 22.6-22.7): PCRs 20-22 share one authValue and one policy;
/// codes as libtpms gives them (checked against swtpm).</summary>
public class PcrAuthTests
{
    const uint Platform = 0x4000000C;
    static readonly byte[] Zero32 = new byte[32];

    static TpmRc Reset(TpmTestHost host, uint pcr, byte[] password, byte locality = 2) =>
        host.RunWithPasswords(TpmCc.PcrReset, [pcr], [password], locality: locality).Rc;

    [Fact]
    public void Pcr_group_auth_value_protects_pcrs_20_to_22_until_startup_clear()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Value, host.RunWithPasswords(TpmCc.PcrSetAuthValue, [16], [[]], Cmd.Sized("x"u8.ToArray())).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrSetAuthValue, [20], [[]], Cmd.Sized([1, 2, 0])).Rc);
        Assert.Equal((TpmRc)0x9A2, Reset(host, 21, []));                 // the whole group: BAD_AUTH (PCRs are DA-exempt)
        Assert.Equal(TpmRc.Success, Reset(host, 21, [1, 2]));
        Assert.Equal(TpmRc.Success, Reset(host, 16, [], 0));             // outside the group: empty auth

        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(1)).Rc);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(1)).Rc);   // Resume keeps it
        Assert.Equal(TpmRc.Success, Reset(host, 22, [1, 2]));
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);   // Reset clears it
        Assert.Equal(TpmRc.Success, Reset(host, 22, []));
    }

    [Fact]
    public void Pcr_group_policy_requires_a_policy_session()
    {
        var host = new TpmTestHost();
        var policy = SHA256.HashData(Cmd.Cat(Zero32, Cmd.U32((uint)TpmCc.PolicyLocality), [0x04]));
        Assert.Equal((TpmRc)0x1D5, host.RunWithPasswords(TpmCc.PcrSetAuthPolicy, [Platform], [[]],
            Cmd.Cat(Cmd.Sized(new byte[20]), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(21))).Rc);
        Assert.Equal((TpmRc)0x3C4, host.RunWithPasswords(TpmCc.PcrSetAuthPolicy, [Platform], [[]],
            Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(16))).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrSetAuthPolicy, [Platform], [[]],
            Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(21))).Rc);
        Assert.Equal(TpmRc.AuthType, Reset(host, 20, []));                // a password no longer does

        var s = SessionClient.Start(host, TpmSe.Policy);
        s.BoundTo = 20;                                                    // no PolicyAuthValue: empty HMAC key
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyLocality, [0x04], [s.Handle]).Rc);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.PcrReset, [SessionClient.HandleName(20)], []);
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [20], s.AuthCommand(cp, 1, 20, []), []), locality: 2);
        Assert.Equal(TpmRc.Success, r.Rc);

        // Clearing the policy (NULL, empty) restores the authValue path; ChangePPS also removes it.
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrSetAuthPolicy, [Platform], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.U16((ushort)TpmAlgId.Null), Cmd.U32(21))).Rc);
        Assert.Equal(TpmRc.Success, Reset(host, 20, []));
    }
}
