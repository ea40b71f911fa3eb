using System.Buffers.Binary;
using Ftpm.Marshal;
using Ftpm.Tests.Auth;
using static Ftpm.Tests.Commands.Nv;

namespace Ftpm.Tests.Commands;

/// <summary>Codes and effects where ftpm must answer as the reference does: PIN counting, Startup locality,
/// object attributes, the Sign ticket, IncrementalSelfTest's list, RSA keys loaded with bad values.</summary>
public sealed class ConformanceTests
{
    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    static byte[] Sha256(params byte[][] parts) => SessionClient.Hash(TpmAlgId.Sha256, Cmd.Cat(parts));

    // ---- NV authorization with the index's authValue --------------------------------------------

    [Fact]
    public void Short_index_read_with_its_password_and_hmac_does_not_fail_the_tpm()
    {
        // An ordinary index of 2 bytes authorized with its authValue: its data is no PIN counter.
        var host = new TpmTestHost();
        DefineOk(host, Idx, AuthRw, 2, auth: "pw"u8.ToArray());
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1, 2], authHandle: Idx, password: "pw"u8.ToArray()).Rc);
        Assert.Equal(new byte[] { 1, 2 }, ReadOk(host, Idx, 2, authHandle: Idx, password: "pw"u8.ToArray()));

        var name = ReadPublic(host, Idx).Name;
        var s = SessionClient.Start(host);
        var parameters = Cmd.Cat(Cmd.U16(2), Cmd.U16(0));
        var cp = SessionClient.CpHash(TpmAlgId.Sha256, TpmCc.NvRead, [name, name], parameters);
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.NvRead, [Idx, Idx], s.AuthCommand(cp, 1, Idx, "pw"u8.ToArray()), parameters));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        Assert.Equal(Cmd.U32(0), host.Run(TpmCc.GetTestResult).Body[^4..]);                // not in failure mode
    }

    [Fact]
    public void Pin_pass_counts_only_uses_of_its_auth_value()
    {
        var host = new TpmTestHost();
        // authPolicy: PolicySecret(TPM_RH_OWNER) with an empty policyRef.
        var ownerName = SessionClient.HandleName(Owner);
        var policy = Sha256(Sha256(new byte[32], Cmd.U32((uint)TpmCc.PolicySecret), ownerName));
        var attributes = OwnerRw.WithType(TpmNt.PinPass) | TpmaNv.AuthRead | TpmaNv.PolicyRead | TpmaNv.NoDa;
        Assert.Equal(TpmRc.Success, Define(host, Idx, attributes, 8, auth: [5], policy: policy).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [0, 0, 0, 0, 0, 0, 0, 9]).Rc);     // pinCount 0, pinLimit 9
        var name = ReadPublic(host, Idx).Name;

        // A policy session without PolicyAuthValue/PolicyPassword does not use the authValue.
        var s = SessionClient.Start(host, TpmSe.Policy);
        s.BoundTo = Idx;                                                         // no authValue in the HMAC key
        var secret = host.RunWithPasswords(TpmCc.PolicySecret, [Owner, s.Handle], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, secret.Rc);
        var parameters = Cmd.Cat(Cmd.U16(8), Cmd.U16(0));
        var cp = SessionClient.CpHash(TpmAlgId.Sha256, TpmCc.NvRead, [name, name], parameters);
        var read = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.NvRead, [Idx, Idx], s.AuthCommand(cp, 1, Idx), parameters));
        Assert.Equal(TpmRc.Success, read.Rc);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 9 }, ReadOk(host, Idx, 8));

        // The password does.
        ReadOk(host, Idx, 8, authHandle: Idx, password: [5]);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0, 0, 0, 9 }, ReadOk(host, Idx, 8));
        // So does an HMAC session that is not bound to the index.
        var h = SessionClient.Start(host);
        cp = SessionClient.CpHash(TpmAlgId.Sha256, TpmCc.NvRead, [name, name], parameters);
        Assert.Equal(TpmRc.Success, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.NvRead, [Idx, Idx], h.AuthCommand(cp, 1, Idx, [5]), parameters)).Rc);
        Assert.Equal(new byte[] { 0, 0, 0, 2, 0, 0, 0, 9 }, ReadOk(host, Idx, 8));
    }

    // ---- Startup locality -------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Startup_from_a_locality_other_than_0_or_3_is_locality(byte locality)
    {
        var host = new TpmTestHost(startup: false);
        Assert.Equal(TpmRc.Locality, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear), locality: locality).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
    }

    static byte[] Pcr0(TpmTestHost host, TpmAlgId bank)
    {
        var r = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(bank, 0));
        Assert.Equal(TpmRc.Success, r.Rc);
        int size = SessionClient.DigestSize(bank);
        return r.Body[^size..];
    }

    [Fact]
    public void Startup_at_locality_3_starts_pcr_0_at_3_in_every_bank()
    {
        var host = new TpmTestHost(startup: false);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear), locality: 3).Rc);
        foreach (var bank in new[] { TpmAlgId.Sha1, TpmAlgId.Sha256, TpmAlgId.Sha384 })
        {
            var expected = new byte[SessionClient.DigestSize(bank)];
            expected[^1] = 3;
            Assert.Equal(expected, Pcr0(host, bank));
        }
        // Startup at locality 0 leaves PCR 0 all zeros.
        var zero = new TpmTestHost();
        Assert.Equal(new byte[32], Pcr0(zero, TpmAlgId.Sha256));
    }

    [Fact]
    public void Resume_must_come_from_the_startup_locality_shutdown_saved()
    {
        var host = new TpmTestHost(startup: false);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear), locality: 3).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State)).Rc);
        host.Tpm.PowerOff();
        var next = new TpmTestHost(host.Store, startup: false);
        Assert.Equal(TpmRc.Locality, next.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.State)).Rc);
        Assert.Equal(TpmRc.Success, next.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.State), locality: 3).Rc);
        var expected = new byte[32];
        expected[^1] = 3;
        Assert.Equal(expected, Pcr0(next, TpmAlgId.Sha256));                    // restored, not reset
    }

    // ---- Object attributes (the reference's CreateChecks / PublicAttributesValidation / SchemeChecks) ---

    const uint Owner = (uint)TpmRh.Owner;

    static byte[] CreateParams(string template, byte[]? data = null, byte[]? auth = null) => Cmd.Cat(
        Cmd.Sized(Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized(data ?? []))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0));

    // ECC P-256 storage key and an ECDSA-SHA256 signing key (fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|...).
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";

    [Theory]
    // fixedTPM with encryptedDuplication: nothing to duplicate.
    [InlineData("0023 000B 00040872 0000 0010 0018 000B 0003 0010 0000 0000", 0x2C2)]
    // fixedParent without fixedTPM under a hierarchy (a fixedTPM parent).
    [InlineData("0023 000B 00040070 0000 0010 0018 000B 0003 0010 0000 0000", 0x2C2)]
    // Unrestricted HMAC key without the HMAC scheme: TPM_RC_SCHEME.
    [InlineData("0008 000B 00040072 0000 0010 0000", 0x2D2)]
    // Sealed data the TPM would make (sensitiveDataOrigin SET): TPM_RC_ATTRIBUTES.
    [InlineData("0008 000B 00000072 0000 0010 0000", 0x2C2)]
    public void CreatePrimary_applies_the_reference_attribute_rules(string template, uint rc)
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)rc, host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], CreateParams(template)).Rc);
    }

    [Fact]
    public void Create_applies_the_reference_attribute_rules_under_a_parent()
    {
        var host = new TpmTestHost();
        var srk = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], CreateParams(EccStorage));
        Assert.Equal(TpmRc.Success, srk.Rc);
        uint parent = BinaryPrimitives.ReadUInt32BigEndian(srk.Body);
        Response Create(string template, byte[]? data = null, byte[]? auth = null) =>
            host.RunWithPasswords(TpmCc.Create, [parent], [[]], CreateParams(template, data, auth));

        // fixedTPM and encryptedDuplication together.
        Assert.Equal((TpmRc)0x2C2, Create("0023 000B 00040872 0000 0010 0018 000B 0003 0010 0000 0000").Rc);
        // A non-duplicable storage key must use its parent's nameAlg (TPM_RC_HASH) and cipher (TPM_RC_SYMMETRIC).
        Assert.Equal((TpmRc)0x2C3, Create("0023 000C 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000").Rc);
        Assert.Equal((TpmRc)0x2D6, Create("0023 000B 00030472 0000 0006 0100 0043 0010 0003 0010 0000 0000").Rc);
        // Data given to an ordinary object while sensitiveDataOrigin is SET.
        Assert.Equal((TpmRc)0x2C2, Create("0008 000B 00040072 0000 0005 000B 0000", data: [1, 2, 3]).Rc);
        // The attribute checks come before the userAuth's size (TPM_RC_SIZE + P1 only for a good template),
        // and trailing zeros do not count.
        var longAuth = new byte[33];
        longAuth[32] = 1;
        Assert.Equal((TpmRc)0x2C2, Create("0023 000B 00040872 0000 0010 0018 000B 0003 0010 0000 0000", auth: longAuth).Rc);
        Assert.Equal((TpmRc)0x1D5, Create("0008 000B 00040072 0000 0005 000B 0000", auth: longAuth).Rc);
        var paddedAuth = new byte[40];
        paddedAuth[0] = 1;
        Assert.Equal(TpmRc.Success, Create("0008 000B 00040072 0000 0005 000B 0000", auth: paddedAuth).Rc);
    }

    [Fact]
    public void Primary_data_with_sensitive_data_origin_is_extra_derivation_input()
    {
        // Accepted (the reference ignores it as a secret and mixes it into the derivation): the same
        // template with other data gives another key, the same data the same key.
        var host = new TpmTestHost();
        const string hmac = "0008 000B 00040072 0000 0005 000B 0000";
        Response Make(byte[] data) => host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], CreateParams(hmac, data));
        var plain = Make([]);
        var a = Make([1]);
        var again = Make([1]);
        Assert.Equal(TpmRc.Success, plain.Rc);
        Assert.Equal(TpmRc.Success, a.Rc);
        byte[] NameOf(Response r) => r.SessionParameters(handles: 1)[^34..];
        Assert.NotEqual(NameOf(plain), NameOf(a));
        Assert.Equal(NameOf(a), NameOf(again));
    }

    // ---- Sign: the validation ticket is checked whenever one is given ----------------------------

    [Fact]
    public void Sign_checks_a_given_ticket_even_for_an_unrestricted_key()
    {
        var host = new TpmTestHost();
        var created = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], CreateParams("0008 000B 00040072 0000 0005 000B 0000"));
        Assert.Equal(TpmRc.Success, created.Rc);
        uint key = BinaryPrimitives.ReadUInt32BigEndian(created.Body);
        var digest = Cmd.Sized(new byte[32]);
        var scheme = Cmd.U16((ushort)TpmAlgId.Null);
        Response Sign(byte[] validation) => host.RunWithPasswords(TpmCc.Sign, [key], [[]], Cmd.Cat(digest, scheme, validation));

        Assert.Equal(TpmRc.Success, Sign(Cmd.Cat(Cmd.U16((ushort)TpmSt.HashCheck), Cmd.U32((uint)TpmRh.Null), Cmd.Sized([]))).Rc);
        // Wrong tag: TPM_RC_TAG + P3; a hierarchy that is none: TPM_RC_VALUE + P3 (the ticket's unmarshal).
        Assert.Equal((TpmRc)0x3D7, Sign(Cmd.Cat(Cmd.U16((ushort)TpmSt.Creation), Cmd.U32((uint)TpmRh.Owner), Cmd.Sized([]))).Rc);
        Assert.Equal((TpmRc)0x3C4, Sign(Cmd.Cat(Cmd.U16((ushort)TpmSt.HashCheck), Cmd.U32(0x12345678), Cmd.Sized([]))).Rc);
        // A ticket with a digest is checked: TPM_RC_TICKET + P3.
        Assert.Equal((TpmRc)0x3E0, Sign(Cmd.Cat(Cmd.U16((ushort)TpmSt.HashCheck), Cmd.U32((uint)TpmRh.Owner), Cmd.Sized(new byte[32]))).Rc);
        // A real ticket from TPM2_Hash passes.
        var hash = host.Run(TpmCc.Hash, Cmd.Cat(Cmd.Sized("abc"u8.ToArray()), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(Owner)));
        Assert.Equal(TpmRc.Success, hash.Rc);
        var outHash = hash.Body[..34];
        var ticket = hash.Body[34..];
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.Sign, [key], [[]], Cmd.Cat(outHash, scheme, ticket)).Rc);
    }

    [Fact]
    public void Verify_signature_accepts_any_hash_of_the_key_types_signature_algorithm()
    {
        // The key's ECDSA-SHA256 scheme does not restrict what it verifies (the reference's
        // CryptValidateSignature): an ECDSA-SHA1 signature verifies; an RSA one is TPM_RC_SCHEME + P2.
        var host = new TpmTestHost();
        using var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var q = ecdsa.ExportParameters(false).Q;
        var publicArea = Cmd.Cat(Cmd.U16(0x0023), Cmd.U16(0x000B), Cmd.U32(0x00040040), Cmd.Sized([]),
            Cmd.U16(0x0010), Cmd.U16(0x0018), Cmd.U16(0x000B), Cmd.U16(0x0003), Cmd.U16(0x0010), Cmd.Sized(q.X!), Cmd.Sized(q.Y!));
        var loaded = host.Run(TpmCc.LoadExternal, Cmd.Cat(Cmd.Sized([]), Cmd.Sized(publicArea), Cmd.U32((uint)TpmRh.Null)));
        Assert.Equal(TpmRc.Success, loaded.Rc);
        uint key = BinaryPrimitives.ReadUInt32BigEndian(loaded.Body);
        var digest = System.Security.Cryptography.SHA1.HashData("message"u8);
        var signature = ecdsa.SignHash(digest);
        var ecdsaSha1 = Cmd.Cat(Cmd.U16(0x0018), Cmd.U16(0x0004), Cmd.Sized(signature[..32]), Cmd.Sized(signature[32..]));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(digest), ecdsaSha1), [key]).Rc);
        var rsa = Cmd.Cat(Cmd.U16(0x0014), Cmd.U16(0x000B), Cmd.Sized(new byte[256]));
        Assert.Equal(TpmRc.Scheme.AtParameter(2), host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(digest), rsa), [key]).Rc);
    }

    // ---- IncrementalSelfTest ----------------------------------------------------------------------

    [Fact]
    public void Incremental_self_test_list_over_the_limit_is_size_parameter_1()
    {
        var host = new TpmTestHost();
        var list = Enumerable.Range(0, 65).SelectMany(_ => Cmd.U16((ushort)TpmAlgId.Sha256)).ToArray();
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(65), list)).Rc);
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(1), Cmd.U16(0x00FE))).Rc);
        var ok = host.Run(TpmCc.IncrementalSelfTest, Cmd.Cat(Cmd.U32(2), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U16((ushort)TpmAlgId.Aes)));
        Assert.Equal(TpmRc.Success, ok.Rc);
        Assert.Equal(Cmd.U32(0), ok.Body);
    }

    // ---- Failure mode from the platform ------------------------------------------------------------

    [Fact]
    public void Forced_failure_mode_answers_failure_until_the_next_power_cycle()
    {
        var host = new TpmTestHost();
        host.Tpm.ForceFailureMode();
        Assert.Equal(TpmRc.Failure, host.Run(TpmCc.SelfTest, [1]).Rc);
        Assert.Equal(TpmRc.Failure, host.Send([0x80, 0x01, 0, 0]).Rc);                  // even a malformed command
        var result = host.Run(TpmCc.GetTestResult);
        Assert.Equal(TpmRc.Success, result.Rc);
        Assert.Equal(Cmd.U32((uint)TpmRc.Failure), result.Body[^4..]);
        host.Tpm.PowerOff();
        host.Tpm.PowerOn();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.SelfTest, [1]).Rc);
    }
}
