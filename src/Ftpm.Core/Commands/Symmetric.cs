using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 15 "Symmetric Primitives": EncryptDecrypt, EncryptDecrypt2, MAC (which takes TPM2_HMAC's
/// command code, Part 3, 15.6; Hash is in HashMac.cs).</summary>
internal static partial class Symmetric
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<MacIn, MacOut>(TpmCc.Mac, Mac) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new Command<EncryptDecryptIn, EncryptDecryptOut>(TpmCc.EncryptDecrypt, EncryptDecrypt) { Handles = [new(HandleKinds.Object, AuthRole.User)], EncryptFirstResponseParameter = true },
        new Command<EncryptDecrypt2In, EncryptDecryptOut>(TpmCc.EncryptDecrypt2, EncryptDecrypt2) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
    ];

    const int BlockSize = 16;

    [TpmParameters]
    internal partial struct EncryptDecryptIn
    {
        [Check(nameof(TpmCheck.YesNo))] public byte Decrypt;
        [Check(nameof(TpmCheck.CipherMode), AllowNull = true)] public TpmAlgId Mode;
        /// <summary>TPM2B_IV.</summary>
        [Sized(BlockSize)] public ReadOnlyMemory<byte> IvIn;
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> InData;
    }

    [TpmParameters]
    internal partial struct EncryptDecrypt2In
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> InData;
        [Check(nameof(TpmCheck.YesNo))] public byte Decrypt;
        [Check(nameof(TpmCheck.CipherMode), AllowNull = true)] public TpmAlgId Mode;
        [Sized(BlockSize)] public ReadOnlyMemory<byte> IvIn;
    }

    /// <summary>TPM2_EncryptDecrypt (Part 3, 15.2): parameters decrypt, mode, ivIn, inData.</summary>
    static TpmRc EncryptDecrypt(Tpm tpm, ref CommandContext c, in EncryptDecryptIn p, out EncryptDecryptOut o)
    {
        return Run(tpm, ref c, out o, p.Decrypt != 0, p.Mode, p.IvIn, p.InData, modeParam: EncryptDecryptIn.Param.Mode, ivParam: EncryptDecryptIn.Param.IvIn, dataParam: EncryptDecryptIn.Param.InData);
    }

    /// <summary>TPM2_EncryptDecrypt2 (Part 3, 15.3): the same with inData first, so that it can be encrypted in transit.</summary>
    static TpmRc EncryptDecrypt2(Tpm tpm, ref CommandContext c, in EncryptDecrypt2In p, out EncryptDecryptOut o)
    {
        return Run(tpm, ref c, out o, p.Decrypt != 0, p.Mode, p.IvIn, p.InData, modeParam: EncryptDecrypt2In.Param.Mode, ivParam: EncryptDecrypt2In.Param.IvIn, dataParam: EncryptDecrypt2In.Param.InData);
    }

    /// <summary>The cipher run of both commands: outData then ivOut (the chaining value, so a long message
    /// can be processed in pieces). Codes: TPM_RC_KEY (H1) for an object that is not a SYMCIPHER key;
    /// TPM_RC_ATTRIBUTES (H1) for a restricted key or one lacking decrypt (to decrypt) or sign (to
    /// encrypt); TPM_RC_MODE (H1) for a CMAC key; TPM_RC_MODE (mode) when the key's mode and the requested one differ or both are NULL;
    /// TPM_RC_SIZE (ivIn) for an IV that is not one block; TPM_RC_SIZE (inData) for CBC or ECB data that
    /// is not whole blocks.</summary>
    static TpmRc Run(Tpm tpm, ref CommandContext c, out EncryptDecryptOut o, bool decrypt, TpmAlgId mode, ReadOnlyMemory<byte> ivIn,
        ReadOnlyMemory<byte> data, int modeParam, int ivParam, int dataParam)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || key.Type != TpmAlgId.SymCipher || !key.HasSensitive) return TpmRc.Key.AtHandle(1);
        if (key.Has(TpmaObject.Restricted) || !key.Has(decrypt ? TpmaObject.Decrypt : TpmaObject.Sign)) return TpmRc.Attributes.AtHandle(1);
        var sym = key.Public.Parameters.SymDetail.Sym;
        var keyMode = sym.Mode.Sym;
        // A CMAC key (its mode is a MAC, not a cipher mode) does not encrypt: TPM_RC_MODE on the key.
        if (keyMode == TpmAlgId.Cmac) return TpmRc.Mode.AtHandle(1);
        if (keyMode != TpmAlgId.Null)
        {
            if (mode != TpmAlgId.Null && mode != keyMode) return TpmRc.Mode.AtParameter(modeParam);
            mode = keyMode;
        }
        if (mode == TpmAlgId.Null) return TpmRc.Mode.AtParameter(modeParam);
        if (ivIn.Length != BlockSize && !(mode == TpmAlgId.Ecb && ivIn.IsEmpty)) return TpmRc.Size.AtParameter(ivParam);
        if (mode is TpmAlgId.Cbc or TpmAlgId.Ecb && data.Length % BlockSize != 0) return TpmRc.Size.AtParameter(dataParam);

        var iv = tpm.Scratch(BlockSize);
        ivIn.Span.CopyTo(iv.Span);
        var output = tpm.Scratch(data.Length);
        tpm.Crypto.Cipher(sym.Algorithm, mode, !decrypt, key.SensitiveData, iv.Span, data.Span, output.Span);
        o = new EncryptDecryptOut { OutData = output, IvOut = mode == TpmAlgId.Ecb ? ivIn : iv };
        return TpmRc.Success;
    }

    /// <summary>The response of EncryptDecrypt and EncryptDecrypt2.</summary>
    [TpmParameters]
    internal partial struct EncryptDecryptOut
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> OutData;
        [Sized(BlockSize)] public ReadOnlyMemory<byte> IvOut;
    }

    /// <summary>
    /// The MAC a key computes for TPM2_MAC and TPM2_MAC_Start (Part 3, 15.6 and 17.2; the reference's
    /// CryptSelectMac): a KEYEDHASH key's HMAC hash or a SYMCIPHER key's CMAC, the key's own unless it
    /// names none, when <paramref name="inScheme"/> chooses. Codes: TPM_RC_TYPE (H1) for an object that
    /// is neither (or has no sensitive area); TPM_RC_VALUE (inScheme, P2) for an inScheme other than the key's, or
    /// NULL with a key that names none; TPM_RC_SCHEME (P2) for a MAC of the other kind (CMAC with a
    /// KEYEDHASH key, a hash with a SYMCIPHER key); TPM_RC_ATTRIBUTES (H1) for a restricted key;
    /// TPM_RC_KEY (H1) for a key without sign.
    /// </summary>
    internal static TpmRc SelectMac(Tpm tpm, uint handle, TpmAlgId inScheme, int schemeParameter, out TpmKey key, out TpmAlgId macAlg)
    {
        key = tpm.KeyOf(handle)!;
        macAlg = TpmAlgId.Null;
        if (key is null || !key.HasSensitive || key.Type is not (TpmAlgId.KeyedHash or TpmAlgId.SymCipher)) return TpmRc.Type.AtHandle(1);
        TpmAlgId keyMac;
        if (key.Type == TpmAlgId.KeyedHash)
        {
            var scheme = key.Public.Parameters.KeyedHashDetail.Scheme;
            keyMac = scheme.Scheme switch
            {
                TpmAlgId.Hmac => scheme.Details.Hmac.HashAlg,
                TpmAlgId.Xor => scheme.Details.Xor.HashAlg,
                _ => TpmAlgId.Null,
            };
        }
        else
        {
            var sym = key.Public.Parameters.SymDetail.Sym;
            keyMac = sym.Algorithm == TpmAlgId.Null ? TpmAlgId.Null : sym.Mode.Sym;
        }
        if (inScheme != TpmAlgId.Null)
        {
            if (keyMac != TpmAlgId.Null && inScheme != keyMac) return TpmRc.Value.AtParameter(schemeParameter);
            macAlg = inScheme;
        }
        else
        {
            if (keyMac == TpmAlgId.Null) return TpmRc.Value.AtParameter(schemeParameter);
            macAlg = keyMac;
        }
        bool fits = key.Type == TpmAlgId.KeyedHash ? TpmAlgorithms.IsHash(macAlg) : macAlg == TpmAlgId.Cmac;
        if (!fits) return TpmRc.Scheme.AtParameter(schemeParameter);
        if (key.Has(TpmaObject.Restricted)) return TpmRc.Attributes.AtHandle(1);
        if (!key.Has(TpmaObject.Sign)) return TpmRc.Key.AtHandle(1);
        return TpmRc.Success;
    }

    /// <summary>A MAC operation for a key chosen by <see cref="SelectMac"/>: HMAC under a KEYEDHASH key's
    /// secret, CMAC under a SYMCIPHER key's cipher and key.</summary>
    internal static Ports.IHashOperation MacSetup(Tpm tpm, TpmKey key, TpmAlgId macAlg) =>
        key.Type == TpmAlgId.KeyedHash
            ? tpm.Crypto.HmacSetup(macAlg, key.SensitiveData)
            : tpm.Crypto.MacSetup(macAlg, key.Public.Parameters.SymDetail.Sym.Algorithm, key.SensitiveData);

    [TpmParameters]
    internal partial struct MacIn
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Buffer;
        /// <summary>TPMI_ALG_MAC_SCHEME+ (TPMI_ALG_HASH+ in TPM2_HMAC, whose wire form this is).</summary>
        [Check(nameof(TpmCheck.MacScheme), AllowNull = true)] public TpmAlgId InScheme;
    }

    /// <summary>TPM2_MAC (Part 3, 15.6; TPM2_HMAC, 15.5, generalised and sharing its command code): the HMAC
    /// of the buffer under a KEYEDHASH signing key, or its AES-CMAC (NIST SP 800-38B) under a SYMCIPHER
    /// signing key. Codes: TPM_RC_SYMMETRIC (P2) for an inScheme that is neither an implemented hash nor
    /// CMAC; those of <see cref="SelectMac"/>.</summary>
    static TpmRc Mac(Tpm tpm, ref CommandContext c, in MacIn p, out MacOut o)
    {
        o = default;
        var rc = SelectMac(tpm, c.Handles[0], p.InScheme, MacIn.Param.InScheme, out var key, out var macAlg);
        if (rc != TpmRc.Success) return rc;
        var outMac = tpm.Scratch(TpmLimits.MaxDigestSize);
        var mac = outMac.Span;
        int n;
        if (key.Type == TpmAlgId.KeyedHash)
        {
            // The one-shot HMAC allocates nothing; a multi-part operation is only needed for CMAC.
            n = tpm.Crypto.Hmac(macAlg, key.SensitiveData, p.Buffer.Span, mac);
        }
        else
        {
            using var op = MacSetup(tpm, key, macAlg);
            op.Update(p.Buffer.Span);
            n = op.Finish(mac);
        }
        o.OutMac = outMac[..n];
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct MacOut
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> OutMac;
    }
}
