using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Marshal;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Ftpm.Tests.Commands;

/// <summary>ML-DSA and HashML-DSA keys and the v185 signing commands in-process (Part 3 v185, 17.5-17.6 and
/// 20.3-20.7): deterministic primaries, signatures checked with BouncyCastle's ML-DSA used directly (not through
/// ftpm's crypto port), tickets, attestation with an ML-DSA AK, and each response code with its position.</summary>
public sealed class MlDsaTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001, Endorsement = 0x4000000B, Null = 0x40000007;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // TPMT_PUBLIC templates (Part 2 v185, 12.2.3.6-7): ML-DSA-65 signing keys, unrestricted with allowExternalMu
    // YES or NO, a restricted AK, HashML-DSA-65 with SHA-512, an ECC storage key to hold children, an ECDSA key.
    const string MlDsa65ExtMu = "00A1 000B 00040072 0000 0002 01 0000";
    const string MlDsa65 = "00A1 000B 00040072 0000 0002 00 0000";
    const string MlDsa65Ak = "00A1 000B 00050072 0000 0002 00 0000";
    const string MlDsa44ExtMu = "00A1 000B 00040072 0000 0001 01 0000";
    const string HashMlDsa65 = "00A2 000B 00040072 0000 0002 000D 0000";
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string EcdsaKey = "0023 000B 00040072 0000 0010 0018 000B 0003 0010 0000 0000";

    static byte[] CreateParams(string template) => Cmd.Cat(
        Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0));

    Response CreatePrimaryRaw(uint hierarchy, string template) =>
        _host.RunWithPasswords(TpmCc.CreatePrimary, [hierarchy], [[]], CreateParams(template));

    (uint Handle, TpmtPublic Public, byte[] Name) CreatePrimary(uint hierarchy, string template)
    {
        var r = CreatePrimaryRaw(hierarchy, template);
        Assert.Equal(TpmRc.Success, r.Rc);
        var reader = new TpmReader(r.SessionParameters(handles: 1));
        Assert.Equal(TpmRc.Success, Tpm2bPublic.Read(ref reader, out var pub));
        var publicArea = TpmKeyBytes(pub.PublicArea);
        var name = Cmd.Cat(Cmd.U16(0x000B), SHA256.HashData(publicArea));
        return (BinaryPrimitives.ReadUInt32BigEndian(r.Body), pub.PublicArea, name);
    }

    static byte[] TpmKeyBytes(in TpmtPublic p) => Ftpm.State.TpmKey.Marshal(p);

    static MLDsaParameters Bouncy(TpmMlDsaParms set) => set switch
    {
        TpmMlDsaParms.MlDsa44 => MLDsaParameters.ml_dsa_44,
        TpmMlDsaParms.MlDsa65 => MLDsaParameters.ml_dsa_65,
        _ => MLDsaParameters.ml_dsa_87,
    };

    /// <summary>Verifies a pure ML-DSA signature with BouncyCastle's MLDsaSigner directly.</summary>
    static bool BouncyVerify(in TpmtPublic key, byte[] message, byte[] context, ReadOnlySpan<byte> signature)
    {
        var parameters = Bouncy(key.Parameters.MlDsaDetail.ParameterSet);
        var verifier = new MLDsaSigner(parameters, deterministic: false);
        verifier.Init(false, new ParametersWithContext(MLDsaPublicKeyParameters.FromEncoding(parameters, key.Unique.MlDsa.ToArray()), context));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature.ToArray());
    }

    /// <summary>μ of FIPS 204 (Algorithm 2 with Algorithm 7 line 6), computed here with BouncyCastle's SHAKE256.</summary>
    static byte[] Mu(in TpmtPublic key, byte[] message, byte[] context)
    {
        var tr = new byte[64];
        var h = new ShakeDigest(256);
        h.BlockUpdate(key.Unique.MlDsa.Span);
        h.OutputFinal(tr);
        var mu = new byte[64];
        h = new ShakeDigest(256);
        h.BlockUpdate(tr);
        h.BlockUpdate([0, (byte)context.Length]);
        h.BlockUpdate(context);
        h.BlockUpdate(message);
        h.OutputFinal(mu);
        return mu;
    }

    static TpmtSignature ParseSignature(byte[] parameters)
    {
        var reader = new TpmReader(parameters);
        Assert.Equal(TpmRc.Success, TpmtSignature.Read(ref reader, out var s));
        Assert.False(reader.HasData);
        return s;
    }

    static TpmtTkVerified ParseTicket(byte[] parameters)
    {
        var reader = new TpmReader(parameters);
        Assert.Equal(TpmRc.Success, TpmtTkVerified.Read(ref reader, out var t));
        Assert.False(reader.HasData);
        return t;
    }

    static byte[] SignatureBytes(TpmAlgId alg, byte[] signature) => Cmd.Cat(Cmd.U16((ushort)alg), Cmd.Sized(signature));

    static readonly byte[] NullHashCheck = Cmd.Cat(Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0));

    uint SignSequenceStart(uint key, byte[] context, byte[]? auth = null)
    {
        var r = _host.Run(TpmCc.SignSequenceStart, Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized(context)), [key]);
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    uint VerifySequenceStart(uint key, byte[] context)
    {
        var r = _host.Run(TpmCc.VerifySequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized(context)), [key]);
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    void Update(uint sequence, byte[] data) =>
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SequenceUpdate, [sequence], [[]], Cmd.Sized(data)).Rc);

    /// <summary>Signs <paramref name="message"/> through a sign sequence (two updates and a final buffer).</summary>
    TpmtSignature SignMessage(uint key, byte[] message, byte[] context)
    {
        uint sequence = SignSequenceStart(key, context);
        int third = message.Length / 3;
        Update(sequence, message[..third]);
        Update(sequence, message[third..(2 * third)]);
        var r = _host.RunWithPasswords(TpmCc.SignSequenceComplete, [sequence, key], [[], []], Cmd.Sized(message[(2 * third)..]));
        Assert.Equal(TpmRc.Success, r.Rc);
        return ParseSignature(r.SessionParameters());
    }

    [Fact]
    public void PrimaryIsDeterministicAndItsSeedGivesThePublicKey()
    {
        var first = CreatePrimary(Owner, MlDsa65);
        Assert.Equal(TpmAlgId.MlDsa, first.Public.Type);
        Assert.Equal(1952, first.Public.Unique.MlDsa.Length);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(first.Handle)).Rc);
        var second = CreatePrimary(Owner, MlDsa65);
        Assert.Equal(first.Public.Unique.MlDsa.ToArray(), second.Public.Unique.MlDsa.ToArray());
        // Not only the primary-key cache: another TPM instance over the same state derives it again.
        var restarted = new TpmTestHost(_host.Store);
        var r = restarted.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], CreateParams(MlDsa65));
        Assert.Equal(TpmRc.Success, r.Rc);
        var reader = new TpmReader(r.SessionParameters(handles: 1));
        Assert.Equal(TpmRc.Success, Tpm2bPublic.Read(ref reader, out var again));
        Assert.Equal(first.Public.Unique.MlDsa.ToArray(), again.PublicArea.Unique.MlDsa.ToArray());
        // Another hierarchy, another seed, another key.
        var endorsement = CreatePrimary(Endorsement, MlDsa65);
        Assert.NotEqual(first.Public.Unique.MlDsa.ToArray(), endorsement.Public.Unique.MlDsa.ToArray());
    }

    [Theory]
    [InlineData(MlDsa65ExtMu, 3309)]
    [InlineData(MlDsa44ExtMu, 2420)]
    public void SignSequenceVerifiesWithBouncyCastle(string template, int size)
    {
        var key = CreatePrimary(Owner, template);
        var message = RandomNumberGenerator.GetBytes(2500);
        var context = "ftpm test context"u8.ToArray();
        var s = SignMessage(key.Handle, message, context);
        Assert.Equal(TpmAlgId.MlDsa, s.SigAlg);
        Assert.Equal(size, s.Signature.MlDsa.Length);
        Assert.True(BouncyVerify(key.Public, message, context, s.Signature.MlDsa.Span));
        Assert.False(BouncyVerify(key.Public, message, [], s.Signature.MlDsa.Span));
    }

    [Fact]
    public void SignDigestTakesAnExternalMu()
    {
        var key = CreatePrimary(Owner, MlDsa65ExtMu);
        var message = "external mu message"u8.ToArray();
        var context = "ctx"u8.ToArray();
        var r = _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(Mu(key.Public, message, context)), NullHashCheck));
        Assert.Equal(TpmRc.Success, r.Rc);
        var s = ParseSignature(r.SessionParameters());
        Assert.True(BouncyVerify(key.Public, message, context, s.Signature.MlDsa.Span));

        // VerifyDigestSignature: a TPM_ST_DIGEST_VERIFIED ticket whose metadata names SHAKE256 (μ's XOF).
        var v = _host.Run(TpmCc.VerifyDigestSignature, Cmd.Cat(Cmd.Sized([]), Cmd.Sized(Mu(key.Public, message, context)),
            SignatureBytes(TpmAlgId.MlDsa, s.Signature.MlDsa.ToArray())), [key.Handle]);
        Assert.Equal(TpmRc.Success, v.Rc);
        var ticket = ParseTicket(v.Body);
        Assert.Equal(TpmSt.DigestVerified, ticket.Tag);
        Assert.Equal((uint)Owner, ticket.Hierarchy);
        Assert.Equal(TpmAlgId.Shake256, ticket.Metadata.DigestVerified);
        Assert.Equal(32, ticket.Digest.Buffer.Length);
    }

    [Fact]
    public void VerifySequenceAcceptsAGoodSignatureAndRefusesOneFlippedBit()
    {
        var key = CreatePrimary(Owner, MlDsa65);
        var message = RandomNumberGenerator.GetBytes(1500);
        var s = SignMessage(key.Handle, message, []);
        var signature = s.Signature.MlDsa.ToArray();

        // One flipped bit: TPM_RC_SIGNATURE at P1, and the sequence stays usable.
        uint sequence = VerifySequenceStart(key.Handle, []);
        Update(sequence, message[..1000]);
        Update(sequence, message[1000..]);
        var bad = (byte[])signature.Clone();
        bad[1000] ^= 0x10;
        var r = _host.RunWithPasswords(TpmCc.VerifySequenceComplete, [sequence, key.Handle], [[]], SignatureBytes(TpmAlgId.MlDsa, bad));
        Assert.Equal(TpmRc.Signature.AtParameter(1), r.Rc);

        r = _host.RunWithPasswords(TpmCc.VerifySequenceComplete, [sequence, key.Handle], [[]], SignatureBytes(TpmAlgId.MlDsa, signature));
        Assert.Equal(TpmRc.Success, r.Rc);
        var ticket = ParseTicket(r.SessionParameters());
        Assert.Equal(TpmSt.MessageVerified, ticket.Tag);
        Assert.Equal((uint)Owner, ticket.Hierarchy);
        Assert.Equal(32, ticket.Digest.Buffer.Length);
        // The sequence is gone.
        Assert.Equal(TpmRc.ReferenceH0, _host.RunWithPasswords(TpmCc.SequenceUpdate, [sequence], [[]], Cmd.Sized([1])).Rc);
    }

    [Fact]
    public void HashMlDsaSignsAndVerifiesThroughSequencesAndDigests()
    {
        var key = CreatePrimary(Owner, HashMlDsa65);
        var message = RandomNumberGenerator.GetBytes(3000);
        var context = "hash"u8.ToArray();
        var s = SignMessage(key.Handle, message, context);
        Assert.Equal(TpmAlgId.HashMlDsa, s.SigAlg);
        Assert.Equal(TpmAlgId.Sha512, s.Signature.HashMlDsa.Hash);

        // BouncyCastle's HashML-DSA (ML-DSA-65 with SHA-512) verifies it, with the context.
        var parameters = MLDsaParameters.ml_dsa_65_with_sha512;
        var verifier = new HashMLDsaSigner(parameters, deterministic: false);
        verifier.Init(false, new ParametersWithContext(MLDsaPublicKeyParameters.FromEncoding(parameters, key.Public.Unique.MlDsa.ToArray()), context));
        verifier.BlockUpdate(message);
        Assert.True(verifier.VerifySignature(s.Signature.HashMlDsa.Signature.ToArray()));
        var digest = SHA512.HashData(message);

        // The TPM verifies its own signature over the digest (TPM2_VerifyDigestSignature) ...
        var sigBytes = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.HashMlDsa), Cmd.U16((ushort)TpmAlgId.Sha512), Cmd.Sized(s.Signature.HashMlDsa.Signature.ToArray()));
        var v = _host.Run(TpmCc.VerifyDigestSignature, Cmd.Cat(Cmd.Sized(context), Cmd.Sized(digest), sigBytes), [key.Handle]);
        Assert.Equal(TpmRc.Success, v.Rc);
        Assert.Equal(TpmAlgId.Sha512, ParseTicket(v.Body).Metadata.DigestVerified);
        // ... and a wrong context does not verify.
        v = _host.Run(TpmCc.VerifyDigestSignature, Cmd.Cat(Cmd.Sized([]), Cmd.Sized(digest), sigBytes), [key.Handle]);
        Assert.Equal(TpmRc.Signature.AtParameter(3), v.Rc);

        // SignDigest of the same digest verifies as well.
        var r = _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]], Cmd.Cat(Cmd.Sized(context), Cmd.Sized(digest), NullHashCheck));
        Assert.Equal(TpmRc.Success, r.Rc);
        var again = ParseSignature(r.SessionParameters());
        v = _host.Run(TpmCc.VerifyDigestSignature, Cmd.Cat(Cmd.Sized(context), Cmd.Sized(digest),
            Cmd.Cat(Cmd.U16((ushort)TpmAlgId.HashMlDsa), Cmd.U16((ushort)TpmAlgId.Sha512), Cmd.Sized(again.Signature.HashMlDsa.Signature.ToArray()))), [key.Handle]);
        Assert.Equal(TpmRc.Success, v.Rc);
    }

    [Fact]
    public void QuoteWithAnMlDsaAkVerifiesIndependently()
    {
        var ak = CreatePrimary(Endorsement, MlDsa65Ak);
        var nonce = RandomNumberGenerator.GetBytes(16);
        var r = _host.RunWithPasswords(TpmCc.Quote, [ak.Handle], [[]],
            Cmd.Cat(Cmd.Sized(nonce), Cmd.U16((ushort)TpmAlgId.Null), Cmd.PcrSelection(TpmAlgId.Sha256, 0, 1, 7)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        int size = BinaryPrimitives.ReadUInt16BigEndian(p);
        var attestBytes = p.AsSpan(2, size).ToArray();
        var reader = new TpmReader(attestBytes);
        Assert.Equal(TpmRc.Success, TpmsAttest.Read(ref reader, out var attest));
        Assert.Equal(TpmSt.AttestQuote, attest.Type);
        Assert.Equal(nonce, attest.ExtraData.ToArray());
        // PCRs 0, 1, 7 are all zeros after Startup: the digest is SHA-256 (the AK's nameAlg) of three zero PCRs.
        Assert.Equal(SHA256.HashData(new byte[96]), attest.Attested.Quote.PcrDigest.ToArray());
        var s = ParseSignature(p[(2 + size)..]);
        Assert.Equal(TpmAlgId.MlDsa, s.SigAlg);
        Assert.True(BouncyVerify(ak.Public, attestBytes, [], s.Signature.MlDsa.Span));
        attestBytes[^1] ^= 1;
        Assert.False(BouncyVerify(ak.Public, attestBytes, [], s.Signature.MlDsa.Span));
    }

    [Fact]
    public void ChildKeyCreatesLoadsContextSavesAndPersists()
    {
        var parent = CreatePrimary(Owner, EccStorage);
        var r = _host.RunWithPasswords(TpmCc.Create, [parent.Handle], [[]], CreateParams(MlDsa65ExtMu));
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        var reader = new TpmReader(p);
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort privateSize));
        var privateBlob = p.AsSpan(0, 2 + privateSize).ToArray();
        var afterPrivate = p.AsSpan(2 + privateSize).ToArray();
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(afterPrivate);
        var publicBlob = afterPrivate.AsSpan(0, 2 + publicSize).ToArray();

        var load = _host.RunWithPasswords(TpmCc.Load, [parent.Handle], [[]], Cmd.Cat(privateBlob, publicBlob));
        Assert.Equal(TpmRc.Success, load.Rc);
        uint child = BinaryPrimitives.ReadUInt32BigEndian(load.Body);
        var pubReader = new TpmReader(publicBlob);
        Assert.Equal(TpmRc.Success, Tpm2bPublic.Read(ref pubReader, out var pub));

        // Sign with the loaded child, then through a saved and reloaded context.
        var message = "child"u8.ToArray();
        Assert.True(BouncyVerify(pub.PublicArea, message, [], SignMessage(child, message, []).Signature.MlDsa.Span));
        var saved = _host.Run(TpmCc.ContextSave, handles: [child]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(child)).Rc);
        var loaded = _host.Run(TpmCc.ContextLoad, saved.Body);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        child = BinaryPrimitives.ReadUInt32BigEndian(loaded.Body);
        Assert.True(BouncyVerify(pub.PublicArea, message, [], SignMessage(child, message, []).Signature.MlDsa.Span));

        // Persist it, flush everything, sign with the persistent handle.
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.EvictControl, [Owner, child], [[]], Cmd.U32(0x81000010)).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(child)).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(parent.Handle)).Rc);
        Assert.True(BouncyVerify(pub.PublicArea, message, [], SignMessage(0x81000010, message, []).Signature.MlDsa.Span));

        // LoadExternal of the public part verifies (null hierarchy: the NULL ticket).
        var external = _host.Run(TpmCc.LoadExternal, Cmd.Cat(Cmd.U16(0), publicBlob, Cmd.U32(Null)));
        Assert.Equal(TpmRc.Success, external.Rc);
        uint publicKey = BinaryPrimitives.ReadUInt32BigEndian(external.Body);
        var s = SignMessage(0x81000010, message, []);
        uint sequence = VerifySequenceStart(publicKey, []);
        var v = _host.RunWithPasswords(TpmCc.VerifySequenceComplete, [sequence, publicKey], [[]],
            SignatureBytes(TpmAlgId.MlDsa, s.Signature.MlDsa.ToArray()));
        // The sequence has seen no message yet: the signature over "child" does not verify.
        Assert.Equal(TpmRc.Signature.AtParameter(1), v.Rc);
        Update(sequence, message);
        v = _host.RunWithPasswords(TpmCc.VerifySequenceComplete, [sequence, publicKey], [[]], SignatureBytes(TpmAlgId.MlDsa, s.Signature.MlDsa.ToArray()));
        Assert.Equal(TpmRc.Success, v.Rc);
        var ticket = ParseTicket(v.SessionParameters());
        Assert.Equal((uint)Null, ticket.Hierarchy);
        Assert.Equal(0, ticket.Digest.Buffer.Length);
    }

    [Fact]
    public void SignSequenceContextIsSavedAndLoaded()
    {
        var key = CreatePrimary(Owner, MlDsa65);
        uint sequence = SignSequenceStart(key.Handle, []);
        Update(sequence, "first half "u8.ToArray());
        var saved = _host.Run(TpmCc.ContextSave, handles: [sequence]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(sequence)).Rc);
        var loaded = _host.Run(TpmCc.ContextLoad, saved.Body);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        sequence = BinaryPrimitives.ReadUInt32BigEndian(loaded.Body);
        var r = _host.RunWithPasswords(TpmCc.SignSequenceComplete, [sequence, key.Handle], [[], []], Cmd.Sized("second half"u8.ToArray()));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.True(BouncyVerify(key.Public, "first half second half"u8.ToArray(), [], ParseSignature(r.SessionParameters()).Signature.MlDsa.Span));
    }

    [Fact]
    public void EcdsaKeysUseTheV185CommandsToo()
    {
        var key = CreatePrimary(Owner, EcdsaKey);
        var message = RandomNumberGenerator.GetBytes(100);
        var s = SignMessage(key.Handle, message, []);
        Assert.Equal(TpmAlgId.EcDsa, s.SigAlg);
        var signature = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.EcDsa), Cmd.U16((ushort)TpmAlgId.Sha256),
            Cmd.Sized(s.Signature.Ecc.SignatureR.ToArray()), Cmd.Sized(s.Signature.Ecc.SignatureS.ToArray()));
        var v = _host.Run(TpmCc.VerifyDigestSignature, Cmd.Cat(Cmd.Sized([]), Cmd.Sized(SHA256.HashData(message)), signature), [key.Handle]);
        Assert.Equal(TpmRc.Success, v.Rc);
        var r = _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(SHA256.HashData(message)), NullHashCheck));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(TpmAlgId.EcDsa, ParseSignature(r.SessionParameters()).SigAlg);
        // A context is refused: ECDSA takes none.
        r = _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]], Cmd.Cat(Cmd.Sized([1]), Cmd.Sized(SHA256.HashData(message)), NullHashCheck));
        Assert.Equal(TpmRc.Value.AtParameter(1), r.Rc);
    }

    [Fact]
    public void PolicyAuthorizeTakesTheV185Tickets()
    {
        var key = CreatePrimary(Owner, MlDsa65ExtMu);
        var approved = new byte[32];                   // a fresh SHA-256 policy session's policyDigest
        var policyRef = "policy v2"u8.ToArray();
        var toBeSigned = Cmd.Cat(approved, policyRef);
        var signature = SignMessage(key.Handle, toBeSigned, []).Signature.MlDsa.ToArray();
        uint sequence = VerifySequenceStart(key.Handle, []);
        Update(sequence, toBeSigned);
        var v = _host.RunWithPasswords(TpmCc.VerifySequenceComplete, [sequence, key.Handle], [[]], SignatureBytes(TpmAlgId.MlDsa, signature));
        Assert.Equal(TpmRc.Success, v.Rc);
        var messageTicket = v.SessionParameters();

        byte[] Authorize(byte[] reference, byte[] ticket)
        {
            var session = Auth.SessionClient.Start(_host, TpmSe.Policy);
            return Cmd.U32((uint)_host.Run(TpmCc.PolicyAuthorize,
                Cmd.Cat(Cmd.Sized(approved), Cmd.Sized(reference), Cmd.Sized(key.Name), ticket), [session.Handle]).Rc);
        }
        Assert.Equal(Cmd.U32(0), Authorize(policyRef, messageTicket));
        Assert.Equal(Cmd.U32((uint)TpmRc.Value.AtParameter(4)), Authorize("policy v3"u8.ToArray(), messageTicket));
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(key.Handle)).Rc);

        // A TPM_ST_DIGEST_VERIFIED ticket of an ECDSA key over SHA-256(approvedPolicy || policyRef).
        var ecdsa = CreatePrimary(Owner, EcdsaKey);
        var digest = SHA256.HashData(toBeSigned);
        var r = _host.RunWithPasswords(TpmCc.SignDigest, [ecdsa.Handle], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(digest), NullHashCheck));
        Assert.Equal(TpmRc.Success, r.Rc);
        v = _host.Run(TpmCc.VerifyDigestSignature, Cmd.Cat(Cmd.Sized([]), Cmd.Sized(digest), r.SessionParameters()), [ecdsa.Handle]);
        Assert.Equal(TpmRc.Success, v.Rc);
        var session = Auth.SessionClient.Start(_host, TpmSe.Policy);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyAuthorize,
            Cmd.Cat(Cmd.Sized(approved), Cmd.Sized(policyRef), Cmd.Sized(ecdsa.Name), v.Body), [session.Handle]).Rc);
    }

    /// <summary>An ML-DSA key duplicated with both wrappers (a TPM-made inner key, an outer wrapper to an RSA
    /// parent) imports, loads and signs there; its public key is unchanged.</summary>
    [Fact]
    public void DuplicatedKeyImportsUnderAnotherParent()
    {
        var t = new KeyMoveTestHost();
        var parent = t.CreatePrimary(KeyMoveTestHost.EccStorage);
        var template = $"00A1 000B 00040060 0020 {Convert.ToHexString(KeyMoveTestHost.DuplicatePolicy)} 0002 00 0000";
        var blob = t.Create(parent, template);
        var key = t.Load(parent, blob);
        var newParent = t.CreatePrimary(KeyMoveTestHost.RsaStorage);
        var aes = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Aes), Cmd.U16(128), Cmd.U16((ushort)TpmAlgId.Cfb));
        uint session = t.DuplicateSession();
        var r = t.RunWithPolicy(TpmCc.Duplicate, [key.Handle, newParent.Handle], session, Cmd.Cat(Cmd.Sized([]), aes));
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = KeyMoveTestHost.Sized(r.SessionParameters(), 3);
        // Three object slots: make room for the imported key and its sign sequence.
        t.Run(TpmCc.FlushContext, [], Cmd.U32(key.Handle));
        t.Run(TpmCc.FlushContext, [], Cmd.U32(parent.Handle));
        var imported = t.RunWithPasswords(TpmCc.Import, [newParent.Handle], Cmd.Cat(Cmd.Sized(o[0]), blob.Public, Cmd.Sized(o[1]), Cmd.Sized(o[2]), aes));
        Assert.Equal(TpmRc.Success, imported.Rc);
        var loaded = t.Load(newParent, new KeyMoveTestHost.Blob(imported.SessionParameters(), blob.Public));

        var pubReader = new TpmReader(blob.Public);
        Assert.Equal(TpmRc.Success, Tpm2bPublic.Read(ref pubReader, out var pub));
        var message = "moved"u8.ToArray();
        var start = t.Host.Run(TpmCc.SignSequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.Sized([])), [loaded.Handle]);
        Assert.Equal(TpmRc.Success, start.Rc);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(start.Body);
        var done = t.Host.RunWithPasswords(TpmCc.SignSequenceComplete, [sequence, loaded.Handle], [[], []], Cmd.Sized(message));
        Assert.Equal(TpmRc.Success, done.Rc);
        Assert.True(BouncyVerify(pub.PublicArea, message, [], ParseSignature(done.SessionParameters()).Signature.MlDsa.Span));
    }

    // ---- Response codes ---------------------------------------------------------------------------

    [Fact]
    public void UnsupportedParameterSetIsParmsAtP2()
    {
        Assert.Equal(TpmRc.Parms.AtParameter(2), CreatePrimaryRaw(Owner, "00A1 000B 00040072 0000 0004 00 0000").Rc);
        Assert.Equal(TpmRc.Parms.AtParameter(2), CreatePrimaryRaw(Owner, "00A2 000B 00040072 0000 0000 000B 0000").Rc);
        // TPM2_TestParms: the parameters are its first parameter.
        Assert.Equal(TpmRc.Parms.AtParameter(1), _host.Run(TpmCc.TestParms, H("00A1 0004 00")).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.TestParms, H("00A1 0003 01")).Rc);
    }

    [Fact]
    public void AttributeRulesOfMlDsaKeys()
    {
        // Restricted with allowExternalMu YES, decrypt SET, sign CLEAR: TPM_RC_ATTRIBUTES (P2).
        Assert.Equal(TpmRc.Attributes.AtParameter(2), CreatePrimaryRaw(Owner, "00A1 000B 00050072 0000 0002 01 0000").Rc);
        Assert.Equal(TpmRc.Attributes.AtParameter(2), CreatePrimaryRaw(Owner, "00A1 000B 00060072 0000 0002 00 0000").Rc);
        Assert.Equal(TpmRc.Attributes.AtParameter(2), CreatePrimaryRaw(Owner, "00A1 000B 00020072 0000 0002 00 0000").Rc);
        // allowExternalMu must be a TPMI_YES_NO.
        Assert.Equal(TpmRc.Value.AtParameter(2), CreatePrimaryRaw(Owner, "00A1 000B 00040072 0000 0002 02 0000").Rc);
    }

    [Fact]
    public void SignDigestCodes()
    {
        var noExtMu = CreatePrimary(Owner, MlDsa65);
        var ak = CreatePrimary(Owner, MlDsa65Ak);
        var mu = new byte[64];
        byte[] Params(byte[] context, byte[] digest) => Cmd.Cat(Cmd.Sized(context), Cmd.Sized(digest), NullHashCheck);
        // allowExternalMu NO, and a restricted key (never external μ): TPM_RC_EXT_MU at H1.
        Assert.Equal(TpmRc.ExtMu.AtHandle(1), _host.RunWithPasswords(TpmCc.SignDigest, [noExtMu.Handle], [[]], Params([], mu)).Rc);
        Assert.Equal(TpmRc.ExtMu.AtHandle(1), _host.RunWithPasswords(TpmCc.SignDigest, [ak.Handle], [[]], Params([], mu)).Rc);
        Assert.Equal(TpmRc.ExtMu.AtHandle(1), _host.Run(TpmCc.VerifyDigestSignature,
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(mu), SignatureBytes(TpmAlgId.MlDsa, new byte[3309])), [noExtMu.Handle]).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(noExtMu.Handle)).Rc);

        var key = CreatePrimary(Owner, MlDsa65ExtMu);
        // μ is 64 octets; an external μ already holds the context.
        Assert.Equal(TpmRc.Size.AtParameter(2), _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]], Params([], new byte[32])).Rc);
        Assert.Equal(TpmRc.Value.AtParameter(1), _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]], Params([1], mu)).Rc);
        // A context longer than 255 octets does not unmarshal.
        Assert.Equal(TpmRc.Size.AtParameter(1), _host.RunWithPasswords(TpmCc.SignDigest, [key.Handle], [[]], Params(new byte[256], mu)).Rc);
        // A signature of another scheme: TPM_RC_SCHEME at P3.
        Assert.Equal(TpmRc.Scheme.AtParameter(3), _host.Run(TpmCc.VerifyDigestSignature,
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(mu), Cmd.U16((ushort)TpmAlgId.HashMlDsa), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.Sized([])), [key.Handle]).Rc);
    }

    [Fact]
    public void SequenceCodes()
    {
        var key = CreatePrimary(Owner, MlDsa65);
        var other = CreatePrimary(Endorsement, MlDsa65);
        // A hint is EdDSA's only: TPM_RC_SIZE at P2.
        Assert.Equal(TpmRc.Size.AtParameter(2), _host.Run(TpmCc.VerifySequenceStart,
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized([1]), Cmd.Sized([])), [key.Handle]).Rc);
        // The complete command must name the key the sequence started with.
        uint sequence = SignSequenceStart(key.Handle, []);
        Assert.Equal(TpmRc.SignContextKey.AtHandle(2),
            _host.RunWithPasswords(TpmCc.SignSequenceComplete, [sequence, other.Handle], [[], []], Cmd.Sized([])).Rc);
        // A sign sequence is not a hash sequence, nor a verify sequence.
        Assert.Equal(TpmRc.Mode.AtHandle(1), _host.RunWithPasswords(TpmCc.SequenceComplete, [sequence], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.U32(Owner))).Rc);
        Assert.Equal(TpmRc.Mode.AtHandle(1), _host.RunWithPasswords(TpmCc.VerifySequenceComplete, [sequence, key.Handle], [[]],
            SignatureBytes(TpmAlgId.MlDsa, [])).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(sequence)).Rc);

        // A key without a scheme cannot start one (Part 3 v185, 17.5.1), a storage key is no signing key.
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(other.Handle)).Rc);
        var noScheme = CreatePrimary(Endorsement, "0023 000B 00040072 0000 0010 0010 0003 0010 0000 0000");
        Assert.Equal(TpmRc.Scheme.AtHandle(1), _host.Run(TpmCc.SignSequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.Sized([])), [noScheme.Handle]).Rc);
    }

    [Fact]
    public void RestrictedKeyDoesNotSignWhatLooksTpmGenerated()
    {
        var ak = CreatePrimary(Owner, MlDsa65Ak);
        uint sequence = SignSequenceStart(ak.Handle, []);
        Update(sequence, [0xFF, 0x54]);
        Assert.Equal(TpmRc.Value.AtParameter(1),
            _host.RunWithPasswords(TpmCc.SignSequenceComplete, [sequence, ak.Handle], [[], []], Cmd.Sized([0x43, 0x47, 1, 2])).Rc);
        // The refusal left the sequence as it was: a message that does not start with the magic signs.
        var r = _host.RunWithPasswords(TpmCc.SignSequenceComplete, [sequence, ak.Handle], [[], []], Cmd.Sized([0x43]));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.True(BouncyVerify(ak.Public, [0xFF, 0x54, 0x43], [], ParseSignature(r.SessionParameters()).Signature.MlDsa.Span));
        var message = "a restricted key signs this"u8.ToArray();
        Assert.True(BouncyVerify(ak.Public, message, [], SignMessage(ak.Handle, message, []).Signature.MlDsa.Span));
    }

    [Fact]
    public void SignAndVerifySignatureDoNotTakeMlDsaKeys()
    {
        var key = CreatePrimary(Owner, MlDsa65ExtMu);
        // Part 3 v185, 20.1, Table 115: ML-DSA is "not supported" by the deprecated TPM2_Sign and TPM2_VerifySignature.
        Assert.Equal(TpmRc.Scheme.AtParameter(2), _host.RunWithPasswords(TpmCc.Sign, [key.Handle], [[]],
            Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16((ushort)TpmAlgId.MlDsa), NullHashCheck)).Rc);
        Assert.Equal(TpmRc.Scheme.AtParameter(2), _host.Run(TpmCc.VerifySignature,
            Cmd.Cat(Cmd.Sized(new byte[32]), SignatureBytes(TpmAlgId.MlDsa, new byte[3309])), [key.Handle]).Rc);
    }

    [Fact]
    public void CapabilityListsTheCommands()
    {
        var r = _host.Run(TpmCc.GetCapability, Cmd.Cat(Cmd.U32((uint)TpmCap.Commands), Cmd.U32(0x1A3), Cmd.U32(8)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var body = r.Body;
        uint count = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(5));
        var codes = Enumerable.Range(0, (int)count).Select(i => BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(9 + 4 * i)) & 0xFFFF).ToArray();
        foreach (var cc in new[] { TpmCc.VerifySequenceComplete, TpmCc.SignSequenceComplete, TpmCc.VerifyDigestSignature,
            TpmCc.SignDigest, TpmCc.VerifySequenceStart, TpmCc.SignSequenceStart })
            Assert.Contains((uint)cc, codes);
    }
}
