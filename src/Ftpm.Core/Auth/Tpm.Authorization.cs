using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Auth;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm;

// Authorization of a command through its sessions (Part 1, 19 "Authorizations and Acknowledgments";
// Part 3, 5.x the command's authorization area), in the order the reference's SessionProcess.c
// checks them, so that a bad command gets the same code and session number as from a real TPM:
// every session is checked (type, lockout, policy, password or HMAC) in the order it appears; then
// the first parameter is decrypted. After the handler: nonces roll, the first response parameter is
// encrypted, audit digests extend, each session answers with its HMAC, and sessions without
// continueSession are flushed.
public sealed partial class Tpm
{
    internal readonly SessionTable Sessions = new();
    readonly CommandHashes _hashes = new();

    /// <summary>The session that audited the last command exclusively (Part 1, 19.6.9), or TPM_RH_UNASSIGNED.</summary>
    internal uint ExclusiveAuditSession = (uint)TpmRh.Unassigned;

    /// <summary>Starts cpHash and rpHash of a command that has sessions or is audited: the Names of its
    /// handles are taken now, before the command can change anything.</summary>
    void BeginCommandHashes(TpmCc code, ReadOnlySpan<uint> handles, ReadOnlyMemory<byte> parameters)
    {
        Span<byte[]> names = new byte[handles.Length][];
        for (int i = 0; i < handles.Length; i++) names[i] = NameOf(handles[i]);
        _hashes.Begin(code, names, parameters);
    }

    /// <summary>Checks every session of a command (the reference's ParseSessionBuffer after the sessions
    /// are read). Failures come back numbered with the session they concern.</summary>
    TpmRc AuthorizeCommand(TpmCc code, Span<AuthCommand> sessions,
        int count, SessionRoles roles, Memory<byte> parameters, byte locality)
    {
        for (int n = 0; n < count; n++)
        {
            ref var s = ref sessions[n];
            int number = n + 1;
            if (s.IsPassword)
            {
                // A password session authorizes a handle; it cannot stand alone (Part 1, 19.6.7).
                if (!s.Authorizes) return TpmRc.Handle.AtSession(number);
            }
            else
            {
                var session = s.Session!;
                // A trial session only computes a digest: it can authorize, audit or encrypt nothing.
                if (session.IsTrial) return TpmRc.Attributes.AtSession(number);
                // A session bound to a DA-protected entity is unusable while the TPM is locked out.
                if (session.IsDaBound)
                {
                    var locked = CheckLockedOut(session.IsLockoutBound);
                    if (locked != TpmRc.Success) return locked;
                }
            }

            TpmRc rc;
            if (s.Authorizes)
            {
                rc = CheckAuthSession(code, ref s, n, sessions, roles, locality);
            }
            else
            {
                // A session that authorizes nothing must audit, encrypt or decrypt (Part 1, 18.x).
                if ((s.Attributes & (TpmaSession.Audit | TpmaSession.Encrypt | TpmaSession.Decrypt)) == 0)
                    return TpmRc.Attributes.AtSession(number);
                s.Session!.IncludeAuth = false;
                rc = CheckSessionHmac(ref s, n, sessions, roles);
            }
            if (rc != TpmRc.Success) return rc.AtSession(number);
        }

        // Decrypt the first parameter last: every HMAC and cpHash is over the parameters as sent, and
        // so is the audit digest computed after the command.
        if (roles.Audit >= 0) _hashes.CpHash(_crypto, sessions[roles.Audit].Session!.AuthHash);
        if (roles.Decrypt >= 0)
        {
            ref var s = ref sessions[roles.Decrypt];
            // Part 1, 21.1: an authorization session's key includes the authValue of the entity,
            // bound or not.
            var rc = ParameterEncryption.DecryptCommand(_crypto, s.Session!,
                s.Authorizes ? TrimTrailingZeros(KindOf(s.AssociatedHandle) == HandleKinds.Transient && Objects.Get(s.AssociatedHandle) is null
                    ? s.EntityAuth : AuthValueOf(s.AssociatedHandle)) : [],
                s.Nonce.Span, parameters.Span);
            if (rc != TpmRc.Success) return rc.AtSession(roles.Decrypt + 1);
        }
        return TpmRc.Success;
    }

