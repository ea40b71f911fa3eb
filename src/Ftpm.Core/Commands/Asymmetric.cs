using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 14 "Asymmetric Primitives": RSA_Encrypt, RSA_Decrypt, ECDH_KeyGen, ECDH_ZGen,
/// ECC_Parameters, ZGen_2Phase.</summary>
internal static partial class Asymmetric
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<EcdhZGenIn, EcdhZGenOut>(TpmCc.EcdhZGen, EcdhZGen) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new Command<EccParametersIn, EccParametersOut>(TpmCc.EccParameters, EccParameters),
        new Command<ZGen2PhaseIn, ZGen2PhaseOut>(TpmCc.ZGen2Phase, ZGen2Phase) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new Command<RsaDecryptIn, RsaDecryptOut>(TpmCc.RsaDecrypt, RsaDecrypt) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new CommandOut<EcdhKeyGenOut>(TpmCc.EcdhKeyGen, EcdhKeyGen) { Handles = [new(HandleKinds.Object)], EncryptFirstResponseParameter = true },
        new Command<RsaEncryptIn, RsaEncryptOut>(TpmCc.RsaEncrypt, RsaEncrypt) { Handles = [new(HandleKinds.Object)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
    ];

    [TpmParameters]
    internal partial struct RsaEncryptIn
    {
        /// <summary>TPM2B_PUBLIC_KEY_RSA.</summary>
        [Sized(TpmLimits.MaxRsaKeyBytes)] public ReadOnlyMemory<byte> Message;
        public TpmtRsaDecrypt InScheme;
        /// <summary>TPM2B_DATA.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> Label;
    }

    /// <summary>The RSA decryption key behind a handle: TPM_RC_KEY (H1) for another object, TPM_RC_ATTRIBUTES
    /// (H1) for a key without decrypt or a restricted one (Part 3, 14.2/14.3).</summary>
    static TpmRc GetRsaKey(Tpm tpm, uint handle, out TpmKey key)
    {
        key = tpm.KeyOf(handle)!;
        if (key is null || key.Type != TpmAlgId.Rsa) return TpmRc.Key.AtHandle(1);
        if (!key.Has(TpmaObject.Decrypt) || key.Has(TpmaObject.Restricted)) return TpmRc.Attributes.AtHandle(1);
        return TpmRc.Success;
    }

    /// <summary>The padding to use: the key's scheme if it has one (an explicit one must equal it), else
    /// the explicit one; NULL for both is raw RSA. TPM_RC_SCHEME (for inScheme) otherwise.</summary>
    static TpmRc SelectScheme(TpmKey key, in TpmtRsaDecrypt requested, int schemeParameter, out TpmAlgId scheme, out TpmAlgId hashAlg)
    {
        var keyScheme = key.Public.Parameters.RsaDetail.Scheme;
        scheme = requested.Scheme;
        hashAlg = scheme == TpmAlgId.Oaep ? requested.Details.AnySig.HashAlg : TpmAlgId.Null;
        if (keyScheme.Scheme == TpmAlgId.Null) return TpmRc.Success;
        var keyHash = keyScheme.Scheme == TpmAlgId.Oaep ? keyScheme.Details.AnySig.HashAlg : TpmAlgId.Null;
        if (scheme != TpmAlgId.Null && (scheme != keyScheme.Scheme || hashAlg != keyHash)) return TpmRc.Scheme.AtParameter(schemeParameter);
        if (keyScheme.Scheme is not (TpmAlgId.RsaEs or TpmAlgId.Oaep)) return TpmRc.Scheme.AtParameter(schemeParameter);
        scheme = keyScheme.Scheme;
        hashAlg = keyHash;
        return TpmRc.Success;
    }

    /// <summary>An OAEP label is a NUL-terminated string (Part 1, B.4 "RSAES_OAEP"): a zero is appended
    /// when the caller's label lacks one.</summary>
    static byte[] Label(ReadOnlySpan<byte> label) =>
        label.IsEmpty || label[^1] == 0 ? label.ToArray() : [.. label, 0];

    /// <summary>TPM2_RSA_Encrypt (Part 3, 14.2). Codes: those of the key and scheme checks; TPM_RC_VALUE
    /// (P1) for a message too long for the padding (or, raw, not below the modulus).</summary>
    static TpmRc RsaEncrypt(Tpm tpm, ref CommandContext c, in RsaEncryptIn p, out RsaEncryptOut o)
    {
        o = default;
        var rc = GetRsaKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        rc = SelectScheme(key, p.InScheme, RsaEncryptIn.Param.InScheme, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        var output = tpm.Scratch(TpmLimits.MaxRsaKeyBytes);
        int n = tpm.Crypto.RsaEncrypt(key.Asymmetric!, scheme, hashAlg, Label(p.Label.Span), p.Message.Span, output.Span);
        if (n < 0) return TpmRc.Value.AtParameter(RsaEncryptIn.Param.Message);
        o.OutData = output[..n];
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct RsaEncryptOut
    {
        /// <summary>TPM2B_PUBLIC_KEY_RSA.</summary>
        [Sized(TpmLimits.MaxRsaKeyBytes)] public ReadOnlyMemory<byte> OutData;
    }

    [TpmParameters]
    internal partial struct RsaDecryptIn
    {
        [Sized(TpmLimits.MaxRsaKeyBytes)] public ReadOnlyMemory<byte> CipherText;
        public TpmtRsaDecrypt InScheme;
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> Label;
    }

    /// <summary>TPM2_RSA_Decrypt (Part 3, 14.3). Padding is checked in constant time by the port. Codes:
    /// those of the key and scheme checks; TPM_RC_SIZE (P1) for a ciphertext that is not modulus-sized;
    /// TPM_RC_VALUE (P1) for one that does not decrypt.</summary>
    static TpmRc RsaDecrypt(Tpm tpm, ref CommandContext c, in RsaDecryptIn p, out RsaDecryptOut o)
    {
        o = default;
        var rc = GetRsaKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        if (!key.HasSensitive) return TpmRc.Key.AtHandle(1);
        rc = SelectScheme(key, p.InScheme, RsaDecryptIn.Param.InScheme, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        if (p.CipherText.Length != key.Asymmetric!.KeyBits / 8) return TpmRc.Size.AtParameter(RsaDecryptIn.Param.CipherText);
        // The message is in the scratch area, which is wiped once the response is marshaled.
        var output = tpm.Scratch(TpmLimits.MaxRsaKeyBytes);
        int n = tpm.Crypto.RsaDecrypt(key.Asymmetric, scheme, hashAlg, Label(p.Label.Span), p.CipherText.Span, output.Span);
        if (n < 0) return TpmRc.Value.AtParameter(RsaDecryptIn.Param.CipherText);
        o.Message = output[..n];
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct RsaDecryptOut
    {
        /// <summary>TPM2B_PUBLIC_KEY_RSA.</summary>
        [Sized(TpmLimits.MaxRsaKeyBytes)] public ReadOnlyMemory<byte> Message;
    }

    /// <summary>The ECC key behind a handle: TPM_RC_KEY (H1) for another object.</summary>
    static TpmRc GetEccKey(Tpm tpm, uint handle, out TpmKey key)
    {
        key = tpm.KeyOf(handle)!;
        return key is { Type: TpmAlgId.Ecc } ? TpmRc.Success : TpmRc.Key.AtHandle(1);
    }

    /// <summary>A TPM2B_ECC_POINT: its size, then x and y as TPM2B_ECC_PARAMETERs (empty for "no point").</summary>
    internal static Tpm2bEccPoint Point(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => new() { Point = new TpmsEccPoint { X = x, Y = y } };

    /// <summary>TPM2_ECDH_KeyGen (Part 3, 14.4): an ephemeral key pair (d_e, Q_e) on the key's curve;
    /// returns zPoint = d_e·Q_key and pubPoint = Q_e. Codes: TPM_RC_KEY (H1) for a key that is not ECC.</summary>
    static TpmRc EcdhKeyGen(Tpm tpm, ref CommandContext c, out EcdhKeyGenOut o)
    {
        o = default;
        var rc = GetEccKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        using var ephemeral = tpm.Crypto.EccGenerate(key.Asymmetric!.Curve, new DrbgStream(tpm.Random))!;
        int size = (key.Asymmetric.KeyBits + 7) / 8;
        // The scratch area is wiped after the response is marshaled, so Z leaves no copy behind.
        var zx = tpm.Scratch(size);
        var zy = tpm.Scratch(size);
        var q = key.Public.Unique.Ecc;
        if (!tpm.Crypto.EccMultiply(ephemeral, q.X.Span, q.Y.Span, zx.Span, zy.Span)) return TpmRc.NoResult;
        var ex = tpm.Scratch(size);
        var ey = tpm.Scratch(size);
        ephemeral.ExportPublic(ex.Span, ey.Span);
        o = new EcdhKeyGenOut { ZPoint = Point(zx, zy), PubPoint = Point(ex, ey) };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct EcdhKeyGenOut
    {
        public Tpm2bEccPoint ZPoint;
        public Tpm2bEccPoint PubPoint;
    }

    [TpmParameters]
    internal partial struct EcdhZGenIn
    {
        public Tpm2bEccPoint InPoint;
    }

    [TpmParameters]
    internal partial struct EcdhZGenOut
    {
        public Tpm2bEccPoint OutPoint;
    }

    /// <summary>TPM2_ECDH_ZGen (Part 3, 14.5): outPoint = d_key·inPoint. Codes: TPM_RC_KEY (H1) for a key
    /// that is not ECC or has no private part; TPM_RC_ATTRIBUTES (H1) for a restricted key or one without
    /// decrypt; TPM_RC_SCHEME (H1) for a key whose scheme is not ECDH or NULL; TPM_RC_ECC_POINT (P1) for a
    /// point not on the curve.</summary>
    static TpmRc EcdhZGen(Tpm tpm, ref CommandContext c, in EcdhZGenIn p, out EcdhZGenOut o)
    {
        o = default;
        var rc = GetEccKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        if (!key.HasSensitive) return TpmRc.Key.AtHandle(1);
        if (!key.Has(TpmaObject.Decrypt) || key.Has(TpmaObject.Restricted)) return TpmRc.Attributes.AtHandle(1);
        if (key.Public.Parameters.EccDetail.Scheme.Scheme is not (TpmAlgId.Null or TpmAlgId.Ecdh)) return TpmRc.Scheme.AtHandle(1);
        int size = (key.Asymmetric!.KeyBits + 7) / 8;
        var zx = tpm.Scratch(size);
        var zy = tpm.Scratch(size);
        if (!tpm.Crypto.EccMultiply(key.Asymmetric, p.InPoint.Point.X.Span, p.InPoint.Point.Y.Span, zx.Span, zy.Span))
            return TpmRc.EccPoint.AtParameter(EcdhZGenIn.Param.InPoint);
        o.OutPoint = Point(zx, zy);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct EccParametersIn
    {
        /// <summary>TPMI_ECC_CURVE: an implemented curve, else TPM_RC_CURVE.</summary>
        [Check(nameof(TpmCheck.EccCurve))] public TpmEccCurve CurveId;
    }

    /// <summary>TPM2_ECC_Parameters (Part 3, 14.6): the curve's TPMS_ALGORITHM_DETAIL_ECC. The TPM's own
    /// part (the KDF and signing scheme the curve is used with, as the reference's curve table gives them)
    /// is here; the constants come from the crypto port. p, a, b, gX, gY and n are padded to the curve's
    /// octet size and the cofactor h is minimal, as libtpms writes them. Codes: TPM_RC_CURVE (P1) for a
    /// curve that is not implemented (unmarshaling); TPM_RC_VALUE (P1) for one the port lacks.</summary>
    static TpmRc EccParameters(Tpm tpm, ref CommandContext c, in EccParametersIn p, out EccParametersOut o)
    {
        o = default;
        var curve = tpm.Crypto.EccGetCurve(p.CurveId);
        if (curve is null) return TpmRc.Value.AtParameter(EccParametersIn.Param.CurveId);

        // Output: TPMS_ALGORITHM_DETAIL_ECC.
        int size = (curve.KeySize + 7) / 8;
        // kdf: KDF1_SP800_56A with the hash of the curve's strength for the NIST curves, NULL for BN.
        var kdfHash = p.CurveId switch
        {
            TpmEccCurve.NistP256 => TpmAlgId.Sha256,
            TpmEccCurve.NistP384 => TpmAlgId.Sha384,
            TpmEccCurve.NistP521 => TpmAlgId.Sha512,
            _ => TpmAlgId.Null,
        };
        var kdf = kdfHash == TpmAlgId.Null
            ? new TpmtKdfScheme { Scheme = TpmAlgId.Null }
            : new TpmtKdfScheme { Scheme = TpmAlgId.Kdf1Sp800_56A, Details = new TpmuKdfScheme { AnyKdf = new TpmsSchemeHash { HashAlg = kdfHash } } };
        o.Parameters = new TpmsAlgorithmDetailEcc
        {
            CurveId = p.CurveId,
            KeySize = curve.KeySize,
            Kdf = kdf,
            // sign: no scheme is tied to any implemented curve.
            Sign = new TpmtEccScheme { Scheme = TpmAlgId.Null },
            P = Padded(tpm, curve.P, size),
            A = Padded(tpm, curve.A, size),
            B = Padded(tpm, curve.B, size),
            GX = Padded(tpm, curve.GX, size),
            GY = Padded(tpm, curve.GY, size),
            N = Padded(tpm, curve.N, size),
            H = curve.H,
        };
        return TpmRc.Success;
    }

    /// <summary><paramref name="value"/> with leading zeros up to <paramref name="size"/> octets (a copy in
    /// the scratch area when it is shorter).</summary>
    static ReadOnlyMemory<byte> Padded(Tpm tpm, byte[] value, int size)
    {
        if (value.Length >= size) return value;
        var padded = tpm.Scratch(size);
        value.CopyTo(padded.Span[(size - value.Length)..]);
        return padded;
    }

    [TpmParameters]
    internal partial struct EccParametersOut
    {
        public TpmsAlgorithmDetailEcc Parameters;
    }

    [TpmParameters]
    internal partial struct ZGen2PhaseIn
    {
        public Tpm2bEccPoint InQsB;
        public Tpm2bEccPoint InQeB;
        [Check(nameof(TpmCheck.EccKeyExchange))] public TpmAlgId InScheme;
        public ushort Counter;
    }

    /// <summary>TPM2_ZGen_2Phase (Part 3, 14.7): party A's side of a two-phase key exchange (SP 800-56A
    /// C(2e, 2s)): keyA is the static key, the ephemeral key is the one TPM2_EC_Ephemeral made for
    /// <c>counter</c>, which is consumed. ECDH gives outZ1 = dsA·QsB and outZ2 = deA·QeB; ECMQV gives the
    /// MQV point in outZ1 and an empty outZ2. Codes: TPM_RC_KEY (H1) for a key that is not ECC or has no
    /// private part; TPM_RC_ATTRIBUTES (H1) for a restricted key or one without decrypt; TPM_RC_SCHEME
    /// (P3) for a scheme that is not the key's, or NULL for a key without one, or not implemented
    /// (unmarshaling); TPM_RC_ECC_POINT (P1, P2) for inQsB or inQeB not on the key's curve; TPM_RC_VALUE
    /// (P4) for a counter that is not outstanding (never committed by EC_Ephemeral, already used, or too old).</summary>
    static TpmRc ZGen2Phase(Tpm tpm, ref CommandContext c, in ZGen2PhaseIn p, out ZGen2PhaseOut o)
    {
        o = default;
        var rc = GetEccKey(tpm, c.Handles[0], out var key);
        if (rc != TpmRc.Success) return rc;
        if (!key.HasSensitive) return TpmRc.Key.AtHandle(1);
        if (key.Has(TpmaObject.Restricted) || !key.Has(TpmaObject.Decrypt)) return TpmRc.Attributes.AtHandle(1);
        var scheme = key.Public.Parameters.EccDetail.Scheme.Scheme;
        if (scheme == TpmAlgId.Null) scheme = p.InScheme;
        else if (scheme != p.InScheme) return TpmRc.Scheme.AtParameter(ZGen2PhaseIn.Param.InScheme);
        if (scheme is not (TpmAlgId.Ecdh or TpmAlgId.EcMqv)) return TpmRc.Scheme.AtParameter(ZGen2PhaseIn.Param.InScheme);
        var curve = key.Asymmetric!.Curve;
        var qsB = p.InQsB.Point;
        var qeB = p.InQeB.Point;
        if (!tpm.Crypto.EccIsOnCurve(curve, qsB.X.Span, qsB.Y.Span)) return TpmRc.EccPoint.AtParameter(ZGen2PhaseIn.Param.InQsB);
        if (!tpm.Crypto.EccIsOnCurve(curve, qeB.X.Span, qeB.Y.Span)) return TpmRc.EccPoint.AtParameter(ZGen2PhaseIn.Param.InQeB);
        using var ephemeral = tpm.CommitKeyOf(p.Counter, curve, []);
        if (ephemeral is null) return TpmRc.Value.AtParameter(ZGen2PhaseIn.Param.Counter);

        int size = (key.Asymmetric.KeyBits + 7) / 8;
        var z1x = tpm.Scratch(size);
        var z1y = tpm.Scratch(size);
        var z2x = tpm.Scratch(size);
        var z2y = tpm.Scratch(size);
        bool ok = scheme == TpmAlgId.Ecdh
            ? tpm.Crypto.EccMultiply(key.Asymmetric, qsB.X.Span, qsB.Y.Span, z1x.Span, z1y.Span)
                && tpm.Crypto.EccMultiply(ephemeral, qeB.X.Span, qeB.Y.Span, z2x.Span, z2y.Span)
            : tpm.Crypto.EccMqv(key.Asymmetric, ephemeral, qsB.X.Span, qsB.Y.Span, qeB.X.Span, qeB.Y.Span, z1x.Span, z1y.Span);
        if (!ok) return TpmRc.NoResult;
        tpm.CommitEnd(p.Counter);

        // Output
        o.OutZ1 = Point(z1x, z1y);
        o.OutZ2 = scheme == TpmAlgId.Ecdh ? Point(z2x, z2y) : Point(default, default);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ZGen2PhaseOut
    {
        public Tpm2bEccPoint OutZ1;
        public Tpm2bEccPoint OutZ2;
    }
}
