using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 20 "Signing and Signature Verification": Sign and VerifySignature.</summary>
internal static partial class Signing
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<VerifySignatureIn, VerifySignatureOut>(TpmCc.VerifySignature, VerifySignature) { Handles = [new(HandleKinds.Object)], DecryptFirstParameter = true },
        new Command<SignIn>(TpmCc.Sign, Sign) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true },
    ];

    /// <summary>The scheme a signing key signs with (the reference's CryptSelectSignScheme): the key's own
    /// scheme when it has one (an explicit scheme must then equal it in scheme and hash; a split scheme,
    /// ECDAA, needs the explicit one for its commit count), else the explicit one, which may then not be
    /// NULL. TPM_RC_SCHEME (unnumbered) otherwise, or for a scheme of another key type.</summary>
    internal static TpmRc SelectScheme(TpmKey key, in TpmtSigScheme requested, out TpmAlgId scheme, out TpmAlgId hashAlg)
    {
        var keyScheme = KeyScheme(key, out var keyHash);
        scheme = requested.Scheme;
        hashAlg = requested.Scheme switch
        {
            TpmAlgId.Null => TpmAlgId.Null,
            TpmAlgId.EcDaa => requested.Details.Ecdaa.HashAlg,
            // TPMU_SIG_SCHEME has no ML-DSA member: the key's parameters give the (pre-)hash.
            TpmAlgId.MlDsa or TpmAlgId.HashMlDsa => keyHash,
            _ => requested.Details.Any.HashAlg,
        };
        if (keyScheme != TpmAlgId.Null)
        {
            if (scheme == TpmAlgId.Null ? keyScheme == TpmAlgId.EcDaa : scheme != keyScheme || hashAlg != keyHash) return TpmRc.Scheme;
            scheme = keyScheme;
            hashAlg = keyHash;
        }
        if (scheme == TpmAlgId.Null) return TpmRc.Scheme;
        bool fits = key.Type switch
        {
            TpmAlgId.Rsa => scheme is TpmAlgId.RsaSsa or TpmAlgId.RsaPss,
            TpmAlgId.Ecc => scheme is TpmAlgId.EcDsa or TpmAlgId.EcSchnorr or TpmAlgId.EcDaa,
            TpmAlgId.KeyedHash => scheme is TpmAlgId.Hmac,
            TpmAlgId.MlDsa => scheme is TpmAlgId.MlDsa,
            TpmAlgId.HashMlDsa => scheme is TpmAlgId.HashMlDsa,
            _ => false,
        };
        return fits ? TpmRc.Success : TpmRc.Scheme;
    }

    static TpmAlgId KeyScheme(TpmKey key, out TpmAlgId hashAlg)
    {
        var p = key.Public.Parameters;
        switch (key.Type)
        {
            case TpmAlgId.Rsa: hashAlg = p.RsaDetail.Scheme.Details.AnySig.HashAlg; return p.RsaDetail.Scheme.Scheme;
            case TpmAlgId.Ecc:
                var scheme = p.EccDetail.Scheme;
                hashAlg = scheme.Scheme == TpmAlgId.EcDaa ? scheme.Details.Ecdaa.HashAlg : scheme.Details.AnySig.HashAlg;
                return scheme.Scheme;
            case TpmAlgId.KeyedHash: hashAlg = p.KeyedHashDetail.Scheme.Details.Hmac.HashAlg; return p.KeyedHashDetail.Scheme.Scheme;
            // An ML-DSA key's scheme is its type (Part 2 v185, 12.2.3.6-7).
            case TpmAlgId.MlDsa: hashAlg = TpmAlgId.Null; return TpmAlgId.MlDsa;
            case TpmAlgId.HashMlDsa: hashAlg = p.HashMlDsaDetail.HashAlg; return TpmAlgId.HashMlDsa;
            default: hashAlg = TpmAlgId.Null; return TpmAlgId.Null;
        }
    }

    [TpmParameters]
    internal partial struct SignIn
    {
        public Tpm2bDigest Digest;
        public TpmtSigScheme InScheme;
        public TpmtTkHashcheck Validation;
    }

    /// <summary>TPM2_Sign (Part 3, 20.2). Codes: TPM_RC_KEY (H1) for an object that is not a signing key
    /// (or a sequence, or a public key); TPM_RC_SCHEME (P2) for a scheme the key cannot use;
    /// TPM_RC_TAG / TPM_RC_VALUE (P3) for a validation ticket whose tag is not TPM_ST_HASHCHECK or whose
    /// hierarchy is not one (its unmarshal); TPM_RC_TICKET (P3) when a restricted key gets no valid
    /// hash-check ticket for the digest (Part 1, 31.4: a restricted key signs only digests the TPM
    /// computed of data not starting with TPM_GENERATED_VALUE), or when any key gets a non-empty ticket
    /// that is not valid; otherwise TPM_RC_SIZE (P1) for a digest that is not of the scheme's hash; TPM_RC_VALUE
    /// (unnumbered, as the reference's CryptSign returns it) for an ECDAA commit count that is not
    /// outstanding (never committed, already used, or too old).</summary>
    static TpmRc Sign(Tpm tpm, ref CommandContext c, in SignIn p)
    {
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.HasSensitive || !key.Has(TpmaObject.Sign)) return TpmRc.Key.AtHandle(1);
        // Part 3 v185, 20.1 (Table 115): ML-DSA and HashML-DSA keys sign through TPM2_SignDigest and the sign
        // sequences only; TPM2_Sign does not support them.
        if (IsMlDsa(key)) return TpmRc.Scheme.AtParameter(SignIn.Param.InScheme);
        var rc = SelectScheme(key, p.InScheme, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc.AtParameter(SignIn.Param.InScheme);
        var digest = p.Digest.Buffer.Span;
        // A ticket that is given is checked even when the key does not need one (Part 3, 20.2; the
        // reference's TPM2_Sign); without one, the digest must at least be of the scheme's hash.
        if (!p.Validation.Digest.Buffer.IsEmpty || key.Has(TpmaObject.Restricted))
        {
            if (!HashCheckValid(tpm, p.Validation, hashAlg, digest)) return TpmRc.Ticket.AtParameter(SignIn.Param.Validation);
        }
        else if (digest.Length != TpmAlgorithms.DigestSize(hashAlg))
        {
            return TpmRc.Size.AtParameter(SignIn.Param.Digest);
        }

        rc = scheme == TpmAlgId.EcDaa
            ? WriteEcdaaSignature(tpm, ref c.Out, key, hashAlg, p.InScheme.Details.Ecdaa.Count, digest)
            : WriteSignature(tpm, ref c.Out, key, scheme, hashAlg, digest);
        return rc == TpmRc.Scheme ? rc.AtParameter(SignIn.Param.InScheme) : rc;
    }

    /// <summary>The second phase of an ECDAA signature (Part 3, 19.1): the r that TPM2_Commit used for
    /// <paramref name="count"/> signs, and the count is consumed, so a second signature with it fails
    /// (TPM_RC_VALUE). TPM_RC_SCHEME comes back unnumbered: the caller knows where its scheme is.</summary>
    internal static TpmRc WriteEcdaaSignature(Tpm tpm, ref TpmWriter w, TpmKey key, TpmAlgId hashAlg, ushort count, scoped ReadOnlySpan<byte> digest)
    {
        using var commit = tpm.CommitKeyOf(count, key.Asymmetric!.Curve, key.Name);
        if (commit is null) return TpmRc.Value;
        Span<byte> signature = stackalloc byte[2 * TpmLimits.MaxEccKeyBytes];
        int length = tpm.Crypto.SignEcdaa(key.Asymmetric, commit, hashAlg, digest, signature);
        if (length < 0) return TpmRc.Scheme;
        tpm.CommitEnd(count);
        w.WriteUInt16((ushort)TpmAlgId.EcDaa);
        w.WriteUInt16((ushort)hashAlg);
        w.WriteSized(signature[..(length / 2)]);
        w.WriteSized(signature[(length / 2)..length]);
        return TpmRc.Success;
    }

    /// <summary>Signs <paramref name="digest"/> and writes the TPMT_SIGNATURE (Sign and the attestation
    /// commands). TPM_RC_SCHEME comes back unnumbered: the caller knows where its scheme is.</summary>
    internal static TpmRc WriteSignature(Tpm tpm, ref TpmWriter w, TpmKey key, TpmAlgId scheme, TpmAlgId hashAlg, scoped ReadOnlySpan<byte> digest)
    {
        w.WriteUInt16((ushort)scheme);
        w.WriteUInt16((ushort)hashAlg);
        if (scheme == TpmAlgId.Hmac)
        {
            Span<byte> mac = stackalloc byte[TpmLimits.MaxDigestSize];
            int n = tpm.Crypto.Hmac(hashAlg, key.SensitiveData, digest, mac);
            w.WriteBytes(mac[..n]);
            return TpmRc.Success;
        }
        Span<byte> signature = stackalloc byte[TpmLimits.MaxRsaKeyBytes];
        int length = tpm.Crypto.Sign(key.Asymmetric!, scheme, hashAlg, digest, signature);
        // The key cannot carry the scheme (an RSA key too small for PSS with this hash).
        if (length < 0) return TpmRc.Scheme;
        if (key.Type == TpmAlgId.Rsa)
        {
            w.WriteSized(signature[..length]);
        }
        else
        {
            int half = length / 2;
            w.WriteSized(signature[..half]);
            w.WriteSized(signature[half..length]);
        }
        return TpmRc.Success;
    }

    /// <summary>Whether a TPMT_TK_HASHCHECK proves that the TPM computed <paramref name="digest"/> (Part 1,
    /// 10.4.2 ticket): tag TPM_ST_HASHCHECK, a hierarchy other than NULL, and HMAC(proof, TPM_ST_HASHCHECK
    /// || digest) under the digest's hash, compared in constant time.</summary>
    internal static bool HashCheckValid(Tpm tpm, in TpmtTkHashcheck ticket, TpmAlgId hashAlg, ReadOnlySpan<byte> digest)
    {
        if (ticket.Tag != TpmSt.HashCheck || ticket.Hierarchy == (uint)TpmRh.Null) return false;
        if (TpmCheck.Hierarchy(ticket.Hierarchy, allowNull: false) != TpmRc.Success) return false;
        Span<byte> data = stackalloc byte[2 + TpmLimits.MaxDigestSize];
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)TpmSt.HashCheck);
        digest.CopyTo(data[2..]);
        Span<byte> expected = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = tpm.Crypto.Hmac(hashAlg, tpm.ProofOf(ticket.Hierarchy), data[..(2 + digest.Length)], expected);
        return CryptographicOperations.FixedTimeEquals(expected[..n], ticket.Digest.Buffer.Span);
    }

    [TpmParameters]
    internal partial struct VerifySignatureIn
    {
        public Tpm2bDigest Digest;
        public TpmtSignature Signature;
    }

    /// <summary>TPM2_VerifySignature (Part 3, 20.1): a TPMT_TK_VERIFIED ticket, HMAC(proof, TPM_ST_VERIFIED
    /// || digest || keyName) under the key's nameAlg (<see cref="Tpm.ComputeVerifiedTicket"/>; the NULL
    /// ticket for a key of the null hierarchy or with nameAlg TPM_ALG_NULL).
    /// Codes: TPM_RC_ATTRIBUTES (H1) for a key that does not sign; TPM_RC_SCHEME (P2) for a signature
    /// algorithm of another key type; TPM_RC_SIGNATURE (P2) for a signature that does not verify.</summary>
    static TpmRc VerifySignature(Tpm tpm, ref CommandContext c, in VerifySignatureIn p, out VerifySignatureOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.Has(TpmaObject.Sign)) return TpmRc.Attributes.AtHandle(1);
        var s = p.Signature;
        TpmAlgId hashAlg = s.SigAlg switch
        {
            TpmAlgId.RsaSsa or TpmAlgId.RsaPss => s.Signature.Rsa.Hash,
            TpmAlgId.Hmac => s.Signature.Hmac.HashAlg,
            TpmAlgId.Null => TpmAlgId.Null,
            _ => s.Signature.Ecc.Hash,
        };
        bool fits = key.Type switch
        {
            TpmAlgId.Rsa => s.SigAlg is TpmAlgId.RsaSsa or TpmAlgId.RsaPss,
            // An ECDAA signature is checked by the DAA verifier, not by the TPM (the reference's
            // CryptEccValidateSignature answers TPM_RC_SCHEME).
            TpmAlgId.Ecc => s.SigAlg is TpmAlgId.EcDsa or TpmAlgId.EcSchnorr,
            TpmAlgId.KeyedHash => s.SigAlg is TpmAlgId.Hmac,
            _ => false,
        };
        // Only the signature's algorithm must suit the key type; the key's own scheme does not restrict
        // what it verifies (the reference's CryptValidateSignature).
        if (!fits) return TpmRc.Scheme.AtParameter(VerifySignatureIn.Param.Signature);

        var digest = p.Digest.Buffer.Span;
        if (s.SigAlg == TpmAlgId.Hmac && !key.HasSensitive) return TpmRc.Scheme.AtParameter(VerifySignatureIn.Param.Signature);
        if (!VerifyDigest(tpm, key, s, hashAlg, digest)) return TpmRc.Signature.AtParameter(VerifySignatureIn.Param.Signature);

        // Output: TPMT_TK_VERIFIED, made by the helper TPM2_PolicyAuthorize checks it with, so the two
        // cannot diverge. A key of the null hierarchy, or without a Name (nameAlg TPM_ALG_NULL), gets the
        // NULL ticket {TPM_ST_VERIFIED, TPM_RH_NULL, empty} (the reference's TPM2_VerifySignature).
        o.Validation = key.Hierarchy == (uint)TpmRh.Null || key.NameAlg == TpmAlgId.Null
            ? new TpmtTkVerified { Tag = TpmSt.Verified, Hierarchy = (uint)TpmRh.Null }
            : new TpmtTkVerified
            {
                Tag = TpmSt.Verified,
                Hierarchy = key.Hierarchy,
                Digest = new Tpm2bDigest { Buffer = tpm.ComputeVerifiedTicket(key.Hierarchy, key.NameAlg, digest, key.Name) },
            };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct VerifySignatureOut
    {
        public TpmtTkVerified Validation;
    }

    /// <summary>Whether an HMAC, RSA or ECC signature <paramref name="s"/> is valid for <paramref name="digest"/>
    /// (an HMAC key's sensitive area must be loaded: the caller checks). Shared by TPM2_VerifySignature and the
    /// v185 verification commands.</summary>
    internal static bool VerifyDigest(Tpm tpm, TpmKey key, in TpmtSignature s, TpmAlgId hashAlg, ReadOnlySpan<byte> digest)
    {
        switch (s.SigAlg)
        {
            case TpmAlgId.Hmac:
            {
                Span<byte> mac = stackalloc byte[TpmLimits.MaxDigestSize];
                int n = tpm.Crypto.Hmac(hashAlg, key.SensitiveData, digest, mac);
                return CryptographicOperations.FixedTimeEquals(mac[..n], s.Signature.Hmac.Digest.Digest.Span);
            }
            case TpmAlgId.RsaSsa:
            case TpmAlgId.RsaPss:
                return tpm.Crypto.Verify(key.Asymmetric!, s.SigAlg, hashAlg, digest, s.Signature.Rsa.Sig.Span);
            default:
            {
                // r and s, each padded to the curve's size, as the port takes them.
                int size = (key.Asymmetric!.KeyBits + 7) / 8;
                var r = StripZeros(s.Signature.Ecc.SignatureR.Span);
                var sv = StripZeros(s.Signature.Ecc.SignatureS.Span);
                if (r.Length > size || sv.Length > size) return false;
                Span<byte> rs = stackalloc byte[2 * size];
                rs.Clear();
                r.CopyTo(rs[(size - r.Length)..size]);
                sv.CopyTo(rs[(2 * size - sv.Length)..]);
                return tpm.Crypto.Verify(key.Asymmetric!, s.SigAlg, hashAlg, digest, rs);
            }
        }
    }

    static ReadOnlySpan<byte> StripZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length && value[i] == 0) i++;
        return value[i..];
    }
}