    /// <summary>Checks that one session authorizes its handle (the reference's CheckAuthSession):
    /// TPM_RC_PP, TPM_RC_LOCKOUT, TPM_RC_AUTH_TYPE (a policy session is required), TPM_RC_AUTH_UNAVAILABLE,
    /// the policy checks, then TPM_RC_AUTH_FAIL or TPM_RC_BAD_AUTH for a wrong password or HMAC.</summary>
    TpmRc CheckAuthSession(TpmCc code, ref AuthCommand s, int index, Span<AuthCommand> sessions,
        SessionRoles roles, byte locality)
    {
        uint handle = s.AssociatedHandle;
        if (handle == (uint)TpmRh.Platform && PhysicalPresenceIsRequired(code) && !_platform.PhysicalPresence)
            return TpmRc.Pp;

        var session = s.Session;
        bool authUsed;
        if (session is null)
        {
            authUsed = true;
        }
        else
        {
            // A policy session uses the authValue only after PolicyAuthValue or PolicyPassword; an HMAC
            // session always, except for the entity it is bound to (Part 1, 19.6.10).
            session.IncludeAuth = session.IsPolicy
                ? session.IsAuthValueNeeded || session.IsPasswordNeeded
                : !IsSessionBindEntity(handle, session);
            authUsed = session.IncludeAuth;
        }
        if (authUsed && !IsDaExempt(handle))
        {
            var locked = CheckLockedOut(handle == (uint)TpmRh.Lockout);
            if (locked != TpmRc.Success) return locked;
        }

        if (session is null || !session.IsPolicy)
        {
            if (IsPolicySessionRequired(handle, s.Role)) return TpmRc.AuthType;
            if (!IsAuthValueAvailable(handle, code, s.Role)) return TpmRc.AuthUnavailable;
        }
        else
        {
            if (!IsAuthPolicyAvailable(handle, code, s.Role)) return TpmRc.AuthUnavailable;
            var rc = CheckPolicySession(code, ref s, locality);
            if (rc != TpmRc.Success) return rc;
        }

        var result = session is null || session.IsPasswordNeeded
            ? CheckPassword(ref s)
            : CheckSessionHmac(ref s, index, sessions, roles);
        // A PIN index counts the uses of its authValue only (Part 1, 19.x; the reference's
        // CheckAuthSession): a policy session without PolicyAuthValue/PolicyPassword, or an HMAC session
        // bound to the index, did not use it.
        if (authUsed) CountPinUse(handle, result == TpmRc.Success);
        return result;
    }

    /// <summary>PIN Pass / PIN Fail indices count their authorizations (Part 2, 13.2; Part 1, NV PIN
    /// indices): a failure is kept even though the command fails, like the DA counter.</summary>
    void CountPinUse(uint handle, bool success)
    {
        if (KindOf(handle) != HandleKinds.NvIndex) return;
        if (Nv.RecordPinUse(this, handle, success) && !success) _daChanged = true;
    }

    /// <summary>A password (TPM_RS_PW, or a policy session after PolicyPassword): the hmac field holds the
    /// authValue in clear. Trailing zeros are not part of an authValue (Part 1, 19.6.5), on either side.</summary>
    TpmRc CheckPassword(ref AuthCommand s)
    {
        var expected = TrimTrailingZeros(AuthValueOf(s.AssociatedHandle));
        var given = TrimTrailingZeros(s.Hmac.Span);
        bool ok = CryptographicOperations.FixedTimeEquals(expected, given);
        return ok ? TpmRc.Success : IncrementLockout(ref s);
    }

