using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_SetCommandCodeAuditStatus and the command audit digest (Part 1, 19.6.x; Part 3, 21.2).</summary>
public class AuditTests
{
    const uint Owner = 0x40000001;

    static byte[] List(params TpmCc[] codes) => Cmd.Cat([Cmd.U32((uint)codes.Length), .. codes.Select(c => Cmd.U32((uint)c))]);

    static byte[] SetStatus(TpmAlgId alg, TpmCc[] set, TpmCc[] clear) =>
        Cmd.Cat(Cmd.U16((ushort)alg), List(set), List(clear));

    static byte[] CpHash(TpmCc code, byte[][] names, byte[] parameters) =>
        SHA256.HashData(Cmd.Cat(Cmd.U32((uint)code), Cmd.Cat(names), parameters));

    static byte[] RpHash(TpmCc code, byte[] parameters) =>
        SHA256.HashData(Cmd.Cat(Cmd.U32(0), Cmd.U32((uint)code), parameters));

    [Fact]
    public void Audited_commands_extend_the_digest_and_the_first_one_counts()
    {
        var host = new TpmTestHost();
        Assert.Empty(host.Tpm.CommandAuditDigest);
        var parameters = SetStatus(TpmAlgId.Null, [TpmCc.GetRandom], []);
        var r = host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]], parameters);
        Assert.Equal(TpmRc.Success, r.Rc);
        // SetCommandCodeAuditStatus is audited itself: it starts the digest and the counter.
        var digest = SHA256.HashData(Cmd.Cat(new byte[32], CpHash(TpmCc.SetCommandCodeAuditStatus, [Cmd.U32(Owner)], parameters),
            RpHash(TpmCc.SetCommandCodeAuditStatus, [])));
        Assert.Equal(digest, host.Tpm.CommandAuditDigest);
        Assert.Equal(1u, AuthTestHelpers.Property(host, TpmPt.AuditCounter1));

        var random = host.Run(TpmCc.GetRandom, Cmd.U16(8));
        Assert.Equal(TpmRc.Success, random.Rc);
        digest = SHA256.HashData(Cmd.Cat(digest, CpHash(TpmCc.GetRandom, [], Cmd.U16(8)), RpHash(TpmCc.GetRandom, random.Body)));
        Assert.Equal(digest, host.Tpm.CommandAuditDigest);
        Assert.Equal(1u, AuthTestHelpers.Property(host, TpmPt.AuditCounter1));

        // Not audited: the digest stays.
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ReadClock).Rc);
        Assert.Equal(digest, host.Tpm.CommandAuditDigest);
    }

    [Fact]
    public void Audit_list_changes_and_codes()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus(TpmAlgId.Null, [TpmCc.GetRandom, TpmCc.Shutdown, (TpmCc)0x11E], [TpmCc.SetCommandCodeAuditStatus])).Rc);
        // Shutdown and unimplemented codes are not taken; SetCommandCodeAuditStatus stays audited.
        Assert.Equal([TpmCc.SetCommandCodeAuditStatus, TpmCc.GetRandom], host.Tpm.Persistent.AuditCommands);
        Assert.Equal((TpmRc)0x1C4, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus(TpmAlgId.Sha384, [TpmCc.ReadClock], [])).Rc);                                       // VALUE + P1
        Assert.Equal((TpmRc)0x1C3, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus((TpmAlgId)0x99, [], [])).Rc);                                                        // HASH + P1
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus(TpmAlgId.Null, [], [TpmCc.GetRandom])).Rc);
        Assert.Equal([TpmCc.SetCommandCodeAuditStatus], host.Tpm.Persistent.AuditCommands);
    }

    [Fact]
    public void New_audit_hash_restarts_the_digest()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus(TpmAlgId.Null, [TpmCc.GetRandom], [])).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus(TpmAlgId.Sha384, [], [])).Rc);
        Assert.Empty(host.Tpm.CommandAuditDigest);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        Assert.Equal(48, host.Tpm.CommandAuditDigest.Length);
        Assert.Equal(2u, AuthTestHelpers.Property(host, TpmPt.AuditCounter1));
    }

    [Fact]
    public void Audit_digest_survives_resume_and_the_list_survives_reset()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            SetStatus(TpmAlgId.Null, [TpmCc.GetRandom], [])).Rc);
        var digest = host.Tpm.CommandAuditDigest.ToArray();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(1)).Rc);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(1)).Rc);
        Assert.Equal(digest, host.Tpm.CommandAuditDigest);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Empty(host.Tpm.CommandAuditDigest);
        Assert.Contains(TpmCc.GetRandom, host.Tpm.Persistent.AuditCommands);
    }
}
