using Ftpm.Marshal;

namespace Ftpm.Tests.Marshal;

/// <summary>Hex vectors for TPMS_ATTEST and its TPMU_ATTEST arms (Part 2, 10.12).</summary>
public class AttestTypesTests
{
    const string Sha256Abc = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";

    // magic, type, qualifiedSigner (TPM_RH_NULL), extraData, clockInfo (clock, resetCount, restartCount,
    // safe), firmwareVersion.
    static string Header(string type) =>
        "FF544347" + type + "0004 40000007" + "0002 ABCD" + "0000000000001234 00000001 00000002 01" + "0001000000000000";

    [Fact]
    public void Quote_round_trips()
    {
        var a = Wire.RoundTrip<TpmsAttest>((Header("8018") + "00000001 000B 03 030000" + "0020" + Sha256Abc).Replace(" ", ""));
        Assert.Equal(0xFF544347u, a.Magic);
        Assert.Equal(TpmSt.AttestQuote, a.Type);
        Assert.Equal("40000007", Wire.Hex(a.QualifiedSigner));
        Assert.Equal("ABCD", Wire.Hex(a.ExtraData));
        Assert.Equal(0x1234UL, a.ClockInfo.Clock);
        Assert.Equal(2u, a.ClockInfo.RestartCount);
        Assert.Equal(0x0001000000000000UL, a.FirmwareVersion);
        Assert.Equal(TpmAlgId.Sha256, a.Attested.Quote.PcrSelect.PcrSelections[0].Hash);
        Assert.Equal(Sha256Abc, Wire.Hex(a.Attested.Quote.PcrDigest));
    }

    [Fact]
    public void Nv_digest_and_time_round_trip()
    {
        var nv = Wire.RoundTrip<TpmsAttest>((Header("801C") + "0004 01500020" + "0020" + Sha256Abc).Replace(" ", ""));
        Assert.Equal(TpmSt.AttestNvDigest, nv.Type);
        Assert.Equal(Sha256Abc, Wire.Hex(nv.Attested.NvDigest.NvDigest));
        var time = Wire.RoundTrip<TpmsAttest>((Header("8019") + "0000000000000042 0000000000001234 00000001 00000002 01 0001000000000000").Replace(" ", ""));
        Assert.Equal(0x42UL, time.Attested.Time.Time.Time);
    }

    [Fact]
    public void Unknown_type_is_selector() =>
        Assert.Equal(TpmRc.Selector, Wire.Read<TpmsAttest>((Header("8021") + "0000").Replace(" ", ""), out _));
}
