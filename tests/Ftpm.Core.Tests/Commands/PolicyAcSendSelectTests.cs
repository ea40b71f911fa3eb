using System.Security.Cryptography;
using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_Policy_AC_SendSelect (Part 3, 32.4): the digest, the session's cpHash and command code
/// (TPM_CC_AC_Send), and the codes of a session that already has either.</summary>
public sealed class PolicyAcSendSelectTests
{
    static readonly byte[] Zero32 = new byte[32];
    readonly TpmTestHost _host = new();

    static byte[] H(params byte[][] parts) => SHA256.HashData(Cmd.Cat(parts));

    Response Select(uint session, byte[] objectName, byte[] authName, byte[] acName, byte include) =>
        _host.Run(TpmCc.PolicyAcSendSelect, Cmd.Cat(Cmd.Sized(objectName), Cmd.Sized(authName), Cmd.Sized(acName), [include]), [session]);

    byte[] Digest(uint session) => _host.Run(TpmCc.PolicyGetDigest, handles: [session]).Body[2..];

    [Fact]
    public void DigestAndCodes()
    {
        byte[] obj = Cmd.Cat(Cmd.U16(0x000B), H("object"u8.ToArray())), auth = Cmd.U32(0x40000001), ac = Cmd.U32(0x90000001);
        var t = SessionClient.Start(_host, TpmSe.Trial);
        Assert.Equal(TpmRc.Success, Select(t.Handle, obj, auth, ac, 1).Rc);
        Assert.Equal(H(Zero32, Cmd.U32((uint)TpmCc.PolicyAcSendSelect), obj, auth, ac, [1]), Digest(t.Handle));
        // The session now has a cpHash and a command: a second one is TPM_RC_CPHASH, PolicyCommandCode of
        // another command TPM_RC_VALUE + P1.
        Assert.Equal((TpmRc)0x151, Select(t.Handle, obj, auth, ac, 1).Rc);
        Assert.Equal((TpmRc)0x1C4, _host.Run(TpmCc.PolicyCommandCode, Cmd.U32((uint)TpmCc.ClockSet), [t.Handle]).Rc);

        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyRestart, handles: [t.Handle]).Rc);
        Assert.Equal(TpmRc.Success, Select(t.Handle, obj, auth, ac, 0).Rc);
        Assert.Equal(H(Zero32, Cmd.U32((uint)TpmCc.PolicyAcSendSelect), auth, ac, [0]), Digest(t.Handle));

        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyRestart, handles: [t.Handle]).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyCommandCode, Cmd.U32((uint)TpmCc.ClockSet), [t.Handle]).Rc);
        Assert.Equal((TpmRc)0x143, Select(t.Handle, obj, auth, ac, 1).Rc);                     // TPM_RC_COMMAND_CODE
        Assert.Equal((TpmRc)0x4C4, Select(t.Handle, obj, auth, ac, 2).Rc);                     // TPM_RC_VALUE + P4
    }
}
