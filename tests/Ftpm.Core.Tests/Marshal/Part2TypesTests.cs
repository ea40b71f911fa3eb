using Ftpm.Marshal;

namespace Ftpm.Tests.Marshal;

/// <summary>Hex vectors and exact response codes for the Part 2 types declared in Ftpm.Core/Marshal/Types.</summary>
public class Part2TypesTests
{
    const string Sha1Abc = "A9993E364706816ABA3E25717850C26C9CD0D89D";
    const string Sha256Abc = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";

    // ---- TPMT_HA / TPMU_HA ----

    [Fact]
    public void TpmtHa_Sha256_RoundTrips()
    {
        var ha = Wire.RoundTrip<TpmtHa>("000B" + Sha256Abc);
        Assert.Equal(TpmAlgId.Sha256, ha.HashAlg);
        Assert.Equal(Sha256Abc, Wire.Hex(ha.Digest.Digest));
    }

    [Fact]
    public void TpmtHa_Null_IsHash() =>
        // Commands read TPMT_HA without "+" (TPML_DIGEST_VALUES, HMAC signatures): TPM_ALG_NULL is TPM_RC_HASH.
        Assert.Equal(TpmRc.Hash, Wire.Read<TpmtHa>("0010", out _));

    [Fact]
    public void TpmtHa_WriteFromFields()
    {
        var ha = new TpmtHa { HashAlg = TpmAlgId.Sha1, Digest = new TpmuHa { Digest = Convert.FromHexString(Sha1Abc) } };
        Assert.Equal("0004" + Sha1Abc, Wire.Write(ha));
    }

