using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;

namespace Ftpm.Tests.Commands;

/// <summary>Authenticated Countdown Timers (Part 1, 37; Part 3, 29.8 TPM2_ACT_SetTimeout; TPM_CAP_ACT): the
/// countdown on a platform timer the test moves by hand (no waiting), expiry and the signal, the codes with
/// their positions, platformAuth and SetPrimaryPolicy for ACT handles, and what Shutdown(STATE) keeps.</summary>
public sealed class ActTests
{
    /// <summary>A platform whose millisecond timer only moves when the test says so.</summary>
    sealed class ManualPlatform : IPlatform
    {
        public ulong Now;
        public void GetEntropy(Span<byte> buffer) => RandomNumberGenerator.Fill(buffer);
        public ulong TimerMilliseconds => Now;
        public bool PhysicalPresence => false;
        public bool NvAvailable => true;
        public bool Cancelled => false;
    }

    const uint Act0 = 0x40000110, Act1 = 0x40000111, ActA = 0x4000011A, Platform = 0x4000000C, Owner = 0x40000001;
    readonly ManualPlatform _platform = new();
    readonly MemoryNvStore _store = new();
    Tpm _tpm;

    public ActTests()
    {
        _tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = _store, Platform = _platform });
        _tpm.PowerOn();
        Assert.Equal(TpmRc.Success, Send(Cmd.Build(TpmSt.NoSessions, TpmCc.Startup, [], null, Cmd.U16((ushort)TpmSu.Clear))).Rc);
    }

    Response Send(byte[] command) => new(_tpm.Execute(0, command));

    Response SetTimeout(uint act, uint seconds, byte[]? password = null) =>
        Send(Cmd.Build(TpmSt.Sessions, TpmCc.ActSetTimeout, [act], Cmd.PasswordSession(password ?? []), Cmd.U32(seconds)));

    Response GetCapability(TpmCap capability, uint property, uint count) =>
        Send(Cmd.Build(TpmSt.NoSessions, TpmCc.GetCapability, [], null, Cmd.Cat(Cmd.U32((uint)capability), Cmd.U32(property), Cmd.U32(count))));

    /// <summary>TPMS_ACT_DATA of one ACT: (timeout, attributes).</summary>
    (uint Timeout, uint Attributes) ActData(uint act)
    {
        var r = GetCapability(TpmCap.Act, act, 1);
        Assert.Equal(TpmRc.Success, r.Rc);
        var b = r.Body;
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(5)));
        Assert.Equal(act, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(9)));
        return (BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(13)), BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(17)));
    }

    [Fact]
    public void CapabilityListsTheImplementedActs()
    {
        // moreData NO, TPM_CAP_ACT, two TPMS_ACT_DATA: ACT_0 and ACT_A, stopped and quiet.
        Assert.Equal(Convert.FromHexString("00 0000000A 00000002 40000110 00000000 00000000 4000011A 00000000 00000000".Replace(" ", "")),
            GetCapability(TpmCap.Act, Act0, 10).Body);
        Assert.Equal(Convert.FromHexString("01 0000000A 00000001 40000110 00000000 00000000".Replace(" ", "")),
            GetCapability(TpmCap.Act, Act0, 1).Body);
        Assert.Equal(Convert.FromHexString("00 0000000A 00000001 4000011A 00000000 00000000".Replace(" ", "")),
            GetCapability(TpmCap.Act, Act1, 10).Body);
        Assert.Equal((TpmRc)0x2C4, GetCapability(TpmCap.Act, Owner, 1).Rc);              // TPM_RC_VALUE + P2: no ACT handle
        // The permanent handles list them after TPM_RH_PLATFORM_NV.
        var handles = GetCapability(TpmCap.Handles, 0x4000000D, 10).Body;
        Assert.Equal(Convert.FromHexString("00 00000001 00000003 4000000D 40000110 4000011A".Replace(" ", "")), handles);
    }

    [Fact]
    public void CountsDownAndSignals()
    {
        Assert.Equal(TpmRc.Success, SetTimeout(Act0, 5).Rc);
        Assert.Equal((5u, 0u), ActData(Act0));
        _platform.Now += 2500;
        Assert.Equal((3u, 0u), ActData(Act0));
        Assert.False(_tpm.ActGetSignaled(Act0));
        _platform.Now += 2500;
        Assert.Equal((0u, 1u), ActData(Act0));                                          // expired: TPMA_ACT signaled
        Assert.True(_tpm.ActGetSignaled(Act0));
        Assert.False(_tpm.ActGetSignaled(ActA));
        Assert.False(_tpm.ActGetSignaled(Act1));

        // A new timeout ends the signal; 0 makes a running countdown expire now.
        Assert.Equal(TpmRc.Success, SetTimeout(Act0, 100).Rc);
        Assert.Equal((100u, 0u), ActData(Act0));
        Assert.Equal(TpmRc.Success, SetTimeout(Act0, 0).Rc);
        Assert.Equal((0u, 1u), ActData(Act0));
        // UINT32_MAX only stops a signaling ACT, which then never counts.
        Assert.Equal(TpmRc.Success, SetTimeout(Act0, uint.MaxValue).Rc);
        _platform.Now += 10_000_000;
        Assert.Equal((uint.MaxValue, 0u), ActData(Act0));
        Assert.Equal((TpmRc)0x1C4, SetTimeout(Act0, uint.MaxValue).Rc);               // TPM_RC_VALUE + P1: not signaling
        // 0 on a stopped ACT changes nothing.
        Assert.Equal(TpmRc.Success, SetTimeout(ActA, 0).Rc);
        Assert.Equal((0u, 0u), ActData(ActA));
    }

    [Fact]
    public void HandlesAndAuthorization()
    {
        Assert.Equal((TpmRc)0x184, SetTimeout(Act1, 5).Rc);                             // TPM_RC_VALUE + H1: ACT_1 not implemented
        Assert.Equal((TpmRc)0x184, SetTimeout(Owner, 5).Rc);                            // TPM_RC_VALUE + H1: no ACT handle
        Assert.Equal(TpmRc.AuthMissing, Send(Cmd.Build(TpmSt.NoSessions, TpmCc.ActSetTimeout, [Act0], null, Cmd.U32(5))).Rc);
        Assert.Equal((TpmRc)0x1DA, Send(Cmd.Build(TpmSt.Sessions, TpmCc.ActSetTimeout, [Act0], Cmd.PasswordSession([]), [0, 0, 0])).Rc);   // TPM_RC_INSUFFICIENT + P1

        // The ACT's authValue is platformAuth.
        Assert.Equal(TpmRc.Success, Send(Cmd.Build(TpmSt.Sessions, TpmCc.HierarchyChangeAuth, [Platform], Cmd.PasswordSession([]), Cmd.Sized("pp"u8.ToArray()))).Rc);
        Assert.Equal((TpmRc)0x9A2, SetTimeout(Act0, 5).Rc);                             // TPM_RC_BAD_AUTH + S1
        Assert.Equal(TpmRc.Success, SetTimeout(Act0, 5, "pp"u8.ToArray()).Rc);
        // HierarchyChangeAuth takes no ACT (TPMI_RH_HIERARCHY_AUTH): TPM_RC_VALUE + H1.
        Assert.Equal((TpmRc)0x184, Send(Cmd.Build(TpmSt.Sessions, TpmCc.HierarchyChangeAuth, [Act0], Cmd.PasswordSession("pp"u8.ToArray()), Cmd.Sized([1]))).Rc);

        // SetPrimaryPolicy sets the ACT's authPolicy (TPMI_RH_HIERARCHY_POLICY), authorized as the ACT.
        var policy = SHA256.HashData("act policy"u8);
        var set = Send(Cmd.Build(TpmSt.Sessions, TpmCc.SetPrimaryPolicy, [ActA], Cmd.PasswordSession("pp"u8.ToArray()),
            Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256))));
        Assert.Equal(TpmRc.Success, set.Rc);
        Assert.Equal(Cmd.Cat([0], Cmd.U32(9), Cmd.U32(1), Cmd.U32(ActA), Cmd.U16((ushort)TpmAlgId.Sha256), policy),
            GetCapability(TpmCap.AuthPolicies, ActA, 1).Body);                        // TPMS_TAGGED_POLICY of ACT_A
        Assert.Equal((TpmRc)0x184, Send(Cmd.Build(TpmSt.Sessions, TpmCc.SetPrimaryPolicy, [Act1], Cmd.PasswordSession("pp"u8.ToArray()),
            Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256)))).Rc);
    }

    void PowerCycle(TpmSu shutdown, TpmSu startup)
    {
        Assert.Equal(TpmRc.Success, Send(Cmd.Build(TpmSt.NoSessions, TpmCc.Shutdown, [], null, Cmd.U16((ushort)shutdown))).Rc);
        _tpm.PowerOff();
        _tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = _store, Platform = _platform });
        _tpm.PowerOn();
        Assert.Equal(TpmRc.Success, Send(Cmd.Build(TpmSt.NoSessions, TpmCc.Startup, [], null, Cmd.U16((ushort)startup))).Rc);
    }

    [Fact]
    public void ShutdownStateKeepsTheCountdown()
    {
        Assert.Equal(TpmRc.Success, SetTimeout(Act0, 100).Rc);
        Assert.Equal(TpmRc.Success, SetTimeout(ActA, 1).Rc);
        _platform.Now += 1000;
        PowerCycle(TpmSu.State, TpmSu.State);
        Assert.Equal((99u, 0u), ActData(Act0));
        Assert.Equal((0u, 1u), ActData(ActA));                                          // the signal comes back too
        // Not set again since this Startup: the next Shutdown(STATE) halves the count.
        PowerCycle(TpmSu.State, TpmSu.State);
        Assert.Equal((49u, 0u), ActData(Act0));
        // A TPM Restart or Reset stops every ACT.
        PowerCycle(TpmSu.State, TpmSu.Clear);
        Assert.Equal((0u, 0u), ActData(Act0));
        Assert.Equal((0u, 0u), ActData(ActA));
    }
}
