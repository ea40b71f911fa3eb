using System.Buffers.Binary;

namespace Ftpm.Tests.Commands;

/// <summary>Derived objects (Part 1, "Derived Objects"; Part 3, 12.9 TPM2_CreateLoaded under a derivation
/// parent): a restricted decrypting KEYEDHASH key with an XOR/KDF1_SP800_108 scheme, whose children come
/// from KDFa over its secret with the label and context of a TPMS_DERIVE.</summary>
public sealed class ObjectDeriveTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    /// <summary>KEYEDHASH, fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|decrypt,
    /// XOR(SHA-256, KDF1_SP800_108).</summary>
    const string DerivationParent = "0008 000B 00030072 0000 000A 000B 0022 0000";
    /// <summary>The template of an ECDSA P-256 child (fixedTPM|fixedParent|userWithAuth|sign) before its TPMS_DERIVE.</summary>
    const string EccChild = "0023 000B 00040052 0000 0010 0018 000B 0003 0010";

    static byte[] Derive(string label, string context) =>
        Cmd.Cat(Cmd.Sized(System.Text.Encoding.ASCII.GetBytes(label)), Cmd.Sized(System.Text.Encoding.ASCII.GetBytes(context)));

    static byte[] Sensitive(byte[]? auth = null, byte[]? data = null) => Cmd.Sized(Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized(data ?? [])));

    Response CreateLoaded(uint parent, byte[] template, byte[]? sensitive = null) =>
        _host.RunWithPasswords(TpmCc.CreateLoaded, [parent], [[]], Cmd.Cat(sensitive ?? Sensitive(), Cmd.Sized(template)));

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);

    /// <summary>outPrivate (with its size), outPublic's public area and the Name of a CreateLoaded response.</summary>
    static (byte[] Private, byte[] Public, byte[] Name) Outputs(Response r)
    {
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters(handles: 1);
        int at = 0;
        byte[] Next()
        {
            int size = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at));
            var v = p.AsSpan(at + 2, size).ToArray();
            at += 2 + size;
            return v;
        }
        return (Next(), Next(), Next());
    }

    void Flush(uint handle) => Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(handle)).Rc);

    /// <summary>A derivation parent made by the TPM under a new SRK; the SRK is flushed.</summary>
    uint NewDerivationParent()
    {
        uint srk = HandleOf(CreateLoaded(Owner, H(EccStorage)));
        var parent = CreateLoaded(srk, H(DerivationParent));
        Assert.Equal(TpmRc.Success, parent.Rc);
        Flush(srk);
        return HandleOf(parent);
    }

    [Fact]
    public void Same_label_and_context_derive_the_same_key_and_others_another()
    {
        uint parent = NewDerivationParent();
        var first = CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("label", "ctx-1")));
        var (priv, pub, name) = Outputs(first);
        Assert.Empty(priv);   // a derived object has no protected form
        Flush(HandleOf(first));
        var againResponse = CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("label", "ctx-1")));
        var again = Outputs(againResponse);
        Assert.Equal(pub, again.Public);
        Assert.Equal(name, again.Name);
        Flush(HandleOf(againResponse));

        var otherContext = CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("label", "ctx-2")));
        Assert.NotEqual(name, Outputs(otherContext).Name);
        Flush(HandleOf(otherContext));
        var otherLabel = CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("label2", "ctx-1")));
        Assert.NotEqual(name, Outputs(otherLabel).Name);
        Flush(HandleOf(otherLabel));

        // Label and context from inSensitive.data where the template leaves them empty.
        var fromSensitive = CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("", "")), Sensitive(data: Derive("label", "ctx-1")));
        Assert.Equal(name, Outputs(fromSensitive).Name);
        Flush(HandleOf(fromSensitive));
        // The template's values take precedence over the sensitive data's.
        var precedence = CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("label", "")), Sensitive(data: Derive("other", "ctx-1")));
        Assert.Equal(name, Outputs(precedence).Name);
    }

    [Fact]
    public void Derived_key_equals_the_reference_implementation_s()
    {
        // A derivation parent with the secret 00 01 .. 1f (the caller's: fixedTPM and fixedParent CLEAR),
        // label "ftpm", context "derive": swtpm (libtpms 0.9.2) derives this P-256 point for it
        // (tests/Ftpm.Interop.Tests/pytss/derive.py against swtpm).
        uint srk = HandleOf(CreateLoaded(Owner, H(EccStorage)));
        var secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var parent = CreateLoaded(srk, H("0008 000B 00030040 0000 000A 000B 0022 0000"), Sensitive(data: secret));
        Assert.Equal(TpmRc.Success, parent.Rc);
        Flush(srk);
        var child = CreateLoaded(HandleOf(parent), Cmd.Cat(H("0023 000B 00040050 0000 0010 0018 000B 0003 0010"), Derive("ftpm", "derive")));
        var (_, pub, _) = Outputs(child);
        Assert.Equal(H("0020 ef16d924fef7b9ee6dbc196c156733078f0fb13537407eeaab0017c88169ddec" +
                       "0020 3ef3ecaf3404f39ce101fdfd80035c2b015a2834e5ff3440ddb22c26b243d115"), pub[^68..]);
    }

    [Fact]
    public void Derived_ecc_key_signs_and_its_signature_verifies()
    {
        uint parent = NewDerivationParent();
        uint key = HandleOf(CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("sign", "me"))));
        var digest = new byte[32];
        digest[0] = 1;
        var sign = _host.RunWithPasswords(TpmCc.Sign, [key], [[]],
            Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), Cmd.U16((ushort)TpmSt.HashCheck), Cmd.U32(0x40000007), Cmd.U16(0)));
        Assert.Equal(TpmRc.Success, sign.Rc);
        var signature = sign.SessionParameters(handles: 0);
        var verify = _host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(digest), signature), [key]);
        Assert.Equal(TpmRc.Success, verify.Rc);
    }

    [Fact]
    public void Derived_hmac_and_symmetric_keys_are_deterministic()
    {
        uint parent = NewDerivationParent();
        // KEYEDHASH HMAC-SHA256 signing key (fixedTPM|fixedParent|userWithAuth|sign): the same key twice,
        // so the same HMAC.
        var hmacTemplate = Cmd.Cat(H("0008 000B 00040052 0000 0005 000B"), Derive("mac", "1"));
        byte[] Mac(uint key)
        {
            var r = _host.RunWithPasswords(TpmCc.Hmac, [key], [[]], Cmd.Cat(Cmd.Sized([1, 2, 3]), Cmd.U16(0x000B)));
            Assert.Equal(TpmRc.Success, r.Rc);
            return r.SessionParameters();
        }
        var h1 = CreateLoaded(parent, hmacTemplate);
        var h2 = CreateLoaded(parent, hmacTemplate);
        Assert.Equal(Outputs(h1).Public, Outputs(h2).Public);
        Assert.Equal(Mac(HandleOf(h1)), Mac(HandleOf(h2)));
        Flush(HandleOf(h1));
        Flush(HandleOf(h2));
        // SYMCIPHER AES-128-CFB key (decrypt|sign): the same key twice, so the same ciphertext.
        var symTemplate = Cmd.Cat(H("0025 000B 00060052 0000 0006 0080 0043"), Derive("aes", "1"));
        byte[] Encrypt(uint key)
        {
            var r = _host.RunWithPasswords(TpmCc.EncryptDecrypt2, [key], [[]],
                Cmd.Cat(Cmd.Sized(new byte[16]), Cmd.U8(0), Cmd.U16(0x0043), Cmd.Sized(new byte[16])));
            Assert.Equal(TpmRc.Success, r.Rc);
            return r.SessionParameters();
        }
        var s1 = CreateLoaded(parent, symTemplate);
        var s2 = CreateLoaded(parent, symTemplate);
        Assert.Equal(Outputs(s1).Public, Outputs(s2).Public);
        Assert.Equal(Encrypt(HandleOf(s1)), Encrypt(HandleOf(s2)));
    }

    [Fact]
    public void Refusals_have_the_reference_codes()
    {
        uint parent = NewDerivationParent();
        // RSA keys are not derived: TPM_RC_TYPE + P2.
        Assert.Equal(TpmRc.Type.AtParameter(2),
            CreateLoaded(parent, Cmd.Cat(H("0001 000B 00040052 0000 0010 0014 000B 0800 00000000"), Derive("l", "c"))).Rc);
        // sensitiveDataOrigin SET: TPM_RC_ATTRIBUTES, unnumbered as the reference (and swtpm) return it.
        Assert.Equal(TpmRc.Attributes, CreateLoaded(parent, Cmd.Cat(H("0023 000B 00040072 0000 0010 0018 000B 0003 0010"), Derive("l", "c"))).Rc);
        // Not fixedParent, or fixedTPM unlike the parent's: TPM_RC_ATTRIBUTES + P2.
        Assert.Equal(TpmRc.Attributes.AtParameter(2),
            CreateLoaded(parent, Cmd.Cat(H("0023 000B 00040040 0000 0010 0018 000B 0003 0010"), Derive("l", "c"))).Rc);
        Assert.Equal(TpmRc.Attributes.AtParameter(2),
            CreateLoaded(parent, Cmd.Cat(H("0023 000B 00040050 0000 0010 0018 000B 0003 0010"), Derive("l", "c"))).Rc);
        // The template is read with a TPMS_DERIVE: a bare TPMS_ECC_POINT-less template is short
        // (TPM_RC_INSUFFICIENT + P2), trailing octets are TPM_RC_SIZE + P2.
        Assert.Equal(TpmRc.Insufficient.AtParameter(2), CreateLoaded(parent, Cmd.Cat(H(EccChild), Cmd.U16(0))).Rc);
        Assert.Equal(TpmRc.Size.AtParameter(2), CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("l", "c"), [0])).Rc);
        // A label longer than TPM2B_LABEL allows: TPM_RC_SIZE + P2.
        Assert.Equal(TpmRc.Size.AtParameter(2), CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive(new string('a', 33), "c"))).Rc);
        // A TPMS_DERIVE in inSensitive.data that does not unmarshal: its code, unnumbered (as the reference).
        Assert.Equal(TpmRc.Insufficient, CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("", "")), Sensitive(data: [0, 5, 1])).Rc);
        Assert.Equal(TpmRc.Size, CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("", "")),
            Sensitive(data: Derive(new string('a', 33), ""))).Rc);
        // A userAuth longer than nameAlg's digest: TPM_RC_SIZE + P1.
        Assert.Equal(TpmRc.Size.AtParameter(1), CreateLoaded(parent, Cmd.Cat(H(EccChild), Derive("l", "c")), Sensitive(auth: new byte[33])).Rc);

        // A derivation parent is no storage key: Create and Load under it are TPM_RC_TYPE + H1.
        var create = _host.RunWithPasswords(TpmCc.Create, [parent], [[]],
            Cmd.Cat(Sensitive(), Cmd.Sized(H("0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000")), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Type.AtHandle(1), create.Rc);
        var load = _host.RunWithPasswords(TpmCc.Load, [parent], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(H(EccStorage))));
        Assert.Equal(TpmRc.Type.AtHandle(1), load.Rc);
    }

    [Fact]
    public void Derivation_parents_are_checked_when_created()
    {
        uint srk = HandleOf(CreateLoaded(Owner, H(EccStorage)));
        // A primary derivation parent works too.
        var primary = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]],
            Cmd.Cat(Sensitive(), Cmd.Sized(H(DerivationParent)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, primary.Rc);
        Flush(HandleOf(primary));
        // XOR with another KDF, or an HMAC scheme, on a restricted decrypting KEYEDHASH key: TPM_RC_SCHEME + P2.
        Assert.Equal(TpmRc.Scheme.AtParameter(2), CreateLoaded(srk, H("0008 000B 00030072 0000 000A 000B 0020 0000")).Rc);
        Assert.Equal(TpmRc.Scheme.AtParameter(2), CreateLoaded(srk, H("0008 000B 00030072 0000 0005 000B 0000")).Rc);
        Assert.Equal(TpmRc.Scheme.AtParameter(2), CreateLoaded(srk, H("0008 000B 00030072 0000 0010 0000")).Rc);
        // An unrestricted decrypting KEYEDHASH key names XOR (TPM_RC_SCHEME + P2 without), with any KDF.
        Assert.Equal(TpmRc.Scheme.AtParameter(2), CreateLoaded(srk, H("0008 000B 00020472 0000 0010 0000")).Rc);
        var unrestricted = CreateLoaded(srk, H("0008 000B 00020072 0000 000A 000B 0010 0000"));
        Assert.Equal(TpmRc.Success, unrestricted.Rc);
        Flush(HandleOf(unrestricted));
        // The caller's secret for a restricted KEYEDHASH key: only with fixedTPM and fixedParent CLEAR
        // (TPM_RC_ATTRIBUTES + P2 otherwise).
        var secret = new byte[32];
        Assert.Equal(TpmRc.Attributes.AtParameter(2), CreateLoaded(srk, H("0008 000B 00030050 0000 000A 000B 0022 0000"), Sensitive(data: secret)).Rc);
        Assert.Equal(TpmRc.Success, CreateLoaded(srk, H("0008 000B 00030040 0000 000A 000B 0022 0000"), Sensitive(data: secret)).Rc);
    }
}
