using System.Buffers.Binary;

namespace Ftpm.Tests.Dispatch;

/// <summary>
/// The order of checks that the dispatcher owns (Part 3, 5; the reference's ExecCommand and
/// CommandDispatcher): every parameter is unmarshaled before a command looks at its handles' objects
/// or at TPM state, so a command that is malformed AND names an unsuitable object gets the parameter's
/// code. Each case pairs a parameter error with an object the command would refuse; the expected codes
/// are what the reference (libtpms in swtpm) answers for the same bytes.
/// </summary>
public sealed class ParseOrderTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;
    static readonly byte[] Empty = [];

    // An ECDSA P-256 signing key (no decrypt, not a storage parent, not KEYEDHASH, not RSA).
    const string EccSigning = "0023 000B 00040072 0000 0010 0018 000B 0003 0010 0000 0000";

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    uint SigningKey()
    {
        var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(EccSigning)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    uint HashSequence()
    {
        var r = _host.Run(TpmCc.HashSequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.U16((ushort)TpmAlgId.Sha256)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    static readonly byte[] Truncated = [0x00];                 // a size field cut short: TPM_RC_INSUFFICIENT
    static readonly byte[] Oversized = Cmd.U16(0xFFFF);        // a TPM2B size above its maximum: TPM_RC_SIZE
    static readonly byte[] Trailing = [0x00];                  // a byte after the last parameter: TPM_RC_SIZE

    const uint InsufficientP1 = 0x1DA, SizeP1 = 0x1D5, Size = 0x095;

    /// <summary>Fails with both codes spelled out ("expected TPM_RC_SIZE at parameter 1 (0x1D5), got TPM_RC_MODE at handle 1 (0x189)").</summary>
    static void AssertRc(uint expected, Response response)
    {
        var actual = response.Rc;
        Assert.True((TpmRc)expected == actual, $"expected {((TpmRc)expected).Describe()}, got {actual.Describe()}");
    }

    /// <summary>TPMI_RH_NV_INDEX accepts TPM_HT_EXTERNAL_NV (0x11) and TPM_HT_PERMANENT_NV (0x12), and
    /// TPMI_RH_NV_DEFINED_INDEX the first, at unmarshal (the reference's Marshal.c); such an index is then
    /// TPM_RC_VALUE at the load-status check (its EntityGetLoadStatus), which comes after every handle has
    /// unmarshaled. So a later handle that fails its own unmarshal wins. libtpms 0.9 refuses both types at
    /// unmarshal; the codes differ only in that order.</summary>
    [Fact]
    public void External_and_permanent_nv_handles_pass_unmarshal_and_fail_load_status()
    {
        const uint External = 0x11000000, Permanent = 0x12000000, BadSession = 0x80000000;
        foreach (uint nv in new[] { External, Permanent })
        {
            // Alone: TPM_RC_VALUE at the handle either way.
            AssertRc(0x184, _host.Run(TpmCc.NvReadPublic, handles: [nv]));
            AssertRc(0x284, _host.RunWithPasswords(TpmCc.NvRead, [Owner, nv], [[]], Cmd.Cat(Cmd.U16(0), Cmd.U16(0))));
            // PolicyNV(authHandle, nvIndex, policySession): the session handle's unmarshal fails first (H3).
            AssertRc(0x384, _host.RunWithPasswords(TpmCc.PolicyNV, [Owner, nv, BadSession], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.U16(0), Cmd.U16(0))));
        }
        // NV_UndefineSpaceSpecial(nvIndex: TPMI_RH_NV_DEFINED_INDEX, platform): owner is no TPMI_RH_PLATFORM.
        AssertRc(0x284, _host.RunWithPasswords(TpmCc.NvUndefineSpaceSpecial, [External, Owner], [[], []]));
        AssertRc(0x184, _host.RunWithPasswords(TpmCc.NvUndefineSpaceSpecial, [Permanent, Owner], [[], []]));
    }

    [Fact]
    public void Key_commands_unmarshal_parameters_before_checking_the_key()
    {
        uint key = SigningKey();
        // RSA_Encrypt/RSA_Decrypt of an ECC key: TPM_RC_KEY (H1) once the parameters parsed.
        AssertRc(InsufficientP1, _host.Run(TpmCc.RsaEncrypt, Truncated, [key]));
        AssertRc(InsufficientP1, _host.RunWithPasswords(TpmCc.RsaDecrypt, [key], [[]], Truncated));
        // ECDH_ZGen with a key that does not decrypt: TPM_RC_ATTRIBUTES (H1) otherwise.
        AssertRc(InsufficientP1, _host.RunWithPasswords(TpmCc.EcdhZGen, [key], [[]], Truncated));
        // Create, Load, CreateLoaded under a parent that is no storage key: TPM_RC_TYPE (H1) otherwise.
        AssertRc(InsufficientP1, _host.RunWithPasswords(TpmCc.Create, [key], [[]], Truncated));
        AssertRc(InsufficientP1, _host.RunWithPasswords(TpmCc.Load, [key], [[]], Truncated));
        AssertRc(InsufficientP1, _host.RunWithPasswords(TpmCc.CreateLoaded, [key], [[]], Truncated));
        // ObjectChangeAuth with a parentHandle that is not the object's parent: TPM_RC_TYPE (H2) otherwise.
        AssertRc(SizeP1, _host.RunWithPasswords(TpmCc.ObjectChangeAuth, [key, key], [[]], Oversized));
        AssertRc(0x28A, _host.RunWithPasswords(TpmCc.ObjectChangeAuth, [key, key], [[]], Cmd.U16(0)));
        // Unseal of a key that is no sealed data object: TPM_RC_TYPE (H1) otherwise.
        AssertRc(Size, _host.RunWithPasswords(TpmCc.Unseal, [key], [[]], Trailing));
        AssertRc(0x18A, _host.RunWithPasswords(TpmCc.Unseal, [key], [[]], Empty));
    }

    [Fact]
    public void Sequence_commands_unmarshal_parameters_before_checking_the_sequence()
    {
        uint key = SigningKey();
        // A key where a sequence is expected: TPM_RC_MODE otherwise.
        AssertRc(SizeP1, _host.RunWithPasswords(TpmCc.SequenceUpdate, [key], [[]], Oversized));
        AssertRc(SizeP1, _host.RunWithPasswords(TpmCc.SequenceComplete, [key], [[]], Oversized));
        AssertRc(SizeP1, _host.RunWithPasswords(TpmCc.EventSequenceComplete, [0, key], [[], []], Oversized));

        // A sequence where a key is expected (no public area, not ECC): TPM_RC_SEQUENCE / TPM_RC_KEY otherwise.
        uint sequence = HashSequence();
        AssertRc(Size, _host.Run(TpmCc.ReadPublic, Trailing, [sequence]));
        AssertRc(Size, _host.Run(TpmCc.EcdhKeyGen, Trailing, [sequence]));
    }

    [Fact]
    public void PcrSetAuthValue_unmarshals_auth_before_checking_the_pcr_group()
    {
        // PCR 0 is in no authValue group: TPM_RC_VALUE otherwise.
        AssertRc(SizeP1, _host.RunWithPasswords(TpmCc.PcrSetAuthValue, [0], [[]], Oversized));
        Assert.Equal(TpmRc.Value, _host.RunWithPasswords(TpmCc.PcrSetAuthValue, [0], [[]], Cmd.Sized([])).Rc);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x05 })]       // no TPM_SU
    [InlineData(new byte[] { 0x00, 0x00, 0x00 })] // Startup(CLEAR) and a trailing byte
    [InlineData(new byte[] { 0x00, 0x00 })]
    public void A_second_Startup_is_initialize_whatever_its_parameters(byte[] parameters) =>
        Assert.Equal(TpmRc.Initialize, _host.Run(TpmCc.Startup, parameters).Rc);
}

/// <summary>Response codes as logs and test failures show them.</summary>
public sealed class TpmRcDescribeTests
{
    [Theory]
    [InlineData(0x000u, "TPM_RC_SUCCESS (0x000)")]
    [InlineData(0x2C4u, "TPM_RC_VALUE at parameter 2 (0x2C4)")]
    [InlineData(0xFD5u, "TPM_RC_SIZE at parameter 15 (0xFD5)")]
    [InlineData(0x98Eu, "TPM_RC_AUTH_FAIL at session 1 (0x98E)")]
    [InlineData(0x28Au, "TPM_RC_TYPE at handle 2 (0x28A)")]
    [InlineData(0x0A7u, "TPM_RC_ECC_POINT (0x0A7)")]
    [InlineData(0x100u, "TPM_RC_INITIALIZE (0x100)")]
    [InlineData(0x922u, "TPM_RC_RETRY (0x922)")]
    [InlineData(0x911u, "TPM_RC_REFERENCE_H1 (0x911)")]
    [InlineData(0x7Fu, "TPM_RC (0x07F)")]
    public void Describe_names_the_code_and_its_position(uint value, string expected) =>
        Assert.Equal(expected, ((TpmRc)value).Describe());
}
