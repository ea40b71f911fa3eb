using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Tests.Auth;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using static Ftpm.Tests.Commands.KeyMoveTestHost;

namespace Ftpm.Tests.Commands;

/// <summary>ML-KEM keys (v185: Part 1, 47; Part 2, 11.2.6 / 12.2.3.8) and TPM2_Encapsulate / TPM2_Decapsulate
/// (Part 3 v185, 14.10-14.11) in-process, with raw commands. The other side of every exchange is computed here
/// independently: ML-KEM with BouncyCastle used directly (not through ftpm's crypto port), the Labeled KEM
/// (Part 1 v185, 47.4) and the protocols' KDFa steps with .NET's HMAC.</summary>
public sealed class MlKemTests
{
    readonly KeyMoveTestHost _t = new();

    // TPMT_PUBLIC templates (hex), ML-KEM-768 (TPM_MLKEM_768 = 0002) with SHA-256. Storage:
    // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|restricted|decrypt with AES-128-CFB.
    // Decryption: the same without restricted, symmetric NULL.
    public const string MlKemStorage = "00A0 000B 00030472 0000 0006 0080 0043 0002 0000";
    public const string MlKemDecrypt = "00A0 000B 00020472 0000 0010 0002 0000";
    static string MlKem(ushort set, bool restricted = false) =>
        restricted ? $"00A0 000B 00030472 0000 0006 0080 0043 {set:X4} 0000" : $"00A0 000B 00020472 0000 0010 {set:X4} 0000";

    /// <summary>The encapsulation key (unique) at the end of a TPM2B_PUBLIC of ML-KEM.</summary>
    static byte[] Ek(Key key, int size = 1184)
    {
        Assert.Equal(size, BinaryPrimitives.ReadUInt16BigEndian(key.Public.AsSpan(key.Public.Length - size - 2)));
        return key.Public[^size..];
    }

    /// <summary>An ML-KEM-768 encapsulation done here with BouncyCastle: (K, ciphertext).</summary>
    static (byte[] K, byte[] Ciphertext) BcEncapsulate(byte[] ek)
    {
        var encapsulator = new MLKemEncapsulator(MLKemParameters.ml_kem_768);
        encapsulator.Init(new ParametersWithRandom(MLKemPublicKeyParameters.FromEncoding(MLKemParameters.ml_kem_768, ek), new SecureRandom()));
        var c = new byte[encapsulator.EncapsulationLength];
        var k = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(c, 0, c.Length, k, 0, k.Length);
        return (k, c);
    }

    /// <summary>The ML-KEM Labeled KEM's seed (Part 1 v185, Equation 67): KDFa(nameAlg, K, label, ciphertext,
    /// publicKey, digest bits), with ML-KEM's 32-octet K.</summary>
    static byte[] LabeledSeed(byte[] k, string label, byte[] ciphertext, byte[] ek) =>
        SessionClient.KdfA(TpmAlgId.Sha256, k, label, ciphertext, ek, 256);

    Response Encapsulate(uint key) => _t.Run(TpmCc.Encapsulate, [key], []);

    Response Decapsulate(uint key, byte[] ciphertext) => _t.RunWithPasswords(TpmCc.Decapsulate, [key], Cmd.Sized(ciphertext));

    [Theory]
    [InlineData(1, 800, 768)]
    [InlineData(2, 1184, 1088)]
    [InlineData(3, 1568, 1568)]
    public void Encapsulate_and_decapsulate_agree_for_every_parameter_set(ushort set, int ekSize, int ctSize)
    {
        var key = _t.CreatePrimary(MlKem(set));
        Assert.Equal(ekSize, Ek(key, ekSize).Length);
        var r = Encapsulate(key.Handle);
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = Sized(r.Body, 2);
        Assert.Equal(32, o[0].Length);
        Assert.Equal(ctSize, o[1].Length);
        var d = Decapsulate(key.Handle, o[1]);
        Assert.Equal(TpmRc.Success, d.Rc);
        Assert.Equal(o[0], Sized(d.SessionParameters(), 1)[0]);
        // Each encapsulation is fresh.
        Assert.NotEqual(o[1], Sized(Encapsulate(key.Handle).Body, 2)[1]);
    }

