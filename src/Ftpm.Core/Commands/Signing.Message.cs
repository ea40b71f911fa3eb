using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// Part 3 v185, 20.3-20.7: the signing commands v185 adds beside TPM2_Sign and TPM2_VerifySignature:
/// VerifySequenceComplete, VerifyDigestSignature, SignSequenceComplete and SignDigest (the sequences are
/// started in HashMac.SignatureSequences.cs, Part 3 v185, 17.5-17.6). They sign and verify with the key's own
/// scheme, never one the caller names (Part 3 v185, 20.6.1). Pure ML-DSA signs a message: its sequence
/// streams the message into μ (FIPS 204, Algorithm 7 line 6), and TPM2_SignDigest takes μ itself as an
/// external μ when the key allows it (Part 1 v185, 46.3). HashML-DSA, RSA and ECC sign a digest of the
/// message under the scheme's hash; an HMAC key's sequence computes the HMAC of the message.
/// </summary>
internal static partial class Signing
{
    internal static readonly CommandInfo[] MessageCommands =
    [
        new Command<VerifySequenceCompleteIn, VerifySequenceCompleteOut>(TpmCc.VerifySequenceComplete, VerifySequenceComplete)
        {
            Handles = [new(HandleKinds.Object, AuthRole.User), new(HandleKinds.Object)],
            Flushed = true,
        },
        new Command<SignSequenceCompleteIn>(TpmCc.SignSequenceComplete, SignSequenceComplete)
        {
            Handles = [new(HandleKinds.Object, AuthRole.User), new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
            Flushed = true,
        },
        new Command<VerifyDigestSignatureIn, VerifySequenceCompleteOut>(TpmCc.VerifyDigestSignature, VerifyDigestSignature)
        {
            Handles = [new(HandleKinds.Object)],
            DecryptFirstParameter = true,
        },
        new Command<SignDigestIn>(TpmCc.SignDigest, SignDigest)
        {
            Handles = [new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
        },
    ];

    internal static bool IsMlDsa(TpmKey key) => key.Type is TpmAlgId.MlDsa or TpmAlgId.HashMlDsa;

    /// <summary>The scheme a key signs messages and digests with in the v185 commands: ML-DSA and HashML-DSA
    /// (with its pre-hash) by their type, other keys by the scheme in their public area. TPM_RC_SCHEME
    /// (unnumbered) for a key whose scheme is TPM_ALG_NULL (Part 3 v185, 17.5.1), and for ECDAA, whose commit
    /// count these commands do not take.</summary>
    internal static TpmRc MessageScheme(TpmKey key, out TpmAlgId scheme, out TpmAlgId hashAlg)
    {
        scheme = KeyScheme(key, out hashAlg);
        return scheme is TpmAlgId.Null or TpmAlgId.EcDaa ? TpmRc.Scheme : TpmRc.Success;
    }

    /// <summary>Whether the key's scheme takes a context (TPM2B_SIGNATURE_CTX): ML-DSA and HashML-DSA
    /// (Part 2 v185, Table 220). Every other scheme this TPM implements takes an empty one.</summary>
    static bool TakesContext(TpmAlgId scheme) => scheme is TpmAlgId.MlDsa or TpmAlgId.HashMlDsa;

    /// <summary>The message operation of a sign or verify sequence: μ after tr || 0 || |ctx| || ctx for
    /// ML-DSA, the HMAC for an HMAC key, the scheme's hash otherwise.</summary>
    internal static IHashOperation BeginMessage(Tpm tpm, TpmKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> context) => scheme switch
    {
        TpmAlgId.MlDsa => MlDsaMessage.BeginPure(tpm.Crypto, key.Asymmetric!, context),
        TpmAlgId.Hmac => tpm.Crypto.HmacSetup(hashAlg, key.SensitiveData),
        _ => tpm.Crypto.HashSetup(hashAlg),
    };

    /// <summary>The length of what <see cref="BeginMessage"/>'s operation finishes with, and what
    /// TPM2_SignDigest and TPM2_VerifyDigestSignature take as digest: μ (64 octets) for ML-DSA, else a digest
    /// of the scheme's hash.</summary>
    static int DigestLength(TpmAlgId scheme, TpmAlgId hashAlg) =>
        scheme == TpmAlgId.MlDsa ? MlParameterSets.MuSize : TpmAlgorithms.DigestSize(hashAlg);

    /// <summary>Signs what a message operation finished with (μ, a digest, or the HMAC itself) and writes the
    /// TPMT_SIGNATURE. ML-DSA is hedged: rnd comes from the DRBG (FIPS 204, 3.4). HashML-DSA builds μ from the
    /// pre-hash and the context (FIPS 204, Algorithm 4). TPM_RC_SCHEME (unnumbered) when the key cannot
    /// carry the scheme.</summary>
    internal static TpmRc WriteMessageSignature(Tpm tpm, ref TpmWriter w, TpmKey key, TpmAlgId scheme, TpmAlgId hashAlg,
        scoped ReadOnlySpan<byte> digest, scoped ReadOnlySpan<byte> context)
    {
        switch (scheme)
        {
            case TpmAlgId.MlDsa:
            case TpmAlgId.HashMlDsa:
            {
                Span<byte> mu = stackalloc byte[MlParameterSets.MuSize];
                if (scheme == TpmAlgId.HashMlDsa) MlDsaMessage.PreHashMu(tpm.Crypto, key.Asymmetric!, context, hashAlg, digest, mu);
                else digest.CopyTo(mu);
                Span<byte> rnd = stackalloc byte[32];
                tpm.Random.Generate(rnd);
                var signature = tpm.Scratch(TpmLimits.MaxMlDsaSigSize);
                int length = tpm.Crypto.MlDsaSignMu(key.Asymmetric!, mu, rnd, signature.Span);
                CryptographicOperations.ZeroMemory(rnd);
                if (length < 0) return TpmRc.Scheme;
                w.WriteUInt16((ushort)scheme);
                if (scheme == TpmAlgId.HashMlDsa) w.WriteUInt16((ushort)hashAlg);
                w.WriteSized(signature.Span[..length]);
                return TpmRc.Success;
            }
            case TpmAlgId.Hmac:
                w.WriteUInt16((ushort)TpmAlgId.Hmac);
                w.WriteUInt16((ushort)hashAlg);
                w.WriteBytes(digest);
                return TpmRc.Success;
            default:
                return WriteSignature(tpm, ref w, key, scheme, hashAlg, digest);
        }
    }

    /// <summary>Checks a signature against what a message operation finished with (Part 3 v185, 20.3-20.4):
    /// TPM_RC_SCHEME when the signature's scheme or hash is not the key's; TPM_RC_SIGNATURE when it does not
    /// verify. Both unnumbered: the caller numbers them with its signature parameter.</summary>
    internal static TpmRc VerifyMessageSignature(Tpm tpm, TpmKey key, TpmAlgId scheme, TpmAlgId hashAlg,
        ReadOnlySpan<byte> digest, ReadOnlySpan<byte> context, in TpmtSignature s)
    {
        if (s.SigAlg != scheme) return TpmRc.Scheme;
        switch (scheme)
        {
            case TpmAlgId.MlDsa:
                return tpm.Crypto.MlDsaVerifyMu(key.Asymmetric!, digest, s.Signature.MlDsa.Span) ? TpmRc.Success : TpmRc.Signature;
            case TpmAlgId.HashMlDsa:
            {
                if (s.Signature.HashMlDsa.Hash != hashAlg) return TpmRc.Scheme;
                Span<byte> mu = stackalloc byte[MlParameterSets.MuSize];
                MlDsaMessage.PreHashMu(tpm.Crypto, key.Asymmetric!, context, hashAlg, digest, mu);
                return tpm.Crypto.MlDsaVerifyMu(key.Asymmetric!, mu, s.Signature.HashMlDsa.Signature.Span) ? TpmRc.Success : TpmRc.Signature;
            }
            case TpmAlgId.Hmac:
                if (s.Signature.Hmac.HashAlg != hashAlg) return TpmRc.Scheme;
                return CryptographicOperations.FixedTimeEquals(digest, s.Signature.Hmac.Digest.Digest.Span) ? TpmRc.Success : TpmRc.Signature;
            default:
            {
                var signatureHash = s.SigAlg is TpmAlgId.RsaSsa or TpmAlgId.RsaPss ? s.Signature.Rsa.Hash : s.Signature.Ecc.Hash;
                if (signatureHash != hashAlg) return TpmRc.Scheme;
                return VerifyDigest(tpm, key, s, hashAlg, digest) ? TpmRc.Success : TpmRc.Signature;
            }
        }
    }

    /// <summary>A TPMT_TK_VERIFIED for a key (Part 2 v185, 10.6.5): the NULL ticket {tag, TPM_RH_NULL,
    /// metadata, empty} for a key of the null hierarchy or without a Name, else one with
    /// <paramref name="hmac"/> (computed only when needed).</summary>
    static TpmtTkVerified VerifiedTicket(TpmKey key, TpmSt tag, TpmAlgId metadata, Func<byte[]> hmac)
    {
        var ticket = new TpmtTkVerified { Tag = tag, Metadata = new TpmuTkVerifiedMeta { DigestVerified = metadata } };
        if (key.Hierarchy == (uint)TpmRh.Null || key.NameAlg == TpmAlgId.Null)
        {
            ticket.Hierarchy = (uint)TpmRh.Null;
            return ticket;
        }
        ticket.Hierarchy = key.Hierarchy;
        ticket.Digest = new Tpm2bDigest { Buffer = hmac() };
        return ticket;
    }

    /// <summary>The sign or verify sequence behind <paramref name="handle"/>: TPM_RC_MODE (handle 1) for an
    /// object that is no sequence of that kind.</summary>
    static TpmRc GetSignatureSequence(Tpm tpm, uint handle, bool verify, out HashSequence sequence, out SignatureSequence state)
    {
        sequence = (tpm.Objects.Get(handle) as HashSequence)!;
        state = sequence?.Signature!;
        return state is not null && state.Verify == verify ? TpmRc.Success : TpmRc.Mode.AtHandle(1);
    }

    // ---- TPM2_VerifySequenceComplete (20.3) -----------------------------------------------------

    [TpmParameters]
    internal partial struct VerifySequenceCompleteIn
    {
        public TpmtSignature Signature;
    }

    [TpmParameters]
    internal partial struct VerifySequenceCompleteOut
    {
        public TpmtTkVerified Validation;
    }

    /// <summary>TPM2_VerifySequenceComplete (Part 3 v185, 20.3): verifies the signature over the message the
    /// sequence received and returns a TPM_ST_MESSAGE_VERIFIED ticket, HMAC(proof, tag || message ||
    /// keyName); the sequence is flushed. Codes: TPM_RC_MODE (H1) for an object that is no verify sequence;
    /// TPM_RC_SIGN_CONTEXT_KEY (H2) for a key other than the one the sequence was started with;
    /// TPM_RC_SCHEME (P1) for a signature of another scheme or hash; TPM_RC_SIGNATURE (P1) for one that does
    /// not verify (the sequence is then kept, as any failed command leaves state untouched).</summary>
    static TpmRc VerifySequenceComplete(Tpm tpm, ref CommandContext c, in VerifySequenceCompleteIn p, out VerifySequenceCompleteOut o)
    {
        o = default;
        var rc = GetSignatureSequence(tpm, c.Handles[0], verify: true, out var sequence, out var state);
        if (rc != TpmRc.Success) return rc;
        var key = tpm.KeyOf(c.Handles[1]);
        if (key is null || !key.Name.AsSpan().SequenceEqual(state.KeyName)) return TpmRc.SignContextKey.AtHandle(2);

        // Finish copies, so that a signature that fails leaves the sequence as it was.
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n;
        using (var op = sequence.Operations[0].Clone()) n = op.Finish(digest);
        rc = VerifyMessageSignature(tpm, key, state.Scheme, state.HashAlg, digest[..n], state.Context, p.Signature);
        if (rc != TpmRc.Success) return rc.AtParameter(VerifySequenceCompleteIn.Param.Signature);

        o.Validation = VerifiedTicket(key, TpmSt.MessageVerified, TpmAlgId.Null, () =>
        {
            using var ticket = state.Ticket!.Clone();
            return Tpm.FinishVerifiedTicket(ticket, key.NameAlg, key.Name, TpmAlgId.Null);
        });
        tpm.Objects.Remove(c.Handles[0]);
        return TpmRc.Success;
    }

    // ---- TPM2_VerifyDigestSignature (20.4) ------------------------------------------------------

    [TpmParameters]
    internal partial struct VerifyDigestSignatureIn
    {
        public Tpm2bSignatureCtx Context;
        public Tpm2bDigest Digest;
        public TpmtSignature Signature;
    }

    /// <summary>TPM2_VerifyDigestSignature (Part 3 v185, 20.4): verifies a signature over a digest (for pure
    /// ML-DSA: over the external μ) and returns a TPM_ST_DIGEST_VERIFIED ticket, HMAC(proof, tag || digest ||
    /// keyName || hashAlg), hashAlg being the digest's hash (TPM_ALG_SHAKE256 for μ). Codes: TPM_RC_KEY (H1)
    /// for a key that does not sign; TPM_RC_SCHEME (H1) for a key whose scheme is TPM_ALG_NULL, HMAC or ECDAA;
    /// TPM_RC_EXT_MU (H1) for an ML-DSA key with allowExternalMu NO; TPM_RC_VALUE (P1) for a context the
    /// scheme does not take (only HashML-DSA takes one: an external μ already holds its context);
    /// TPM_RC_SIZE (P2) for a digest that is not of the scheme's hash (64 octets for μ); TPM_RC_SCHEME (P3)
    /// for a signature of another scheme or hash; TPM_RC_SIGNATURE (P3) for one that does not verify.</summary>
    static TpmRc VerifyDigestSignature(Tpm tpm, ref CommandContext c, in VerifyDigestSignatureIn p, out VerifySequenceCompleteOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        var rc = DigestChecks(key, p.Context.Buffer.Span, p.Digest.Buffer.Length, VerifyDigestSignatureIn.Param.Context,
            VerifyDigestSignatureIn.Param.Digest, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        var digest = p.Digest.Buffer.Span;
        rc = VerifyMessageSignature(tpm, key!, scheme, hashAlg, digest, p.Context.Buffer.Span, p.Signature);
        if (rc != TpmRc.Success) return rc.AtParameter(VerifyDigestSignatureIn.Param.Signature);

        var digestHash = scheme == TpmAlgId.MlDsa ? TpmAlgId.Shake256 : hashAlg;
        var copy = digest.ToArray();
        o.Validation = VerifiedTicket(key!, TpmSt.DigestVerified, digestHash,
            () => tpm.ComputeVerifiedTicket(TpmSt.DigestVerified, key!.Hierarchy, key.NameAlg, copy, key.Name, digestHash));
        return TpmRc.Success;
    }

    /// <summary>The checks TPM2_SignDigest and TPM2_VerifyDigestSignature share (see their codes).</summary>
    static TpmRc DigestChecks(TpmKey? key, ReadOnlySpan<byte> context, int digestLength, int contextParam, int digestParam,
        out TpmAlgId scheme, out TpmAlgId hashAlg)
    {
        scheme = hashAlg = TpmAlgId.Null;
        if (key is null || !key.Has(TpmaObject.Sign)) return TpmRc.Key.AtHandle(1);
        if (MessageScheme(key, out scheme, out hashAlg) != TpmRc.Success || scheme == TpmAlgId.Hmac) return TpmRc.Scheme.AtHandle(1);
        // Part 2 v185, Table 230 and Part 3 v185, 20.7.1: only an ML-DSA key with allowExternalMu YES (never
        // a restricted one) takes μ from outside.
        if (scheme == TpmAlgId.MlDsa && key.Public.Parameters.MlDsaDetail.AllowExternalMu == 0) return TpmRc.ExtMu.AtHandle(1);
        if (!context.IsEmpty && scheme != TpmAlgId.HashMlDsa) return TpmRc.Value.AtParameter(contextParam);
        if (digestLength != DigestLength(scheme, hashAlg)) return TpmRc.Size.AtParameter(digestParam);
        return TpmRc.Success;
    }

    // ---- TPM2_SignSequenceComplete (20.6) -------------------------------------------------------

    [TpmParameters]
    internal partial struct SignSequenceCompleteIn
    {
        /// <summary>TPM2B_MAX_BUFFER: the last part of the message.</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Buffer;
    }

    /// <summary>TPM2_SignSequenceComplete (Part 3 v185, 20.6): appends buffer, signs the message with the key's
    /// scheme and writes the TPMT_SIGNATURE; the sequence is flushed. Codes: TPM_RC_MODE (H1) for an object
    /// that is no sign sequence; TPM_RC_SIGN_CONTEXT_KEY (H2) for a key other than the one the sequence was
    /// started with (or one whose private part is not loaded); TPM_RC_VALUE (P1) when the key is restricted
    /// and the message begins with TPM_GENERATED_VALUE (such a key signs only what the TPM made, Part 1,
    /// "Restricted signing keys"; Part 3 names no code, this is the one TPM2_Hash's tickets imply).</summary>
    static TpmRc SignSequenceComplete(Tpm tpm, ref CommandContext c, in SignSequenceCompleteIn p)
    {
        var rc = GetSignatureSequence(tpm, c.Handles[0], verify: false, out var sequence, out var state);
        if (rc != TpmRc.Success) return rc;
        var key = tpm.KeyOf(c.Handles[1]);
        if (key is null || !key.HasSensitive || !key.Name.AsSpan().SequenceEqual(state.KeyName)) return TpmRc.SignContextKey.AtHandle(2);

        var buffer = p.Buffer.Span;
        if (key.Has(TpmaObject.Restricted))
        {
            Span<byte> first = stackalloc byte[4];
            sequence.FirstBytes.AsSpan(0, sequence.FirstBytesSeen).CopyTo(first);
            int seen = sequence.FirstBytesSeen + Math.Min(4 - sequence.FirstBytesSeen, buffer.Length);
            buffer[..(seen - sequence.FirstBytesSeen)].CopyTo(first[sequence.FirstBytesSeen..]);
            if (seen == 4 && BinaryPrimitives.ReadUInt32BigEndian(first) == Attestation.TpmGeneratedValue)
                return TpmRc.Value.AtParameter(SignSequenceCompleteIn.Param.Buffer);
        }
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        var op = sequence.Operations[0];
        op.Update(buffer);
        int n = op.Finish(digest);
        rc = WriteMessageSignature(tpm, ref c.Out, key, state.Scheme, state.HashAlg, digest[..n], state.Context);
        CryptographicOperations.ZeroMemory(digest);
        tpm.Objects.Remove(c.Handles[0]);
        return rc == TpmRc.Scheme ? TpmRc.Scheme.AtHandle(2) : rc;
    }

    // ---- TPM2_SignDigest (20.7) -----------------------------------------------------------------

    [TpmParameters]
    internal partial struct SignDigestIn
    {
        public Tpm2bSignatureCtx Context;
        public Tpm2bDigest Digest;
        public TpmtTkHashcheck Validation;
    }

    /// <summary>TPM2_SignDigest (Part 3 v185, 20.7): signs a digest (for pure ML-DSA, an external μ) with the
    /// key's scheme. Codes: those of TPM2_VerifyDigestSignature's key, context and digest checks (TPM_RC_KEY,
    /// TPM_RC_SCHEME, TPM_RC_EXT_MU at H1; TPM_RC_VALUE P1; TPM_RC_SIZE P2), TPM_RC_KEY (H1) also for a key
    /// whose private part is not loaded; TPM_RC_TICKET (P3) when a restricted key gets no valid hash-check
    /// ticket for the digest, or any key a non-empty ticket that is not valid (as TPM2_Sign).</summary>
    static TpmRc SignDigest(Tpm tpm, ref CommandContext c, in SignDigestIn p)
    {
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.HasSensitive) return TpmRc.Key.AtHandle(1);
        var rc = DigestChecks(key, p.Context.Buffer.Span, p.Digest.Buffer.Length, SignDigestIn.Param.Context,
            SignDigestIn.Param.Digest, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        var digest = p.Digest.Buffer.Span;
        // No hash-check ticket can vouch for a μ (Part 3 v185, 20.7.1): for pure ML-DSA only the NULL ticket goes.
        if (!p.Validation.Digest.Buffer.IsEmpty || key.Has(TpmaObject.Restricted))
        {
            if (scheme == TpmAlgId.MlDsa || !HashCheckValid(tpm, p.Validation, hashAlg, digest))
                return TpmRc.Ticket.AtParameter(SignDigestIn.Param.Validation);
        }
        rc = WriteMessageSignature(tpm, ref c.Out, key, scheme, hashAlg, digest, p.Context.Buffer.Span);
        return rc == TpmRc.Scheme ? TpmRc.Scheme.AtHandle(1) : rc;
    }
}
