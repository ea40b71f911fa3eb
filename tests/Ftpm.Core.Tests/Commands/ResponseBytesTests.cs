using System.Buffers.Binary;
using System.Security.Cryptography;
using static Ftpm.Tests.Commands.CapabilityTestHelpers;

namespace Ftpm.Tests.Commands;

/// <summary>Responses that the dispatcher marshals from a generated XxxOut structure must be byte for byte what
/// the hand-written marshaling gave before (each hash below was taken from the hand-written code, then the
/// algorithm list, command list and fixed properties again once the ML-KEM/DHKEM algorithms and commands
/// joined them), for a spread of capabilities, properties, counts and paging edges.</summary>
public sealed class ResponseBytesTests
{
    static readonly (string Request, string Sha256)[] Capabilities =
    [
        // capability, property, propertyCount
        ("00000000 00000000 00000100", "ACF9D812E0040944"),   // TPM_CAP_ALGS, all
        ("00000000 00000010 00000003", "A5747337F8BD10FB"),   // from TPM_ALG_NULL, 3: moreData
        ("00000000 00000000 00000000", "8CB0F56BAEBB41E0"),   // count 0
        ("00000001 00000000 00000100", "EA2B72CA3A32A3F4"),   // TPM_CAP_HANDLES: PCRs
        ("00000001 00000010 00000002", "28F3B7601AB7D0B8"),   // PCRs from 16, 2
        ("00000001 40000000 00000100", "9B4E28887EED6ECD"),   // permanent handles and ACTs
        ("00000001 40000007 00000003", "CB6701F8E2B90F95"),   // permanent from TPM_RS_PW
        ("00000001 80000000 00000100", "B5BCC52E71FB8524"),   // transient
        ("00000001 01000000 00000100", "B5BCC52E71FB8524"),   // NV indices
        ("00000001 02000000 00000100", "B5BCC52E71FB8524"),   // loaded sessions
        ("00000002 00000000 00000100", "4F76B18A796D8F2D"),   // TPM_CAP_COMMANDS
        ("00000002 00000150 00000005", "DE5E57D3D0688997"),   // commands from 0x150, 5
        ("00000003 00000000 00000100", "DDF6EE2D5CAEE4A0"),   // TPM_CAP_PP_COMMANDS
        ("00000004 00000000 00000100", "FC9AB023B6DA5F31"),   // TPM_CAP_AUDIT_COMMANDS
        ("00000005 00000000 00000100", "A06959EF4539FC63"),   // TPM_CAP_PCRS
        ("00000005 00000000 00000000", "2AA59B26CC4C0389"),   // TPM_CAP_PCRS, count 0
        ("00000006 00000100 00000100", "BF9152CE06CA6868"),   // TPM_CAP_TPM_PROPERTIES fixed
        ("00000006 00000200 00000100", "6B2BD35E0FFB5F15"),   // variable
        ("00000006 00000105 00000004", "566D29ECB6270078"),   // fixed from 0x105, 4
        ("00000007 00000000 00000100", "97F865547C6B0C8C"),   // TPM_CAP_PCR_PROPERTIES
        ("00000007 00000003 00000002", "B132E707ADE0EDE2"),   // from EXTEND_L1, 2
        ("00000008 00000000 00000100", "97EB6AAA11A5BD8F"),   // TPM_CAP_ECC_CURVES
        ("00000008 00000004 00000001", "9AB14890425E245E"),   // from P384, 1
        ("00000009 40000000 00000100", "340CA998B4F46AB8"),   // TPM_CAP_AUTH_POLICIES
        ("00000009 4000000B 00000002", "214916C7F5898D03"),   // from endorsement, 2
        ("0000000A 40000110 00000100", "E76E243FE5004BBE"),   // TPM_CAP_ACT
    ];

    static string Sha(string hex) => Convert.ToHexString(SHA256.HashData(Convert.FromHexString(hex)))[..16];

    [Fact]
    public void GetCapability_responses_are_unchanged()
    {
        var tpm = StartedTpm();
        var actual = Capabilities.Select(c => (c.Request, Sha: Sha(Run(tpm, TpmCc.GetCapability, c.Request)))).ToArray();
        var mismatches = actual.Zip(Capabilities).Where(p => p.First.Sha != p.Second.Sha256)
            .Select(p => $"(\"{p.First.Request}\", \"{p.First.Sha}\"),").ToArray();
        Assert.True(mismatches.Length == 0, string.Join("\n", mismatches));
    }