    [Fact]
    public void TpmtHa_ShortDigest_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<TpmtHa>("000B" + Sha256Abc[..40], out _));

    [Fact]
    public void TpmtHa_ShortAlgorithm_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<TpmtHa>("00", out _));

    [Theory]
    [InlineData("0001")]   // TPM_ALG_RSA: not a hash
    [InlineData("000E")]   // TPM_ALG_SHA256_192: a hash ftpm does not implement
    [InlineData("0000")]   // TPM_ALG_ERROR
    public void TpmtHa_NotAHash_IsHash(string alg) =>
        Assert.Equal(TpmRc.Hash, Wire.Read<TpmtHa>(alg + Sha256Abc, out _));

    [Fact]
    public void TpmuHa_UnknownSelector_IsSelector()
    {
        var reader = new TpmReader(new byte[64]);
        Assert.Equal(TpmRc.Selector, TpmuHa.Read(ref reader, TpmAlgId.Rsa, out _));
    }

    [Fact]
    public void TpmuHa_WriteUnknownSelector_Throws()
    {
        var ha = new TpmuHa { Digest = new byte[32] };
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new TpmWriter(new byte[64]);
            ha.Write(ref writer, TpmAlgId.Rsa);
        });
    }

    // ---- TPM2B_DIGEST ----

    [Fact]
    public void Tpm2bDigest_RoundTrips() =>
        Assert.Equal(Sha256Abc, Wire.Hex(Wire.RoundTrip<Tpm2bDigest>("0020" + Sha256Abc).Buffer));

    [Fact]
    public void Tpm2bDigest_Empty_RoundTrips() =>
        Assert.True(Wire.RoundTrip<Tpm2bDigest>("0000").Buffer.IsEmpty);

    [Fact]
    public void Tpm2bDigest_OverMax_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<Tpm2bDigest>("0041" + new string('0', 0x41 * 2), out _));

    [Fact]
    public void Tpm2bDigest_Short_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<Tpm2bDigest>("0020" + Sha256Abc[..62], out _));

    // ---- TPML_DIGEST_VALUES / TPML_DIGEST ----

    [Fact]
    public void TpmlDigestValues_TwoEntries_RoundTrip()
    {
        var list = Wire.RoundTrip<TpmlDigestValues>("00000002" + "0004" + Sha1Abc + "000B" + Sha256Abc);
        Assert.Equal(2u, list.Count);
        Assert.Equal(TpmAlgId.Sha1, list.Digests[0].HashAlg);
        Assert.Equal(Sha1Abc, Wire.Hex(list.Digests[0].Digest.Digest));
        Assert.Equal(TpmAlgId.Sha256, list.Digests[1].HashAlg);
        Assert.Equal(Sha256Abc, Wire.Hex(list.Digests[1].Digest.Digest));
    }

    [Fact]
    public void TpmlDigestValues_Empty_RoundTrips() => Assert.Equal(0u, Wire.RoundTrip<TpmlDigestValues>("00000000").Count);

    [Fact]
    public void TpmlDigestValues_CountOverHashCount_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TpmlDigestValues>("00000005" + string.Concat(Enumerable.Repeat("0004" + Sha1Abc, 5)), out _));

    [Fact]
    public void TpmlDigestValues_HugeCount_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TpmlDigestValues>("FFFFFFFF", out _));

    [Fact]
    public void TpmlDigestValues_FewerEntriesThanCount_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<TpmlDigestValues>("00000002" + "0004" + Sha1Abc, out _));

    [Fact]
    public void TpmlDigestValues_BadHashInEntry_IsHash() =>
        Assert.Equal(TpmRc.Hash, Wire.Read<TpmlDigestValues>("00000002" + "0004" + Sha1Abc + "0001", out _));

    [Fact]
    public void TpmlDigest_RoundTrips()
    {
        var list = Wire.RoundTrip<TpmlDigest>("00000002" + "0014" + Sha1Abc + "0000");
        Assert.Equal(Sha1Abc, Wire.Hex(list.Digests[0].Buffer));
        Assert.True(list.Digests[1].Buffer.IsEmpty);
    }

    [Fact]
    public void TpmlDigest_CountOverMax_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TpmlDigest>("00000009" + string.Concat(Enumerable.Repeat("0000", 9)), out _));

    // ---- TPML_PCR_SELECTION / TPMS_PCR_SELECTION ----

    [Fact]
    public void TpmlPcrSelection_RoundTrips()
    {
        var list = Wire.RoundTrip<TpmlPcrSelection>("00000002" + "000B03010080" + "000403000000");
        Assert.Equal(2u, list.Count);
        Assert.Equal(TpmAlgId.Sha256, list.PcrSelections[0].Hash);
        Assert.Equal("010080", Wire.Hex(list.PcrSelections[0].PcrSelect));
        Assert.Equal(TpmAlgId.Sha1, list.PcrSelections[1].Hash);
    }

    [Fact]
    public void TpmlPcrSelection_CountOverHashCount_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TpmlPcrSelection>("00000005" + string.Concat(Enumerable.Repeat("000B03000000", 5)), out _));

    [Theory]
    [InlineData("000B020100")]       // sizeofSelect 2: below PCR_SELECT_MIN (TpmCheck.PcrSelect)
    [InlineData("000B0401000000")]   // sizeofSelect 4: above PCR_SELECT_MAX (ReadSized8)
    public void TpmsPcrSelection_BadSizeofSelect_IsValue(string hex) =>
        Assert.Equal(TpmRc.Value, Wire.Read<TpmsPcrSelection>(hex, out _));

    [Fact]
    public void TpmsPcrSelection_UnimplementedHash_IsHash() =>
        // hash is a TPMI_ALG_HASH without "+" (Part 2, 10.6.2)
        Assert.Equal(TpmRc.Hash, Wire.Read<TpmsPcrSelection>("000103FFFFFF", out _));

    // ---- TPMS_CLOCK_INFO / TPMS_TIME_INFO ----

    [Fact]
    public void TpmsClockInfo_RoundTrips()
    {
        var info = Wire.RoundTrip<TpmsClockInfo>("0102030405060708" + "00000005" + "00000006" + "01");
        Assert.Equal(0x0102030405060708ul, info.Clock);
        Assert.Equal(5u, info.ResetCount);
        Assert.Equal(6u, info.RestartCount);
        Assert.Equal(1, info.Safe);
    }

    [Fact]
    public void TpmsClockInfo_SafeTwo_IsValue() =>
        Assert.Equal(TpmRc.Value, Wire.Read<TpmsClockInfo>("0102030405060708" + "00000005" + "00000006" + "02", out _));

    [Fact]
    public void TpmsClockInfo_MissingSafe_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<TpmsClockInfo>("0102030405060708" + "00000005" + "00000006", out _));

    [Fact]
    public void TpmsTimeInfo_RoundTrips()
    {
        var info = Wire.RoundTrip<TpmsTimeInfo>("00000000000003E8" + "0102030405060708" + "00000005" + "00000006" + "00");
        Assert.Equal(1000ul, info.Time);
        Assert.Equal(6u, info.ClockInfo.RestartCount);
    }

    // ---- TPMT_TK_HASHCHECK ----

    [Fact]
    public void TpmtTkHashcheck_RoundTrips()
    {
        var ticket = Wire.RoundTrip<TpmtTkHashcheck>("8024" + "40000001" + "0020" + Sha256Abc);
        Assert.Equal(TpmSt.HashCheck, ticket.Tag);
        Assert.Equal(0x40000001u, ticket.Hierarchy);
        Assert.Equal(Sha256Abc, Wire.Hex(ticket.Digest.Buffer));
    }

    [Fact]
    public void TpmtTkHashcheck_NullTicket_RoundTrips() =>
        Assert.Equal(TpmSt.HashCheck, Wire.RoundTrip<TpmtTkHashcheck>("8024" + "40000007" + "0000").Tag);

    [Fact]
    public void TpmtTkHashcheck_DigestOverMax_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TpmtTkHashcheck>("8024" + "40000001" + "0041", out _));
}
