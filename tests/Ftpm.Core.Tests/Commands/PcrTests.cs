using System.Security.Cryptography;

namespace Ftpm.Tests.Commands;

public class PcrTests
{
    static byte[] ReadPcr(TpmTestHost host, TpmAlgId bank, int pcr)
    {
        var r = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(bank, pcr));
        Assert.Equal(TpmRc.Success, r.Rc);
        var body = r.Body;
        // pcrUpdateCounter(4) count(4) hash(2) size(1) select(3) digests count(4) size(2) value
        Assert.Equal(1u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(14)));
        int size = body[18] << 8 | body[19];
        return body.AsSpan(20, size).ToArray();
    }

    static byte[] ExtendDigests(TpmAlgId alg, byte[] digest) =>
        Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)alg), digest);

    [Fact]
    public void Extend_then_read_matches_computed_value()
    {
        var host = new TpmTestHost();
        var digest = SHA256.HashData("measurement"u8);
        var r = host.RunWithPasswords(TpmCc.PcrExtend, [10], [[]], ExtendDigests(TpmAlgId.Sha256, digest));
        Assert.Equal(TpmRc.Success, r.Rc);
        var expected = SHA256.HashData(Cmd.Cat(new byte[32], digest));
        Assert.Equal(expected, ReadPcr(host, TpmAlgId.Sha256, 10));
        Assert.Equal(new byte[20], ReadPcr(host, TpmAlgId.Sha1, 10)); // other banks untouched
    }

    [Fact]
    public void Drtm_pcrs_start_as_all_ones()
    {
        var host = new TpmTestHost();
        Assert.All(ReadPcr(host, TpmAlgId.Sha256, 17), b => Assert.Equal(0xFF, b));
        Assert.All(ReadPcr(host, TpmAlgId.Sha256, 16), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Extend_with_unimplemented_hash_is_hash_at_parameter_1()
    {
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.PcrExtend, [10], [[]], ExtendDigests(TpmAlgId.Sha3_256, new byte[32]));
        Assert.Equal((TpmRc)(0x083 + 0x040 + 0x100), r.Rc);
    }

    [Fact]
    public void Extend_with_too_many_digests_is_size()
    {
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.PcrExtend, [10], [[]], Cmd.U32(5));
        Assert.Equal((TpmRc)(0x095 + 0x040 + 0x100), r.Rc);
    }

    [Fact]
    public void Extend_from_a_locality_the_pcr_refuses_is_locality()
    {
        var host = new TpmTestHost();
        var digest = new byte[32];
        Assert.Equal(TpmRc.Locality, host.RunWithPasswords(TpmCc.PcrExtend, [17], [[]], ExtendDigests(TpmAlgId.Sha256, digest)).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrExtend, [17], [[]], ExtendDigests(TpmAlgId.Sha256, digest), locality: 2).Rc);
    }

    [Fact]
    public void Reset_rules_follow_pcr_attributes()
    {
        var host = new TpmTestHost();
        host.RunWithPasswords(TpmCc.PcrExtend, [16], [[]], ExtendDigests(TpmAlgId.Sha256, new byte[32]));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrReset, [16], [[]]).Rc);
        Assert.Equal(new byte[32], ReadPcr(host, TpmAlgId.Sha256, 16));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrReset, [23], [[]]).Rc);
        Assert.Equal(TpmRc.Locality, host.RunWithPasswords(TpmCc.PcrReset, [10], [[]]).Rc);
        Assert.Equal(TpmRc.Locality, host.RunWithPasswords(TpmCc.PcrReset, [17], [[]], locality: 3).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrReset, [17], [[]], locality: 4).Rc);
        Assert.Equal(new byte[32], ReadPcr(host, TpmAlgId.Sha256, 17));
    }

    [Fact]
    public void Event_returns_every_bank_digest_and_extends()
    {
        var host = new TpmTestHost();
        var data = "event data"u8.ToArray();
        var r = host.RunWithPasswords(TpmCc.PcrEvent, [9], [[]], Cmd.Sized(data));
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        var expected = Cmd.Cat(Cmd.U32(4),
            Cmd.U16((ushort)TpmAlgId.Sha1), SHA1.HashData(data),
            Cmd.U16((ushort)TpmAlgId.Sha256), SHA256.HashData(data),
            Cmd.U16((ushort)TpmAlgId.Sha384), SHA384.HashData(data),
            Cmd.U16((ushort)TpmAlgId.Sha512), SHA512.HashData(data));
        Assert.Equal(expected, p);
        Assert.Equal(SHA384.HashData(Cmd.Cat(new byte[48], SHA384.HashData(data))), ReadPcr(host, TpmAlgId.Sha384, 9));
    }

    [Fact]
    public void Read_returns_at_most_eight_digests_and_says_which()
    {
        var host = new TpmTestHost();
        var r = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(TpmAlgId.Sha256, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        Assert.Equal(TpmRc.Success, r.Rc);
        var b = r.Body;
        Assert.Equal(new byte[] { 0xFF, 0, 0 }, b.AsSpan(11, 3).ToArray());
        Assert.Equal(8u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(14)));
    }

    [Fact]
    public void Update_counter_counts_changes_but_not_of_pcr_16()
    {
        var host = new TpmTestHost();
        host.RunWithPasswords(TpmCc.PcrExtend, [1], [[]], ExtendDigests(TpmAlgId.Sha256, new byte[32]));
        host.RunWithPasswords(TpmCc.PcrExtend, [16], [[]], ExtendDigests(TpmAlgId.Sha256, new byte[32]));
        var r = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(TpmAlgId.Sha256, 0));
        Assert.Equal(1u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(r.Body));
    }

    [Fact]
    public void Allocate_takes_effect_at_next_startup_clear()
    {
        var host = new TpmTestHost();
        var sel = Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)TpmAlgId.Sha1), Cmd.U8(3), [0, 0, 0]);
        var r = host.RunWithPasswords(TpmCc.PcrAllocate, [(uint)TpmRh.Platform], [[]], sel);
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        Assert.Equal(1, p[0]);                                     // allocationSuccess
        Assert.Equal(Cmd.U32(24), p[1..5]);                        // maxPCR
        // Still allocated until the restart
        Assert.Equal(new byte[20], ReadPcr(host, TpmAlgId.Sha1, 0));
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        var read = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(TpmAlgId.Sha1, 0));
        Assert.Equal(new byte[] { 0, 0, 0 }, read.Body.AsSpan(11, 3).ToArray());
        Assert.Equal(Cmd.U32(0), read.Body[14..18]);
    }

    [Fact]
    public void Allocate_needs_platform_handle()
    {
        var host = new TpmTestHost();
        var sel = Cmd.PcrSelection(TpmAlgId.Sha1);
        Assert.Equal((TpmRc)0x184, host.RunWithPasswords(TpmCc.PcrAllocate, [(uint)TpmRh.Owner], [[]], sel).Rc);
    }

    [Fact]
    public void Extend_to_null_handle_does_nothing()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrExtend, [(uint)TpmRh.Null], [[]], ExtendDigests(TpmAlgId.Sha256, new byte[32])).Rc);
    }
}
