using System.Buffers.Binary;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_MAC and TPM2_MAC_Start (Part 3, 15.6 and 17.2; the command codes of TPM2_HMAC and
/// TPM2_HMAC_Start): HMAC under KEYEDHASH keys, AES-CMAC (NIST SP 800-38B) under SYMCIPHER keys, as one
/// command and as a sequence that survives ContextSave/ContextLoad.</summary>
public sealed class MacTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;
    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    // RFC 4493, 4: AES-128 key and the 64-octet message.
    static readonly byte[] Key = H("2b7e151628aed2a6abf7158809cf4f3c");
    static readonly byte[] Message = H("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" +
                                       "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    const string Cmac40 = "dfa66747de9ae63030ca32611497c827";
    const string Cmac64 = "51f0bebf7e3b9d92fc49741779363cfe";

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    static byte[] Sensitive(byte[]? data = null) => Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized(data ?? [])));

    uint _srk;

    uint Srk()
    {
        if (_srk != 0) return _srk;
        var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(H(EccStorage)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return _srk = HandleOf(r);
    }

    uint Key_(string template, byte[]? data = null)
    {
        var r = _host.RunWithPasswords(TpmCc.CreateLoaded, [Srk()], [[]], Cmd.Cat(Sensitive(data), Cmd.Sized(H(template))));
        Assert.Equal(TpmRc.Success, r.Rc);
        return HandleOf(r);
    }

    /// <summary>SYMCIPHER AES-128 with mode CMAC, the caller's key (sensitiveDataOrigin CLEAR), fixedTPM|fixedParent|userWithAuth|sign.</summary>
    uint CmacKey() => Key_("0025 000B 00040052 0000 0006 0080 003F 0000", Key);

    Response Mac(uint key, byte[] data, TpmAlgId scheme) =>
        _host.RunWithPasswords(TpmCc.Mac, [key], [[]], Cmd.Cat(Cmd.Sized(data), Cmd.U16((ushort)scheme)));

    static string Hex(Response r) => Convert.ToHexString(r.SessionParameters().AsSpan(2)).ToLowerInvariant();

    [Fact]
    public void Cmac_key_gives_the_rfc4493_tag()
    {
        uint key = CmacKey();
        Assert.Equal(Cmac40, Hex(Mac(key, Message[..40], TpmAlgId.Null)));
        Assert.Equal(Cmac40, Hex(Mac(key, Message[..40], TpmAlgId.Cmac)));
        Assert.Equal("bb1d6929e95937287fa37d129b756746", Hex(Mac(key, [], TpmAlgId.Null)));
        // Another MAC than the key's: TPM_RC_VALUE + P2.
        Assert.Equal(TpmRc.Value.AtParameter(2), Mac(key, [], TpmAlgId.Sha256).Rc);
        // Not a MAC scheme at all: TPMI_ALG_MAC_SCHEME's TPM_RC_SYMMETRIC + P2.
        Assert.Equal(TpmRc.Symmetric.AtParameter(2), Mac(key, [], TpmAlgId.Cfb).Rc);
        // A CMAC key does not encrypt: TPM2_EncryptDecrypt2 is TPM_RC_MODE + H1.
        var encrypt = _host.RunWithPasswords(TpmCc.EncryptDecrypt2, [key], [[]],
            Cmd.Cat(Cmd.Sized(new byte[16]), Cmd.U8(0), Cmd.U16(0x0010), Cmd.Sized(new byte[16])));
        Assert.Equal(TpmRc.Mode.AtHandle(1), encrypt.Rc);
    }

    [Fact]
    public void Key_without_a_mode_takes_the_requested_mac()
    {
        // SYMCIPHER AES-128 with mode NULL, sign (encrypt) only.
        uint key = Key_("0025 000B 00040052 0000 0006 0080 0010 0000", Key);
        Assert.Equal(Cmac64, Hex(Mac(key, Message, TpmAlgId.Cmac)));
        Assert.Equal(TpmRc.Value.AtParameter(2), Mac(key, [], TpmAlgId.Null).Rc);
        // A hash is no MAC for a SYMCIPHER key: TPM_RC_SCHEME + P2.
        Assert.Equal(TpmRc.Scheme.AtParameter(2), Mac(key, [], TpmAlgId.Sha256).Rc);
    }

    [Fact]
    public void Hmac_keys_still_work_and_refuse_cmac()
    {
        var hmacKey = new byte[32];
        hmacKey[0] = 7;
        // KEYEDHASH HMAC-SHA256 with the caller's key.
        uint key = Key_("0008 000B 00040052 0000 0005 000B 0000", hmacKey);
        var expected = System.Security.Cryptography.HMACSHA256.HashData(hmacKey, "abc"u8);
        Assert.Equal(Convert.ToHexString(expected).ToLowerInvariant(), Hex(Mac(key, "abc"u8.ToArray(), TpmAlgId.Null)));
        Assert.Equal(TpmRc.Value.AtParameter(2), Mac(key, [], TpmAlgId.Cmac).Rc);
        // A signing KEYEDHASH key without the HMAC scheme is not made at all (the reference's SchemeChecks:
        // sign SET needs TPM_ALG_HMAC): TPM_RC_SCHEME + P2.
        _host.Run(TpmCc.FlushContext, Cmd.U32(key));
        var open = _host.RunWithPasswords(TpmCc.CreateLoaded, [Srk()], [[]], Cmd.Cat(Sensitive(hmacKey), Cmd.Sized(H("0008 000B 00040052 0000 0010 0000"))));
        Assert.Equal(TpmRc.Scheme.AtParameter(2), open.Rc);
    }

    [Fact]
    public void Keys_that_cannot_mac_have_the_reference_codes()
    {
        // An ECC key: TPM_RC_TYPE + H1.
        uint ecc = Key_("0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000");
        Assert.Equal(TpmRc.Type.AtHandle(1), Mac(ecc, [], TpmAlgId.Sha256).Rc);
        _host.Run(TpmCc.FlushContext, Cmd.U32(ecc));
        // A decrypt-only SYMCIPHER key (mode NULL): TPM_RC_KEY + H1 (no sign).
        uint decrypt = Key_("0025 000B 00020052 0000 0006 0080 0010 0000", Key);
        Assert.Equal(TpmRc.Key.AtHandle(1), Mac(decrypt, [], TpmAlgId.Cmac).Rc);
        _host.Run(TpmCc.FlushContext, Cmd.U32(decrypt));
        // A restricted HMAC key: TPM_RC_ATTRIBUTES + H1.
        uint restricted = Key_("0008 000B 00050072 0000 0005 000B 0000");
        Assert.Equal(TpmRc.Attributes.AtHandle(1), Mac(restricted, [], TpmAlgId.Null).Rc);
        // A decrypting SYMCIPHER key cannot name CMAC as its mode: TPM_RC_SCHEME + P2 at creation.
        var r = _host.RunWithPasswords(TpmCc.CreateLoaded, [Srk()], [[]],
            Cmd.Cat(Sensitive(Key), Cmd.Sized(H("0025 000B 00020052 0000 0006 0080 003F 0000"))));
        Assert.Equal(TpmRc.Scheme.AtParameter(2), r.Rc);
    }

    [Fact]
    public void Cmac_sequence_survives_context_save_and_load()
    {
        uint key = CmacKey();
        var start = _host.RunWithPasswords(TpmCc.MacStart, [key], [[]], Cmd.Cat(Cmd.Sized("pw"u8.ToArray()), Cmd.U16(0x0010)));
        Assert.Equal(TpmRc.Success, start.Rc);
        uint seq = HandleOf(start);
        // 17 octets: one full block processed, one octet held back.
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SequenceUpdate, [seq], ["pw"u8.ToArray()], Cmd.Sized(Message[..17])).Rc);
        var saved = _host.Run(TpmCc.ContextSave, handles: [seq]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(seq)).Rc);
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(key)).Rc);
        for (int i = 0; i < 2; i++)
        {
            var loaded = _host.Run(TpmCc.ContextLoad, saved.Body);
            Assert.Equal(TpmRc.Success, loaded.Rc);
            uint h = HandleOf(loaded);
            Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SequenceUpdate, [h], ["pw"u8.ToArray()], Cmd.Sized(Message[17..32])).Rc);
            var done = _host.RunWithPasswords(TpmCc.SequenceComplete, [h], ["pw"u8.ToArray()], Cmd.Cat(Cmd.Sized(Message[32..]), Cmd.U32(Owner)));
            Assert.Equal(TpmRc.Success, done.Rc);
            var p = done.SessionParameters();
            Assert.Equal(Cmac64, Convert.ToHexString(p.AsSpan(2, 16)).ToLowerInvariant());
            // A MAC sequence gets the NULL ticket: TPM_ST_HASHCHECK, TPM_RH_NULL, empty.
            Assert.Equal(H("8024 40000007 0000"), p[18..]);
        }
        // MAC_Start with an unknown scheme: TPM_RC_SYMMETRIC + P2.
        uint again = CmacKey();
        Assert.Equal(TpmRc.Symmetric.AtParameter(2),
            _host.RunWithPasswords(TpmCc.MacStart, [again], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.U16(0x0099))).Rc);
        Assert.Equal(TpmRc.Value.AtParameter(2),
            _host.RunWithPasswords(TpmCc.MacStart, [again], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.U16(0x000B))).Rc);
    }
}
