using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// Part 3 v185, 17.5 and 17.6: TPM2_SignSequenceStart and TPM2_VerifySequenceStart. A sign or verify sequence is
/// a sequence object (Part 1, 32.4) that TPM2_SequenceUpdate feeds like a hash sequence and that
/// TPM2_SignSequenceComplete or TPM2_VerifySequenceComplete (Signing.Message.cs) ends. It keeps no message: its
/// operation absorbs the message as it comes (ML-DSA's μ, FIPS 204 Algorithm 7 line 6; a digest of the
/// scheme's hash; an HMAC), so messages of any length are signed and verified. Its context is saved and loaded
/// like any sequence's.
/// </summary>
internal static partial class HashMac
{
    internal static readonly CommandInfo[] SignatureSequenceCommands =
    [
        // Part 3 v185, 17.5.2 and 17.6.2: keyHandle needs no authorization at the start; the complete
        // commands check the key's.
        new Command<VerifySequenceStartIn>(TpmCc.VerifySequenceStart, VerifySequenceStart)
        {
            Handles = [new(HandleKinds.Object)], ReturnsHandle = true, DecryptFirstParameter = true,
        },
        new Command<SignSequenceStartIn>(TpmCc.SignSequenceStart, SignSequenceStart)
        {
            Handles = [new(HandleKinds.Object)], ReturnsHandle = true, DecryptFirstParameter = true,
        },
    ];

    [TpmParameters]
    internal partial struct SignSequenceStartIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> Auth;
        public Tpm2bSignatureCtx Context;
    }

    /// <summary>TPM2_SignSequenceStart (Part 3 v185, 17.5). Codes: TPM_RC_KEY (H1) for an object that is not a
    /// signing key with its private part loaded; TPM_RC_SCHEME (H1) for a key whose scheme is TPM_ALG_NULL
    /// (or ECDAA, whose commit count this TPM does not take from the context); TPM_RC_ATTRIBUTES (H1) for a
    /// restricted HMAC key (it signs only digests, and the sequence has no ticket to show one, 17.5.1);
    /// TPM_RC_SIZE (P1) for an auth longer than a digest; TPM_RC_VALUE (P2) for a context the scheme does not
    /// take; TPM_RC_OBJECT_MEMORY when no slot is free.</summary>
    static TpmRc SignSequenceStart(Tpm tpm, ref CommandContext c, in SignSequenceStartIn p)
    {
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.HasSensitive || !key.Has(TpmaObject.Sign)) return TpmRc.Key.AtHandle(1);
        var rc = StartChecks(key, p.Context.Buffer.Span, SignSequenceStartIn.Param.Context, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        if (scheme == TpmAlgId.Hmac && key.Has(TpmaObject.Restricted)) return TpmRc.Attributes.AtHandle(1);
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;
        return Start(tpm, ref c, key, scheme, hashAlg, p.Auth.Span, p.Context.Buffer.Span, verify: false);
    }

    [TpmParameters]
    internal partial struct VerifySequenceStartIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> Auth;
        public Tpm2bSignatureHint Hint;
        public Tpm2bSignatureCtx Context;
    }

    /// <summary>TPM2_VerifySequenceStart (Part 3 v185, 17.6). Codes: TPM_RC_KEY (H1) for an object that is not a
    /// signing key (an HMAC key also needs its private part); TPM_RC_SCHEME (H1) as for SignSequenceStart;
    /// TPM_RC_SIZE (P1) for an auth longer than a digest; TPM_RC_SIZE (P2) for a hint, which only EdDSA takes
    /// (Part 2 v185, 11.3.9: empty for every other scheme); TPM_RC_VALUE (P3) for a context the scheme does
    /// not take; TPM_RC_OBJECT_MEMORY when no slot is free.</summary>
    static TpmRc VerifySequenceStart(Tpm tpm, ref CommandContext c, in VerifySequenceStartIn p)
    {
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.Has(TpmaObject.Sign)) return TpmRc.Key.AtHandle(1);
        var rc = StartChecks(key, p.Context.Buffer.Span, VerifySequenceStartIn.Param.Context, out var scheme, out var hashAlg);
        if (rc != TpmRc.Success) return rc;
        if (scheme == TpmAlgId.Hmac && !key.HasSensitive) return TpmRc.Key.AtHandle(1);
        if (!p.Hint.Buffer.IsEmpty) return TpmRc.Size.AtParameter(VerifySequenceStartIn.Param.Hint);
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;
        return Start(tpm, ref c, key, scheme, hashAlg, p.Auth.Span, p.Context.Buffer.Span, verify: true);
    }

    static TpmRc StartChecks(TpmKey key, ReadOnlySpan<byte> context, int contextParam, out TpmAlgId scheme, out TpmAlgId hashAlg)
    {
        if (Signing.MessageScheme(key, out scheme, out hashAlg) != TpmRc.Success) return TpmRc.Scheme.AtHandle(1);
        // Only ML-DSA and HashML-DSA take a context (Part 2 v185, Table 220).
        if (!context.IsEmpty && scheme is not (TpmAlgId.MlDsa or TpmAlgId.HashMlDsa)) return TpmRc.Value.AtParameter(contextParam);
        return TpmRc.Success;
    }

    static TpmRc Start(Tpm tpm, ref CommandContext c, TpmKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> auth,
        ReadOnlySpan<byte> context, bool verify)
    {
        var state = new SignatureSequence
        {
            Verify = verify,
            KeyName = key.Name,
            Scheme = scheme,
            HashAlg = hashAlg,
            Context = context.ToArray(),
            Hierarchy = key.Hierarchy,
        };
        // The ticket's HMAC runs beside the message: the message is not kept (Part 2 v185, 10.6.5).
        if (verify && key.Hierarchy != (uint)TpmRh.Null && key.NameAlg != TpmAlgId.Null)
            state.Ticket = tpm.BeginVerifiedTicket(TpmSt.MessageVerified, key.Hierarchy, key.NameAlg);
        var sequence = new HashSequence
        {
            HashAlg = scheme == TpmAlgId.MlDsa ? TpmAlgId.Shake256 : hashAlg,
            AuthValue = Tpm.TrimTrailingZeros(auth).ToArray(),
            Operations = [Signing.BeginMessage(tpm, key, scheme, hashAlg, context)],
            Signature = state,
        };
        return tpm.Objects.Add(sequence, out c.ResponseHandle);
    }
}
