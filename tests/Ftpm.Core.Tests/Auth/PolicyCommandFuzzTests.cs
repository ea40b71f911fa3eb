using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Tests.Commands;

namespace Ftpm.Tests.Auth;

/// <summary>
/// Mutation fuzz of the policy commands: a valid parameter area for each (PolicySigned with a real
/// signature, PolicyAuthorize with a real VerifySignature ticket, PolicySecret, PolicyNV, PolicyOR,
/// PolicyPCR, PolicyCounterTimer, PolicyCapability, PolicyParameters ...) is mutated — bits flipped,
/// octets overwritten, 16-bit fields replaced, the area cut short or extended — and sent against one
/// live policy session, which PolicyRestart resets after each command. No mutation may put the TPM
/// into failure mode, and the session still works at the end.
/// </summary>
public sealed class PolicyCommandFuzzTests
{
    const uint Owner = 0x40000001, Key = 0x81000002, Index = 0x01500010;
    const string EcdsaKey = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";
    static readonly byte[] NullTicket = H("8024 40000007 0000");

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>The TPM's signature (TPMT_SIGNATURE) over <paramref name="digest"/> with the persistent ECDSA key.</summary>
    static byte[] Sign(TpmTestHost host, byte[] digest)
    {
        var r = host.RunWithPasswords(TpmCc.Sign, [Key], [[]], Cmd.Cat(Cmd.Sized(digest), H("0010"), NullTicket));
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.SessionParameters();
    }

    static (TpmTestHost Host, uint Session, FuzzSeed[] Seeds) Prepare()
    {
        var host = new TpmTestHost();
        var created = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]],
            Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(EcdsaKey)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, created.Rc);
        uint transient = BinaryPrimitives.ReadUInt32BigEndian(created.Body);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.EvictControl, [Owner, transient], [[]], Cmd.U32(Key)).Rc);
        host.Run(TpmCc.FlushContext, Cmd.U32(transient));

        // The key's Name: ReadPublic returns outPublic, name, qualifiedName.
        var read = host.Run(TpmCc.ReadPublic, null, [Key]);
        Assert.Equal(TpmRc.Success, read.Rc);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(read.Body);
        int nameSize = BinaryPrimitives.ReadUInt16BigEndian(read.Body.AsSpan(2 + publicSize));
        var keyName = read.Body.AsSpan(2 + publicSize, 2 + nameSize).ToArray();   // TPM2B_NAME

        Nv.DefineOk(host, Index, Nv.OwnerRw, 8);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWrite, [Owner, Index], [[]], Cmd.Cat(Cmd.Sized(new byte[8]), Cmd.U16(0))).Rc);

        var session = SessionClient.Start(host, TpmSe.Policy).Handle;
        var zero = new byte[32];

        // PolicySigned: aHash = H(nonceTPM || expiration || cpHashA || policyRef), all empty but expiration 0.
        var signedAuth = Sign(host, SHA256.HashData(new byte[4]));
        // PolicyAuthorize: a ticket for H(approvedPolicy || policyRef) with approvedPolicy the digest after PolicyRestart.
        var approval = Sign(host, SHA256.HashData(zero));
        var verified = host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(SHA256.HashData(zero)), approval), [Key]);
        Assert.Equal(TpmRc.Success, verified.Rc);

        var name34 = Cmd.Cat(H("000B"), new byte[32]);
        FuzzSeed[] seeds =
        [
            new(TpmCc.PolicySigned, [Key, session], 0, Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0), signedAuth)),
            new(TpmCc.PolicySecret, [Owner, session], 1, Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0))),
            new(TpmCc.PolicyAuthorize, [session], 0, Cmd.Cat(Cmd.Sized(zero), Cmd.Sized([]), keyName, verified.Body)),
            new(TpmCc.PolicyOR, [session], 0, Cmd.Cat(Cmd.U32(2), Cmd.Sized(zero), Cmd.Sized(SHA256.HashData("other"u8)))),
            new(TpmCc.PolicyPCR, [session], 0, Cmd.Cat(Cmd.Sized([]), Cmd.PcrSelection(TpmAlgId.Sha256, 0, 1))),
            new(TpmCc.PolicyLocality, [session], 0, Cmd.U8(0x01)),
            new(TpmCc.PolicyNV, [Owner, Index, session], 1, Cmd.Cat(Cmd.Sized(new byte[4]), Cmd.U16(0), Cmd.U16(0))),
            new(TpmCc.PolicyCounterTimer, [session], 0, Cmd.Cat(Cmd.Sized(new byte[8]), Cmd.U16(0), Cmd.U16(7))),
            new(TpmCc.PolicyCommandCode, [session], 0, Cmd.U32((uint)TpmCc.Sign)),
            new(TpmCc.PolicyPhysicalPresence, [session], 0, []),
            new(TpmCc.PolicyCpHash, [session], 0, Cmd.Sized(SHA256.HashData("cp"u8))),
            new(TpmCc.PolicyNameHash, [session], 0, Cmd.Sized(SHA256.HashData("names"u8))),
            new(TpmCc.PolicyDuplicationSelect, [session], 0, Cmd.Cat(Cmd.Sized(name34), Cmd.Sized(name34), Cmd.U8(0))),
            new(TpmCc.PolicyAuthValue, [session], 0, []),
            new(TpmCc.PolicyPassword, [session], 0, []),
            new(TpmCc.PolicyGetDigest, [session], 0, []),
            new(TpmCc.PolicyNvWritten, [session], 0, Cmd.U8(1)),
            new(TpmCc.PolicyTemplate, [session], 0, Cmd.Sized(SHA256.HashData("template"u8))),
            // TPM_PT_FAMILY_INDICATOR ("2.0\0"): the value at offset 4 of its TPMS_TAGGED_PROPERTY, compared for equality.
            new(TpmCc.PolicyCapability, [session], 0, Cmd.Cat(Cmd.Sized(H("322E3000")), Cmd.U16(4), Cmd.U16(0), Cmd.U32(6), Cmd.U32(0x100))),
            new(TpmCc.PolicyParameters, [session], 0, Cmd.Sized(SHA256.HashData("parameters"u8))),
        ];
        return (host, session, seeds);
    }

    [Theory]
    [InlineData(1, 3000)]
    [InlineData(2, 3000)]
    public void Mutated_policy_commands_never_cause_failure_mode(int seedValue, int iterations)
    {
        var (host, session, seeds) = Prepare();
        foreach (var seed in seeds)
        {
            var ok = seed.Send(host, seed.Parameters);
            Assert.True(ok.Rc == TpmRc.Success, $"seed {seed.Code}: {ok.Rc}");
            Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyRestart, null, [session]).Rc);
        }

        var random = new Random(seedValue);
        var codes = new HashSet<TpmRc>();
        for (int i = 0; i < iterations; i++)
        {
            var seed = seeds[random.Next(seeds.Length)];
            var parameters = Mutation.Mutate(random, seed.Parameters);
            var r = seed.Send(host, parameters);
            Assert.False(host.Tpm.InFailureMode, $"{seed.Code} {Convert.ToHexString(parameters)} put the TPM into failure mode");
            Assert.NotEqual(TpmRc.Failure, r.Rc);
            codes.Add(r.Rc);
            Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyRestart, null, [session]).Rc);
        }
        Assert.True(codes.Count > 15, string.Join(", ", codes));
        // The session still computes policies.
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyCommandCode, Cmd.U32((uint)TpmCc.Sign), [session]).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyGetDigest, null, [session]).Rc);
    }
}