    /// <summary>Part 1, 19.6.5: authHMAC = HMAC(sessionKey || authValue, cpHash || nonceCaller || nonceTPM
    /// [|| nonceTPMdecrypt] [|| nonceTPMencrypt] || sessionAttributes). The decrypt and encrypt sessions'
    /// nonces are added to the first session's HMAC when it authorizes and they are other sessions
    /// (Part 1, 19.6.x "session nonces"), so they cannot be swapped unnoticed.</summary>
    TpmRc CheckSessionHmac(ref AuthCommand s, int index, Span<AuthCommand> sessions, SessionRoles roles)
    {
        var session = s.Session!;
        Span<byte> key = stackalloc byte[2 * TpmLimits.MaxDigestSize];
        int keyLength = HmacKey(session, s.AssociatedHandle, null, key);
        Span<byte> expected = stackalloc byte[TpmLimits.MaxDigestSize];
        int n;
        if (keyLength == 0 && s.Hmac.IsEmpty)
        {
            // With no key at all (unbound, unsalted session, empty authValue) an empty HMAC is allowed.
            n = 0;
        }
        else
        {
            ReadOnlySpan<byte> nonceDecrypt = [], nonceEncrypt = [];
            if (index == 0 && s.Authorizes)
            {
                if (roles.Decrypt >= 0 && roles.Decrypt != index) nonceDecrypt = sessions[roles.Decrypt].Session!.NonceTpm;
                if (roles.Encrypt >= 0 && roles.Encrypt != index && roles.Encrypt != roles.Decrypt)
                    nonceEncrypt = sessions[roles.Encrypt].Session!.NonceTpm;
            }
            // HMAC input: cpHash || nonceCaller || nonceTPM || nonceDecrypt || nonceEncrypt || attributes.
            Span<byte> input = stackalloc byte[5 * TpmLimits.MaxDigestSize + 1];
            int at = Append(input, 0, _hashes.CpHash(_crypto, session.AuthHash));
            at = Append(input, at, s.Nonce.Span);
            at = Append(input, at, session.NonceTpm);
            at = Append(input, at, nonceDecrypt);
            at = Append(input, at, nonceEncrypt);
            input[at++] = (byte)s.Attributes;
            n = _crypto.Hmac(session.AuthHash, key[..keyLength], input[..at], expected);
        }
        CryptographicOperations.ZeroMemory(key);
        bool ok = CryptographicOperations.FixedTimeEquals(expected[..n], s.Hmac.Span);
        return ok ? TpmRc.Success : IncrementLockout(ref s);
    }

    static int Append(Span<byte> buffer, int at, ReadOnlySpan<byte> value)
    {
        value.CopyTo(buffer[at..]);
        return at + value.Length;
    }

    /// <summary>sessionKey || authValue (trailing zeros removed) when the session includes the entity's
    /// authValue; returns the key length.</summary>
    int HmacKey(Session session, uint handle, byte[]? flushedEntityAuth, Span<byte> key)
    {
        session.SessionKey.CopyTo(key);
        int length = session.SessionKey.Length;
        if (session.IncludeAuth)
        {
            bool gone = KindOf(handle) == HandleKinds.Transient && Objects.Get(handle) is null;
            var auth = TrimTrailingZeros(gone ? flushedEntityAuth : AuthValueOf(handle));
            auth.CopyTo(key[length..]);
            length += auth.Length;
        }
        return length;
    }

    /// <summary>Whether <paramref name="handle"/> is the entity the HMAC session was bound to: same Name
    /// and same authValue as at StartAuthSession (Part 1, 19.6.10).</summary>
    bool IsSessionBindEntity(uint handle, Session session)
    {
        if (!session.IsBound) return false;
        bool sameName = NameOf(handle).AsSpan().SequenceEqual(session.BoundName);
        bool sameAuth = CryptographicOperations.FixedTimeEquals(TrimTrailingZeros(AuthValueOf(handle)), session.BoundAuth);
        return sameName & sameAuth;
    }

    /// <summary>Part 1, 19.7.x: DUP role always needs a policy session, ADMIN role too except for an
    /// object without adminWithPolicy, and a PCR in a policy group with a policy set.</summary>
    bool IsPolicySessionRequired(uint handle, AuthRole role)
    {
        if (role == AuthRole.Dup) return true;
        if (role == AuthRole.Admin)
        {
            if (KindOf(handle) is HandleKinds.Transient or HandleKinds.Persistent)
                return ObjectAuthorization(handle) is { AdminWithPolicy: true };
            return true;
        }
        // A PCR of the policy group with a policy set needs it (Part 1, 17.x).
        return KindOf(handle) == HandleKinds.Pcr && IsPcrInGroup(handle) && _persistent.PcrPolicyAlg != TpmAlgId.Null;
    }

    /// <summary>The authorization facts of a loaded or persistent key; null for a sequence.</summary>
    IObjectAuthorization? ObjectAuthorization(uint handle) => KeyOf(handle);

