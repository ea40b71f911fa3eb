using static Ftpm.Tests.Commands.KeyMoveTestHost;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_MakeCredential and TPM2_ActivateCredential (Part 3, 12.5-12.6) in-process: the round trip
/// with RSA and ECC keys, and every response code with its position.</summary>
public sealed class CredentialTests
{
    readonly KeyMoveTestHost _t = new();
    static readonly byte[] Secret = "credential secret"u8.ToArray();

    (Key Protector, Key Activated) Keys(string protector)
    {
        var storage = _t.CreatePrimary(protector);
        var ak = _t.Load(storage, _t.Create(storage, EccSigning));
        return (storage, ak);
    }

    byte[][] Make(Key protector, byte[] name, byte[]? credential = null)
    {
        var r = _t.Run(TpmCc.MakeCredential, [protector.Handle], Cmd.Cat(Cmd.Sized(credential ?? Secret), Cmd.Sized(name)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return Sized(r.Body, 2);
    }

    Response Activate(Key activated, Key protector, byte[] blob, byte[] secret) =>
        _t.RunWithPasswords(TpmCc.ActivateCredential, [activated.Handle, protector.Handle], Cmd.Cat(Cmd.Sized(blob), Cmd.Sized(secret)));

    [Theory]
    [InlineData(EccStorage)]
    [InlineData(RsaStorage)]
    public void Activate_returns_what_make_wrapped_for_the_name(string protector)
    {
        var (key, ak) = Keys(protector);
        var made = Make(key, ak.Name);
        var r = Activate(ak, key, made[0], made[1]);
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(Cmd.Sized(Secret), r.SessionParameters());
        // The seed is fresh each time: two credentials for the same name differ.
        Assert.NotEqual(made[0], Make(key, ak.Name)[0]);
    }

    [Fact]
    public void Make_refuses_a_key_that_is_no_restricted_decryption_key_and_a_long_credential()
    {
        var (key, ak) = Keys(EccStorage);
        Assert.Equal((TpmRc)0x18A, _t.Run(TpmCc.MakeCredential, [ak.Handle], Cmd.Cat(Cmd.Sized(Secret), Cmd.Sized(ak.Name))).Rc);   // TYPE + H1
        Assert.Equal((TpmRc)0x1D5, _t.Run(TpmCc.MakeCredential, [key.Handle], Cmd.Cat(Cmd.Sized(new byte[33]), Cmd.Sized(ak.Name))).Rc); // SIZE + P1
        // 32 octets (SHA-256's digest) is the longest credential.
        Assert.Equal(TpmRc.Success, _t.Run(TpmCc.MakeCredential, [key.Handle], Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.Sized(ak.Name))).Rc);
    }

    [Fact]
    public void Activate_with_a_key_that_is_no_restricted_decryption_key_is_type_at_handle_2()
    {
        var (key, ak) = Keys(EccStorage);
        var made = Make(key, ak.Name);
        Assert.Equal((TpmRc)0x28A, Activate(ak, ak, made[0], made[1]).Rc);
    }

    [Fact]
    public void A_changed_blob_or_another_name_is_integrity_at_parameter_1()
    {
        var (key, ak) = Keys(EccStorage);
        var made = Make(key, ak.Name);
        var tampered = (byte[])made[0].Clone();
        tampered[^1] ^= 1;
        Assert.Equal((TpmRc)0x1DF, Activate(ak, key, tampered, made[1]).Rc);
        // A credential for another object's Name does not open for this one.
        var other = Make(key, key.Name);
        Assert.Equal((TpmRc)0x1DF, Activate(ak, key, other[0], other[1]).Rc);
        // Nor under another protector's seed.
        Assert.Equal((TpmRc)0x1DF, Activate(ak, key, made[0], other[1]).Rc);
    }

    [Fact]
    public void Bad_blob_sizes_are_size_or_insufficient_at_parameter_1()
    {
        var (key, ak) = Keys(EccStorage);
        var made = Make(key, ak.Name);
        // A TPM2B_ID_OBJECT longer than TPMS_ID_OBJECT: TPM_RC_SIZE + P1 (unmarshaling).
        Assert.Equal((TpmRc)0x1D5, Activate(ak, key, new byte[133], made[1]).Rc);
        // An integrity digest longer than any digest: TPM_RC_SIZE + P1.
        Assert.Equal((TpmRc)0x1D5, Activate(ak, key, Cmd.Cat(Cmd.U16(65), new byte[65]), made[1]).Rc);
        // An empty blob, or an integrity size beyond the blob: TPM_RC_INSUFFICIENT + P1.
        Assert.Equal((TpmRc)0x1DA, Activate(ak, key, [], made[1]).Rc);
        Assert.Equal((TpmRc)0x1DA, Activate(ak, key, Cmd.Cat(Cmd.U16(32), new byte[8]), made[1]).Rc);
        // The right size with the wrong content: TPM_RC_INTEGRITY + P1.
        Assert.Equal((TpmRc)0x1DF, Activate(ak, key, new byte[made[0].Length], made[1]).Rc);
    }

    [Fact]
    public void Bad_secrets_are_numbered_at_parameter_2()
    {
        var (ecc, ak) = Keys(EccStorage);
        var made = Make(ecc, ak.Name);
        // A point that is not on the curve: TPM_RC_ECC_POINT + P2.
        Assert.Equal((TpmRc)0x2E7, Activate(ak, ecc, made[0], Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.Sized(new byte[32]))).Rc);
        // A secret that is no TPMS_ECC_POINT: TPM_RC_INSUFFICIENT + P2.
        Assert.Equal((TpmRc)0x2DA, Activate(ak, ecc, made[0], [0x00]).Rc);

        var rsa = _t.CreatePrimary(RsaStorage);
        var rsaMade = Make(rsa, ak.Name);
        Assert.Equal(256, rsaMade[1].Length);
        // An RSA block of another size than the modulus: TPM_RC_SIZE + P2; one that does not decrypt: TPM_RC_VALUE + P2.
        Assert.Equal((TpmRc)0x2D5, Activate(ak, rsa, rsaMade[0], rsaMade[1][1..]).Rc);
        var garbage = (byte[])rsaMade[1].Clone();
        garbage[10] ^= 0x40;
        Assert.Equal((TpmRc)0x2C4, Activate(ak, rsa, rsaMade[0], garbage).Rc);
        // The other protector's secret: an ECC point for an RSA key is the wrong size.
        Assert.Equal((TpmRc)0x2D5, Activate(ak, rsa, rsaMade[0], made[1]).Rc);
    }

    [Fact]
    public void Activate_needs_admin_of_the_activated_key_and_user_of_the_protector()
    {
        var (key, ak) = Keys(EccStorage);
        var made = Make(key, ak.Name);
        var parameters = Cmd.Cat(Cmd.Sized(made[0]), Cmd.Sized(made[1]));
        // One authorization for two authorized handles: TPM_RC_AUTH_MISSING.
        var r = _t.Host.RunWithPasswords(TpmCc.ActivateCredential, [ak.Handle, key.Handle], [[]], parameters);
        Assert.Equal(TpmRc.AuthMissing, r.Rc);
        // A wrong password for the protector: TPM_RC_AUTH_FAIL at session 2 (the storage key is noDA: BAD_AUTH).
        r = _t.Host.RunWithPasswords(TpmCc.ActivateCredential, [ak.Handle, key.Handle], [[], "x"u8.ToArray()], parameters);
        Assert.Equal((TpmRc)0xAA2, r.Rc);
    }
}
