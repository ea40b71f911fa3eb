using Ftpm.Server.Swtpm;

namespace Ftpm.Tests.Server;

/// <summary>The state blob envelope: what is accepted, and the code and reason of what is refused.</summary>
public sealed class SwtpmStateBlobTests
{
    static readonly byte[] MacKey = Enumerable.Repeat((byte)7, 32).ToArray();
    static readonly byte[] Payload = "the TPM's records"u8.ToArray();

    static byte[]? Open(byte[] blob, SwtpmBlobType type, byte[]? encryptionKey, out SwtpmResult result, out string error) =>
        SwtpmStateBlob.Open(blob, type, encryptionKey, _ => (byte[])MacKey.Clone(), out result, out error);

    [Fact]
    public void Maced_and_encrypted_blobs_round_trip()
    {
        var maced = SwtpmStateBlob.Seal(SwtpmBlobType.Permanent, Payload, null, MacKey);
        Assert.Equal(Payload, Open(maced, SwtpmBlobType.Permanent, null, out var rc, out _));
        Assert.Equal(SwtpmResult.Success, rc);

        var key = SwtpmStateBlob.EncryptionKey(Enumerable.Repeat((byte)1, 32).ToArray());
        var encrypted = SwtpmStateBlob.Seal(SwtpmBlobType.Volatile, Payload, key, default);
        Assert.DoesNotContain("records", System.Text.Encoding.ASCII.GetString(encrypted));
        Assert.Equal(Payload, Open(encrypted, SwtpmBlobType.Volatile, key, out rc, out _));
    }

    [Fact]
    public void Refusals_name_the_reason()
    {
        var blob = SwtpmStateBlob.Seal(SwtpmBlobType.Permanent, Payload, null, MacKey);
        var cases = new (byte[] Blob, SwtpmBlobType Type, byte[]? Key, SwtpmResult Result, string Reason)[]
        {
            ([.. blob[..20], (byte)(blob[20] ^ 1), .. blob[21..]], SwtpmBlobType.Permanent, null, SwtpmResult.Fail, "integrity check"),
            ([.. blob[..9], 2, .. blob[10..]], SwtpmBlobType.Permanent, null, SwtpmResult.BadVersion, "newer than this ftpm"),
            (blob, SwtpmBlobType.SaveState, null, SwtpmResult.BadParameter, "holds permanent state, not savestate"),
            (blob[..^1], SwtpmBlobType.Permanent, null, SwtpmResult.Fail, "truncated"),
            ("not a blob at all"u8.ToArray(), SwtpmBlobType.Permanent, null, SwtpmResult.Fail, "not an ftpm state blob"),
            (blob, SwtpmBlobType.Permanent, new byte[32], SwtpmResult.Fail, "only encrypted blobs"),
            (SwtpmStateBlob.Seal(SwtpmBlobType.Permanent, Payload, new byte[32], default), SwtpmBlobType.Permanent, null, SwtpmResult.Fail, "encrypted under a state key"),
            (SwtpmStateBlob.Seal(SwtpmBlobType.Permanent, Payload, new byte[32], default), SwtpmBlobType.Permanent, Enumerable.Repeat((byte)9, 32).ToArray(), SwtpmResult.Fail, "another state key"),
        };
        foreach (var (b, type, key, expected, reason) in cases)
        {
            Assert.Null(Open(b, type, key, out var rc, out var error));
            Assert.Equal(expected, rc);
            Assert.Contains(reason, error);
        }
    }

    [Fact]
    public void Records_round_trip_and_malformed_records_are_null()
    {
        var records = new Dictionary<uint, byte[]> { [1] = [1, 2, 3], [0x01500016] = [], [0x81000001] = [9] };
        var payload = SwtpmStateBlob.EncodeRecords(records);
        var decoded = SwtpmStateBlob.DecodeRecords(payload)!;
        Assert.Equal(records.Keys.Order(), decoded.Keys.Order());
        foreach (var (k, v) in records) Assert.Equal(v, decoded[k]);
        Assert.Null(SwtpmStateBlob.DecodeRecords(payload[..^1]));
        Assert.Null(SwtpmStateBlob.DecodeRecords([.. payload, 0]));
    }
}