    /// <summary>Whether the authValue may authorize this handle in this role (the reference's IsAuthValueAvailable).</summary>
    bool IsAuthValueAvailable(uint handle, TpmCc code, AuthRole role)
    {
        switch (KindOf(handle))
        {
            case HandleKinds.Owner or HandleKinds.Endorsement or HandleKinds.Platform or HandleKinds.Lockout or HandleKinds.Null:
            case HandleKinds.Pcr:
                return true;
            case HandleKinds.Transient or HandleKinds.Persistent:
                // A sequence is always authorized by its authValue; a key by it when userWithAuth is set,
                // or in the ADMIN role without adminWithPolicy, and never with only its public part loaded.
                if (ObjectAuthorization(handle) is not { } o) return true;
                return !o.PublicOnly && (o.UserWithAuth || (role == AuthRole.Admin && !o.AdminWithPolicy));
            case HandleKinds.NvIndex:
                return NvAuthValueAvailable(handle, code, role);
            case HandleKinds.Act:
                // platformAuth stands for the ACT only while the platform hierarchy is enabled.
                return PhEnable;
            default:
                return false;
        }
    }

    /// <summary>Whether a policy may authorize this handle (the reference's IsAuthPolicyAvailable): the
    /// entity has a policy (hierarchies), or is a key or data object with its private part loaded.</summary>
    bool IsAuthPolicyAvailable(uint handle, TpmCc code, AuthRole role)
    {
        switch (KindOf(handle))
        {
            case HandleKinds.Owner or HandleKinds.Endorsement or HandleKinds.Platform or HandleKinds.Lockout or HandleKinds.Act:
                return AuthPolicyOf(handle, out _).Length != 0;
            case HandleKinds.Transient or HandleKinds.Persistent:
                return ObjectAuthorization(handle) is { PublicOnly: false };
            case HandleKinds.NvIndex:
                return NvAuthPolicyAvailable(handle, code, role);
            case HandleKinds.Pcr:
                return IsPcrInGroup(handle);
            default:
                return false;
        }
    }

    /// <summary>The authPolicy of an entity and the hash it was computed with (TPM_ALG_NULL when there is none).</summary>
    internal ReadOnlySpan<byte> AuthPolicyOf(uint handle, out TpmAlgId hashAlg)
    {
        switch (KindOf(handle))
        {
            case HandleKinds.Owner: hashAlg = _persistent.OwnerPolicyAlg; return _persistent.OwnerPolicy.Span;
            case HandleKinds.Endorsement: hashAlg = _persistent.EndorsementPolicyAlg; return _persistent.EndorsementPolicy.Span;
            case HandleKinds.Lockout: hashAlg = _persistent.LockoutPolicyAlg; return _persistent.LockoutPolicy.Span;
            case HandleKinds.Platform: hashAlg = PlatformPolicyAlg; return PlatformPolicy;
            case HandleKinds.Act: return ActPolicy(handle, out hashAlg);
            case HandleKinds.Transient or HandleKinds.Persistent when ObjectAuthorization(handle) is { } o:
                hashAlg = o.NameAlg; return o.AuthPolicy;
            case HandleKinds.NvIndex:
                return NvAuthPolicy(handle, out hashAlg);
            case HandleKinds.Pcr when IsPcrInGroup(handle):
                hashAlg = _persistent.PcrPolicyAlg; return _persistent.PcrPolicy;
            default:
                hashAlg = TpmAlgId.Null; return [];
        }
    }

    /// <summary>The commands whose platform authorization needs physical presence (TPM2_PP_Commands's list;
    /// PP_Commands itself always).</summary>
    bool PhysicalPresenceIsRequired(TpmCc code) => _persistent.PpCommands.Contains(code);

    // ---- Response ---------------------------------------------------------------------------

