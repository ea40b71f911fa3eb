using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Auth;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>
/// Part 3, 23 "Enhanced Authorization (EA) Commands": each extends a policy session's policyDigest
/// (policyDigest' = H(policyDigest || TPM_CC || arguments), Part 1, 19.7.x) and, in a real policy session,
/// checks its condition now or records it for the authorization (Tpm.CheckPolicySession). A trial session
/// only computes the digest. Implemented: PolicySigned, PolicySecret, PolicyNV, PolicyTicket, PolicyOR, PolicyPCR, PolicyLocality,
/// PolicyCounterTimer, PolicyCommandCode, PolicyPhysicalPresence, PolicyCpHash, PolicyNameHash,
/// PolicyAuthorize, PolicyAuthValue, PolicyPassword, PolicyGetDigest, PolicyNvWritten, PolicyTemplate,
/// PolicyDuplicationSelect, PolicyAuthorizeNV, PolicyParameters and PolicyCapability (v1.83).
/// </summary>
internal static partial class EnhancedAuthorization
{
    static readonly HandleSpec PolicySessionHandle = new(HandleKinds.PolicySession);

    public static readonly CommandInfo[] Commands =
    [
        new Command<PolicySignedIn, PolicyAuthorizationOut>(TpmCc.PolicySigned, PolicySigned)
        {
            // authObject: TPMI_DH_OBJECT, no authorization (the signature is the authorization).
            Handles = [new(HandleKinds.Object), PolicySessionHandle],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<PolicySecretIn, PolicyAuthorizationOut>(TpmCc.PolicySecret, PolicySecret)
        {
            // authHandle: TPMI_DH_ENTITY, USER role; policySession: TPMI_SH_POLICY.
            Handles =
            [
                new(HandleKinds.Hierarchy | HandleKinds.Lockout | HandleKinds.Object | HandleKinds.NvIndex | HandleKinds.Pcr, AuthRole.User),
                PolicySessionHandle,
            ],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<PolicyNvIn>(TpmCc.PolicyNV, PolicyNv)
        {
            // authHandle: TPMI_RH_NV_AUTH (the index, owner or platform), USER role; nvIndex; policySession.
            Handles =
            [
                new(HandleKinds.NvIndex | HandleKinds.Owner | HandleKinds.Platform, AuthRole.User),
                new(HandleKinds.NvIndex),
                PolicySessionHandle,
            ],
            DecryptFirstParameter = true,
        },
        new Command<PolicyOrIn>(TpmCc.PolicyOR, PolicyOr) { Handles = [PolicySessionHandle] },
        new Command<PolicyTicketIn>(TpmCc.PolicyTicket, PolicyTicket) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyPcrIn>(TpmCc.PolicyPCR, PolicyPcr) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyLocalityIn>(TpmCc.PolicyLocality, PolicyLocality) { Handles = [PolicySessionHandle] },
        new Command<PolicyCounterTimerIn>(TpmCc.PolicyCounterTimer, PolicyCounterTimer) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyCommandCodeIn>(TpmCc.PolicyCommandCode, PolicyCommandCode) { Handles = [PolicySessionHandle] },
        new Command(TpmCc.PolicyPhysicalPresence, PolicyPhysicalPresence) { Handles = [PolicySessionHandle] },
        new Command<PolicyCpHashIn>(TpmCc.PolicyCpHash, PolicyCpHash) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyNameHashIn>(TpmCc.PolicyNameHash, PolicyNameHash) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyAuthorizeIn>(TpmCc.PolicyAuthorize, PolicyAuthorize) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command(TpmCc.PolicyAuthValue, PolicyAuthValue) { Handles = [PolicySessionHandle] },
        new Command(TpmCc.PolicyPassword, PolicyPassword) { Handles = [PolicySessionHandle] },
        new CommandOut<PolicyGetDigestOut>(TpmCc.PolicyGetDigest, PolicyGetDigest) { Handles = [PolicySessionHandle], EncryptFirstResponseParameter = true },
        new Command<PolicyNvWrittenIn>(TpmCc.PolicyNvWritten, PolicyNvWritten) { Handles = [PolicySessionHandle] },
        new Command<PolicyTemplateIn>(TpmCc.PolicyTemplate, PolicyTemplate) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyParametersIn>(TpmCc.PolicyParameters, PolicyParameters) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyCapabilityIn>(TpmCc.PolicyCapability, PolicyCapability) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command<PolicyDuplicationSelectIn>(TpmCc.PolicyDuplicationSelect, PolicyDuplicationSelect) { Handles = [PolicySessionHandle], DecryptFirstParameter = true },
        new Command(TpmCc.PolicyAuthorizeNV, PolicyAuthorizeNv)
        {
            Handles =
            [
                new(HandleKinds.NvIndex | HandleKinds.Owner | HandleKinds.Platform, AuthRole.User),
                new(HandleKinds.NvIndex),
                PolicySessionHandle,
            ],
        },
    ];

    /// <summary>TPM2B_NAME holds at most a hash algorithm and a digest.</summary>
    const int MaxNameSize = 2 + TpmLimits.MaxDigestSize;

    /// <summary>TPM2B_TIMEOUT holds a UINT64.</summary>
    const int MaxTimeoutSize = 8;

    static Auth.Session SessionOf(Tpm tpm, ref CommandContext c, int handleIndex) => tpm.Sessions.Get(c.Handles[handleIndex])!;

    // ---- Shared steps (the reference's Policy_spt.c) ------------------------------------------

    /// <summary>policyDigest' = H(policyDigest || code || data).</summary>
    static void Extend(Tpm tpm, Auth.Session session, TpmCc code, scoped ReadOnlySpan<byte> data)
    {
        using var h = tpm.Crypto.HashSetup(session.AuthHash);
        Span<byte> cc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(cc, (uint)code);
        h.Update(session.PolicyDigest);
        h.Update(cc);
        h.Update(data);
        h.Finish(session.PolicyDigest);
    }

    /// <summary>The update of PolicySigned, PolicySecret, PolicyTicket and PolicyAuthorize (Part 3, 23.2):
    /// policyDigest' = H(H(policyDigest || code || name) || policyRef); a non-empty cpHashA becomes the
    /// session's cpHash; the earliest timeout wins.</summary>
    static void ContextUpdate(Tpm tpm, Auth.Session session, TpmCc code, ReadOnlySpan<byte> name,
        ReadOnlySpan<byte> policyRef, ReadOnlySpan<byte> cpHashA, ulong timeout)
    {
        Extend(tpm, session, code, name);
        using (var h = tpm.Crypto.HashSetup(session.AuthHash))
        {
            h.Update(session.PolicyDigest);
            h.Update(policyRef);
            h.Finish(session.PolicyDigest);
        }
        if (!cpHashA.IsEmpty)
        {
            session.HashKind = PolicyHashKind.CpHash;
            session.PolicyHash = cpHashA.ToArray();
        }
        if (timeout != 0 && (session.Timeout == 0 || session.Timeout > timeout)) session.Timeout = timeout;
    }

    /// <summary>The checks of PolicySigned, PolicySecret and PolicyTicket (the reference's
    /// PolicyParameterChecks): TPM_RC_NONCE when a nonce is given that is not the session's nonceTPM;
    /// TPM_RC_EXPIRED when the timeout has passed or belongs to another power cycle; TPM_RC_SIZE for a
    /// cpHashA that is not a digest of the session's hash; TPM_RC_CPHASH when the session already has a
    /// different cpHash (or nameHash).</summary>
    static TpmRc ParameterChecks(Tpm tpm, Auth.Session session, ulong authTimeout, ReadOnlySpan<byte> cpHashA,
        ReadOnlySpan<byte> nonce, int nonceParameter, int cpHashParameter, int expirationParameter)
    {
        if (!nonce.IsEmpty && !CryptographicOperations.FixedTimeEquals(nonce, session.NonceTpm))
            return TpmRc.Nonce.AtParameter(nonceParameter);
        if (authTimeout != 0 && (authTimeout < tpm.Time || session.Epoch != tpm.TimeEpoch))
            return TpmRc.Expired.AtParameter(expirationParameter);
        if (!cpHashA.IsEmpty)
        {
            if (cpHashA.Length != session.PolicyDigest.Length) return TpmRc.Size.AtParameter(cpHashParameter);
            if (session.HashKind != PolicyHashKind.None && !cpHashA.SequenceEqual(session.PolicyHash)) return TpmRc.Cphash;
        }
        return TpmRc.Success;
    }

    /// <summary>The start of PolicySigned and PolicySecret: authTimeout from expiration (the reference's
    /// ComputeAuthTimeout: seconds from the session's start when a nonce binds the authorization to this
    /// session, else from now, keeping the current millisecond), then <see cref="ParameterChecks"/> with
    /// nonceTPM at P1, cpHashA at P2 and expiration at P4. A trial session checks nothing.</summary>
    static TpmRc BeginAuthorization(Tpm tpm, Auth.Session session, uint expiration, ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> cpHashA, out ulong authTimeout)
    {
        authTimeout = 0;
        if (session.IsTrial) return TpmRc.Success;
        int seconds = unchecked((int)expiration);
        if (seconds != 0)
        {
            ulong ms = (ulong)Math.Abs((long)seconds) * 1000;
            authTimeout = nonce.IsEmpty ? ms + tpm.Time % 1000 : session.StartTime + ms;
        }
        // The positions are the same in PolicySecret.
        return ParameterChecks(tpm, session, authTimeout, cpHashA, nonce,
            PolicySignedIn.Param.NonceTpm, PolicySignedIn.Param.CpHashA, PolicySignedIn.Param.Expiration);
    }

    // ---- Commands -----------------------------------------------------------------------------

    [TpmParameters]
    internal partial struct PolicySignedIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> NonceTpm;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CpHashA;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PolicyRef;
        /// <summary>INT32 seconds; negative asks for a ticket.</summary>
        public uint Expiration;
        public TpmtSignature Auth;
    }

    /// <summary>
    /// TPM2_PolicySigned (Part 3, 23.3): the holder of authObject's private key authorized this policy by
    /// signing aHash = H(nonceTPM || expiration || cpHashA || policyRef) (with the signature's hash);
    /// policyDigest' = H(H(policyDigest || TPM_CC_PolicySigned || authObject Name) || policyRef). A negative
    /// expiration returns a TPM_ST_AUTH_SIGNED ticket for PolicyTicket. A trial session checks nothing.
    /// Codes: TPM_RC_NONCE (P1), TPM_RC_SIZE (P2), TPM_RC_CPHASH, TPM_RC_EXPIRED (P4); TPM_RC_SCHEME (P5) for a
    /// signature without a hash or of a scheme the key cannot verify; TPM_RC_SIGNATURE (P5) for one that does
    /// not verify; TPM_RC_HANDLE (P5) for an HMAC key with only its public part.
    /// </summary>
    static TpmRc PolicySigned(Tpm tpm, ref CommandContext c, in PolicySignedIn p, out PolicyAuthorizationOut o)
    {
        o = default;
        var session = SessionOf(tpm, ref c, 1);
        var rc = BeginAuthorization(tpm, session, p.Expiration, p.NonceTpm.Span, p.CpHashA.Span, out ulong authTimeout);
        if (rc != TpmRc.Success) return rc;
        uint authObject = c.Handles[0];
        if (!session.IsTrial)
        {
            var hashAlg = SignatureHash(in p.Auth);
            if (!TpmAlgorithms.IsHash(hashAlg)) return TpmRc.Scheme.AtParameter(PolicySignedIn.Param.Auth);
            var aHash = new byte[TpmAlgorithms.DigestSize(hashAlg)];
            using (var h = tpm.Crypto.HashSetup(hashAlg))
            {
                Span<byte> exp = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(exp, p.Expiration);
                h.Update(p.NonceTpm.Span);
                h.Update(exp);
                h.Update(p.CpHashA.Span);
                h.Update(p.PolicyRef.Span);
                h.Finish(aHash);
            }
            rc = tpm.VerifyPolicySignature(authObject, hashAlg, aHash, in p.Auth);
            if (rc != TpmRc.Success) return rc.AtParameter(PolicySignedIn.Param.Auth);
        }
        o = FinishAuthorization(tpm, session, TpmCc.PolicySigned, TpmSt.AuthSigned, authObject, p.Expiration,
            authTimeout, p.NonceTpm.Span, p.CpHashA.Span, p.PolicyRef.Span);
        return TpmRc.Success;
    }

    /// <summary>The hash a signature was made over (the reference's CryptGetSignHashAlg); NULL for none.</summary>
    static TpmAlgId SignatureHash(in TpmtSignature signature) => signature.SigAlg switch
    {
        TpmAlgId.RsaSsa or TpmAlgId.RsaPss => signature.Signature.Rsa.Hash,
        TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.Sm2 or TpmAlgId.EcSchnorr => signature.Signature.Ecc.Hash,
        TpmAlgId.Hmac => signature.Signature.Hmac.HashAlg,
        _ => TpmAlgId.Null,
    };

    /// <summary>The end of PolicySigned and PolicySecret: the policy update with the authorizing entity's Name
    /// (<see cref="ContextUpdate"/>), then the timeout and ticket: a real ticket when expiration is negative
    /// in a real session (expiring at the next TPM Reset when no nonce bound it), else an empty timeout and
    /// the NULL ticket.</summary>
    static PolicyAuthorizationOut FinishAuthorization(Tpm tpm, Auth.Session session, TpmCc code, TpmSt tag,
        uint entity, uint expiration, ulong authTimeout, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> cpHashA,
        ReadOnlySpan<byte> policyRef)
    {
        var name = tpm.NameOf(entity);
        ContextUpdate(tpm, session, code, name, policyRef, cpHashA, authTimeout);
        if (unchecked((int)expiration) >= 0 || session.IsTrial)
            return new PolicyAuthorizationOut { PolicyTicket = new TpmtTkAuth { Tag = tag, Hierarchy = (uint)TpmRh.Null } };
        uint hierarchy = tpm.HierarchyOf(entity);
        bool expiresOnReset = nonce.IsEmpty;
        var timeout = tpm.Scratch(MaxTimeoutSize);
        BinaryPrimitives.WriteUInt64BigEndian(timeout.Span, expiresOnReset ? authTimeout | Tpm.ExpirationBit : authTimeout);
        return new PolicyAuthorizationOut
        {
            Timeout = timeout,
            PolicyTicket = new TpmtTkAuth
            {
                Tag = tag,
                Hierarchy = hierarchy,
                Digest = tpm.ComputeAuthTicket(tag, hierarchy, authTimeout, expiresOnReset, cpHashA, policyRef, name),
            },
        };
    }

    /// <summary>The response of PolicySigned and PolicySecret: the timeout and ticket PolicyTicket takes.</summary>
    [TpmParameters]
    internal partial struct PolicyAuthorizationOut
    {
        /// <summary>TPM2B_TIMEOUT: empty, or the UINT64 the ticket expires at.</summary>
        [Sized(MaxTimeoutSize)] public ReadOnlyMemory<byte> Timeout;
        public TpmtTkAuth PolicyTicket;
    }

    [TpmParameters]
    internal partial struct PolicySecretIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> NonceTpm;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CpHashA;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PolicyRef;
        /// <summary>INT32 seconds; negative asks for a ticket.</summary>
        public uint Expiration;
    }