    [Fact]
    public void An_independent_ml_kem_768_encapsulation_decapsulates_to_the_same_secret()
    {
        var key = _t.CreatePrimary(MlKemDecrypt);
        var (k, c) = BcEncapsulate(Ek(key));
        var d = Decapsulate(key.Handle, c);
        Assert.Equal(TpmRc.Success, d.Rc);
        Assert.Equal(Convert.ToHexString(k), Convert.ToHexString(Sized(d.SessionParameters(), 1)[0]));
        // And the TPM's encapsulation decapsulates with the seed outside: the private key is d || z, and
        // BouncyCastle rebuilds the same key from the public area (its ek) only through that seed.
        var o = Sized(Encapsulate(key.Handle).Body, 2);
        Assert.Equal(1088, o[1].Length);
    }

    [Fact]
    public void A_primary_created_twice_has_the_same_public_key_and_another_hierarchy_another()
    {
        var first = _t.CreatePrimary(MlKemStorage);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(first.Handle));
        var second = _t.CreatePrimary(MlKemStorage);
        Assert.Equal(Convert.ToHexString(first.Public), Convert.ToHexString(second.Public));
        Assert.Equal(first.Name, second.Name);
        var endorsement = _t.CreatePrimary(MlKemStorage, Endorsement);
        Assert.NotEqual(Ek(first), Ek(endorsement));
        // Another parameter set in the template is another key.
        Assert.NotEqual(Ek(_t.CreatePrimary(MlKem(1, restricted: true)), 800).AsSpan(0, 32).ToArray(), Ek(first).AsSpan(0, 32).ToArray());
    }

    [Fact]
    public void Response_codes_with_positions()
    {
        var key = _t.CreatePrimary(MlKemDecrypt);
        var storage = _t.CreatePrimary(MlKemStorage);
        var signer = _t.CreatePrimary(EccSigning);
        var c = Sized(Encapsulate(key.Handle).Body, 2)[1];
        // A ciphertext of another size: SIZE + P1 (FIPS 203, 7.3).
        Assert.Equal((TpmRc)0x1D5, Decapsulate(key.Handle, c[..^1]).Rc);
        Assert.Equal((TpmRc)0x1D5, Decapsulate(key.Handle, [.. c, 0]).Rc);
        Assert.Equal((TpmRc)0x1D5, Decapsulate(key.Handle, []).Rc);
        // A restricted key: ATTRIBUTES + H1. A signing key (no KEM key): KEY + H1, for both commands.
        Assert.Equal((TpmRc)0x182, Decapsulate(storage.Handle, c).Rc);
        Assert.Equal((TpmRc)0x19C, Decapsulate(signer.Handle, c).Rc);
        Assert.Equal((TpmRc)0x19C, Encapsulate(signer.Handle).Rc);
        // Encapsulate does not look at the attributes: a restricted ML-KEM key encapsulates.
        Assert.Equal(TpmRc.Success, Encapsulate(storage.Handle).Rc);
        // A forged ciphertext of the right size gives a secret (implicit rejection), not an error.
        var forged = (byte[])c.Clone();
        forged[0] ^= 1;
        Assert.Equal(TpmRc.Success, Decapsulate(key.Handle, forged).Rc);

        // An unsupported parameter set is TPM_RC_PARMS at inPublic (P2 of CreatePrimary).
        foreach (var set in new ushort[] { 0, 4, 0xFFFF })
        {
            var r = _t.Host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]],
                Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(MlKem(set))), Cmd.Sized([]), Cmd.U32(0)));
            Assert.Equal((TpmRc)0x2EA, r.Rc);
        }
        foreach (var k in new[] { key, storage, signer }) _t.Run(TpmCc.FlushContext, [], Cmd.U32(k.Handle));
        // ML-KEM only decrypts: sign SET is ATTRIBUTES + P2; a cipher on a key that is no storage key is
        // SYMMETRIC + P2, and a storage key without one too.
        Assert.Equal((TpmRc)0x2C2, TryPrimary("00A0 000B 00060472 0000 0010 0002 0000"));
        Assert.Equal((TpmRc)0x2C2, TryPrimary("00A0 000B 00040472 0000 0010 0002 0000"));
        Assert.Equal((TpmRc)0x2D6, TryPrimary("00A0 000B 00020472 0000 0006 0080 0043 0002 0000"));
        Assert.Equal((TpmRc)0x2D6, TryPrimary("00A0 000B 00030472 0000 0010 0002 0000"));
    }

    TpmRc TryPrimary(string template) => _t.Host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]],
        Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0))).Rc;

    [Fact]
    public void A_storage_key_parents_children_and_survives_context_save_and_persistence()
    {
        var srk = _t.CreatePrimary(MlKemStorage);
        // A child ML-KEM key under an ML-KEM parent, loaded, used.
        var child = _t.Load(srk, _t.Create(srk, MlKemDecrypt));
        var o = Sized(Encapsulate(child.Handle).Body, 2);
        Assert.Equal(o[0], Sized(Decapsulate(child.Handle, o[1]).SessionParameters(), 1)[0]);

        // Context save and load of the child.
        var saved = _t.Run(TpmCc.ContextSave, [child.Handle], []);
        Assert.Equal(TpmRc.Success, saved.Rc);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(child.Handle));
        var loaded = _t.Run(TpmCc.ContextLoad, [], saved.Body);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        uint again = BinaryPrimitives.ReadUInt32BigEndian(loaded.Body);
        Assert.Equal(o[0], Sized(Decapsulate(again, o[1]).SessionParameters(), 1)[0]);

        // Persistence: EvictControl, then the persistent handle decapsulates.
        Assert.Equal(TpmRc.Success, _t.Host.RunWithPasswords(TpmCc.EvictControl, [Owner, again], [[]], Cmd.U32(0x81000101)).Rc);
        Assert.Equal(o[0], Sized(Decapsulate(0x81000101, o[1]).SessionParameters(), 1)[0]);
        // The persistent SRK parents as well.
        Assert.Equal(TpmRc.Success, _t.Host.RunWithPasswords(TpmCc.EvictControl, [Owner, srk.Handle], [[]], Cmd.U32(0x81000102)).Rc);
        Assert.Equal(TpmRc.Success, _t.TryLoad(srk with { Handle = 0x81000102 }, _t.Create(srk, EccSigning)).Rc);
    }

    [Fact]
    public void LoadExternal_of_a_public_key_encapsulates_to_it_and_checks_it()
    {
        var key = _t.CreatePrimary(MlKemDecrypt);
        var external = _t.Run(TpmCc.LoadExternal, [], Cmd.Cat(Cmd.U16(0), key.Public, Cmd.U32(Owner)));
        Assert.Equal(TpmRc.Success, external.Rc);
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(external.Body);
        var o = Sized(Encapsulate(handle).Body, 2);
        Assert.Equal(o[0], Sized(Decapsulate(key.Handle, o[1]).SessionParameters(), 1)[0]);
        // A public-only key does not decapsulate: its authValue is not loaded (TPM_RC_AUTH_UNAVAILABLE).
        Assert.Equal(TpmRc.AuthUnavailable, Decapsulate(handle, o[1]).Rc);
        // An encapsulation key with a coefficient of q or more (FIPS 203, 7.2): KEY + P2.
        var bad = (byte[])key.Public.Clone();
        bad[^1184] = 0xFF;
        bad[^1183] |= 0x0F;
        Assert.Equal((TpmRc)0x2DC, _t.Run(TpmCc.LoadExternal, [], Cmd.Cat(Cmd.U16(0), bad, Cmd.U32(Owner))).Rc);
    }

    [Fact]
    public void A_derived_ml_kem_key_is_the_same_for_the_same_label_and_context()
    {
        // A derivation parent (KEYEDHASH, restricted|decrypt, XOR with KDF1_SP800_108) under an ECC SRK; the
        // children come from KDFa over its secret (Part 1, "Derived Objects"; TPM2_CreateLoaded).
        Response CreateLoaded(uint parent, byte[] template) => _t.Host.RunWithPasswords(TpmCc.CreateLoaded, [parent], [[]],
            Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(template)));
        uint srk = BinaryPrimitives.ReadUInt32BigEndian(CreateLoaded(Owner, H(EccStorage)).Body);
        var parentResponse = CreateLoaded(srk, H("0008 000B 00030072 0000 000A 000B 0022 0000"));
        Assert.Equal(TpmRc.Success, parentResponse.Rc);
        uint parent = BinaryPrimitives.ReadUInt32BigEndian(parentResponse.Body);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(srk));
        // An ML-KEM-768 decryption child (fixedTPM|fixedParent|userWithAuth|decrypt), unique = TPMS_DERIVE.
        byte[] Template(string label) => Cmd.Cat(H("00A0 000B 00020052 0000 0010 0002"), Cmd.Sized("label"u8.ToArray()),
            Cmd.Sized(System.Text.Encoding.ASCII.GetBytes(label)));
        byte[] PublicOf(Response r)
        {
            Assert.Equal(TpmRc.Success, r.Rc);
            var p = r.SessionParameters(handles: 1);
            int privateSize = BinaryPrimitives.ReadUInt16BigEndian(p);
            return p.AsSpan(2 + privateSize, 2 + BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2 + privateSize))).ToArray();
        }
        var first = CreateLoaded(parent, Template("a"));
        var firstPublic = PublicOf(first);
        uint child = BinaryPrimitives.ReadUInt32BigEndian(first.Body);
        var o = Sized(Encapsulate(child).Body, 2);
        Assert.Equal(o[0], Sized(Decapsulate(child, o[1]).SessionParameters(), 1)[0]);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(child));
        var again = CreateLoaded(parent, Template("a"));
        Assert.Equal(Convert.ToHexString(firstPublic), Convert.ToHexString(PublicOf(again)));
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(BinaryPrimitives.ReadUInt32BigEndian(again.Body)));
        Assert.NotEqual(Convert.ToHexString(firstPublic), Convert.ToHexString(PublicOf(CreateLoaded(parent, Template("b")))));
    }

    [Fact]
    public void LoadExternal_of_a_seed_gives_the_key_bouncycastle_makes_from_it()
    {
        // d || z and the encapsulation key BouncyCastle derives from them (FIPS 203 ML-KEM.KeyGen_internal).
        var seed = RandomNumberGenerator.GetBytes(64);
        var ek = MLKemPrivateKeyParameters.FromSeed(MLKemParameters.ml_kem_768, seed).GetPublicKeyEncoded();
        byte[] Public(byte[] unique) => Cmd.Sized(Cmd.Cat(H("00A0 000B 00020040 0000 0010 0002"), Cmd.Sized(unique)));
        byte[] Sensitive(byte[] d) => Cmd.Sized(Cmd.Cat(Cmd.U16(0x00A0), Cmd.U16(0), Cmd.U16(0), Cmd.Sized(d)));
        Response Load(byte[] d, byte[] unique) => _t.Run(TpmCc.LoadExternal, [], Cmd.Cat(Sensitive(d), Public(unique), Cmd.U32(Null)));

        var r = Load(seed, ek);
        Assert.Equal(TpmRc.Success, r.Rc);
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(r.Body);
        var (k, c) = BcEncapsulate(ek);
        Assert.Equal(k, Sized(Decapsulate(handle, c).SessionParameters(), 1)[0]);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(handle));

        // Another d for that public key: TPM_RC_BINDING (unnumbered); a seed of 63 octets: KEY_SIZE + P1;
        // a public key of the wrong size for ML-KEM-768: KEY + P2. (z, the implicit-rejection secret, does not
        // enter the public key, so no check can bind it: the private area's integrity protects it.)
        var other = (byte[])seed.Clone();
        other[0] ^= 1;
        Assert.Equal(TpmRc.Binding, Load(other, ek).Rc);
        Assert.Equal((TpmRc)0x1C7, Load(seed[..63], ek).Rc);
        Assert.Equal((TpmRc)0x2DC, Load(seed, ek[..800]).Rc);
    }

    [Fact]
    public void An_ml_kem_salted_hmac_session_authorizes_a_command()
    {
        var tpmKey = _t.CreatePrimary(MlKemStorage);
        var ek = Ek(tpmKey);
        var (k, c) = BcEncapsulate(ek);
        var salt = LabeledSeed(k, "SECRET", c, ek);

        var nonceCaller = RandomNumberGenerator.GetBytes(32);
        var r = _t.Host.Run(TpmCc.StartAuthSession,
            SessionClient.StartParameters(nonceCaller, TpmSe.Hmac, TpmAlgId.Sha256, salt: c), [tpmKey.Handle, Null]);
        Assert.Equal(TpmRc.Success, r.Rc);
        var session = new SessionClient
        {
            Handle = BinaryPrimitives.ReadUInt32BigEndian(r.Body),
            NonceTpm = r.Body.AsSpan(6, 32).ToArray(),
        };
        // sessionKey = KDFa(authHash, salt, "ATH", nonceTPM, nonceCaller) for an unbound session (Part 1, 19.6.8).
        session.SessionKey = SessionClient.KdfA(TpmAlgId.Sha256, salt, "ATH", session.NonceTpm, nonceCaller, 256);

        // TPM2_Create under the primary, authorized by the salted session (the primary's authValue is empty,
        // so only the session key makes the HMAC right).
        var parameters = Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(EccSigning)), Cmd.Sized([]), Cmd.U32(0));
        var cpHash = SessionClient.CpHash(TpmAlgId.Sha256, TpmCc.Create, [Cmd.Cat([0x00, 0x0B], tpmKey.Name[2..])], parameters);
        var auth = session.AuthCommand(cpHash, 0x01, tpmKey.Handle, []);
        var response = _t.Host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.Create, [tpmKey.Handle], auth, parameters));
        Assert.Equal(TpmRc.Success, response.Rc);
        int paramSize = (int)BinaryPrimitives.ReadUInt32BigEndian(response.Bytes.AsSpan(10));
        session.CheckResponse(response.Bytes, 14 + paramSize, TpmCc.Create, response.SessionParameters(), tpmKey.Handle, []);

        // A session key from another salt fails: BAD_AUTH + S1 (the key is noDA).
        var wrong = new SessionClient { Handle = session.Handle, NonceTpm = session.NonceTpm, SessionKey = new byte[32] };
        auth = wrong.AuthCommand(cpHash, 0x01, tpmKey.Handle, []);
        Assert.Equal((TpmRc)0x9A2, _t.Host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.Create, [tpmKey.Handle], auth, parameters)).Rc);
        // An encrypted salt of the wrong size: VALUE + P2, as for every salt that does not decrypt.
        Assert.Equal((TpmRc)0x2C4, _t.Host.Run(TpmCc.StartAuthSession,
            SessionClient.StartParameters(nonceCaller, TpmSe.Hmac, TpmAlgId.Sha256, salt: c[..^1]), [tpmKey.Handle, Null]).Rc);
    }

    [Fact]
    public void ActivateCredential_with_an_ml_kem_ek_returns_the_secret_of_an_independently_made_credential()
    {
        var ek = _t.CreatePrimary(MlKemStorage, Endorsement);
        var ak = _t.Load(ek, _t.Create(ek, EccSigning));
        var credential = "ML-KEM credential"u8.ToArray();

        // The credential blob (Part 1, 24 "Credential Protection"), made here: the seed is the Labeled KEM's
        // with "IDENTITY"; symKey = KDFa(nameAlg, seed, "STORAGE", Name(AK)); HMACkey = KDFa(nameAlg, seed,
        // "INTEGRITY"); encIdentity = AES-128-CFB(TPM2B(credential)) with a zero IV; integrity =
        // HMAC(HMACkey, encIdentity || Name(AK)).
        var ekBytes = Ek(ek);
        var (k, c) = BcEncapsulate(ekBytes);
        var seed = LabeledSeed(k, "IDENTITY", c, ekBytes);
        var symKey = SessionClient.KdfA(TpmAlgId.Sha256, seed, "STORAGE", ak.Name, [], 128);
        var hmacKey = SessionClient.KdfA(TpmAlgId.Sha256, seed, "INTEGRITY", [], [], 256);
        var encIdentity = SessionClient.Cfb(symKey, new byte[16], Cmd.Sized(credential), encrypt: true);
        var integrity = HMACSHA256.HashData(hmacKey, Cmd.Cat(encIdentity, ak.Name));
        var blob = Cmd.Cat(Cmd.Sized(integrity), encIdentity);

        var r = _t.RunWithPasswords(TpmCc.ActivateCredential, [ak.Handle, ek.Handle], Cmd.Cat(Cmd.Sized(blob), Cmd.Sized(c)));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(Cmd.Sized(credential), r.SessionParameters());

        // MakeCredential with the ML-KEM key round-trips, and its secret is an ML-KEM-768 ciphertext.
        var made = _t.Run(TpmCc.MakeCredential, [ek.Handle], Cmd.Cat(Cmd.Sized(credential), Cmd.Sized(ak.Name)));
        Assert.Equal(TpmRc.Success, made.Rc);
        var m = Sized(made.Body, 2);
        Assert.Equal(1088, m[1].Length);
        r = _t.RunWithPasswords(TpmCc.ActivateCredential, [ak.Handle, ek.Handle], Cmd.Cat(Cmd.Sized(m[0]), Cmd.Sized(m[1])));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(Cmd.Sized(credential), r.SessionParameters());

        // Another ciphertext of the right size decapsulates to another seed: INTEGRITY + P1; a ciphertext of
        // the wrong size: SIZE + P2.
        var forged = (byte[])c.Clone();
        forged[5] ^= 1;
        Assert.Equal((TpmRc)0x1DF, _t.RunWithPasswords(TpmCc.ActivateCredential, [ak.Handle, ek.Handle], Cmd.Cat(Cmd.Sized(blob), Cmd.Sized(forged))).Rc);
        Assert.Equal((TpmRc)0x2D5, _t.RunWithPasswords(TpmCc.ActivateCredential, [ak.Handle, ek.Handle], Cmd.Cat(Cmd.Sized(blob), Cmd.Sized(c[..100]))).Rc);
    }

    [Fact]
    public void Duplicate_to_an_ml_kem_parent_imports_and_rewrap_moves_to_one()
    {
        var oldParent = _t.CreatePrimary(EccStorage);
        var blob = _t.Create(oldParent, DuplicableSigning());
        var obj = _t.Load(oldParent, blob);
        var newParent = _t.CreatePrimary(MlKemStorage);
        var nullSym = Cmd.U16((ushort)TpmAlgId.Null);

        uint session = _t.DuplicateSession();
        var r = _t.RunWithPolicy(TpmCc.Duplicate, [obj.Handle, newParent.Handle], session, Cmd.Cat(Cmd.Sized([]), nullSym));
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = Sized(r.SessionParameters(), 3);
        Assert.Equal(1088, o[2].Length);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(oldParent.Handle));   // three object slots
        ImportLoadAndSign(newParent, blob.Public, o[1], o[2]);

        // Rewrap from an ECC parent to the ML-KEM parent.
        var ecc = _t.CreatePrimary(EccStorage, Endorsement);
        session = _t.DuplicateSession();
        r = _t.RunWithPolicy(TpmCc.Duplicate, [obj.Handle, ecc.Handle], session, Cmd.Cat(Cmd.Sized([]), nullSym));
        Assert.Equal(TpmRc.Success, r.Rc);
        o = Sized(r.SessionParameters(), 3);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(obj.Handle));
        var name = Cmd.Cat([0x00, 0x0B], SHA256.HashData(blob.Public[2..]));
        r = _t.Host.RunWithPasswords(TpmCc.Rewrap, [ecc.Handle, newParent.Handle], [[]],
            Cmd.Cat(Cmd.Sized(o[1]), Cmd.Sized(name), Cmd.Sized(o[2])));
        Assert.Equal(TpmRc.Success, r.Rc);
        var moved = Sized(r.SessionParameters(), 2);
        Assert.Equal(1088, moved[1].Length);
        ImportLoadAndSign(newParent, blob.Public, moved[0], moved[1]);

        // An inSymSeed that is not an ML-KEM-768 ciphertext: SIZE + P4 of Import.
        Assert.Equal((TpmRc)0x4D5, _t.RunWithPasswords(TpmCc.Import, [newParent.Handle],
            Cmd.Cat(Cmd.Sized([]), blob.Public, Cmd.Sized(moved[0]), Cmd.Sized(moved[1][..^1]), nullSym)).Rc);
    }

    [Fact]
    public void An_ml_kem_key_duplicates_and_imports_with_its_seed()
    {
        var parent = _t.CreatePrimary(MlKemStorage);
        // A duplicable ML-KEM-768 decryption key (sensitiveDataOrigin|userWithAuth|decrypt) under the Duplicate policy.
        var template = $"00A0 000B 00020060 0020 {Convert.ToHexString(DuplicatePolicy)} 0010 0002 0000";
        var blob = _t.Create(parent, template);
        var key = _t.Load(parent, blob);
        var o = Sized(Encapsulate(key.Handle).Body, 2);
        uint session = _t.DuplicateSession();
        var r = _t.RunWithPolicy(TpmCc.Duplicate, [key.Handle, parent.Handle], session, Cmd.Cat(Cmd.Sized([]), Cmd.U16((ushort)TpmAlgId.Null)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var d = Sized(r.SessionParameters(), 3);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(key.Handle));
        r = _t.RunWithPasswords(TpmCc.Import, [parent.Handle],
            Cmd.Cat(Cmd.Sized([]), blob.Public, Cmd.Sized(d[1]), Cmd.Sized(d[2]), Cmd.U16((ushort)TpmAlgId.Null)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var imported = _t.Load(parent, new Blob(r.SessionParameters(), blob.Public));
        Assert.Equal(o[0], Sized(Decapsulate(imported.Handle, o[1]).SessionParameters(), 1)[0]);
    }

    void ImportLoadAndSign(Key parent, byte[] objectPublic, byte[] duplicate, byte[] seed)
    {
        var r = _t.RunWithPasswords(TpmCc.Import, [parent.Handle],
            Cmd.Cat(Cmd.Sized([]), objectPublic, Cmd.Sized(duplicate), Cmd.Sized(seed), Cmd.U16((ushort)TpmAlgId.Null)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var loaded = _t.Load(parent, new Blob(r.SessionParameters(), objectPublic));
        Assert.Equal(TpmRc.Success, _t.Sign(loaded));
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(loaded.Handle));
    }

    [Fact]
    public void GetCapability_lists_ml_kem_hkdf_and_the_kem_commands()
    {
        // TPM_CAP_ALGS from TPM_ALG_HKDF: HKDF then on; ML-KEM (0x00A0) is listed.
        var r = _t.Run(TpmCc.GetCapability, [], Cmd.Cat(Cmd.U32(0), Cmd.U32(0x001F), Cmd.U32(64)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var algs = ListOf(r.Body, 6);
        Assert.Contains(0x001Fu, algs);
        Assert.Contains(0x00A0u, algs);
        // TPM_CAP_COMMANDS: Encapsulate (0x1A7, one handle, no auth) and Decapsulate (0x1A8).
        r = _t.Run(TpmCc.GetCapability, [], Cmd.Cat(Cmd.U32(2), Cmd.U32(0x1A7), Cmd.U32(2)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var commands = ListOf(r.Body, 4);
        Assert.Equal(0x1A7u, commands[0] & 0xFFFF);
        Assert.Equal(0x1A8u, commands[1] & 0xFFFF);
        Assert.Equal(1u, commands[0] >> 25 & 7);   // cHandles
        Assert.Equal(1u, commands[1] >> 25 & 7);
    }

    /// <summary>The first field (alg or TPMA_CC) of each entry of a TPMS_CAPABILITY_DATA list whose entries are
    /// <paramref name="entrySize"/> octets (after moreData, capability and count).</summary>
    static List<uint> ListOf(byte[] body, int entrySize)
    {
        int count = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(5));
        var result = new List<uint>();
        for (int i = 0; i < count; i++)
        {
            var at = body.AsSpan(9 + i * entrySize);
            result.Add(entrySize == 6 ? BinaryPrimitives.ReadUInt16BigEndian(at) : BinaryPrimitives.ReadUInt32BigEndian(at));
        }
        return result;
    }
}
