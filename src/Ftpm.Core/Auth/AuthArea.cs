using System.Runtime.CompilerServices;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Auth;

/// <summary>TPMA_SESSION (Part 2, 8.4). Bits 3 and 4 are reserved.</summary>
[Flags]
internal enum TpmaSession : byte
{
    ContinueSession = 0x01,
    AuditExclusive = 0x02,
    AuditReset = 0x04,
    Reserved = 0x18,
    Decrypt = 0x20,
    Encrypt = 0x40,
    Audit = 0x80,
}

/// <summary>One TPMS_AUTH_COMMAND of the authorization area (Part 2, 10.13.2), as sliced from the
/// command, and what the dispatcher learns about it: its session and the handle it authorizes.</summary>
internal struct AuthCommand
{
    public uint Handle;
    public ReadOnlyMemory<byte> Nonce;
    public TpmaSession Attributes;
    public ReadOnlyMemory<byte> Hmac;

    /// <summary>The loaded session (null for the password session).</summary>
    public Session? Session;

    /// <summary>The command handle this session authorizes, when <see cref="Authorizes"/>.</summary>
    public uint AssociatedHandle;
    public bool Authorizes;
    public AuthRole Role;

    /// <summary>The authValue of a transient entity as the command found it: the response HMAC needs it
    /// after a command that flushes the entity (SequenceComplete, EventSequenceComplete).</summary>
    public byte[]? EntityAuth;

    public readonly bool IsPassword => Handle == AuthArea.PasswordSession;
}

[InlineArray(TpmLimits.MaxSessions)]
internal struct AuthCommandArray { AuthCommand _element; }

/// <summary>Where in the authorization area the decrypt, encrypt and audit sessions are (-1: none).</summary>
internal struct SessionRoles
{
    public int Decrypt;
    public int Encrypt;
    public int Audit;

    public static SessionRoles None => new() { Decrypt = -1, Encrypt = -1, Audit = -1 };
}

/// <summary>Parsing and answering the authorization area (Part 1, 18.2; Part 3, 5.4).</summary>
internal static class AuthArea
{
    /// <summary>TPM_RS_PW: the password authorization session.</summary>
    public const uint PasswordSession = 0x40000009;

    /// <summary>The smallest TPMS_AUTH_COMMAND: handle, two empty TPM2Bs and the attributes.</summary>
    const int MinSessionSize = 9;

