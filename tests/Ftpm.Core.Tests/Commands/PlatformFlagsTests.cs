namespace Ftpm.Tests.Commands;

/// <summary>The platform's cancel flag and NV rate limit, read where the reference reads _plat__IsCanceled
/// (CryptRsaGenerateKey, CryptEccCommitCompute, the ECC sign-and-verify self test) and _plat__GetNvReadyState
/// (NvCheckState: TPM_RC_NV_RATE for a rate limit, TPM_RC_NV_UNAVAILABLE before it).</summary>
public sealed class PlatformFlagsTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;
    const TpmRc Canceled = (TpmRc)0x909;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    const string RsaKey = "0001 000B 00020472 0000 0010 0010 0800 00000000 0000";
    const string EccKey = "0023 000B 00020472 0000 0010 0010 0003 0010 0000 0000";

    TpmRc CreatePrimary(string template)
    {
        var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));
        if (r.Rc == TpmRc.Success) Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(BitConverter.ToUInt32(r.Body.AsSpan(0, 4).ToArray().Reverse().ToArray()))).Rc);
        return r.Rc;
    }

    [Fact]
    public void Rsa_key_generation_is_canceled()
    {
        _host.Platform.Cancelled = true;
        Assert.Equal(Canceled, CreatePrimary(RsaKey));
        Assert.Equal(TpmRc.Success, CreatePrimary(EccKey));          // ECC generation asks no one
        _host.Platform.Cancelled = false;
        Assert.Equal(TpmRc.Success, CreatePrimary(RsaKey));
        // The same primary again comes from ftpm's cache, but the reference would generate it again.
        _host.Platform.Cancelled = true;
        Assert.Equal(Canceled, CreatePrimary(RsaKey));
    }

    [Fact]
    public void Self_tests_that_the_reference_cancels()
    {
        _host.Platform.Cancelled = true;
        Assert.Equal(Canceled, _host.Run(TpmCc.SelfTest, [1]).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.SelfTest, [0]).Rc);     // nothing left to test
        Assert.Equal(Canceled, _host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(2), Cmd.U16(0x000B), Cmd.U16(0x0018))).Rc);
        Assert.Equal(Canceled, _host.Run(TpmCc.IncrementalSelfTest, Cmd.U32(1).Concat(Cmd.U16(0x001C)).ToArray()).Rc);
        var r = _host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(2), Cmd.U16(0x000B), Cmd.U16(0x0019)));   // SHA256, ECDH
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(H("00000000"), r.Body);
        // The list is checked whole before any test runs: TPM_RC_VALUE + P1 wins over the cancel.
        Assert.Equal((TpmRc)0x1C4, _host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(2), Cmd.U16(0x0018), Cmd.U16(0x0099))).Rc);
        _host.Platform.Cancelled = false;
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.SelfTest, [1]).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(1), Cmd.U16(0x0018))).Rc);
    }

    [Fact]
    public void Nv_rate_limit_is_a_warning_for_nv_writing_commands()
    {
        var define = Cmd.Cat(Cmd.Sized([]), Cmd.Sized(Cmd.Cat(Cmd.U32(0x01000010), Cmd.U16(0x000B), Cmd.U32(0x00060006), Cmd.Sized([]), Cmd.U16(8))));
        _host.Platform.NvRateLimited = true;
        Assert.Equal((TpmRc)0x920, _host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], define).Rc);   // TPM_RC_NV_RATE
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);                                // writes no NV
        _host.Platform.NvAvailable = false;
        Assert.Equal((TpmRc)0x923, _host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], define).Rc);   // unavailable first
        _host.Platform.NvAvailable = true;
        _host.Platform.NvRateLimited = false;
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], define).Rc);
    }
}
