using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Crypto;

/// <summary>
/// The ECC KEM of TPM2_Encapsulate and TPM2_Decapsulate (Part 1 v185, 44.4; Part 2 v185, Table 229's kdf):
/// DHKEM of RFC 9180, 4.1, with the key's KDF. The ciphertext is the serialized ephemeral public key
/// pkE = 0x04 || X || Y (the uncompressed SEC 1 point; NIST curves only), dh is the x-coordinate of the shared
/// point padded to the curve's size, kem_context = pkE || pkR, and
/// shared_secret = LabeledExpand(LabeledExtract("", "eae_prk", dh), "shared_secret", kem_context, Nsecret)
/// with suite_id = "KEM" || I2OSP(kem_id, 2).
/// RFC 9180 pairs each curve with one hash (kem_id 0x0010 P-256/HKDF-SHA256, 0x0011 P-384/HKDF-SHA384,
/// 0x0012 P-521/HKDF-SHA512), while the TPM key names its KDF's hash separately: ftpm takes kem_id from the
/// curve and the hash, and Nsecret (its digest size), from the key's kdf, so the RFC's suites come out exactly
/// and another pairing is the same construction under that hash (Part 1 v185 leaves the pairing open).
/// </summary>
internal static class DhKem
{
    static ReadOnlySpan<byte> HpkeVersion => "HPKE-v1"u8;

    /// <summary>RFC 9180, 7.1: the KEM identifier of a curve's DHKEM, 0 for a curve it does not define.</summary>
    static ushort KemId(TpmEccCurve curve) => curve switch
    {
        TpmEccCurve.NistP256 => 0x0010,
        TpmEccCurve.NistP384 => 0x0011,
        TpmEccCurve.NistP521 => 0x0012,
        _ => 0,
    };

    /// <summary>Whether an ECC key is a KEM key (Part 1 v185, 44.4.1: its kdf is not NULL) on a curve DHKEM is
    /// defined for. Codes (unnumbered): TPM_RC_KEY for a key whose kdf is NULL or whose curve has no DHKEM;
    /// TPM_RC_KDF for a kdf other than HKDF, "the only supported KDF for DHKEM" (Part 2 v185, Table 229).</summary>
    public static TpmRc Check(TpmKey key)
    {
        var kdf = key.Public.Parameters.EccDetail.Kdf;
        if (kdf.Scheme == TpmAlgId.Null || KemId(key.Public.Parameters.EccDetail.CurveId) == 0) return TpmRc.Key;
        if (kdf.Scheme != TpmAlgId.Hkdf || TpmAlgorithms.DigestSize(kdf.Details.AnyKdf.HashAlg) == 0) return TpmRc.Kdf;
        return TpmRc.Success;
    }

    /// <summary>Encap(pkR) with an ephemeral key from the DRBG: the shared secret and pkE. TPM_RC_NO_RESULT
    /// (unnumbered) when the product is the point at infinity.</summary>
    public static TpmRc Encapsulate(Tpm tpm, TpmKey key, out byte[] sharedSecret, out byte[] enc)
    {
        sharedSecret = [];
        enc = [];
        var crypto = tpm.Crypto;
        var curve = key.Public.Parameters.EccDetail.CurveId;
        using var ephemeral = crypto.EccGenerate(curve, new DrbgStream(tpm.Random));
        if (ephemeral is null) return TpmRc.NoResult;
        int size = (ephemeral.KeyBits + 7) / 8;
        var pkE = new byte[1 + 2 * size];
        pkE[0] = 0x04;
        ephemeral.ExportPublic(pkE.AsSpan(1, size), pkE.AsSpan(1 + size, size));
        var q = key.Public.Unique.Ecc;
        var dh = new byte[2 * size];
        try
        {
            if (!crypto.EccMultiply(ephemeral, q.X.Span, q.Y.Span, dh.AsSpan(0, size), dh.AsSpan(size))) return TpmRc.NoResult;
            sharedSecret = ExtractAndExpand(crypto, key, dh.AsSpan(0, size), pkE);
            enc = pkE;
            return TpmRc.Success;
        }
        finally { CryptographicOperations.ZeroMemory(dh); }
    }