    /// <summary>
    /// Reads authorizationSize and up to three sessions, checking each as it is read (the reference's
    /// RetrieveSessionData; codes as the reference and libtpms give them): TPM_RC_SIZE for an area
    /// smaller than one session or larger than the rest of the command, TPM_RC_SIZE at session 4 for a
    /// fourth session; per session: TPM_RC_VALUE for a handle that is no session, TPM_RC_SIZE for an
    /// oversized nonce or hmac, TPM_RC_RESERVED_BITS for reserved attributes; for the password session
    /// TPM_RC_ATTRIBUTES (audit, encrypt, decrypt) and TPM_RC_NONCE (a nonce); for other sessions
    /// TPM_RC_REFERENCE_S0 + n when not loaded, TPM_RC_HANDLE for a type that does not match or a session
    /// listed twice, TPM_RC_ATTRIBUTES for decrypt/encrypt the command does not allow or a second one,
    /// TPM_RC_SYMMETRIC for decrypt/encrypt with a session without a cipher, TPM_RC_ATTRIBUTES for a
    /// second audit session or a policy session with audit, and TPM_RC_EXCLUSIVE when auditExclusive is
    /// asked of a session that is not the exclusive audit session.
    /// </summary>
    public static TpmRc Parse(ref TpmReader reader, scoped Span<AuthCommand> sessions, out int count,
        SessionTable table, CommandInfo info, uint exclusiveAuditSession, out SessionRoles roles)
    {
        count = 0;
        roles = SessionRoles.None;
        if (reader.ReadUInt32(out uint areaSize) != TpmRc.Success)
            return TpmRc.Insufficient;
        if (areaSize < MinSessionSize || areaSize > (uint)reader.Remaining)
            return TpmRc.Size;
        // Startup and the context commands take no sessions at all (Part 3, 5.x).
        if (info.NoSessions) return TpmRc.AuthContext;
        reader.ReadSubReader((int)areaSize, out var area);
        while (area.HasData)
        {
            int n = count + 1;
            if (count == sessions.Length) return TpmRc.Size.AtSession(n);
            ref var s = ref sessions[count];
            s = default;
            var rc = area.ReadUInt32(out s.Handle);
            if (rc != TpmRc.Success) return rc.AtSession(n);
            if (!IsSessionHandle(s.Handle)) return TpmRc.Value.AtSession(n);
            rc = area.ReadSized(TpmLimits.MaxAuthSize, out s.Nonce);
            if (rc != TpmRc.Success) return rc.AtSession(n);
            rc = area.ReadUInt8(out byte attributes);
            if (rc != TpmRc.Success) return rc.AtSession(n);
            s.Attributes = (TpmaSession)attributes;
            if ((s.Attributes & TpmaSession.Reserved) != 0) return TpmRc.ReservedBits.AtSession(n);
            rc = area.ReadSized(TpmLimits.MaxAuthSize, out s.Hmac);
            if (rc != TpmRc.Success) return rc.AtSession(n);
            count++;

            if (s.IsPassword)
            {
                // A password session carries no nonce and cannot audit or encrypt (Part 1, 19.6.7).
                if ((s.Attributes & (TpmaSession.Audit | TpmaSession.AuditExclusive | TpmaSession.AuditReset
                                     | TpmaSession.Encrypt | TpmaSession.Decrypt)) != 0)
                    return TpmRc.Attributes.AtSession(n);
                if (!s.Nonce.IsEmpty) return TpmRc.Nonce.AtSession(n);
                continue;
            }

            var session = table.Get(s.Handle);
            if (session is null) return TpmRc.ReferenceS0 + (uint)(n - 1);
            // The handle's type must be the session's: 0x02 HMAC, 0x03 policy (and trial).
            if (session.Handle != s.Handle) return TpmRc.Handle.AtSession(n);
            for (int i = 0; i < count - 1; i++)
                if (sessions[i].Handle == s.Handle) return TpmRc.Handle.AtSession(n);
            s.Session = session;

            // Part 1, 21.2: at most one session decrypts the first command parameter and one encrypts
            // the first response parameter, only where the command has a TPM2B there, with a cipher.
            if ((s.Attributes & TpmaSession.Decrypt) != 0)
            {
                if (!info.DecryptFirstParameter || roles.Decrypt >= 0) return TpmRc.Attributes.AtSession(n);
                if (session.SymAlgorithm == TpmAlgId.Null) return TpmRc.Symmetric.AtSession(n);
                roles.Decrypt = count - 1;
            }
            if ((s.Attributes & TpmaSession.Encrypt) != 0)
            {
                if (!info.EncryptFirstResponseParameter || roles.Encrypt >= 0) return TpmRc.Attributes.AtSession(n);
                if (session.SymAlgorithm == TpmAlgId.Null) return TpmRc.Symmetric.AtSession(n);
                roles.Encrypt = count - 1;
            }
            if ((s.Attributes & TpmaSession.Audit) != 0)
            {
                // Part 1, 19.6.9 (audit): one audit session per command, never a policy session.
                if (roles.Audit >= 0 || session.IsPolicy) return TpmRc.Attributes.AtSession(n);
                if ((s.Attributes & TpmaSession.AuditReset) == 0 && session.IsAudit
                    && (s.Attributes & TpmaSession.AuditExclusive) != 0 && exclusiveAuditSession != s.Handle)
                    return TpmRc.Exclusive;
                roles.Audit = count - 1;
            }
        }
        return TpmRc.Success;
    }

    /// <summary>TPMI_SH_AUTH_SESSION+PW: TPM_RS_PW or a handle in HMAC_SESSION_FIRST..LAST or
    /// POLICY_SESSION_FIRST..LAST.</summary>
    static bool IsSessionHandle(uint handle) =>
        handle == PasswordSession || Tpm.KindOf(handle) is HandleKinds.HmacSession or HandleKinds.PolicySession;
}