    /// <summary>
    /// TPM2_PolicySecret (Part 3, 23.4): the authorization of authHandle (checked by the dispatcher with its
    /// session) is made part of the policy: policyDigest' = H(H(policyDigest || TPM_CC_PolicySecret ||
    /// authName) || policyRef). A negative expiration in a real session returns a TPM_ST_AUTH_SECRET ticket
    /// for PolicyTicket. Codes: TPM_RC_NONCE (P1), TPM_RC_SIZE (P2), TPM_RC_CPHASH, TPM_RC_EXPIRED (P4).
    /// </summary>
    static TpmRc PolicySecret(Tpm tpm, ref CommandContext c, in PolicySecretIn p, out PolicyAuthorizationOut o)
    {
        o = default;
        if (Hierarchy.RefusedInReadOnlyMode(tpm, c.Handles[0])) return TpmRc.ReadOnly;
        var session = SessionOf(tpm, ref c, 1);
        var rc = BeginAuthorization(tpm, session, p.Expiration, p.NonceTpm.Span, p.CpHashA.Span, out ulong authTimeout);
        if (rc != TpmRc.Success) return rc;
        o = FinishAuthorization(tpm, session, TpmCc.PolicySecret, TpmSt.AuthSecret, c.Handles[0], p.Expiration,
            authTimeout, p.NonceTpm.Span, p.CpHashA.Span, p.PolicyRef.Span);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyTicketIn
    {
        [Sized(MaxTimeoutSize)] public ReadOnlyMemory<byte> Timeout;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CpHashA;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PolicyRef;
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> AuthName;
        public TpmtTkAuth Ticket;
    }

    /// <summary>TPM2_PolicyTicket (Part 3, 23.5): a ticket from PolicySecret or PolicySigned stands for that
    /// authorization again, until its timeout. Codes: TPM_RC_ATTRIBUTES (H1) in a trial session;
    /// TPM_RC_SIZE (P1) for a timeout that is no UINT64; TPM_RC_EXPIRED (P1); TPM_RC_SIZE (P2),
    /// TPM_RC_CPHASH; TPM_RC_TAG (P5) for a ticket of another kind; TPM_RC_TICKET (P5) for a ticket this
    /// TPM did not make for these values.</summary>
    static TpmRc PolicyTicket(Tpm tpm, ref CommandContext c, in PolicyTicketIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (session.IsTrial) return TpmRc.Attributes.AtHandle(1);
        if (p.Timeout.Length != 8) return TpmRc.Size.AtParameter(PolicyTicketIn.Param.Timeout);
        ulong timeout = BinaryPrimitives.ReadUInt64BigEndian(p.Timeout.Span);
        bool expiresOnReset = (timeout & Tpm.ExpirationBit) != 0;
        timeout &= ~Tpm.ExpirationBit;
        var rc = ParameterChecks(tpm, session, timeout, p.CpHashA.Span, [], 0, PolicyTicketIn.Param.CpHashA, PolicyTicketIn.Param.Timeout);
        if (rc != TpmRc.Success) return rc;
        var expected = tpm.ComputeAuthTicket(p.Ticket.Tag, p.Ticket.Hierarchy, timeout, expiresOnReset,
            p.CpHashA.Span, p.PolicyRef.Span, p.AuthName.Span);
        if (!CryptographicOperations.FixedTimeEquals(expected, p.Ticket.Digest.Span)) return TpmRc.Ticket.AtParameter(PolicyTicketIn.Param.Ticket);
        var code = p.Ticket.Tag == TpmSt.AuthSigned ? TpmCc.PolicySigned : TpmCc.PolicySecret;
        ContextUpdate(tpm, session, code, p.AuthName.Span, p.PolicyRef.Span, p.CpHashA.Span, timeout);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyOrIn
    {
        public TpmlDigest PHashList;
    }

    /// <summary>TPM2_PolicyOR (Part 3, 23.6): when policyDigest is one of the list (any, in a trial session),
    /// policyDigest' = H(0...0 || TPM_CC_PolicyOR || digests). Codes: TPM_RC_SIZE (P1) for fewer than 2 or
    /// more than 8 digests; TPM_RC_VALUE (P1) when policyDigest is none of them.</summary>
    static TpmRc PolicyOr(Tpm tpm, ref CommandContext c, in PolicyOrIn p)
    {
        if (p.PHashList.Count < 2) return TpmRc.Size.AtParameter(PolicyOrIn.Param.PHashList);
        var session = SessionOf(tpm, ref c, 0);
        bool match = session.IsTrial;
        for (int i = 0; i < (int)p.PHashList.Count && !match; i++)
            match = p.PHashList.Digests[i].Buffer.Span.SequenceEqual(session.PolicyDigest);
        if (!match) return TpmRc.Value.AtParameter(PolicyOrIn.Param.PHashList);

        Array.Clear(session.PolicyDigest);
        using var h = tpm.Crypto.HashSetup(session.AuthHash);
        Span<byte> cc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(cc, (uint)TpmCc.PolicyOR);
        h.Update(session.PolicyDigest);
        h.Update(cc);
        for (int i = 0; i < (int)p.PHashList.Count; i++) h.Update(p.PHashList.Digests[i].Buffer.Span);
        h.Finish(session.PolicyDigest);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyPcrIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PcrDigest;
        public TpmlPcrSelection Pcrs;
    }

    /// <summary>TPM2_PolicyPCR (Part 3, 23.7): policyDigest' = H(policyDigest || TPM_CC_PolicyPCR || pcrs ||
    /// digest of the selected PCR values). In a real session the PCRs must have the values given (when
    /// given) and may not change before the authorization (TPM_RC_PCR_CHANGED then); a trial session uses
    /// pcrDigest when given. Codes: TPM_RC_VALUE (P1) for a pcrDigest that is not the current one;
    /// TPM_RC_PCR_CHANGED when PCRs changed since an earlier PolicyPCR of the session.</summary>
    static TpmRc PolicyPcr(Tpm tpm, ref CommandContext c, in PolicyPcrIn p)
    {
        var session = SessionOf(tpm, ref c, 0);

        Span<byte> current = stackalloc byte[TpmLimits.MaxDigestSize];
        current = current[..TpmAlgorithms.DigestSize(session.AuthHash)];
        using (var h = tpm.Crypto.HashSetup(session.AuthHash))
        {
            for (int s = 0; s < (int)p.Pcrs.Count; s++)
            {
                ref readonly var sel = ref p.Pcrs.PcrSelections[s];
                int bank = TpmAlgorithms.HashIndex(sel.Hash);
                var bits = sel.PcrSelect.Span;
                for (int pcr = 0; pcr < TpmLimits.PcrCount && pcr < bits.Length * 8; pcr++)
                    if ((bits[pcr / 8] & (1 << (pcr % 8))) != 0 && tpm.Pcrs.IsAllocated(bank, pcr))
                        h.Update(tpm.Pcrs.Value(bank, pcr));
            }
            h.Finish(current);
        }

        ReadOnlySpan<byte> pcrDigest = current;
        if (!session.IsTrial)
        {
            if (session.PcrCounterSet && session.PcrCounter != tpm.Pcrs.UpdateCounter) return TpmRc.PcrChanged;
            if (!p.PcrDigest.IsEmpty && !p.PcrDigest.Span.SequenceEqual(current)) return TpmRc.Value.AtParameter(PolicyPcrIn.Param.PcrDigest);
        }
        else if (!p.PcrDigest.IsEmpty)
        {
            pcrDigest = p.PcrDigest.Span;
        }

        Span<byte> selection = stackalloc byte[4 + TpmLimits.HashCount * (2 + 1 + TpmLimits.PcrSelectMax)];
        var w = new TpmWriter(selection);
        p.Pcrs.Write(ref w);
        Span<byte> data = stackalloc byte[selection.Length + TpmLimits.MaxDigestSize];
        w.Written.CopyTo(data);
        pcrDigest.CopyTo(data[w.Position..]);
        Extend(tpm, session, TpmCc.PolicyPCR, data[..(w.Position + pcrDigest.Length)]);
        if (!session.IsTrial)
        {
            session.PcrCounter = tpm.Pcrs.UpdateCounter;
            session.PcrCounterSet = true;
        }
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyLocalityIn
    {
        /// <summary>TPMA_LOCALITY: bits 0-4 localities 0-4, or a value above 31 for one extended locality.</summary>
        public byte Locality;
    }

    /// <summary>TPM2_PolicyLocality (Part 3, 23.8): the command must come from one of these localities. Several
    /// PolicyLocality narrow the set. Codes: TPM_RC_RANGE (P1) for no locality, for mixing the two forms, or
    /// for a set that leaves no locality.</summary>
    static TpmRc PolicyLocality(Tpm tpm, ref CommandContext c, in PolicyLocalityIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        byte requested = p.Locality, previous = session.CommandLocality;
        if (requested == 0) return TpmRc.Range.AtParameter(PolicyLocalityIn.Param.Locality);
        if (previous != 0 && (previous < 32) != (requested < 32)) return TpmRc.Range.AtParameter(PolicyLocalityIn.Param.Locality);
        byte setting;
        if (requested < 32)
        {
            setting = (byte)((previous == 0 ? 0x1F : previous) & requested);
            if (setting == 0) return TpmRc.Range.AtParameter(PolicyLocalityIn.Param.Locality);
        }
        else
        {
            if (previous != 0 && previous != requested) return TpmRc.Range.AtParameter(PolicyLocalityIn.Param.Locality);
            setting = requested;
        }
        Extend(tpm, session, TpmCc.PolicyLocality, [requested]);
        session.CommandLocality = setting;
        return TpmRc.Success;
    }

    /// <summary>TPM_EO (Part 2, 6.8): the comparisons of PolicyCounterTimer and PolicyNV.</summary>
    enum TpmEo : ushort
    {
        Eq = 0x0000, Neq = 0x0001, SignedGt = 0x0002, UnsignedGt = 0x0003, SignedLt = 0x0004, UnsignedLt = 0x0005,
        SignedGe = 0x0006, UnsignedGe = 0x0007, SignedLe = 0x0008, UnsignedLe = 0x0009, BitSet = 0x000A, BitClear = 0x000B,
    }

    /// <summary>The reference's PolicySptCheckCondition: operandA (TPM data) against operandB, big-endian
    /// numbers of the same length.</summary>
    internal static bool CheckCondition(ushort operation, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int unsignedCompare = a.SequenceCompareTo(b);
        int signedCompare = unsignedCompare;
        if (a.Length > 0 && ((a[0] ^ b[0]) & 0x80) != 0) signedCompare = (a[0] & 0x80) != 0 ? -1 : 1;
        switch ((TpmEo)operation)
        {
            case TpmEo.Eq: return unsignedCompare == 0;
            case TpmEo.Neq: return unsignedCompare != 0;
            case TpmEo.SignedGt: return signedCompare > 0;
            case TpmEo.UnsignedGt: return unsignedCompare > 0;
            case TpmEo.SignedLt: return signedCompare < 0;
            case TpmEo.UnsignedLt: return unsignedCompare < 0;
            case TpmEo.SignedGe: return signedCompare >= 0;
            case TpmEo.UnsignedGe: return unsignedCompare >= 0;
            case TpmEo.SignedLe: return signedCompare <= 0;
            case TpmEo.UnsignedLe: return unsignedCompare <= 0;
            case TpmEo.BitSet:
                for (int i = 0; i < a.Length; i++) if ((a[i] & b[i]) != b[i]) return false;
                return true;
            case TpmEo.BitClear:
                for (int i = 0; i < a.Length; i++) if ((a[i] & b[i]) != 0) return false;
                return true;
            default: return false;
        }
    }

    [TpmParameters]
    internal partial struct PolicyCounterTimerIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> OperandB;
        public ushort Offset;
        [Check(nameof(TpmCheck.Eo))] public ushort Operation;
    }

    /// <summary>TPMS_TIME_INFO marshaled: time, clock, resetCount, restartCount, safe.</summary>
    const int TimeInfoSize = 8 + 8 + 4 + 4 + 1;

    /// <summary>TPM2_PolicyCounterTimer (Part 3, 23.9): compares part of TPMS_TIME_INFO with operandB;
    /// policyDigest' = H(policyDigest || TPM_CC_PolicyCounterTimer || H(operandB || offset || operation)).
    /// Codes: TPM_RC_VALUE (P2) for an offset past TPMS_TIME_INFO; TPM_RC_RANGE when operandB runs past it;
    /// TPM_RC_VALUE (P3) for an unknown operation; TPM_RC_POLICY when the condition does not hold.</summary>
    static TpmRc PolicyCounterTimer(Tpm tpm, ref CommandContext c, in PolicyCounterTimerIn p)
    {
        if (p.Offset > TimeInfoSize) return TpmRc.Value.AtParameter(PolicyCounterTimerIn.Param.Offset);
        if (p.Offset + p.OperandB.Length > TimeInfoSize) return TpmRc.Range;
        var session = SessionOf(tpm, ref c, 0);
        if (!session.IsTrial)
        {
            Span<byte> info = stackalloc byte[TimeInfoSize];
            var w = new TpmWriter(info);
            tpm.TimeInfo.Write(ref w);
            if (!CheckCondition(p.Operation, info.Slice(p.Offset, p.OperandB.Length), p.OperandB.Span)) return TpmRc.Policy;
        }
        Span<byte> args = stackalloc byte[TpmLimits.MaxDigestSize];
        args = args[..TpmAlgorithms.DigestSize(session.AuthHash)];
        ArgumentHash(tpm, session.AuthHash, p.OperandB.Span, p.Offset, p.Operation, args);
        Extend(tpm, session, TpmCc.PolicyCounterTimer, args);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyNvIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> OperandB;
        public ushort Offset;
        [Check(nameof(TpmCheck.Eo))] public ushort Operation;
    }

    /// <summary>TPM2_PolicyNV (Part 3, 23.9): compares NV index data at offset with operandB (read with
    /// authHandle's authorization, checked by the dispatcher); policyDigest' = H(policyDigest ||
    /// TPM_CC_PolicyNV || H(operandB || offset || operation) || nvIndex Name). Codes: TPM_RC_NV_LOCKED,
    /// TPM_RC_NV_AUTHORIZATION, TPM_RC_NV_UNINITIALIZED (as NV_Read); TPM_RC_VALUE (P2) for an offset past the
    /// data; TPM_RC_SIZE (P1) for an operandB that runs past it; TPM_RC_VALUE (P3) for an unknown
    /// operation; TPM_RC_POLICY when the condition does not hold.</summary>
    static TpmRc PolicyNv(Tpm tpm, ref CommandContext c, in PolicyNvIn p)
    {
        var session = SessionOf(tpm, ref c, 2);
        var index = tpm.Nv.Get(c.Handles[1])!;
        if (!session.IsTrial)
        {
            var rc = NvStorage.ReadAccessChecks(c.Handles[0], index);
            if (rc != TpmRc.Success) return rc;
            if (p.Offset > index.DataSize) return TpmRc.Value.AtParameter(PolicyNvIn.Param.Offset);
            if (index.DataSize - p.Offset < p.OperandB.Length) return TpmRc.Size.AtParameter(PolicyNvIn.Param.OperandB);
            if (!CheckCondition(p.Operation, index.Data.AsSpan(p.Offset, p.OperandB.Length), p.OperandB.Span)) return TpmRc.Policy;
        }
        Span<byte> args = stackalloc byte[TpmLimits.MaxDigestSize];
        args = args[..TpmAlgorithms.DigestSize(session.AuthHash)];
        ArgumentHash(tpm, session.AuthHash, p.OperandB.Span, p.Offset, p.Operation, args);
        var name = tpm.NameOf(c.Handles[1]);
        Span<byte> data = stackalloc byte[TpmLimits.MaxDigestSize + 2 + TpmLimits.MaxDigestSize];
        args.CopyTo(data);
        name.CopyTo(data[args.Length..]);
        Extend(tpm, session, TpmCc.PolicyNV, data[..(args.Length + name.Length)]);
        return TpmRc.Success;
    }

    /// <summary>argHash of PolicyNV and PolicyCounterTimer: H(operandB || offset || operation).</summary>
    static void ArgumentHash(Tpm tpm, TpmAlgId hashAlg, ReadOnlySpan<byte> operandB, ushort offset, ushort operation, Span<byte> digest)
    {
        using var h = tpm.Crypto.HashSetup(hashAlg);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(tail, offset);
        BinaryPrimitives.WriteUInt16BigEndian(tail[2..], operation);
        h.Update(operandB);
        h.Update(tail);
        h.Finish(digest);
    }

    [TpmParameters]
    internal partial struct PolicyCommandCodeIn
    {
        public TpmCc Code;
    }

    /// <summary>TPM2_PolicyCommandCode (Part 3, 23.11): the policy authorizes only this command.
    /// Codes: TPM_RC_VALUE (P1) when the session already names another; TPM_RC_POLICY_CC (P1) for a command
    /// this TPM does not implement.</summary>
    static TpmRc PolicyCommandCode(Tpm tpm, ref CommandContext c, in PolicyCommandCodeIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (session.CommandCode != 0 && session.CommandCode != p.Code) return TpmRc.Value.AtParameter(PolicyCommandCodeIn.Param.Code);
        if (CommandTable.Find(p.Code) is null) return TpmRc.PolicyCc.AtParameter(PolicyCommandCodeIn.Param.Code);
        Span<byte> code = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(code, (uint)p.Code);
        Extend(tpm, session, TpmCc.PolicyCommandCode, code);
        session.CommandCode = p.Code;
        return TpmRc.Success;
    }

    /// <summary>TPM2_PolicyPhysicalPresence (Part 3, 23.12): physical presence must be asserted at authorization.</summary>
    static TpmRc PolicyPhysicalPresence(Tpm tpm, ref CommandContext c)
    {
        var session = SessionOf(tpm, ref c, 0);
        Extend(tpm, session, TpmCc.PolicyPhysicalPresence, []);
        session.IsPpRequired = true;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyCpHashIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CpHashA;
    }

    /// <summary>TPM2_PolicyCpHash (Part 3, 23.13): the policy authorizes only the command with this cpHash.
    /// Codes: TPM_RC_SIZE (P1) for a digest of another size; TPM_RC_CPHASH when the session already has a
    /// different cpHash or a nameHash.</summary>
    static TpmRc PolicyCpHash(Tpm tpm, ref CommandContext c, in PolicyCpHashIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (p.CpHashA.Length != session.PolicyDigest.Length) return TpmRc.Size.AtParameter(PolicyCpHashIn.Param.CpHashA);
        if (session.HashKind != PolicyHashKind.None
            && (session.HashKind != PolicyHashKind.CpHash || !p.CpHashA.Span.SequenceEqual(session.PolicyHash)))
            return TpmRc.Cphash;
        Extend(tpm, session, TpmCc.PolicyCpHash, p.CpHashA.Span);
        session.HashKind = PolicyHashKind.CpHash;
        session.PolicyHash = p.CpHashA.ToArray();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyNameHashIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> NameHash;
    }

    /// <summary>TPM2_PolicyNameHash (Part 3, 23.14): the policy authorizes only commands on these handles
    /// (nameHash = H(Name1 || Name2 ...)). Codes: TPM_RC_SIZE (P1); TPM_RC_CPHASH when the session already has a
    /// cpHash or nameHash.</summary>
    static TpmRc PolicyNameHash(Tpm tpm, ref CommandContext c, in PolicyNameHashIn p)
    {
        return BindCommandHash(tpm, SessionOf(tpm, ref c, 0), TpmCc.PolicyNameHash, PolicyHashKind.NameHash, p.NameHash, PolicyNameHashIn.Param.NameHash);
    }

    /// <summary>Shared by PolicyNameHash and PolicyParameters: a digest of the session's hash size (else
    /// TPM_RC_SIZE for the parameter), only one such restriction per session (else TPM_RC_CPHASH), extended into the
    /// policy and kept for the check at authorization.</summary>
    static TpmRc BindCommandHash(Tpm tpm, Session session, TpmCc code, PolicyHashKind kind, ReadOnlyMemory<byte> hash, int hashParameter)
    {
        if (hash.Length != session.PolicyDigest.Length) return TpmRc.Size.AtParameter(hashParameter);
        if (session.HashKind != PolicyHashKind.None) return TpmRc.Cphash;
        Extend(tpm, session, code, hash.Span);
        session.HashKind = kind;
        session.PolicyHash = hash.ToArray();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyAuthorizeIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> ApprovedPolicy;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PolicyRef;
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> KeySign;
        public TpmtTkVerified CheckTicket;
    }

    /// <summary>
    /// TPM2_PolicyAuthorize (Part 3, 23.16): a policy approved by the holder of keySign replaces
    /// policyDigest: in a real session policyDigest must be approvedPolicy and checkTicket must prove that
    /// keySign signed H(approvedPolicy || policyRef) (TPM2_VerifySignature's ticket); then policyDigest' =
    /// H(H(0...0 || TPM_CC_PolicyAuthorize || keySign) || policyRef). Codes: TPM_RC_HASH (P3) for a keySign
    /// without a valid hash; TPM_RC_SIZE (P3) for a digest of the wrong size; TPM_RC_VALUE (P1) when policyDigest is not
    /// approvedPolicy; TPM_RC_VALUE (P4) for a ticket that does not match.
    /// </summary>
    static TpmRc PolicyAuthorize(Tpm tpm, ref CommandContext c, in PolicyAuthorizeIn p)
    {
        // v185 (Part 3, 23.16.1): the ticket may come from TPM2_VerifySignature, TPM2_VerifySequenceComplete or
        // TPM2_VerifyDigestSignature; the unmarshal accepts exactly their three tags (TPM_RC_TAG otherwise).
        var session = SessionOf(tpm, ref c, 0);
        var keySign = p.KeySign.Span;
        // A keySign too short to name a hash: libtpms answers TPM_RC_HASH (the reference TPM_RC_SIZE).
        if (keySign.Length < 2) return TpmRc.Hash.AtParameter(PolicyAuthorizeIn.Param.KeySign);
        var hashAlg = (TpmAlgId)BinaryPrimitives.ReadUInt16BigEndian(keySign);
        if (!TpmAlgorithms.IsHash(hashAlg)) return TpmRc.Hash.AtParameter(PolicyAuthorizeIn.Param.KeySign);
        if (TpmAlgorithms.DigestSize(hashAlg) != keySign.Length - 2) return TpmRc.Size.AtParameter(PolicyAuthorizeIn.Param.KeySign);
        if (!session.IsTrial)
        {
            if (!p.ApprovedPolicy.Span.SequenceEqual(session.PolicyDigest)) return TpmRc.Value.AtParameter(PolicyAuthorizeIn.Param.ApprovedPolicy);
            var expected = ExpectedAuthorizeTicket(tpm, p.CheckTicket, hashAlg, p.ApprovedPolicy.Span, p.PolicyRef.Span, keySign);
            if (!CryptographicOperations.FixedTimeEquals(expected, p.CheckTicket.Digest.Buffer.Span)) return TpmRc.Value.AtParameter(PolicyAuthorizeIn.Param.CheckTicket);
        }
        Array.Clear(session.PolicyDigest);
        ContextUpdate(tpm, session, TpmCc.PolicyAuthorize, keySign, p.PolicyRef.Span, [], 0);
        return TpmRc.Success;
    }

    /// <summary>The hmac a valid checkTicket has for toBeSigned = approvedPolicy || policyRef (Part 3 v185, 23.16):
    /// TPM_ST_VERIFIED covers H_nameAlg(toBeSigned) (23.16.2: the scheme's hash replaced by keySign's nameAlg),
    /// TPM_ST_MESSAGE_VERIFIED toBeSigned itself, TPM_ST_DIGEST_VERIFIED its digest under the ticket's metadata
    /// hash (an unimplemented hash there, or an XOF such as ML-DSA's μ, matches no policy: the empty result
    /// never equals a ticket).</summary>
    static byte[] ExpectedAuthorizeTicket(Tpm tpm, in TpmtTkVerified ticket, TpmAlgId nameAlg, ReadOnlySpan<byte> approvedPolicy,
        ReadOnlySpan<byte> policyRef, ReadOnlySpan<byte> keySign)
    {
        var toBeSigned = new byte[approvedPolicy.Length + policyRef.Length];
        approvedPolicy.CopyTo(toBeSigned);
        policyRef.CopyTo(toBeSigned.AsSpan(approvedPolicy.Length));
        if (ticket.Tag == TpmSt.MessageVerified)
            return tpm.ComputeVerifiedTicket(TpmSt.MessageVerified, ticket.Hierarchy, nameAlg, toBeSigned, keySign, TpmAlgId.Null);
        var digestHash = ticket.Tag == TpmSt.DigestVerified ? ticket.Metadata.DigestVerified : nameAlg;
        if (!TpmAlgorithms.IsHash(digestHash)) return [];
        var digest = new byte[TpmAlgorithms.DigestSize(digestHash)];
        tpm.Crypto.Hash(digestHash, toBeSigned, digest);
        return tpm.ComputeVerifiedTicket(ticket.Tag, ticket.Hierarchy, nameAlg, digest, keySign, digestHash);
    }

    /// <summary>TPM2_PolicyAuthValue (Part 3, 23.17): the authorization HMAC must also use the entity's
    /// authValue. policyDigest' = H(policyDigest || TPM_CC_PolicyAuthValue).</summary>
    static TpmRc PolicyAuthValue(Tpm tpm, ref CommandContext c)
    {
        var session = SessionOf(tpm, ref c, 0);
        Extend(tpm, session, TpmCc.PolicyAuthValue, []);
        session.IsAuthValueNeeded = true;
        session.IsPasswordNeeded = false;
        return TpmRc.Success;
    }

    /// <summary>TPM2_PolicyPassword (Part 3, 23.18): the authorization carries the entity's authValue in clear
    /// in the HMAC field. Extends with TPM_CC_PolicyAuthValue, so the digest equals PolicyAuthValue's.</summary>
    static TpmRc PolicyPassword(Tpm tpm, ref CommandContext c)
    {
        var session = SessionOf(tpm, ref c, 0);
        Extend(tpm, session, TpmCc.PolicyAuthValue, []);
        session.IsPasswordNeeded = true;
        session.IsAuthValueNeeded = false;
        return TpmRc.Success;
    }

    /// <summary>TPM2_PolicyGetDigest (Part 3, 23.19): the session's current policyDigest.</summary>
    static TpmRc PolicyGetDigest(Tpm tpm, ref CommandContext c, out PolicyGetDigestOut o)
    {
        o = new PolicyGetDigestOut { PolicyDigest = SessionOf(tpm, ref c, 0).PolicyDigest };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyGetDigestOut
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PolicyDigest;
    }

    [TpmParameters]
    internal partial struct PolicyNvWrittenIn
    {
        [Check(nameof(TpmCheck.YesNo))] public byte WrittenSet;
    }

    /// <summary>TPM2_PolicyNvWritten (Part 3, 23.20): the authorized NV index must (or must not) have been
    /// written. Codes: TPM_RC_VALUE (P1) for a state that contradicts an earlier PolicyNvWritten.</summary>
    static TpmRc PolicyNvWritten(Tpm tpm, ref CommandContext c, in PolicyNvWrittenIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        bool written = p.WrittenSet == 1;
        if (session.CheckNvWritten && session.NvWrittenState != written) return TpmRc.Value.AtParameter(PolicyNvWrittenIn.Param.WrittenSet);
        session.CheckNvWritten = true;
        session.NvWrittenState = written;
        Extend(tpm, session, TpmCc.PolicyNvWritten, [p.WrittenSet]);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyTemplateIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> TemplateHash;
    }

    /// <summary>TPM2_PolicyTemplate (Part 3, 23.21): the policy authorizes only Create, CreatePrimary or
    /// CreateLoaded with a public template whose hash is templateHash. Codes: TPM_RC_VALUE (P1) for another
    /// templateHash than the session's; TPM_RC_CPHASH when the session has a cpHash or nameHash; TPM_RC_SIZE (P1).</summary>
    static TpmRc PolicyTemplate(Tpm tpm, ref CommandContext c, in PolicyTemplateIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        // A different templateHash is TPM_RC_VALUE (P1), as libtpms answers (the reference: TPM_RC_CPHASH).
        if (session.HashKind == PolicyHashKind.TemplateHash)
        {
            if (!p.TemplateHash.Span.SequenceEqual(session.PolicyHash)) return TpmRc.Value.AtParameter(PolicyTemplateIn.Param.TemplateHash);
        }
        else if (session.HashKind != PolicyHashKind.None) return TpmRc.Cphash;
        if (p.TemplateHash.Length != session.PolicyDigest.Length) return TpmRc.Size.AtParameter(PolicyTemplateIn.Param.TemplateHash);
        Extend(tpm, session, TpmCc.PolicyTemplate, p.TemplateHash.Span);
        session.HashKind = PolicyHashKind.TemplateHash;
        session.PolicyHash = p.TemplateHash.ToArray();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyDuplicationSelectIn
    {
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> ObjectName;
        [Sized(MaxNameSize)] public ReadOnlyMemory<byte> NewParentName;
        [Check(nameof(TpmCheck.YesNo))] public byte IncludeObject;
    }

    /// <summary>TPM2_PolicyDuplicationSelect (Part 3, 23.15): the policy authorizes only TPM2_Duplicate of
    /// objectName to newParentName (nameHash = H(objectName || newParentName)); policyDigest' =
    /// H(policyDigest || TPM_CC_PolicyDuplicationSelect || [objectName] || newParentName || includeObject).
    /// Codes: TPM_RC_CPHASH when the session already has a cpHash or nameHash; TPM_RC_COMMAND_CODE when it
    /// already names a command.</summary>
    static TpmRc PolicyDuplicationSelect(Tpm tpm, ref CommandContext c, in PolicyDuplicationSelectIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (session.HashKind != PolicyHashKind.None) return TpmRc.Cphash;
        if (session.CommandCode != 0) return TpmRc.CommandCode;
        var nameHash = new byte[session.PolicyDigest.Length];
        using (var h = tpm.Crypto.HashSetup(session.AuthHash))
        {
            h.Update(p.ObjectName.Span);
            h.Update(p.NewParentName.Span);
            h.Finish(nameHash);
        }
        session.HashKind = PolicyHashKind.NameHash;
        session.PolicyHash = nameHash;
        Span<byte> data = stackalloc byte[2 * MaxNameSize + 1];
        int at = 0;
        if (p.IncludeObject == 1) { p.ObjectName.Span.CopyTo(data); at = p.ObjectName.Length; }
        p.NewParentName.Span.CopyTo(data[at..]);
        at += p.NewParentName.Length;
        data[at++] = p.IncludeObject;
        Extend(tpm, session, TpmCc.PolicyDuplicationSelect, data[..at]);
        session.CommandCode = TpmCc.Duplicate;
        return TpmRc.Success;
    }

    /// <summary>TPM2_PolicyAuthorizeNV (Part 3, 23.22): the approved policy is read from an NV index (a
    /// TPMT_HA) instead of being signed: in a real session policyDigest must equal it; then policyDigest' =
    /// H(0...0 || TPM_CC_PolicyAuthorizeNV || nvIndex Name). Codes: as NV_Read (TPM_RC_NV_LOCKED,
    /// TPM_RC_NV_AUTHORIZATION, TPM_RC_NV_UNINITIALIZED); TPM_RC_HASH when the index holds no TPMT_HA of
    /// the session's hash; TPM_RC_VALUE when the digests differ.</summary>
    static TpmRc PolicyAuthorizeNv(Tpm tpm, ref CommandContext c)
    {
        var session = SessionOf(tpm, ref c, 2);
        var index = tpm.Nv.Get(c.Handles[1])!;
        if (!session.IsTrial)
        {
            var rc = NvStorage.ReadAccessChecks(c.Handles[0], index);
            if (rc != TpmRc.Success) return rc;
            var data = index.Data.AsSpan(0, Math.Min((int)index.DataSize, 2 + TpmLimits.MaxDigestSize));
            if (data.Length < 2) return TpmRc.Insufficient;
            var hashAlg = (TpmAlgId)BinaryPrimitives.ReadUInt16BigEndian(data);
            if (!TpmAlgorithms.IsHash(hashAlg) || hashAlg != session.AuthHash) return TpmRc.Hash;
            if (data.Length < 2 + session.PolicyDigest.Length) return TpmRc.Insufficient;
            if (!data.Slice(2, session.PolicyDigest.Length).SequenceEqual(session.PolicyDigest)) return TpmRc.Value;
        }
        Array.Clear(session.PolicyDigest);
        Extend(tpm, session, TpmCc.PolicyAuthorizeNV, tpm.NameOf(c.Handles[1]));
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct PolicyParametersIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PHash;
    }

    /// <summary>TPM2_PolicyParameters (Part 3, 23.x, v1.83): the policy authorizes only commands whose
    /// parameters hash to pHash = H(commandCode || parameters), whatever their handles. Codes: TPM_RC_SIZE
    /// (P1); TPM_RC_CPHASH when the session already has a cpHash, nameHash or templateHash.</summary>
    static TpmRc PolicyParameters(Tpm tpm, ref CommandContext c, in PolicyParametersIn p)
    {
        return BindCommandHash(tpm, SessionOf(tpm, ref c, 0), TpmCc.PolicyParameters, PolicyHashKind.ParametersHash, p.PHash, PolicyParametersIn.Param.PHash);
    }

    [TpmParameters]
    internal partial struct PolicyCapabilityIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> OperandB;
        public ushort Offset;
        [Check(nameof(TpmCheck.Eo))] public ushort Operation;
        public TpmCap Capability;
        public uint Property;
    }

    /// <summary>TPM2_PolicyCapability (Part 3, 23.x, v1.83): compares part of one GetCapability entry with
    /// operandB (a missing entry satisfies only TPM_EO_NEQ); policyDigest' = H(policyDigest ||
    /// TPM_CC_PolicyCapability || H(operandB || offset || operation || capability || property)). Codes:
    /// TPM_RC_VALUE (P4) for an unsupported capability; TPM_RC_HANDLE or TPM_RC_VALUE (P5) for a property
    /// that is no handle of a list; TPM_RC_VALUE (P2) for an offset past the entry; TPM_RC_SIZE (P1) for an
    /// operandB that runs past it; TPM_RC_POLICY when the condition does not hold.</summary>
    static TpmRc PolicyCapability(Tpm tpm, ref CommandContext c, in PolicyCapabilityIn p)
    {
        var session = SessionOf(tpm, ref c, 0);
        if (!session.IsTrial)
        {
            Span<byte> entry = stackalloc byte[2 + 1 + TpmLimits.MaxDigestSize + 64];
            var rc = Capability.GetOne(tpm, p.Capability, p.Property, entry, out int length);
            if (rc != TpmRc.Success) return rc;
            if (length == 0)
            {
                if (p.Operation != 0x0001) return TpmRc.Policy;   // TPM_EO_NEQ
            }
            else
            {
                if (p.Offset > length) return TpmRc.Value.AtParameter(PolicyCapabilityIn.Param.Offset);
                if (length - p.Offset < p.OperandB.Length) return TpmRc.Size.AtParameter(PolicyCapabilityIn.Param.OperandB);
                if (!CheckCondition(p.Operation, entry.Slice(p.Offset, p.OperandB.Length), p.OperandB.Span)) return TpmRc.Policy;
            }
        }
        Span<byte> args = stackalloc byte[TpmLimits.MaxDigestSize];
        args = args[..TpmAlgorithms.DigestSize(session.AuthHash)];
        using (var h = tpm.Crypto.HashSetup(session.AuthHash))
        {
            Span<byte> tail = stackalloc byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(tail, p.Offset);
            BinaryPrimitives.WriteUInt16BigEndian(tail[2..], p.Operation);
            BinaryPrimitives.WriteUInt32BigEndian(tail[4..], (uint)p.Capability);
            BinaryPrimitives.WriteUInt32BigEndian(tail[8..], p.Property);
            h.Update(p.OperandB.Span);
            h.Update(tail);
            h.Finish(args);
        }
        Extend(tpm, session, TpmCc.PolicyCapability, args);
        return TpmRc.Success;
    }
}
