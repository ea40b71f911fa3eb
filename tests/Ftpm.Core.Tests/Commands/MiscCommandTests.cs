using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Tests.Commands;

public class RandomTests
{
    [Fact]
    public void GetRandom_returns_requested_bytes_up_to_64()
    {
        var host = new TpmTestHost();
        var r = host.Run(TpmCc.GetRandom, Cmd.U16(32));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(32, BinaryPrimitives.ReadUInt16BigEndian(r.Body));
        Assert.Equal(34, r.Body.Length);
        Assert.Equal(64, BinaryPrimitives.ReadUInt16BigEndian(host.Run(TpmCc.GetRandom, Cmd.U16(1000)).Body));
        Assert.NotEqual(r.Body, host.Run(TpmCc.GetRandom, Cmd.U16(32)).Body);
    }

    [Fact]
    public void StirRandom_accepts_128_octets_and_refuses_more()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.StirRandom, Cmd.Sized(new byte[128])).Rc);
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.StirRandom, Cmd.Sized(new byte[129])).Rc);
    }
}

public class TestingTests
{
    [Fact]
    public void SelfTest_and_friends()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.SelfTest, Cmd.U8(1)).Rc);
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.SelfTest, Cmd.U8(2)).Rc);
        var inc = host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)TpmAlgId.Sha256)));
        Assert.Equal(TpmRc.Success, inc.Rc);
        Assert.Equal(Cmd.U32(0), inc.Body);
        var result = host.Run(TpmCc.GetTestResult);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0 }, result.Body);
    }
}

public class HashTests
{
    static readonly byte[] Data = "abc"u8.ToArray();

    [Fact]
    public void Hash_returns_digest_and_verifiable_ticket()
    {
        var host = new TpmTestHost();
        var r = host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized(Data), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32((uint)TpmRh.Owner)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var b = r.Body;
        Assert.Equal(Cmd.Sized(SHA256.HashData(Data)), b[..34]);
        Assert.Equal(Cmd.U16((ushort)TpmSt.HashCheck), b[34..36]);
        Assert.Equal(Cmd.U32((uint)TpmRh.Owner), b[36..40]);
        var expected = HMACSHA256.HashData(host.Tpm.Persistent.StorageProof, Cmd.Cat(Cmd.U16(0x8024), SHA256.HashData(Data)));
        Assert.Equal(Cmd.Sized(expected), b[40..]);
    }

    [Fact]
    public void Hash_of_generated_value_gets_null_ticket()
    {
        var host = new TpmTestHost();
        var data = Cmd.Cat(Cmd.U32(0xFF544347), Data);
        var b = host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized(data), Cmd.U16((ushort)TpmAlgId.Sha1), Cmd.U32((uint)TpmRh.Owner))).Body;
        Assert.Equal(Cmd.Cat(Cmd.U16(0x8024), Cmd.U32((uint)TpmRh.Null), Cmd.U16(0)), b[22..]);
    }

    [Fact]
    public void Hash_parameter_errors_are_numbered()
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x2C3, host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized(Data), Cmd.U16((ushort)TpmAlgId.Null), Cmd.U32((uint)TpmRh.Owner))).Rc);
        Assert.Equal((TpmRc)0x3C4, host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized(Data), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32((uint)TpmRh.Lockout))).Rc);
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized(new byte[1025]), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32((uint)TpmRh.Null))).Rc);
    }

    static uint StartSequence(TpmTestHost host, TpmAlgId alg, byte[] auth)
    {
        var r = host.Run(TpmCc.HashSequenceStart, Cmd.Cat(Cmd.Sized(auth), Cmd.U16((ushort)alg)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    [Fact]
    public void Sequence_hashes_like_one_shot_and_checks_its_auth()
    {
        var host = new TpmTestHost();
        var h = StartSequence(host, TpmAlgId.Sha384, [1, 2]);
        Assert.Equal(0x80000000u, h);
        Assert.Equal((TpmRc)0x9A2, host.RunWithPasswords(TpmCc.SequenceUpdate, [h], [[9]], Cmd.Sized(Data)).Rc); // sequences are noDA
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SequenceUpdate, [h], [[1, 2]], Cmd.Sized(Data)).Rc);
        var r = host.RunWithPasswords(TpmCc.SequenceComplete, [h], [[1, 2]], Cmd.Cat(Cmd.Sized(Data), Cmd.U32((uint)TpmRh.Null)));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(Cmd.Sized(SHA384.HashData(Cmd.Cat(Data, Data))), r.SessionParameters()[..50]);
        // flushed: TPM_RC_REFERENCE_H0
        Assert.Equal((TpmRc)0x910, host.RunWithPasswords(TpmCc.SequenceUpdate, [h], [[1, 2]], Cmd.Sized(Data)).Rc);
    }

    [Fact]
    public void Event_sequence_extends_pcr_in_every_bank()
    {
        var host = new TpmTestHost();
        var h = StartSequence(host, TpmAlgId.Null, []);
        Assert.Equal((TpmRc)0x189, host.RunWithPasswords(TpmCc.SequenceComplete, [h], [[]], Cmd.Cat(Cmd.Sized(Data), Cmd.U32((uint)TpmRh.Null))).Rc);
        var r = host.RunWithPasswords(TpmCc.EventSequenceComplete, [23, h], [[], []], Cmd.Sized(Data));
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        Assert.Equal(Cmd.U32(4), p[..4]);
        var pcr = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(TpmAlgId.Sha256, 23)).Body[20..52];
        Assert.Equal(SHA256.HashData(Cmd.Cat(new byte[32], SHA256.HashData(Data))), pcr);
    }

    [Fact]
    public void Object_slots_run_out_with_object_memory_and_flush_frees_them()
    {
        var host = new TpmTestHost();
        var handles = new List<uint>();
        for (int i = 0; i < 3; i++) handles.Add(StartSequence(host, TpmAlgId.Sha256, []));
        Assert.Equal((TpmRc)0x902, host.Run(TpmCc.HashSequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.U16((ushort)TpmAlgId.Sha256))).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(handles[1])).Rc);
        Assert.Equal((TpmRc)0x1CB, host.Run(TpmCc.FlushContext, Cmd.U32(handles[1])).Rc);
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.FlushContext, Cmd.U32(0x40000001)).Rc);
        Assert.Equal(handles[1], StartSequence(host, TpmAlgId.Sha256, []));
    }
}

