using Ftpm.Marshal;

namespace Ftpm.Tests.Marshal;

/// <summary>Generator features exercised through the test-only declarations in TestTypes.cs.</summary>
public class GeneratedFeaturesTests
{
    // ---- [Sized] structure (TPM2B holding a structure) ----

    [Fact]
    public void SizedStruct_RoundTrips()
    {
        var outer = Wire.RoundTrip<TestSizedOuter>("AA" + "0006" + "1234" + "56789ABC" + "BB");
        Assert.Equal(0xAA, outer.Tag);
        Assert.Equal(0x1234, outer.Inner.A);
        Assert.Equal(0x56789ABCu, outer.Inner.B);
        Assert.Equal(0xBB, outer.Trailer);
    }

    [Fact]
    public void SizedStruct_WriteFillsInSize() =>
        Assert.Equal("01000600020000000302",
            Wire.Write(new TestSizedOuter { Tag = 1, Inner = new TestInner { A = 2, B = 3 }, Trailer = 2 }));

    [Fact]
    public void SizedStruct_SizeLargerThanStruct_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TestSizedOuter>("AA" + "0007" + "1234" + "56789ABC" + "00" + "BB", out _));

    [Fact]
    public void SizedStruct_SizeSmallerThanStruct_IsSize() =>
        // The structure is read on past its TPM2B's size, then found to have used more (the reference's
        // TPM2B_PUBLIC_Unmarshal and the like).
        Assert.Equal(TpmRc.Size, Wire.Read<TestSizedOuter>("AA" + "0005" + "1234" + "56789ABC" + "BB", out _));

    [Fact]
    public void SizedStruct_SizeZero_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TestSizedOuter>("AA" + "0000" + "BB", out _));

    [Fact]
    public void SizedStruct_SizePastEnd_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<TestSizedOuter>("AA" + "0010" + "1234", out _));

    // ---- [TpmUnion] with [Selector] ----

    [Theory]
    [InlineData("0010" + "07")]                                     // TPM_ALG_NULL: empty arm
    [InlineData("000B" + "07" + "1234" + "56789ABC")]               // SHA256: structure arm
    [InlineData("0001" + "07" + "CAFEF00D")]                        // RSA: uint arm
    [InlineData("0023" + "07" + "CAFEF00D")]                        // ECC: same arm, second selector
    [InlineData("0006" + "07" + "000102030405060708090A0B0C0D0E0F")] // AES: fixed 16-octet arm
    public void Union_EachArm_RoundTrips(string hex) => Wire.RoundTrip<TestSelected>(hex);

    [Fact]
    public void Union_ReadsChosenArm()
    {
        var selected = Wire.ReadAll<TestSelected>("0023" + "07" + "CAFEF00D");
        Assert.Equal(0xCAFEF00Du, selected.Value.Number);
        Assert.Equal(0, selected.Value.Inner.A);
    }

    [Fact]
    public void Union_UnknownSelector_IsSelector() =>
        Assert.Equal(TpmRc.Selector, Wire.Read<TestSelected>("0004" + "07" + "CAFEF00D", out _));

    [Fact]
    public void Union_ShortArm_IsInsufficient() =>
        Assert.Equal(TpmRc.Insufficient, Wire.Read<TestSelected>("0006" + "07" + "0001", out _));

    // ---- [TpmParameters]: failures numbered with the parameter ----

    [Fact]
    public void Parameters_RoundTrip()
    {
        var p = Wire.RoundTrip<TestParameters>("00000001" + "0002ABCD" + "01");
        Assert.Equal(1u, p.First);
        Assert.Equal("ABCD", Wire.Hex(p.Second));
        Assert.Equal(1, p.Third);
    }

    [Fact]
    public void Parameters_SecondOverMax_IsSizeAtParameter2()
    {
        Assert.Equal((TpmRc)0x2D5, Wire.Read<TestParameters>("00000001" + "0009" + "000000000000000000" + "01", out _));
        Assert.Equal(TpmRc.Size.AtParameter(2), Wire.Read<TestParameters>("00000001" + "0009", out _));
    }

    [Fact]
    public void Parameters_FirstShort_IsInsufficientAtParameter1() =>
        Assert.Equal((TpmRc)0x1DA, Wire.Read<TestParameters>("0000", out _));

    [Fact]
    public void Parameters_ThirdCheckFails_IsValueAtParameter3() =>
        Assert.Equal((TpmRc)0x3C4, Wire.Read<TestParameters>("00000001" + "0000" + "02", out _));

    // ---- [List] of checked enums ----

    [Fact]
    public void EnumList_RoundTrips()
    {
        var list = Wire.RoundTrip<TestHashList>("0002" + "000B" + "0004");
        Assert.Equal(TpmAlgId.Sha256, list.Hashes[0]);
        Assert.Equal(TpmAlgId.Sha1, list.Hashes[1]);
    }

    [Fact]
    public void EnumList_ElementCheck_IsHash() =>
        Assert.Equal(TpmRc.Hash, Wire.Read<TestHashList>("0002" + "000B" + "0010", out _));

    [Fact]
    public void EnumList_CountOverCapacity_IsSize() =>
        Assert.Equal(TpmRc.Size, Wire.Read<TestHashList>("0004" + "000B000B000B000B", out _));

    // ---- Nested type, [Sized8] and [FixedSize] ----

    [Fact]
    public void Nested_RoundTrips()
    {
        var nested = Wire.RoundTrip<TestOuter.Nested>("0000000000000001" + "03ABCDEF" + "1122");
        Assert.Equal("ABCDEF", Wire.Hex(nested.Short));
        Assert.Equal("1122", Wire.Hex(nested.Pair));
    }

    [Fact]
    public void Nested_Sized8OverMax_IsValue() =>
        Assert.Equal(TpmRc.Value, Wire.Read<TestOuter.Nested>("0000000000000001" + "05" + "0102030405" + "1122", out _));
}