    /// <summary>Decap(enc, skR). Codes (unnumbered; the caller numbers them): TPM_RC_SIZE for an enc that is
    /// not 1 + 2·(curve size) octets; TPM_RC_ECC_POINT for one that is not an uncompressed point (Part 1 v185,
    /// 44.5.1) or not on the key's curve; TPM_RC_NO_RESULT when the product is the point at infinity.</summary>
    public static TpmRc Decapsulate(Tpm tpm, TpmKey key, ReadOnlySpan<byte> enc, out byte[] sharedSecret)
    {
        sharedSecret = [];
        var crypto = tpm.Crypto;
        var curve = key.Public.Parameters.EccDetail.CurveId;
        int size = (key.Asymmetric!.KeyBits + 7) / 8;
        if (enc.Length != 1 + 2 * size) return TpmRc.Size;
        var x = enc.Slice(1, size);
        var y = enc.Slice(1 + size, size);
        if (enc[0] != 0x04 || !crypto.EccIsOnCurve(curve, x, y)) return TpmRc.EccPoint;
        var dh = new byte[2 * size];
        try
        {
            if (!crypto.EccMultiply(key.Asymmetric, x, y, dh.AsSpan(0, size), dh.AsSpan(size))) return TpmRc.NoResult;
            sharedSecret = ExtractAndExpand(crypto, key, dh.AsSpan(0, size), enc);
            return TpmRc.Success;
        }
        finally { CryptographicOperations.ZeroMemory(dh); }
    }

    /// <summary>RFC 9180, 4.1 ExtractAndExpand(dh, kem_context) with kem_context = pkE || pkR.</summary>
    static byte[] ExtractAndExpand(ICrypto crypto, TpmKey key, ReadOnlySpan<byte> dh, ReadOnlySpan<byte> pkE)
    {
        var hashAlg = key.Public.Parameters.EccDetail.Kdf.Details.AnyKdf.HashAlg;
        int nSecret = TpmAlgorithms.DigestSize(hashAlg);
        Span<byte> suiteId = stackalloc byte[5];
        "KEM"u8.CopyTo(suiteId);
        BinaryPrimitives.WriteUInt16BigEndian(suiteId[3..], KemId(key.Public.Parameters.EccDetail.CurveId));

        // LabeledExtract("", "eae_prk", dh): Extract(salt = "", "HPKE-v1" || suite_id || "eae_prk" || dh).
        var ikm = Concat(HpkeVersion, suiteId, "eae_prk"u8, dh);
        Span<byte> prk = stackalloc byte[TpmLimits.MaxDigestSize];
        int prkLength = crypto.HkdfExtract(hashAlg, ikm, [], prk);
        CryptographicOperations.ZeroMemory(ikm);

        // LabeledExpand(prk, "shared_secret", kem_context, Nsecret): the info is
        // I2OSP(Nsecret, 2) || "HPKE-v1" || suite_id || "shared_secret" || pkE || pkR.
        var q = key.Public.Unique.Ecc;
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)nSecret);
        // pkR padded to the curve's size (Part 1 v185, 44.5.3), as pkE is.
        int size = (pkE.Length - 1) / 2;
        var pkR = new byte[pkE.Length];
        pkR[0] = 0x04;
        q.X.Span.CopyTo(pkR.AsSpan(1 + size - q.X.Length));
        q.Y.Span.CopyTo(pkR.AsSpan(1 + 2 * size - q.Y.Length));
        var info = Concat(length, HpkeVersion, suiteId, "shared_secret"u8, pkE, pkR);
        var secret = new byte[nSecret];
        crypto.HkdfExpand(hashAlg, prk[..prkLength], info, secret);
        CryptographicOperations.ZeroMemory(prk);
        return secret;
    }

    static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d = default,
        ReadOnlySpan<byte> e = default, ReadOnlySpan<byte> f = default)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length + e.Length + f.Length];
        var at = result.AsSpan();
        a.CopyTo(at); at = at[a.Length..];
        b.CopyTo(at); at = at[b.Length..];
        c.CopyTo(at); at = at[c.Length..];
        d.CopyTo(at); at = at[d.Length..];
        e.CopyTo(at); at = at[e.Length..];
        f.CopyTo(at);
        return result;
    }
}
