using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 15 "Symmetric Primitives": EncryptDecrypt, EncryptDecrypt2, HMAC (Hash is in HashMac.cs).</summary>
internal static partial class Symmetric
{
    public static readonly CommandInfo[] Commands =
    [
        new(TpmCc.Hmac, Hmac) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new(TpmCc.EncryptDecrypt, EncryptDecrypt) { Handles = [new(HandleKinds.Object, AuthRole.User)], EncryptFirstResponseParameter = true },
        new(TpmCc.EncryptDecrypt2, EncryptDecrypt2) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
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
    static TpmRc EncryptDecrypt(Tpm tpm, ref CommandContext c)
    {
        var rc = c.ReadParameters(out EncryptDecryptIn p);
        if (rc != TpmRc.Success) return rc;
        return Run(tpm, ref c, p.Decrypt != 0, p.Mode, p.IvIn.Span, p.InData.Span, modeParam: 2, ivParam: 3, dataParam: 4);
    }

    /// <summary>TPM2_EncryptDecrypt2 (Part 3, 15.3): the same with inData first, so that it can be encrypted in transit.</summary>
    static TpmRc EncryptDecrypt2(Tpm tpm, ref CommandContext c)
    {
        var rc = c.ReadParameters(out EncryptDecrypt2In p);
        if (rc != TpmRc.Success) return rc;
        return Run(tpm, ref c, p.Decrypt != 0, p.Mode, p.IvIn.Span, p.InData.Span, modeParam: 3, ivParam: 4, dataParam: 1);
    }

    /// <summary>The cipher run of both commands: outData then ivOut (the chaining value, so a long message
    /// can be processed in pieces). Codes: TPM_RC_KEY (H1) for an object that is not a SYMCIPHER key;
    /// TPM_RC_ATTRIBUTES (H1) for a restricted key or one lacking decrypt (to decrypt) or sign (to
    /// encrypt); TPM_RC_MODE (mode) when the key's mode and the requested one differ or both are NULL;
    /// TPM_RC_SIZE (ivIn) for an IV that is not one block; TPM_RC_SIZE (inData) for CBC or ECB data that
    /// is not whole blocks.</summary>
    static TpmRc Run(Tpm tpm, ref CommandContext c, bool decrypt, TpmAlgId mode, ReadOnlySpan<byte> ivIn, ReadOnlySpan<byte> data,
        int modeParam, int ivParam, int dataParam)
    {
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || key.Type != TpmAlgId.SymCipher || !key.HasSensitive) return TpmRc.Key.AtHandle(1);
        if (key.Has(TpmaObject.Restricted) || !key.Has(decrypt ? TpmaObject.Decrypt : TpmaObject.Sign)) return TpmRc.Attributes.AtHandle(1);
        var sym = key.Public.Parameters.SymDetail.Sym;
        var keyMode = sym.Mode.Sym;
        if (keyMode != TpmAlgId.Null)
        {
            if (mode != TpmAlgId.Null && mode != keyMode) return TpmRc.Mode.AtParameter(modeParam);
            mode = keyMode;
        }
        if (mode == TpmAlgId.Null) return TpmRc.Mode.AtParameter(modeParam);
        if (ivIn.Length != BlockSize && !(mode == TpmAlgId.Ecb && ivIn.IsEmpty)) return TpmRc.Size.AtParameter(ivParam);
        if (mode is TpmAlgId.Cbc or TpmAlgId.Ecb && data.Length % BlockSize != 0) return TpmRc.Size.AtParameter(dataParam);

        Span<byte> iv = stackalloc byte[BlockSize];
        iv.Clear();
        ivIn.CopyTo(iv);
        var output = new byte[data.Length];
        tpm.Crypto.Cipher(sym.Algorithm, mode, !decrypt, key.SensitiveData, iv, data, output);
        c.Out.WriteSized(output);
        c.Out.WriteSized(mode == TpmAlgId.Ecb ? ivIn : iv);
        return TpmRc.Success;
    }

    /// <summary>Shared by TPM2_HMAC and TPM2_HMAC_Start: a loaded KEYEDHASH key with its secret
    /// (else TPM_RC_TYPE, H1), unrestricted and able to sign (else TPM_RC_ATTRIBUTES, H1).</summary>
    internal static TpmRc CheckHmacKey(Tpm tpm, uint handle, out TpmKey key)
    {
        key = tpm.KeyOf(handle)!;
        if (key is null || key.Type != TpmAlgId.KeyedHash || !key.HasSensitive) return TpmRc.Type.AtHandle(1);
        if (key.Has(TpmaObject.Restricted) || !key.Has(TpmaObject.Sign)) return TpmRc.Attributes.AtHandle(1);
        return TpmRc.Success;
    }

    /// <summary>The HMAC's hash: the key scheme's, or the requested one when the scheme is NULL;
    /// another hash, or NULL with no scheme, is TPM_RC_VALUE on hashAlg (P2).</summary>
    internal static TpmRc HmacHash(TpmKey key, TpmAlgId requested, out TpmAlgId hashAlg)
    {
        var scheme = key.Public.Parameters.KeyedHashDetail.Scheme;
        hashAlg = requested;
        if (scheme.Scheme == TpmAlgId.Hmac)
        {
            if (requested != TpmAlgId.Null && requested != scheme.Details.Hmac.HashAlg) return TpmRc.Value.AtParameter(2);
            hashAlg = scheme.Details.Hmac.HashAlg;
        }
        return hashAlg == TpmAlgId.Null ? TpmRc.Value.AtParameter(2) : TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct HmacIn
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Buffer;
        [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId HashAlg;
    }

    /// <summary>TPM2_HMAC (Part 3, 15.5): HMAC of the buffer with a KEYEDHASH signing key. The hash is the
    /// key's scheme's, or the requested one when the key has none. Codes: TPM_RC_TYPE (H1) for an object
    /// that is not KEYEDHASH; TPM_RC_ATTRIBUTES (H1) for a restricted key or one without sign;
    /// TPM_RC_VALUE (P2) for a hash that differs from the key's, or NULL with a key that has none.</summary>
    static TpmRc Hmac(Tpm tpm, ref CommandContext c)
    {
        var rc = CheckHmacKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        rc = c.ReadParameters(out HmacIn p);
        if (rc != TpmRc.Success) return rc;
        rc = HmacHash(key, p.HashAlg, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        Span<byte> mac = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = tpm.Crypto.Hmac(hashAlg, key.SensitiveData, p.Buffer.Span, mac);
        c.Out.WriteSized(mac[..n]);
        return TpmRc.Success;
    }
}