    /// <summary>TPM2_Sign's TPMT_SIGNATURE: an HMAC signature is exactly sigAlg || hashAlg || HMAC(key,
    /// digest); an ECDSA one is sigAlg || hash || TPM2B r || TPM2B s, each of the curve's size; GetTestResult
    /// and IncrementalSelfTest as the hand-written code wrote them.</summary>
    [Fact]
    public void Sign_and_test_responses_have_the_wire_layout()
    {
        var host = new TpmTestHost();
        var key = "an HMAC key of 32 octets, known."u8.ToArray();
        var created = host.RunWithPasswords(TpmCc.CreatePrimary, [0x40000001], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized(key))),
            Cmd.Sized(Convert.FromHexString("0008000B000404520000" + "0005000B" + "0000")), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, created.Rc);
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(created.Body);
        var digest = SHA256.HashData("message"u8);
        var nullTicket = Cmd.Cat(Cmd.U16(0x8024), Cmd.U32(0x40000007), Cmd.Sized([]));
        var signed = host.RunWithPasswords(TpmCc.Sign, [handle], [[]], Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), nullTicket));
        Assert.Equal(TpmRc.Success, signed.Rc);
        Assert.Equal(Cmd.Cat(Cmd.U16(0x0005), Cmd.U16(0x000B), HMACSHA256.HashData(key, digest)), signed.SessionParameters());

        created = host.RunWithPasswords(TpmCc.CreatePrimary, [0x40000001], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))),
            Cmd.Sized(Convert.FromHexString("0023000B00040472000000100018000B000300100000" + "0000")), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, created.Rc);
        handle = BinaryPrimitives.ReadUInt32BigEndian(created.Body);
        signed = host.RunWithPasswords(TpmCc.Sign, [handle], [[]], Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), nullTicket));
        Assert.Equal(TpmRc.Success, signed.Rc);
        var ecdsa = signed.SessionParameters();
        Assert.Equal(2 + 2 + 2 + 32 + 2 + 32, ecdsa.Length);
        Assert.Equal(Convert.FromHexString("0018000B0020"), ecdsa[..6]);
        Assert.Equal(Cmd.U16(32), ecdsa[38..40]);

        Assert.Equal("80010000001000000000" + "0000" + "00000000", Convert.ToHexString(host.Run(TpmCc.GetTestResult).Bytes));
        Assert.Equal("80010000000E00000000" + "00000000", Convert.ToHexString(host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(1), Cmd.U16(0x000B))).Bytes));
    }

    /// <summary>Filling an XxxOut costs no allocation: the structures live on the stack and their octets in
    /// the TPM's scratch area, so GetCapability, GetTestResult and IncrementalSelfTest allocate nothing once
    /// warm (the response buffer is the caller's).</summary>
    [Fact]
    public void Responses_from_XxxOut_allocate_nothing()
    {
        var host = new TpmTestHost();
        var hmacKey = host.RunWithPasswords(TpmCc.CreatePrimary, [0x40000001], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized(new byte[32]))),
            Cmd.Sized(Convert.FromHexString("0008000B000404520000" + "0005000B" + "0000")), Cmd.Sized([]), Cmd.U32(0)));
        var ecdsaKey = host.RunWithPasswords(TpmCc.CreatePrimary, [0x40000001], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))),
            Cmd.Sized(Convert.FromHexString("0023000B00040472000000100018000B000300100000" + "0000")), Cmd.Sized([]), Cmd.U32(0)));
        var nullTicket = Cmd.Cat(Cmd.U16(0x8024), Cmd.U32(0x40000007), Cmd.Sized([]));
        byte[] Sign(Response key) => Cmd.Build(TpmSt.Sessions, TpmCc.Sign, [BinaryPrimitives.ReadUInt32BigEndian(key.Body)],
            Cmd.PasswordSession([]), Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x0010), nullTicket));
        var commands = new (string Name, byte[] Bytes)[]
        {
            ("GetCapability(TPM_PROPERTIES)", Command(TpmCc.GetCapability, "00000006 00000100 00000100")),
            ("GetCapability(ALGS)", Command(TpmCc.GetCapability, "00000000 00000000 00000100")),
            ("GetCapability(PCRS)", Command(TpmCc.GetCapability, "00000005 00000000 00000100")),
            ("GetCapability(AUTH_POLICIES)", Command(TpmCc.GetCapability, "00000009 40000000 00000100")),
            ("GetTestResult", Command(TpmCc.GetTestResult, "")),
            ("IncrementalSelfTest", Command(TpmCc.IncrementalSelfTest, "00000001 000B")),
        };
        var response = new byte[TpmLimits.MaxResponseSize];
        var allocating = new List<string>();
        foreach (var (name, bytes) in commands)
        {
            for (int i = 0; i < 3; i++) host.Tpm.Execute(0, bytes, response);
            long before = GC.GetAllocatedBytesForCurrentThread();
            int n = host.Tpm.Execute(0, bytes, response);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("00000000", Convert.ToHexString(response, 6, 4));
            if (allocated != 0) allocating.Add($"{name}: {allocated} bytes allocated ({n}-octet response)");
        }
        Assert.True(allocating.Count == 0, string.Join("; ", allocating));

        // Sign allocates what its authorization and crypto allocate before this change too (32 octets
        // for this HMAC key, 176 for ECDSA through .NET): producing its TPMT_SIGNATURE adds nothing, so it
        // costs what TPM2_HMAC does with the same key, session and digest.
        byte[] hmac = Cmd.Build(TpmSt.Sessions, TpmCc.Hmac, [BinaryPrimitives.ReadUInt32BigEndian(hmacKey.Body)],
            Cmd.PasswordSession([]), Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x000B)));
        Assert.Equal(Allocated(hmac), Allocated(Sign(hmacKey)));

        long Allocated(byte[] bytes)
        {
            for (int i = 0; i < 3; i++) host.Tpm.Execute(0, bytes, response);
            long before = GC.GetAllocatedBytesForCurrentThread();
            host.Tpm.Execute(0, bytes, response);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("00000000", Convert.ToHexString(response, 6, 4));
            return allocated;
        }
    }
}