    /// <summary>
    /// Writes the response authorization area (Part 1, 18.x; the reference's BuildResponseSession):
    /// every session gets a new nonceTPM; the encrypt session encrypts the first response parameter;
    /// the audit session extends its digest; each session answers nonceTPM, attributes and its HMAC
    /// over rpHash; sessions without continueSession are flushed.
    /// </summary>
    void WriteResponseSessions(ref TpmWriter w, scoped Span<AuthCommand> sessions, int count, SessionRoles roles,
        Span<byte> responseParameters)
    {
        for (int n = 0; n < count; n++)
        {
            var session = sessions[n].Session;
            if (session is not null) Random.Generate(session.NonceTpm);
        }
        if (roles.Encrypt >= 0)
        {
            ref var s = ref sessions[roles.Encrypt];
            ParameterEncryption.EncryptResponse(_crypto, s.Session!,
                s.Authorizes ? TrimTrailingZeros(KindOf(s.AssociatedHandle) == HandleKinds.Transient && Objects.Get(s.AssociatedHandle) is null
                    ? s.EntityAuth : AuthValueOf(s.AssociatedHandle)) : [],
                s.Nonce.Span, responseParameters);
        }
        UpdateAuditSessions(sessions, count, responseParameters);

        Span<byte> hmac = stackalloc byte[TpmLimits.MaxDigestSize];
        Span<byte> key = stackalloc byte[2 * TpmLimits.MaxDigestSize];
        Span<byte> input = stackalloc byte[3 * TpmLimits.MaxDigestSize + 1];
        for (int n = 0; n < count; n++)
        {
            ref var s = ref sessions[n];
            var session = s.Session;
            if (session is null)
            {
                w.WriteUInt16(0);
                w.WriteUInt8((byte)(s.Attributes | TpmaSession.ContinueSession));
                w.WriteUInt16(0);
                continue;
            }
            int length = 0;
            // A policy session with PolicyPassword answers with an empty HMAC (Part 1, 19.7.x).
            if (!(session.IsPolicy && session.IsPasswordNeeded))
            {
                // The key takes the authValue as it is now (HierarchyChangeAuth answers with the new one).
                int keyLength = HmacKey(session, s.AssociatedHandle, s.EntityAuth, key);
                if (keyLength != 0 || !s.Hmac.IsEmpty)
                {
                    // rpHash || nonceTPM || nonceCaller || attributes.
                    int at = Append(input, 0, _hashes.RpHash(_crypto, session.AuthHash, responseParameters));
                    at = Append(input, at, session.NonceTpm);
                    at = Append(input, at, s.Nonce.Span);
                    input[at++] = (byte)s.Attributes;
                    length = _crypto.Hmac(session.AuthHash, key[..keyLength], input[..at], hmac);
                }
            }
            w.WriteSized(session.NonceTpm);
            w.WriteUInt8((byte)s.Attributes);
            w.WriteSized(hmac[..length]);

            bool continueSession = (s.Attributes & TpmaSession.ContinueSession) != 0;
            if (session.IsPolicy && continueSession)
            {
                // A policy session that authorized a command starts over (Part 1, 19.7.x).
                session.ResetPolicy();
                session.StartTime = Time;
                session.Epoch = _timeEpoch;
            }
            if (!continueSession)
            {
                if (ExclusiveAuditSession == session.Handle) ExclusiveAuditSession = (uint)TpmRh.Unassigned;
                Sessions.Flush(session.Handle);
            }
        }
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>Audit sessions (Part 1, 19.6.9 audit; the reference's UpdateAuditSessionStatus): the first
    /// use or auditReset starts the digest and makes the session exclusive; the digest extends with
    /// H(digest || cpHash || rpHash); any command without an audit session ends exclusivity.</summary>
    void UpdateAuditSessions(scoped Span<AuthCommand> sessions, int count, ReadOnlySpan<byte> responseParameters)
    {
        uint audited = (uint)TpmRh.Unassigned;
        for (int n = 0; n < count; n++)
        {
            ref var s = ref sessions[n];
            var session = s.Session;
            if (session is null || (s.Attributes & TpmaSession.Audit) == 0) continue;
            audited = session.Handle;
            if (!session.IsAudit || (s.Attributes & TpmaSession.AuditReset) != 0)
            {
                session.IsAudit = true;
                session.IsBound = false;
                session.AuditDigest = new byte[TpmAlgorithms.DigestSize(session.AuthHash)];
                ExclusiveAuditSession = session.Handle;
            }
            else if (ExclusiveAuditSession != session.Handle)
            {
                ExclusiveAuditSession = (uint)TpmRh.Unassigned;
            }
            if (ExclusiveAuditSession == session.Handle) s.Attributes |= TpmaSession.AuditExclusive;
            else s.Attributes &= ~TpmaSession.AuditExclusive;

            using var h = _crypto.HashSetup(session.AuthHash);
            h.Update(session.AuditDigest);
            h.Update(_hashes.CpHash(_crypto, session.AuthHash));
            h.Update(_hashes.RpHash(_crypto, session.AuthHash, responseParameters));
            h.Finish(session.AuditDigest);
        }
        if (audited == (uint)TpmRh.Unassigned) ExclusiveAuditSession = (uint)TpmRh.Unassigned;
    }
}
