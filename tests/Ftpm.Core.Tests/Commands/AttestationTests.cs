using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>The attestation commands (Part 3, 18, and NV_Certify, 31.16) in-process: the TPMS_ATTEST
/// fields, signatures checked with .NET, obfuscation, and each response code with its position.</summary>
public sealed class AttestationTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001, Endorsement = 0x4000000B, Null = 0x40000007;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // TPMT_PUBLIC templates. Restricted ECDSA-SHA256 P-256 signing key (an AK), an unrestricted one with
    // no scheme, a restricted RSASSA-SHA256 2048 AK, an ECC storage key, a restricted HMAC-SHA256 key.
    const string EccAk = "0023 000B 00050072 0000 0010 0018 000B 0003 0010 0000 0000";
    const string EccNoScheme = "0023 000B 00040072 0000 0010 0010 0003 0010 0000 0000";
    const string RsaAk = "0001 000B 00050072 0000 0010 0014 000B 0800 00000000 0000";
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string HmacRestricted = "0008 000B 00050072 0000 0005 000B 0000";

    static byte[] CreateParams(string template) => Cmd.Cat(
        Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0));

    sealed record Key(uint Handle, TpmtPublic Public, byte[] Name, byte[] QualifiedName, byte[] CreationHash, byte[] Ticket);

    Key CreatePrimary(uint hierarchy, string template)
    {
        var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [hierarchy], [[]], CreateParams(template));
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters(handles: 1);
        var reader = new TpmReader(p);
        Assert.Equal(TpmRc.Success, Tpm2bPublic.Read(ref reader, out var pub));
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort creationSize));
        Assert.Equal(TpmRc.Success, reader.ReadBytes(creationSize, out var creationData));
        Assert.Equal(TpmRc.Success, Tpm2bDigest.Read(ref reader, out var creationHash));
        int ticketStart = reader.Position;
        Assert.Equal(TpmRc.Success, TpmtTkCreation.Read(ref reader, out _));
        var ticket = p[ticketStart..reader.Position];
        Assert.Equal(TpmRc.Success, Tpm2bDigest.Read(ref reader, out var name));
        // creationHash is the nameAlg digest of the marshaled creation data.
        Assert.Equal(SHA256.HashData(creationData.ToArray()), creationHash.Buffer.ToArray());
        var qn = Cmd.Cat(Cmd.U16(0x000B), SHA256.HashData(Cmd.Cat(Cmd.U32(hierarchy), name.Buffer.ToArray())));
        return new Key(BinaryPrimitives.ReadUInt32BigEndian(r.Body), pub.PublicArea, name.Buffer.ToArray(), qn, creationHash.Buffer.ToArray(), ticket);
    }

    static byte[] NullScheme => Cmd.U16(0x0010);
    static byte[] EcdsaSha256 => Cmd.Cat(Cmd.U16(0x0018), Cmd.U16(0x000B));

    static (TpmsAttest Attest, byte[] Bytes, TpmtSignature Signature) ParseAttest(byte[] parameters)
    {
        var reader = new TpmReader(parameters);
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort size));
        var bytes = parameters.AsSpan(2, size).ToArray();
        var inner = new TpmReader(bytes);
        Assert.Equal(TpmRc.Success, TpmsAttest.Read(ref inner, out var attest));
        Assert.False(inner.HasData);
        Assert.Equal(TpmRc.Success, reader.ReadBytes(size, out _));
        Assert.Equal(TpmRc.Success, TpmtSignature.Read(ref reader, out var signature));
        Assert.False(reader.HasData);
        return (attest, bytes, signature);
    }

    static bool VerifiesEcdsa(TpmtPublic key, byte[] data, TpmtSignature signature)
    {
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = key.Unique.Ecc.X.ToArray(), Y = key.Unique.Ecc.Y.ToArray() },
        });
        var rs = Cmd.Cat(signature.Signature.Ecc.SignatureR.ToArray(), signature.Signature.Ecc.SignatureS.ToArray());
        return signature.SigAlg == TpmAlgId.EcDsa && ecdsa.VerifyData(data, rs, HashAlgorithmName.SHA256);
    }

    Response Quote(uint signer, byte[] qualifyingData, byte[] scheme, byte[] selection) =>
        _host.RunWithPasswords(TpmCc.Quote, [signer], [[]], Cmd.Cat(Cmd.Sized(qualifyingData), scheme, selection));

    [Fact]
    public void Quote_by_an_endorsement_ak_carries_plain_clock_and_verifies()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var nonce = "nonce"u8.ToArray();
        var r = Quote(ak.Handle, nonce, NullScheme, Cmd.PcrSelection(TpmAlgId.Sha256, 0, 1, 23));
        Assert.Equal(TpmRc.Success, r.Rc);
        var (attest, bytes, signature) = ParseAttest(r.SessionParameters());

        Assert.Equal(0xFF544347u, attest.Magic);
        Assert.Equal(TpmSt.AttestQuote, attest.Type);
        Assert.Equal(ak.QualifiedName, attest.QualifiedSigner.ToArray());
        Assert.Equal(nonce, attest.ExtraData.ToArray());
        Assert.Equal(_host.Tpm.ClockInfo.ResetCount, attest.ClockInfo.ResetCount);
        Assert.Equal(_host.Tpm.ClockInfo.RestartCount, attest.ClockInfo.RestartCount);
        Assert.Equal(0x0001000000000000UL, attest.FirmwareVersion);
        // PCRs 0, 1 and 23 are all zeros after TPM Reset.
        Assert.Equal(1u, attest.Attested.Quote.PcrSelect.Count);
        Assert.Equal(new byte[] { 3, 0, 0x80 }, attest.Attested.Quote.PcrSelect.PcrSelections[0].PcrSelect.ToArray());
        Assert.Equal(SHA256.HashData(new byte[96]), attest.Attested.Quote.PcrDigest.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, bytes, signature));
        bytes[^1] ^= 1;
        Assert.False(VerifiesEcdsa(ak.Public, bytes, signature));
    }

    [Fact]
    public void Owner_hierarchy_signer_gets_obfuscated_counters_and_firmware_version()
    {
        var ownerAk = CreatePrimary(Owner, EccAk);
        var first = ParseAttest(Quote(ownerAk.Handle, [], NullScheme, Cmd.PcrSelection(TpmAlgId.Sha256, 0)).SessionParameters()).Attest;
        var second = ParseAttest(Quote(ownerAk.Handle, [], NullScheme, Cmd.PcrSelection(TpmAlgId.Sha256, 0)).SessionParameters()).Attest;
        Assert.NotEqual(0x0001000000000000UL, first.FirmwareVersion);
        Assert.NotEqual(_host.Tpm.ClockInfo.ResetCount, first.ClockInfo.ResetCount);
        Assert.NotEqual(_host.Tpm.ClockInfo.RestartCount, first.ClockInfo.RestartCount);
        // The offsets are fixed for a signer: the same key shows the same values.
        Assert.Equal(first.FirmwareVersion, second.FirmwareVersion);
        Assert.Equal(first.ClockInfo.ResetCount, second.ClockInfo.ResetCount);

        // GetTime shows Clock and the firmware version in the clear in its own arm.
        var time = _host.RunWithPasswords(TpmCc.GetTime, [Endorsement, ownerAk.Handle], [[], []], Cmd.Cat(Cmd.Sized([]), NullScheme));
        Assert.Equal(TpmRc.Success, time.Rc);
        var t = ParseAttest(time.SessionParameters()).Attest;
        Assert.Equal(TpmSt.AttestTime, t.Type);
        Assert.Equal(0x0001000000000000UL, t.Attested.Time.FirmwareVersion);
        Assert.Equal(_host.Tpm.ClockInfo.ResetCount, t.Attested.Time.Time.ClockInfo.ResetCount);
        Assert.NotEqual(_host.Tpm.ClockInfo.ResetCount, t.ClockInfo.ResetCount);
    }

    [Fact]
    public void Null_signer_gives_an_unsigned_structure_and_quote_needs_a_hash()
    {
        var time = _host.RunWithPasswords(TpmCc.GetTime, [Endorsement, Null], [[], []], Cmd.Cat(Cmd.Sized([1, 2]), NullScheme));
        Assert.Equal(TpmRc.Success, time.Rc);
        var (attest, _, signature) = ParseAttest(time.SessionParameters());
        Assert.Equal(TpmAlgId.Null, signature.SigAlg);
        Assert.Equal(Cmd.U32(Null), attest.QualifiedSigner.ToArray());
        Assert.Equal(new byte[] { 1, 2 }, attest.ExtraData.ToArray());
        // TPM_RC_SCHEME + P2: TPM_RH_NULL has no hash to digest PCRs with.
        Assert.Equal((TpmRc)0x2D2, Quote(Null, [], EcdsaSha256, Cmd.PcrSelection(TpmAlgId.Sha256, 0)).Rc);
    }

    [Fact]
    public void Quote_codes()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var srk = CreatePrimary(Owner, EccStorage);
        var sel = Cmd.PcrSelection(TpmAlgId.Sha256, 0);
        Assert.Equal((TpmRc)0x19C, Quote(srk.Handle, [], NullScheme, sel).Rc);                                       // KEY + H1
        Assert.Equal((TpmRc)0x2D2, Quote(ak.Handle, [], Cmd.Cat(Cmd.U16(0x0014), Cmd.U16(0x000B)), sel).Rc);         // SCHEME + P2: RSASSA on ECC
        Assert.Equal((TpmRc)0x2D2, Quote(ak.Handle, [], Cmd.Cat(Cmd.U16(0x0018), Cmd.U16(0x000C)), sel).Rc);         // SCHEME + P2: other hash
        Assert.Equal((TpmRc)0x3C3, Quote(ak.Handle, [], NullScheme, Cmd.Cat(Cmd.U32(1), Cmd.U16(0x0099), Cmd.U8(3), new byte[3])).Rc); // HASH + P3
        Assert.Equal((TpmRc)0x3C4, Quote(ak.Handle, [], NullScheme, Cmd.Cat(Cmd.U32(1), Cmd.U16(0x000B), Cmd.U8(2), new byte[2])).Rc); // VALUE + P3
        Assert.Equal((TpmRc)0x3D5, Quote(ak.Handle, [], NullScheme, Cmd.Cat(Cmd.U32(5), Cmd.U16(0x000B), Cmd.U8(3), new byte[3])).Rc); // SIZE + P3
        Assert.Equal((TpmRc)0x1D5, Quote(ak.Handle, new byte[67], NullScheme, sel).Rc);                               // SIZE + P1
        // An unrestricted key without a scheme signs with the one given, and needs one.
        var free = CreatePrimary(Endorsement, EccNoScheme);
        Assert.Equal((TpmRc)0x2D2, Quote(free.Handle, [], NullScheme, sel).Rc);
        Assert.Equal(TpmRc.Success, Quote(free.Handle, [], EcdsaSha256, sel).Rc);
    }

    [Fact]
    public void Rsa_ak_quote_verifies()
    {
        var ak = CreatePrimary(Endorsement, RsaAk);
        var r = Quote(ak.Handle, [9], NullScheme, Cmd.PcrSelection(TpmAlgId.Sha1, 7));
        Assert.Equal(TpmRc.Success, r.Rc);
        var (attest, bytes, signature) = ParseAttest(r.SessionParameters());
        Assert.Equal(TpmAlgId.RsaSsa, signature.SigAlg);
        Assert.Equal(SHA256.HashData(new byte[20]), attest.Attested.Quote.PcrDigest.ToArray());
        using var rsa = RSA.Create(new RSAParameters { Modulus = ak.Public.Unique.Rsa.ToArray(), Exponent = [1, 0, 1] });
        Assert.True(rsa.VerifyData(bytes, signature.Signature.Rsa.Sig.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Certify_and_certify_creation()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var srk = CreatePrimary(Owner, EccStorage);
        var certify = _host.RunWithPasswords(TpmCc.Certify, [srk.Handle, ak.Handle], [[], []], Cmd.Cat(Cmd.Sized([7]), NullScheme));
        Assert.Equal(TpmRc.Success, certify.Rc);
        var (attest, bytes, signature) = ParseAttest(certify.SessionParameters());
        Assert.Equal(TpmSt.AttestCertify, attest.Type);
        Assert.Equal(srk.Name, attest.Attested.Certify.Name.ToArray());
        Assert.Equal(srk.QualifiedName, attest.Attested.Certify.QualifiedName.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, bytes, signature));
        // The signer must sign: TPM_RC_KEY + H2.
        Assert.Equal((TpmRc)0x29C, _host.RunWithPasswords(TpmCc.Certify, [ak.Handle, srk.Handle], [[], []], Cmd.Cat(Cmd.Sized([]), NullScheme)).Rc);

        Response CertifyCreation(byte[] creationHash, byte[] ticket) => _host.RunWithPasswords(TpmCc.CertifyCreation, [ak.Handle, srk.Handle], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(creationHash), NullScheme, ticket));
        var creation = CertifyCreation(srk.CreationHash, srk.Ticket);
        Assert.Equal(TpmRc.Success, creation.Rc);
        var c = ParseAttest(creation.SessionParameters());
        Assert.Equal(TpmSt.AttestCreation, c.Attest.Type);
        Assert.Equal(srk.Name, c.Attest.Attested.Creation.ObjectName.ToArray());
        Assert.Equal(srk.CreationHash, c.Attest.Attested.Creation.CreationHash.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, c.Bytes, c.Signature));

        var badTicket = (byte[])srk.Ticket.Clone();
        badTicket[^1] ^= 1;
        Assert.Equal((TpmRc)0x4E0, CertifyCreation(srk.CreationHash, badTicket).Rc);                 // TICKET + P4
        var otherHash = (byte[])srk.CreationHash.Clone();
        otherHash[0] ^= 1;
        Assert.Equal((TpmRc)0x4E0, CertifyCreation(otherHash, srk.Ticket).Rc);
        var badTag = (byte[])srk.Ticket.Clone();
        badTag[1] = 0x22;
        Assert.Equal((TpmRc)0x4D7, CertifyCreation(srk.CreationHash, badTag).Rc);                    // TAG + P4
        var badHierarchy = (byte[])srk.Ticket.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(badHierarchy.AsSpan(2), 0x40000002);
        Assert.Equal((TpmRc)0x4C4, CertifyCreation(srk.CreationHash, badHierarchy).Rc);              // VALUE + P4
        // A ticket of another hierarchy's proof does not match.
        BinaryPrimitives.WriteUInt32BigEndian(badHierarchy.AsSpan(2), Endorsement);
        Assert.Equal((TpmRc)0x4E0, CertifyCreation(srk.CreationHash, badHierarchy).Rc);
        // The ticket of another object: the AK's creation ticket does not certify the SRK.
        Assert.Equal((TpmRc)0x4E0, CertifyCreation(ak.CreationHash, ak.Ticket).Rc);
        Assert.Equal((TpmRc)0x19C, _host.RunWithPasswords(TpmCc.CertifyCreation, [srk.Handle, srk.Handle], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(srk.CreationHash), NullScheme, srk.Ticket)).Rc);       // KEY + H1

        // A child made by Create, loaded: its creation ticket certifies it.
        var created = _host.RunWithPasswords(TpmCc.Create, [srk.Handle], [[]], CreateParams(EccNoScheme));
        Assert.Equal(TpmRc.Success, created.Rc);
        var p = created.SessionParameters();
        var reader = new TpmReader(p);
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort privSize));
        Assert.Equal(TpmRc.Success, reader.ReadBytes(privSize, out _));
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort pubSize));
        Assert.Equal(TpmRc.Success, reader.ReadBytes(pubSize, out _));
        int loadEnd = reader.Position;
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort cdSize));
        Assert.Equal(TpmRc.Success, reader.ReadBytes(cdSize, out var creationData));
        Assert.Equal(TpmRc.Success, Tpm2bDigest.Read(ref reader, out var childHash));
        int ticketAt = reader.Position;
        Assert.Equal(TpmRc.Success, TpmtTkCreation.Read(ref reader, out var childTicket));
        Assert.Equal(Owner, childTicket.Hierarchy);
        var cdReader = new TpmReader(creationData.ToArray());
        Assert.Equal(TpmRc.Success, TpmsCreationData.Read(ref cdReader, out var cd));
        Assert.Equal(srk.Name, cd.ParentName.ToArray());
        Assert.Equal(srk.QualifiedName, cd.ParentQualifiedName.ToArray());
        Assert.Equal(TpmAlgId.Sha256, cd.ParentNameAlg);
        Assert.Equal(1, cd.Locality);
        var loaded = _host.RunWithPasswords(TpmCc.Load, [srk.Handle], [[]], p[..loadEnd]);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        uint child = BinaryPrimitives.ReadUInt32BigEndian(loaded.Body);
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.CertifyCreation, [ak.Handle, child], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(childHash.Buffer.ToArray()), NullScheme, p[ticketAt..reader.Position])).Rc);
    }

    [Fact]
    public void Null_hierarchy_primary_has_a_working_creation_ticket()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var ephemeral = CreatePrimary(Null, EccNoScheme);
        Assert.NotEqual(6, ephemeral.Ticket.Length);   // not the NULL ticket
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.CertifyCreation, [ak.Handle, ephemeral.Handle], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized(ephemeral.CreationHash), NullScheme, ephemeral.Ticket)).Rc);
    }

    [Fact]
    public void Nv_certify_range_digest_and_codes()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        const uint index = 0x01500010;
        // Ordinary index, 16 octets, OWNERWRITE|OWNERREAD|AUTHREAD|AUTHWRITE|NO_DA.
        var nvPublic = Cmd.Cat(Cmd.U32(index), Cmd.U16(0x000B), Cmd.U32(0x02060006), Cmd.Sized([]), Cmd.U16(16));
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(nvPublic))).Rc);
        Response Certify(ushort size, ushort offset, uint auth = Owner) => _host.RunWithPasswords(TpmCc.NvCertify, [ak.Handle, auth, index], [[], []],
            Cmd.Cat(Cmd.Sized([]), NullScheme, Cmd.U16(size), Cmd.U16(offset)));
        Assert.Equal(TpmRc.NvUninitialized, Certify(4, 0).Rc);
        var data = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.NvWrite, [Owner, index], [[]], Cmd.Cat(Cmd.Sized(data), Cmd.U16(0))).Rc);

        var range = Certify(4, 2);
        Assert.Equal(TpmRc.Success, range.Rc);
        var (attest, bytes, signature) = ParseAttest(range.SessionParameters());
        Assert.Equal(TpmSt.AttestNv, attest.Type);
        Assert.Equal(2, attest.Attested.Nv.Offset);
        Assert.Equal(data[2..6], attest.Attested.Nv.NvContents.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, bytes, signature));

        var whole = Certify(0, 0, auth: index);
        Assert.Equal(TpmRc.Success, whole.Rc);
        var d = ParseAttest(whole.SessionParameters());
        Assert.Equal(TpmSt.AttestNvDigest, d.Attest.Type);
        Assert.Equal(SHA256.HashData(data), d.Attest.Attested.NvDigest.NvDigest.ToArray());
        Assert.Equal(attest.Attested.Nv.IndexName.ToArray(), d.Attest.Attested.NvDigest.IndexName.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, d.Bytes, d.Signature));

        Assert.Equal(TpmRc.NvRange, Certify(10, 8).Rc);
        Assert.Equal((TpmRc)0x19C, _host.RunWithPasswords(TpmCc.NvCertify, [CreatePrimary(Owner, EccStorage).Handle, Owner, index], [[], []],
            Cmd.Cat(Cmd.Sized([]), NullScheme, Cmd.U16(4), Cmd.U16(0))).Rc);                       // KEY + H1
    }

    [Fact]
    public void Command_audit_digest_is_signed_then_starts_over()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SetCommandCodeAuditStatus, [Owner], [[]],
            Cmd.Cat(Cmd.U16(0x0010), Cmd.U32(1), Cmd.U32((uint)TpmCc.GetRandom), Cmd.U32(0))).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        var expected = _host.Tpm.CommandAuditDigest.ToArray();
        var r = _host.RunWithPasswords(TpmCc.GetCommandAuditDigest, [Endorsement, ak.Handle], [[], []], Cmd.Cat(Cmd.Sized([]), NullScheme));
        Assert.Equal(TpmRc.Success, r.Rc);
        var (attest, bytes, signature) = ParseAttest(r.SessionParameters());
        Assert.Equal(TpmSt.AttestCommandAudit, attest.Type);
        var info = attest.Attested.CommandAudit;
        Assert.Equal(TpmAlgId.Sha256, info.DigestAlg);
        Assert.Equal(1UL, info.AuditCounter);
        Assert.Equal(expected, info.AuditDigest.ToArray());
        Assert.Equal(SHA256.HashData(Cmd.Cat(Cmd.U32((uint)TpmCc.SetCommandCodeAuditStatus), Cmd.U32((uint)TpmCc.GetRandom))), info.CommandDigest.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, bytes, signature));
        Assert.Empty(_host.Tpm.CommandAuditDigest);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        Assert.Equal(2UL, _host.Tpm.Persistent.AuditCounter);
        Assert.Equal((TpmRc)0x29C, _host.RunWithPasswords(TpmCc.GetCommandAuditDigest, [Endorsement, CreatePrimary(Owner, EccStorage).Handle], [[], []],
            Cmd.Cat(Cmd.Sized([]), NullScheme)).Rc);                                                // KEY + H2
    }

    [Fact]
    public void Session_audit_digest_needs_an_audit_session()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var session = SessionClient.Start(_host);
        Assert.Equal((TpmRc)0x38A, _host.RunWithPasswords(TpmCc.GetSessionAuditDigest, [Endorsement, ak.Handle, session.Handle], [[], []],
            Cmd.Cat(Cmd.Sized([]), NullScheme)).Rc);                                                // TYPE + H3
        // A policy session is no TPMI_SH_HMAC: TPM_RC_VALUE + H3.
        var policy = SessionClient.Start(_host, TpmSe.Policy);
        Assert.Equal((TpmRc)0x384, _host.RunWithPasswords(TpmCc.GetSessionAuditDigest, [Endorsement, ak.Handle, policy.Handle], [[], []],
            Cmd.Cat(Cmd.Sized([]), NullScheme)).Rc);
    }

    [Fact]
    public void Commands_are_listed_with_their_attributes()
    {
        var expected = new Dictionary<TpmCc, uint>
        {
            [TpmCc.GetCommandAuditDigest] = 0x04400133,   // nv, 2 handles
            [TpmCc.Certify] = 0x04000148,
            [TpmCc.CertifyCreation] = 0x0400014A,
            [TpmCc.GetTime] = 0x0400014C,
            [TpmCc.GetSessionAuditDigest] = 0x0600014D,
            [TpmCc.Quote] = 0x02000158,
            [TpmCc.NvCertify] = 0x06000184,
            [TpmCc.CertifyX509] = 0x04000197,
        };
        var policy = SessionClient.Start(_host, TpmSe.Policy);
        foreach (var (code, attributes) in expected)
        {
            var r = _host.Run(TpmCc.GetCapability, Cmd.Cat(Cmd.U32((uint)TpmCap.Commands), Cmd.U32((uint)code), Cmd.U32(1)));
            Assert.Equal(TpmRc.Success, r.Rc);
            Assert.Equal(attributes, BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(1 + 4 + 4)));
            // PolicyCommandCode takes the command (no TPM_RC_POLICY_CC).
            Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyRestart, handles: [policy.Handle]).Rc);
            Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicyCommandCode, Cmd.U32((uint)code), [policy.Handle]).Rc);
        }
    }

    /// <summary>ECDAA is anonymous (Part 3, 18.1): no qualifiedSigner, no extraData, no Qualified Name of
    /// the certified object; the signature is over H(qualifyingData || H(attest)) with the committed r,
    /// and the commit count is used up.</summary>
    [Fact]
    public void Ecdaa_quote_and_certify_are_anonymous()
    {
        var key = CreatePrimary(Owner, "0023 000B 00040472 0000 0010 001A 000B 0000 0003 0010 0000 0000");
        Response Commit() => _host.RunWithPasswords(TpmCc.Commit, [key.Handle], [[]], Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized([]), Cmd.Sized([])));
        var commit = Commit();
        Assert.Equal(TpmRc.Success, commit.Rc);
        var c = commit.SessionParameters();
        // K and L are empty points (2 + 4 octets each), then E, then the counter.
        int at = 12;
        int eSize = BinaryPrimitives.ReadUInt16BigEndian(c.AsSpan(at));
        var eX = c.AsSpan(at + 4, BinaryPrimitives.ReadUInt16BigEndian(c.AsSpan(at + 2))).ToArray();
        var eY = c.AsSpan(at + 6 + eX.Length, 32).ToArray();
        ushort counter = BinaryPrimitives.ReadUInt16BigEndian(c.AsSpan(at + 2 + eSize));
        var scheme = Cmd.Cat(Cmd.U16(0x001A), Cmd.U16(0x000B), Cmd.U16(counter));
        var nonce = "verifier nonce"u8.ToArray();

        var r = Quote(key.Handle, nonce, scheme, Cmd.PcrSelection(TpmAlgId.Sha256, 0));
        Assert.Equal(TpmRc.Success, r.Rc);
        var (attest, bytes, signature) = ParseAttest(r.SessionParameters());
        Assert.Empty(attest.QualifiedSigner.ToArray());
        Assert.Empty(attest.ExtraData.ToArray());
        Assert.Equal(TpmAlgId.EcDaa, signature.SigAlg);
        // s·G = E + T·Q with T = H(nonceK || H(qualifyingData || H(attest))).
        var p256 = Org.BouncyCastle.Asn1.Nist.NistNamedCurves.GetByName("P-256");
        Org.BouncyCastle.Math.EC.ECPoint Point(byte[] x, byte[] y) =>
            p256.Curve.CreatePoint(new Org.BouncyCastle.Math.BigInteger(1, x), new Org.BouncyCastle.Math.BigInteger(1, y));
        var digest = SHA256.HashData(Cmd.Cat(nonce, SHA256.HashData(bytes)));
        var t = new Org.BouncyCastle.Math.BigInteger(1, SHA256.HashData(Cmd.Cat(signature.Signature.Ecc.SignatureR.ToArray(), digest))).Mod(p256.N);
        var sv = new Org.BouncyCastle.Math.BigInteger(1, signature.Signature.Ecc.SignatureS.ToArray());
        var q = Point(key.Public.Unique.Ecc.X.ToArray(), key.Public.Unique.Ecc.Y.ToArray());
        Assert.Equal(Point(eX, eY).Add(q.Multiply(t)).Normalize(), p256.G.Multiply(sv).Normalize());
        // The count is used up: TPM_RC_VALUE, unnumbered as for TPM2_Sign.
        Assert.Equal((TpmRc)0x084, Quote(key.Handle, nonce, scheme, Cmd.PcrSelection(TpmAlgId.Sha256, 0)).Rc);

        counter = BinaryPrimitives.ReadUInt16BigEndian(Commit().SessionParameters().AsSpan(at + 2 + eSize));
        var certify = _host.RunWithPasswords(TpmCc.Certify, [key.Handle, key.Handle], [[], []],
            Cmd.Cat(Cmd.Sized(nonce), Cmd.U16(0x001A), Cmd.U16(0x000B), Cmd.U16(counter)));
        Assert.Equal(TpmRc.Success, certify.Rc);
        var info = ParseAttest(certify.SessionParameters()).Attest.Attested.Certify;
        Assert.Equal(key.Name, info.Name.ToArray());
        Assert.Empty(info.QualifiedName.ToArray());
    }

    // ---- Restricted keys sign only what the TPM produced (CVE-2026-6726 class) --------------------

    static readonly byte[] Forged = Cmd.Cat(Cmd.U32(0xFF544347), Cmd.U16(0x8018), new byte[60]);

    Response Sign(uint key, byte[] digest, byte[] ticket) =>
        _host.RunWithPasswords(TpmCc.Sign, [key], [[]], Cmd.Cat(Cmd.Sized(digest), NullScheme, ticket));

    static (byte[] Digest, byte[] Ticket) SplitHashResult(byte[] p)
    {
        int n = BinaryPrimitives.ReadUInt16BigEndian(p);
        return (p[2..(2 + n)], p[(2 + n)..]);
    }

    byte[] SequenceStart()
    {
        var r = _host.Run(TpmCc.HashSequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.U16(0x000B)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.Body[..4];
    }

    void Update(uint sequence, byte[] data) =>
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SequenceUpdate, [sequence], [[]], Cmd.Sized(data)).Rc);

    (byte[] Digest, byte[] Ticket) Complete(uint sequence, byte[] data)
    {
        var r = _host.RunWithPasswords(TpmCc.SequenceComplete, [sequence], [[]], Cmd.Cat(Cmd.Sized(data), Cmd.U32(Owner)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return SplitHashResult(r.SessionParameters());
    }

    [Fact]
    public void Restricted_key_will_not_sign_a_digest_of_data_starting_with_the_generated_value()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        byte[] nullTicket = Cmd.Cat(Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0));
        var digest = SHA256.HashData(Forged);
        // No ticket, or a ticket of another digest: TPM_RC_TICKET + P3.
        Assert.Equal((TpmRc)0x3E0, Sign(ak.Handle, digest, nullTicket).Rc);
        var honest = _host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized("honest"u8.ToArray()), Cmd.U16(0x000B), Cmd.U32(Owner)));
        var (honestDigest, honestTicket) = SplitHashResult(honest.Body);
        Assert.Equal(TpmRc.Success, Sign(ak.Handle, honestDigest, honestTicket).Rc);
        Assert.Equal((TpmRc)0x3E0, Sign(ak.Handle, digest, honestTicket).Rc);

        // TPM2_Hash of the forged data: the NULL ticket.
        var hashed = SplitHashResult(_host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized(Forged), Cmd.U16(0x000B), Cmd.U32(Owner))).Body);
        Assert.Equal(digest, hashed.Digest);
        Assert.Equal(nullTicket, hashed.Ticket);
        Assert.Equal((TpmRc)0x3E0, Sign(ak.Handle, digest, hashed.Ticket).Rc);

        // Hash sequences, however the first four octets are split over SequenceUpdate and SequenceComplete.
        int[][] splits = [[], [0], [1], [2], [3], [4], [1, 1, 1, 1], [0, 2, 0, 1], [2, 1]];
        foreach (var split in splits)
        {
            uint sequence = BinaryPrimitives.ReadUInt32BigEndian(SequenceStart());
            int at = 0;
            foreach (int length in split) { Update(sequence, Forged[at..(at + length)]); at += length; }
            var result = Complete(sequence, Forged[at..]);
            Assert.Equal(digest, result.Digest);
            Assert.Equal(nullTicket, result.Ticket);
            Assert.Equal((TpmRc)0x3E0, Sign(ak.Handle, digest, result.Ticket).Rc);
        }

        // A sequence saved and loaded after the first two octets still knows how its data began.
        uint saved = BinaryPrimitives.ReadUInt32BigEndian(SequenceStart());
        Update(saved, Forged[..2]);
        var context = _host.Run(TpmCc.ContextSave, handles: [saved]);
        Assert.Equal(TpmRc.Success, context.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(saved)).Rc);
        var reloaded = _host.Run(TpmCc.ContextLoad, context.Body);
        Assert.Equal(TpmRc.Success, reloaded.Rc);
        var afterLoad = Complete(BinaryPrimitives.ReadUInt32BigEndian(reloaded.Body), Forged[2..]);
        Assert.Equal(nullTicket, afterLoad.Ticket);

        // A restricted HMAC key does not MAC caller data at all (Part 3, 15.5: TPM_RC_ATTRIBUTES + H1).
        var hmacKey = CreatePrimary(Owner, HmacRestricted);
        Assert.Equal((TpmRc)0x182, _host.RunWithPasswords(TpmCc.Hmac, [hmacKey.Handle], [[]], Cmd.Cat(Cmd.Sized(Forged), Cmd.U16(0x000B))).Rc);
        Assert.Equal((TpmRc)0x182, _host.RunWithPasswords(TpmCc.MacStart, [hmacKey.Handle], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.U16(0x000B))).Rc);
        Assert.Equal((TpmRc)0x3E0, Sign(hmacKey.Handle, digest, hashed.Ticket).Rc);
    }

    // ---- CertifyX509 --------------------------------------------------------------------------------

    static byte[] Name(string cn)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSetOf())
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier("2.5.4.3");
            w.WriteCharacterString(UniversalTagNumber.UTF8String, cn);
        }
        return w.Encode();
    }

    static byte[] Extensions(uint keyUsage, uint? tpma = null)
    {
        static byte[] BitString(uint value)
        {
            var b = Cmd.U32(value);
            int n = 4;
            while (n > 0 && b[n - 1] == 0) n--;
            int unused = n == 0 ? 0 : BitOperations(b[n - 1]);
            var w = new AsnWriter(AsnEncodingRules.DER);
            w.WriteBitString(b[..n], unused);
            return w.Encode();
        }
        static int BitOperations(byte last) { int u = 0; while ((last & (1 << u)) == 0) u++; return u; }
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3, true)))
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("2.5.29.15");
                w.WriteBoolean(true);
                w.WriteOctetString(BitString(keyUsage));
            }
            if (tpma is { } a)
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier("2.23.133.10.1.1.1");
                    w.WriteOctetString(BitString(a));
                }
        }
        return w.Encode();
    }

    static byte[] Partial(byte[] extensions, int sequences = 3)
    {
        var validity = new AsnWriter(AsnEncodingRules.DER);
        using (validity.PushSequence())
        {
            validity.WriteUtcTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            validity.WriteUtcTime(new DateTimeOffset(2036, 1, 1, 0, 0, 0, TimeSpan.Zero));
        }
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            if (sequences == 4) w.WriteEncodedValue(H("300A06082A8648CE3D040302"));   // ecdsa-with-SHA256
            if (sequences != 2) w.WriteEncodedValue(Name("ftpm test CA"));
            w.WriteEncodedValue(validity.Encode());
            w.WriteEncodedValue(Name("ftpm key"));
            w.WriteEncodedValue(extensions);
        }
        return w.Encode();
    }

    Response CertifyX509(uint objectHandle, uint signer, byte[] partial, byte[]? reserved = null) =>
        _host.RunWithPasswords(TpmCc.CertifyX509, [objectHandle, signer], [[], []], Cmd.Cat(Cmd.Sized(reserved ?? []), NullScheme, Cmd.Sized(partial)));

    [Fact]
    public void CertifyX509_builds_a_certificate_that_verifies()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var subject = CreatePrimary(Owner, EccNoScheme);
        uint attributes = 0x00040072;
        var partial = Partial(Extensions(0x80000000, attributes));
        var r = CertifyX509(subject.Handle, ak.Handle, partial);
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        var reader = new TpmReader(p);
        Assert.Equal(TpmRc.Success, reader.ReadUInt16(out ushort addedSize));
        Assert.Equal(TpmRc.Success, reader.ReadBytes(addedSize, out var addedMemory));
        Assert.Equal(TpmRc.Success, Tpm2bDigest.Read(ref reader, out var tbsDigest));
        Assert.Equal(TpmRc.Success, TpmtSignature.Read(ref reader, out var signature));

        // Assemble the TBSCertificate: version, serial, algorithm, spki from addedToCertificate.
        var added = new AsnReader(addedMemory, AsnEncodingRules.DER).ReadSequence();
        var version = added.ReadEncodedValue();
        var serial = added.ReadEncodedValue();
        var algorithm = added.ReadEncodedValue();
        var spki = added.ReadEncodedValue();
        Assert.False(added.HasData);
        var parts = new AsnReader(partial, AsnEncodingRules.DER).ReadSequence();
        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteEncodedValue(version.Span);
            tbs.WriteEncodedValue(serial.Span);
            tbs.WriteEncodedValue(algorithm.Span);
            tbs.WriteEncodedValue(parts.ReadEncodedValue().Span);
            tbs.WriteEncodedValue(parts.ReadEncodedValue().Span);
            tbs.WriteEncodedValue(parts.ReadEncodedValue().Span);
            tbs.WriteEncodedValue(spki.Span);
            tbs.WriteEncodedValue(parts.ReadEncodedValue().Span);
        }
        var tbsBytes = tbs.Encode();
        Assert.Equal(SHA256.HashData(tbsBytes), tbsDigest.Buffer.ToArray());
        Assert.True(VerifiesEcdsa(ak.Public, tbsBytes, signature));

        // The certificate itself parses and carries the subject key.
        var cert = new AsnWriter(AsnEncodingRules.DER);
        using (cert.PushSequence())
        {
            cert.WriteEncodedValue(tbsBytes);
            cert.WriteEncodedValue(algorithm.Span);
            var sig = new AsnWriter(AsnEncodingRules.DER);
            using (sig.PushSequence())
            {
                sig.WriteInteger(new System.Numerics.BigInteger(signature.Signature.Ecc.SignatureR.Span, isUnsigned: true, isBigEndian: true));
                sig.WriteInteger(new System.Numerics.BigInteger(signature.Signature.Ecc.SignatureS.Span, isUnsigned: true, isBigEndian: true));
            }
            cert.WriteBitString(sig.Encode());
        }
        using var x509 = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(cert.Encode());
        Assert.Equal("CN=ftpm key", x509.Subject);
        using var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPublicKey(x509)!;
        Assert.Equal(subject.Public.Unique.Ecc.X.ToArray(), key.ExportParameters(false).Q.X);
    }

    [Fact]
    public void CertifyX509_codes()
    {
        var ak = CreatePrimary(Endorsement, EccAk);
        var subject = CreatePrimary(Owner, EccNoScheme);
        var good = Partial(Extensions(0x80000000));
        Assert.Equal(TpmRc.Success, CertifyX509(subject.Handle, ak.Handle, good).Rc);
        Assert.Equal(TpmRc.Success, CertifyX509(subject.Handle, ak.Handle, Partial(Extensions(0x80000000), sequences: 4)).Rc);
        Assert.Equal((TpmRc)0x1D5, CertifyX509(subject.Handle, ak.Handle, good, reserved: [1]).Rc);               // SIZE + P1
        Assert.Equal((TpmRc)0x29C, CertifyX509(subject.Handle, Null, good).Rc);                                   // KEY + H2
        var hmac = CreatePrimary(Owner, HmacRestricted);
        Assert.Equal((TpmRc)0x181, CertifyX509(hmac.Handle, ak.Handle, good).Rc);                                 // ASYMMETRIC + H1
        Assert.Equal((TpmRc)0x3D5, CertifyX509(subject.Handle, ak.Handle, good[..^1]).Rc);                        // SIZE + P3
        Assert.Equal((TpmRc)0x3D5, CertifyX509(subject.Handle, ak.Handle, Cmd.Cat(good, [0])).Rc);
        Assert.Equal((TpmRc)0x3C4, CertifyX509(subject.Handle, ak.Handle, Partial(Extensions(0x80000000), sequences: 2)).Rc); // VALUE + P3
        Assert.Equal((TpmRc)0x3C4, CertifyX509(subject.Handle, ak.Handle, Partial(Extensions(0x20000000))).Rc);  // keyEncipherment: no decrypt
        Assert.Equal((TpmRc)0x3E1, CertifyX509(subject.Handle, ak.Handle, Partial(Extensions(0x80400000))).Rc);  // RESERVED_BITS + P3
        Assert.Equal((TpmRc)0x182, CertifyX509(subject.Handle, ak.Handle, Partial(Extensions(0x80000000, 0x00040472))).Rc); // ATTRIBUTES + H1
    }
}
