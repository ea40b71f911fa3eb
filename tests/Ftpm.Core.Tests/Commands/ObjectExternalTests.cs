using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_LoadExternal (Part 3, 12.3) in-process: public-only keys in any hierarchy, keys with a
/// sensitive area only in TPM_RH_NULL, and the codes.</summary>
public sealed class ObjectExternalTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001, Null = 0x40000007;

    /// <summary>TPMT_PUBLIC of an ECDSA-SHA256 P-256 key with the given attributes and point.</summary>
    static byte[] EccPublic(uint attributes, ECParameters k) => Cmd.Cat(
        Cmd.U16(0x0023), Cmd.U16(0x000B), Cmd.U32(attributes), Cmd.Sized([]),
        Cmd.U16(0x0010), Cmd.U16(0x0018), Cmd.U16(0x000B), Cmd.U16(0x0003), Cmd.U16(0x0010),
        Cmd.Sized(k.Q.X!), Cmd.Sized(k.Q.Y!));

    /// <summary>TPMT_SENSITIVE of an ECC key: type, empty authValue and seedValue, the private scalar.</summary>
    static byte[] EccSensitive(byte[] d) => Cmd.Cat(Cmd.U16(0x0023), Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized(d));

    Response LoadExternal(byte[] sensitive, byte[] publicArea, uint hierarchy) =>
        _host.Run(TpmCc.LoadExternal, Cmd.Cat(Cmd.Sized(sensitive), Cmd.Sized(publicArea), Cmd.U32(hierarchy)));

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);

    const uint SignUserWithAuth = 0x00040040;

    [Fact]
    public void Public_key_verifies_a_signature_made_outside()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = SHA256.HashData("message"u8);
        var signature = ecdsa.SignHash(digest);
        var loaded = LoadExternal([], EccPublic(SignUserWithAuth, ecdsa.ExportParameters(false)), Owner);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        uint key = HandleOf(loaded);
        Assert.Equal(0x80000000u, key & 0xFF000000u);
        var verify = Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0018), Cmd.U16(0x000B), Cmd.Sized(signature[..32]), Cmd.Sized(signature[32..]));
        var verified = _host.Run(TpmCc.VerifySignature, verify, [key]);
        Assert.Equal(TpmRc.Success, verified.Rc);
        Assert.Equal(0x8022, BinaryPrimitives.ReadUInt16BigEndian(verified.Body));          // TPM_ST_VERIFIED
        Assert.Equal(Owner, BinaryPrimitives.ReadUInt32BigEndian(verified.Body.AsSpan(2)));
        signature[5] ^= 1;
        var bad = Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0018), Cmd.U16(0x000B), Cmd.Sized(signature[..32]), Cmd.Sized(signature[32..]));
        Assert.Equal(TpmRc.Signature.AtParameter(2), _host.Run(TpmCc.VerifySignature, bad, [key]).Rc);

        // A public-only key has no sensitive area to sign with.
        var sign = Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0));
        Assert.NotEqual(TpmRc.Success, _host.RunWithPasswords(TpmCc.Sign, [key], [[]], sign).Rc);
    }

    [Fact]
    public void Key_with_private_area_loads_in_null_and_signs()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var k = ecdsa.ExportParameters(true);
        var loaded = LoadExternal(EccSensitive(k.D!), EccPublic(SignUserWithAuth, k), Null);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        var digest = SHA256.HashData("abc"u8);
        var sign = Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0));
        var signed = _host.RunWithPasswords(TpmCc.Sign, [HandleOf(loaded)], [[]], sign);
        Assert.Equal(TpmRc.Success, signed.Rc);
        var p = signed.SessionParameters();   // sigAlg, hash, r, s
        int rSize = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(4));
        var r = p.AsSpan(6, rSize).ToArray();
        int sSize = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(6 + rSize));
        var s = p.AsSpan(8 + rSize, sSize).ToArray();
        Assert.True(ecdsa.VerifyHash(digest, Cmd.Cat(r, s)));
    }

    [Fact]
    public void Codes()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var k = ecdsa.ExportParameters(true);
        var publicArea = EccPublic(SignUserWithAuth, k);
        // A sensitive area outside TPM_RH_NULL: TPM_RC_HIERARCHY + P3.
        Assert.Equal(TpmRc.Hierarchy.AtParameter(3), LoadExternal(EccSensitive(k.D!), publicArea, Owner).Rc);
        // fixedTPM|fixedParent or restricted with a sensitive area: TPM_RC_ATTRIBUTES + P2.
        Assert.Equal(TpmRc.Attributes.AtParameter(2), LoadExternal(EccSensitive(k.D!), EccPublic(SignUserWithAuth | 0x12, k), Null).Rc);
        Assert.Equal(TpmRc.Attributes.AtParameter(2), LoadExternal(EccSensitive(k.D!), EccPublic(SignUserWithAuth | 0x10000, k), Null).Rc);
        // Not a hierarchy (TPM_RH_LOCKOUT): TPM_RC_VALUE + P3.
        Assert.Equal(TpmRc.Value.AtParameter(3), LoadExternal([], publicArea, 0x4000000A).Rc);
        // A private scalar of another key: TPM_RC_BINDING + P1.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(TpmRc.Binding.AtParameter(1), LoadExternal(EccSensitive(other.ExportParameters(true).D!), publicArea, Null).Rc);
        // A sensitive area that does not unmarshal: TPM_RC_SENSITIVE.
        Assert.Equal(TpmRc.Sensitive, LoadExternal([0x00, 0x23, 0x00], publicArea, Null).Rc);
        // A point that is not on the curve: TPM_RC_KEY + P2.
        var offCurve = ecdsa.ExportParameters(false);
        offCurve.Q.Y![^1] ^= 1;
        Assert.Equal(TpmRc.Key.AtParameter(2), LoadExternal([], EccPublic(SignUserWithAuth, offCurve), Null).Rc);
        // A disabled hierarchy: TPM_RC_HIERARCHY + P3 (HierarchyControl clears shEnable).
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.HierarchyControl, [Owner], [[]], Cmd.Cat(Cmd.U32(Owner), Cmd.U8(0))).Rc);
        Assert.Equal(TpmRc.Hierarchy.AtParameter(3), LoadExternal([], publicArea, Owner).Rc);
        // Every slot full: TPM_RC_OBJECT_MEMORY.
        for (int i = 0; i < 3; i++) Assert.Equal(TpmRc.Success, LoadExternal([], publicArea, Null).Rc);
        Assert.Equal(TpmRc.ObjectMemory, LoadExternal([], publicArea, Null).Rc);
    }
}
