using System.Security.Cryptography;
using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_PolicyTransportSPDM (Part 3, 23.26, 1.84): the digest update, the Name checks with their
/// positions, and the authorization that cannot succeed without an SPDM secure channel (TPM_RC_CHANNEL).</summary>
public sealed class PolicyTransportSpdmTests
{
    const uint Owner = 0x40000001;
    static readonly byte[] Zero32 = new byte[32];
    readonly TpmTestHost _host = new();

    static byte[] H(params byte[][] parts) => SHA256.HashData(Cmd.Cat(parts));
    static byte[] Cc(TpmCc code) => Cmd.U32((uint)code);

    Response Spdm(uint session, byte[] reqKeyName, byte[] tpmKeyName) =>
        _host.Run(TpmCc.PolicyTransportSPDM, Cmd.Cat(Cmd.Sized(reqKeyName), Cmd.Sized(tpmKeyName)), [session]);

    byte[] Digest(uint session)
    {
        var r = _host.Run(TpmCc.PolicyGetDigest, handles: [session]);
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.Body[2..];
    }

    [Fact]
    public void DigestsAndCodes()
    {
        var t = SessionClient.Start(_host, TpmSe.Trial);
        Assert.Equal(TpmRc.Success, Spdm(t.Handle, [], []).Rc);
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyTransportSPDM)), Digest(t.Handle));
        // Once per session: TPM_RC_VALUE, until PolicyRestart.
        Assert.Equal((TpmRc)0x084, Spdm(t.Handle, [], []).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyRestart, handles: [t.Handle]).Rc);

        var reqName = Cmd.Cat(Cmd.U16(0x000B), SHA256.HashData("requester"u8));
        Assert.Equal(TpmRc.Success, Spdm(t.Handle, reqName, []).Rc);
        var scKeyNameHash = H(Cmd.U16((ushort)reqName.Length), reqName, Cmd.U16(0));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyTransportSPDM), scKeyNameHash), Digest(t.Handle));

        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyRestart, handles: [t.Handle]).Rc);
        Assert.Equal((TpmRc)0x1D5, Spdm(t.Handle, [0x00], []).Rc);                                  // TPM_RC_SIZE + P1: shorter than a hash id
        Assert.Equal((TpmRc)0x1C3, Spdm(t.Handle, Cmd.Cat(Cmd.U16(0x0010), new byte[32]), []).Rc); // TPM_RC_HASH + P1: NULL
        Assert.Equal((TpmRc)0x2D5, Spdm(t.Handle, [], Cmd.Cat(Cmd.U16(0x000B), new byte[20])).Rc); // TPM_RC_SIZE + P2: not a SHA-256 digest
        Assert.Equal((TpmRc)0x2C3, Spdm(t.Handle, [], Cmd.Cat(Cmd.U16(0x0027), new byte[32])).Rc); // TPM_RC_HASH + P2: SHA3-256 not implemented
        Assert.Equal((TpmRc)0x1D5, Spdm(t.Handle, new byte[67], []).Rc);                          // TPM_RC_SIZE + P1: over a TPM2B_NAME
        Assert.Equal(Zero32, Digest(t.Handle));                                                   // nothing changed
        Assert.Equal((TpmRc)0x184, Spdm(0x02000000, [], []).Rc);                                  // TPM_RC_VALUE + H1: an HMAC session handle
        Assert.Equal((TpmRc)0x910, Spdm(0x03000010, [], []).Rc);                                  // TPM_RC_REFERENCE_H0: no such session
    }

    /// <summary>An owner policy with PolicyTransportSPDM: the policy session's digest matches, but the
    /// command did not come through an SPDM session, so authorization fails with TPM_RC_CHANNEL + S1; the
    /// flag survives ContextSave/ContextLoad.</summary>
    [Fact]
    public void AuthorizationNeedsASecureChannel()
    {
        var policy = H(H(Zero32, Cc(TpmCc.PolicyTransportSPDM)), Cc(TpmCc.PolicyCommandCode), Cc(TpmCc.ClockSet));
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SetPrimaryPolicy, [Owner], [[]],
            Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256))).Rc);
        var s = SessionClient.Start(_host, TpmSe.Policy);
        s.BoundTo = Owner;
        Assert.Equal(TpmRc.Success, Spdm(s.Handle, [], []).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyCommandCode, Cc(TpmCc.ClockSet), [s.Handle]).Rc);
        Assert.Equal(policy, Digest(s.Handle));

        var saved = _host.Run(TpmCc.ContextSave, Cmd.U32(s.Handle));
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.ContextLoad, saved.Body).Rc);

        var parameters = Cmd.U64(1UL << 41);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.ClockSet, [SessionClient.HandleName(Owner)], parameters);
        var r = _host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.ClockSet, [Owner], s.AuthCommand(cp, 1, Owner, []), parameters));
        Assert.Equal((TpmRc)0x9B0, r.Rc);                                                         // TPM_RC_CHANNEL + S1
    }
}
