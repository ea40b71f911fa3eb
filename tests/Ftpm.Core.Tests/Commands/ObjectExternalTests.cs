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
        // A private scalar of another key: TPM_RC_BINDING, unnumbered (as swtpm answers: 0x0A5).
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(TpmRc.Binding, LoadExternal(EccSensitive(other.ExportParameters(true).D!), publicArea, Null).Rc);
        // A TPM2B_SENSITIVE whose TPMT_SENSITIVE does not fit its size: read on from the size field as the
        // reference unmarshals it, it uses more than 3 octets: TPM_RC_SIZE + P1.
        Assert.Equal(TpmRc.Size.AtParameter(1), LoadExternal([0x00, 0x23, 0x00], publicArea, Null).Rc);
        // A point that is not on the curve: TPM_RC_ECC_POINT + P2 (swtpm: 0x2E7).
        var offCurve = ecdsa.ExportParameters(false);
        offCurve.Q.Y![^1] ^= 1;
        Assert.Equal(TpmRc.EccPoint.AtParameter(2), LoadExternal([], EccPublic(SignUserWithAuth, offCurve), Null).Rc);
        // A disabled hierarchy: TPM_RC_HIERARCHY + P3 (HierarchyControl clears shEnable).
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.HierarchyControl, [Owner], [[]], Cmd.Cat(Cmd.U32(Owner), Cmd.U8(0))).Rc);
        Assert.Equal(TpmRc.Hierarchy.AtParameter(3), LoadExternal([], publicArea, Owner).Rc);
        // Every slot full: TPM_RC_OBJECT_MEMORY.
        for (int i = 0; i < 3; i++) Assert.Equal(TpmRc.Success, LoadExternal([], publicArea, Null).Rc);
        Assert.Equal(TpmRc.ObjectMemory, LoadExternal([], publicArea, Null).Rc);
    }

    /// <summary>TPMT_PUBLIC of an ECDSA-SHA256 P-256 key with another nameAlg.</summary>
    static byte[] EccPublic(uint attributes, ECParameters k, ushort nameAlg)
    {
        var p = EccPublic(attributes, k);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), nameAlg);
        return p;
    }

    /// <summary>TPMT_PUBLIC of an RSASSA-SHA256 key with the given exponent and modulus.</summary>
    static byte[] RsaPublic(uint exponent, byte[] modulus) => Cmd.Cat(
        Cmd.U16(0x0001), Cmd.U16(0x000B), Cmd.U32(SignUserWithAuth), Cmd.Sized([]),
        Cmd.U16(0x0010), Cmd.U16(0x0014), Cmd.U16(0x000B), Cmd.U16((ushort)(modulus.Length * 8)), Cmd.U32(exponent), Cmd.Sized(modulus));

    (byte[] Name, byte[] QualifiedName) NamesOf(uint key)
    {
        var body = _host.Run(TpmCc.ReadPublic, handles: [key]).Body;
        int at = 2 + BinaryPrimitives.ReadUInt16BigEndian(body);
        int nameSize = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(at));
        var name = body.AsSpan(at + 2, nameSize).ToArray();
        at += 2 + nameSize;
        var qn = body.AsSpan(at + 2, BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(at))).ToArray();
        return (name, qn);
    }

    /// <summary>nameAlg TPM_ALG_NULL (Part 3, 12.3): a public key, or a key with its sensitive area in the
    /// null hierarchy, loads without a Name: Name and Qualified Name are the Empty Buffer (swtpm answers
    /// the same), only the scheme checks apply, and VerifySignature gives the NULL ticket.</summary>
    [Fact]
    public void Null_name_algorithm_loads_without_a_name()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var k = ecdsa.ExportParameters(true);
        // fixedTPM without fixedParent would be TPM_RC_ATTRIBUTES with a Name and a sensitive area.
        var loaded = LoadExternal([], EccPublic(SignUserWithAuth | 0x2, k, 0x0010), Owner);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        Assert.Equal(Cmd.U16(0), loaded.Body[4..]);   // name: the Empty Buffer
        uint key = HandleOf(loaded);
        Assert.Equal((Array.Empty<byte>(), Array.Empty<byte>()), NamesOf(key));
        var digest = SHA256.HashData("message"u8);
        var signature = ecdsa.SignHash(digest);
        var verified = _host.Run(TpmCc.VerifySignature,
            Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0018), Cmd.U16(0x000B), Cmd.Sized(signature[..32]), Cmd.Sized(signature[32..])), [key]);
        Assert.Equal(TpmRc.Success, verified.Rc);
        Assert.Equal(Cmd.Cat(Cmd.U16(0x8022), Cmd.U32(Null), Cmd.U16(0)), verified.Body);   // the NULL ticket
        // The context of a nameless key round-trips.
        var saved = _host.Run(TpmCc.ContextSave, handles: [key]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(key)).Rc);
        var again = _host.Run(TpmCc.ContextLoad, saved.Body);
        Assert.Equal(TpmRc.Success, again.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(again))).Rc);

        // With its sensitive area (null hierarchy only): it signs.
        var withPrivate = LoadExternal(EccSensitive(k.D!), EccPublic(SignUserWithAuth, k, 0x0010), Null);
        Assert.Equal(TpmRc.Success, withPrivate.Rc);
        uint signer = HandleOf(withPrivate);
        Assert.Empty(NamesOf(signer).Name);
        var sign = _host.RunWithPasswords(TpmCc.Sign, [signer], [[]],
            Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0)));
        Assert.Equal(TpmRc.Success, sign.Rc);
        // A scheme the key cannot have is still refused: TPM_RC_SCHEME + P2.
        var badScheme = EccPublic(SignUserWithAuth, k, 0x0010);
        BinaryPrimitives.WriteUInt16BigEndian(badScheme.AsSpan(12), 0x0019);   // ECDH on a signing key
        Assert.Equal(TpmRc.Scheme.AtParameter(2), LoadExternal([], badScheme, Null).Rc);
    }

    /// <summary>A public key with a Name gets the scheme checks only too: fixedTPM without fixedParent
    /// loads (as in swtpm); coordinates of the wrong size are TPM_RC_KEY + P2.</summary>
    [Fact]
    public void Public_keys_get_the_scheme_checks_only()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var k = ecdsa.ExportParameters(false);
        Assert.Equal(TpmRc.Success, LoadExternal([], EccPublic(SignUserWithAuth | 0x2, k), Null).Rc);
        k.Q.X = k.Q.X![1..];
        Assert.Equal(TpmRc.Key.AtParameter(2), LoadExternal([], EccPublic(SignUserWithAuth, k), Null).Rc);
    }

    /// <summary>The RSA public exponent of a loaded key: 0 (2^16 + 1) or at least 7, else TPM_RC_VALUE +
    /// P2 (the reference's CryptValidateKeys; swtpm answers 0x2C4 for 1, 3 and 5, and loads 7 and 9).</summary>
    [Theory]
    [InlineData(1u, false)]
    [InlineData(3u, false)]
    [InlineData(5u, false)]
    [InlineData(0u, true)]
    [InlineData(7u, true)]
    [InlineData(65537u, true)]
    public void Rsa_exponent_of_a_loaded_key(uint exponent, bool loads)
    {
        using var rsa = RSA.Create(2048);
        var modulus = rsa.ExportParameters(false).Modulus!;
        var r = LoadExternal([], RsaPublic(exponent, modulus), Null);
        Assert.Equal(loads ? TpmRc.Success : TpmRc.Value.AtParameter(2), r.Rc);
    }
}
