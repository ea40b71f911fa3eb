using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

// Part 3, 14.8 and 14.9: ECC_Encrypt and ECC_Decrypt, the ECC encryption of Part 1 (C.9 "ECC
// encryption" in Part 1 annex C): an ephemeral key k gives C1 = k·G and the shared point
// (x2, y2) = k·Q; C2 = M xor KDF2(x2 || y2, |M|) and C3 = H(x2 || M || y2), under the hash of the
// KDF2 scheme. The recipient recomputes (x2, y2) = d·C1.
internal static partial class Asymmetric
{
    internal static readonly CommandInfo[] EccEncryptionCommands =
    [
        new Command<EccEncryptIn, EccEncryptOut>(TpmCc.EccEncrypt, EccEncrypt) { Handles = [new(HandleKinds.Object)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new Command<EccDecryptIn, EccDecryptOut>(TpmCc.EccDecrypt, EccDecrypt) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
    ];

    /// <summary>The KDF to use (the reference's CryptEccSelectScheme): the key's kdf when it has one, and
    /// then an explicit scheme must equal it in scheme and hash; else the explicit one, which may then not
    /// be NULL. False when neither names a scheme or they differ.</summary>
    static bool SelectKdf(TpmKey key, in TpmtKdfScheme requested, out TpmtKdfScheme scheme)
    {
        var keyScheme = key.Public.Parameters.EccDetail.Kdf;
        scheme = requested.Scheme == TpmAlgId.Null ? keyScheme : requested;
        if (keyScheme.Scheme == TpmAlgId.Null) keyScheme = scheme;
        return scheme.Scheme != TpmAlgId.Null
            && keyScheme.Scheme == scheme.Scheme
            && keyScheme.Details.AnyKdf.HashAlg == scheme.Details.AnyKdf.HashAlg;
    }

    /// <summary>The mask and check value shared by both directions: C2 = data xor KDF2(x2 || y2) into
    /// <paramref name="output"/>, and H(x2 || message || y2) into <paramref name="check"/>, where the message
    /// is <paramref name="data"/> when encrypting and <paramref name="output"/> when decrypting.</summary>
    static int Mask(Tpm tpm, TpmAlgId hashAlg, ReadOnlySpan<byte> x2, ReadOnlySpan<byte> y2, ReadOnlySpan<byte> data,
        Span<byte> output, bool encrypt, Span<byte> check)
    {
        Span<byte> z = stackalloc byte[2 * TpmLimits.MaxEccKeyBytes];
        x2.CopyTo(z);
        y2.CopyTo(z[x2.Length..]);
        Kdf.Kdf2(tpm.Crypto, hashAlg, z[..(x2.Length + y2.Length)], output);
        CryptographicOperations.ZeroMemory(z);
        for (int i = 0; i < data.Length; i++) output[i] ^= data[i];
        using var h = tpm.Crypto.HashSetup(hashAlg);
        h.Update(x2);
        h.Update(encrypt ? data : output);
        h.Update(y2);
        return h.Finish(check);
    }

    [TpmParameters]
    internal partial struct EccEncryptIn
    {
        /// <summary>TPM2B_MAX_BUFFER.</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> PlainText;
        public TpmtKdfScheme InScheme;
    }

    [TpmParameters]
    internal partial struct EccEncryptOut
    {
        public Tpm2bEccPoint C1;
        /// <summary>TPM2B_MAX_BUFFER.</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> C2;
        public Tpm2bDigest C3;
    }

    /// <summary>TPM2_ECC_Encrypt (Part 3, 14.8): encrypts to the public key of any loaded ECC object (no
    /// authorization, no attribute needed). Codes: TPM_RC_KEY (H1) for an object that is not ECC;
    /// TPM_RC_SCHEME (P2) when no KDF can be selected (<see cref="SelectKdf"/>); TPM_RC_SCHEME (unnumbered,
    /// as the reference's CryptEccEncrypt returns it) for a selected KDF other than KDF2.</summary>
    static TpmRc EccEncrypt(Tpm tpm, ref CommandContext c, in EccEncryptIn p, out EccEncryptOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is not { Type: TpmAlgId.Ecc }) return TpmRc.Key.AtHandle(1);
        if (!SelectKdf(key, p.InScheme, out var scheme)) return TpmRc.Scheme.AtParameter(EccEncryptIn.Param.InScheme);
        if (scheme.Scheme != TpmAlgId.Kdf2) return TpmRc.Scheme;
        var hashAlg = scheme.Details.AnyKdf.HashAlg;

        int size = (key.Asymmetric!.KeyBits + 7) / 8;
        using var ephemeral = tpm.Crypto.EccGenerate(key.Asymmetric.Curve, new DrbgStream(tpm.Random));
        if (ephemeral is null) return TpmRc.NoResult;
        var c1x = new byte[size];
        var c1y = new byte[size];
        ephemeral.ExportPublic(c1x, c1y);
        Span<byte> p2 = stackalloc byte[2 * size];
        var q = key.Public.Unique.Ecc;
        if (!tpm.Crypto.EccMultiply(ephemeral, q.X.Span, q.Y.Span, p2[..size], p2[size..])) return TpmRc.NoResult;

        var c2 = new byte[p.PlainText.Length];
        var c3 = new byte[TpmLimits.MaxDigestSize];
        int n = Mask(tpm, hashAlg, p2[..size], p2[size..], p.PlainText.Span, c2, encrypt: true, c3);
        CryptographicOperations.ZeroMemory(p2);
        o = new EccEncryptOut
        {
            C1 = new Tpm2bEccPoint { Point = new TpmsEccPoint { X = c1x, Y = c1y } },
            C2 = c2,
            C3 = new Tpm2bDigest { Buffer = c3.AsMemory(0, n) },
        };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct EccDecryptIn
    {
        public Tpm2bEccPoint C1;
        /// <summary>TPM2B_MAX_BUFFER.</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> C2;
        public Tpm2bDigest C3;
        public TpmtKdfScheme InScheme;
    }

    [TpmParameters]
    internal partial struct EccDecryptOut
    {
        /// <summary>TPM2B_MAX_BUFFER.</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> PlainText;
    }

    /// <summary>TPM2_ECC_Decrypt (Part 3, 14.9). Codes: TPM_RC_KEY (H1) for an object that is not ECC;
    /// TPM_RC_ATTRIBUTES (H1) for a restricted key or one without decrypt; TPM_RC_SCHEME (P4) when no KDF
    /// can be selected; TPM_RC_SCHEME (unnumbered) for a KDF other than KDF2; TPM_RC_VALUE (unnumbered, the
    /// reference's CryptEccDecrypt) when C3 does not match the recovered text, which is also what a C1 off
    /// the curve or a key without its private part leads to there. The comparison is constant-time and the
    /// recovered text is wiped when it is not returned.</summary>
    static TpmRc EccDecrypt(Tpm tpm, ref CommandContext c, in EccDecryptIn p, out EccDecryptOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is not { Type: TpmAlgId.Ecc }) return TpmRc.Key.AtHandle(1);
        if (key.Has(TpmaObject.Restricted) || !key.Has(TpmaObject.Decrypt)) return TpmRc.Attributes.AtHandle(1);
        if (!SelectKdf(key, p.InScheme, out var scheme)) return TpmRc.Scheme.AtParameter(EccDecryptIn.Param.InScheme);
        if (scheme.Scheme != TpmAlgId.Kdf2) return TpmRc.Scheme;
        var hashAlg = scheme.Details.AnyKdf.HashAlg;

        int size = (key.Asymmetric!.KeyBits + 7) / 8;
        Span<byte> p2 = stackalloc byte[2 * size];
        var c1 = p.C1.Point;
        if (!tpm.Crypto.EccMultiply(key.Asymmetric, c1.X.Span, c1.Y.Span, p2[..size], p2[size..])) return TpmRc.Value;

        var plainText = new byte[p.C2.Length];
        Span<byte> check = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = Mask(tpm, hashAlg, p2[..size], p2[size..], p.C2.Span, plainText, encrypt: false, check);
        CryptographicOperations.ZeroMemory(p2);
        if (!CryptographicOperations.FixedTimeEquals(check[..n], p.C3.Buffer.Span))
        {
            CryptographicOperations.ZeroMemory(plainText);
            return TpmRc.Value;
        }
        o = new EccDecryptOut { PlainText = plainText };
        return TpmRc.Success;
    }
}