public class ClockTests
{
    [Fact]
    public void ClockSet_moves_forward_only()
    {
        var host = new TpmTestHost();
        ulong target = 1_000_000_000;
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.ClockSet, [(uint)TpmRh.Owner], [[]], Cmd.U64(target)).Rc);
        var clock = BinaryPrimitives.ReadUInt64BigEndian(host.Run(TpmCc.ReadClock).Body.AsSpan(8));
        Assert.InRange(clock, target, target + 10_000);
        Assert.Equal((TpmRc)0x1C4, host.RunWithPasswords(TpmCc.ClockSet, [(uint)TpmRh.Platform], [[]], Cmd.U64(5)).Rc);
        Assert.Equal((TpmRc)0x1C4, host.RunWithPasswords(TpmCc.ClockSet, [(uint)TpmRh.Owner], [[]], Cmd.U64(0xFFFF000000000001)).Rc);
        Assert.Equal((TpmRc)0x184, host.RunWithPasswords(TpmCc.ClockSet, [(uint)TpmRh.Endorsement], [[]], Cmd.U64(target * 2)).Rc);
    }

    [Fact]
    public void ClockSet_survives_power_loss()
    {
        var host = new TpmTestHost();
        host.RunWithPasswords(TpmCc.ClockSet, [(uint)TpmRh.Owner], [[]], Cmd.U64(5_000_000_000));
        host.Tpm.PowerOff();
        var again = new TpmTestHost(host.Store);
        var clock = BinaryPrimitives.ReadUInt64BigEndian(again.Run(TpmCc.ReadClock).Body.AsSpan(8));
        Assert.True(clock >= 5_000_000_000);
    }

    [Fact]
    public void ClockRateAdjust_accepts_minus_3_to_3()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.ClockRateAdjust, [(uint)TpmRh.Owner], [[]], Cmd.U8(0xFD)).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.ClockRateAdjust, [(uint)TpmRh.Platform], [[]], Cmd.U8(3)).Rc);
        Assert.Equal((TpmRc)0x1C4, host.RunWithPasswords(TpmCc.ClockRateAdjust, [(uint)TpmRh.Owner], [[]], Cmd.U8(4)).Rc);
    }

    [Fact]
    public void ReadClock_reports_time_since_init()
    {
        var host = new TpmTestHost();
        var b = host.Run(TpmCc.ReadClock).Body;
        Assert.Equal(25, b.Length);
        Assert.True(BinaryPrimitives.ReadUInt64BigEndian(b) < 60_000);
    }
}
