using System.Runtime.CompilerServices;
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

/// <summary>One TPMS_AUTH_COMMAND of the authorization area (Part 2, 10.13.2), as sliced from the command.</summary>
internal struct AuthSession
{
    public uint Handle;
    public ReadOnlyMemory<byte> Nonce;
    public TpmaSession Attributes;
    public ReadOnlyMemory<byte> Hmac;
}

[InlineArray(TpmLimits.MaxSessions)]
internal struct AuthSessionArray { AuthSession _element; }

/// <summary>Parsing and answering the authorization area (Part 1, 18.2 and Part 3, 5.4).</summary>
internal static class AuthArea
{
    /// <summary>TPM_RS_PW: the password authorization session.</summary>
    public const uint PasswordSession = 0x40000009;

    /// <summary>The smallest TPMS_AUTH_COMMAND: handle, two empty TPM2Bs and the attributes.</summary>
    const int MinSessionSize = 9;

    /// <summary>Reads authorizationSize and up to three sessions (Part 3, 5.4; codes as the reference
    /// and libtpms give them): TPM_RC_SIZE for an area smaller than one session or larger than the
    /// rest of the command, TPM_RC_SIZE at session 4 for a fourth session; per-session failures
    /// numbered with the session: TPM_RC_VALUE for a handle that is no session, TPM_RC_SIZE for an
    /// oversized nonce or hmac, TPM_RC_RESERVED_BITS for reserved attributes, TPM_RC_NONCE and
    /// TPM_RC_ATTRIBUTES for a password session with a nonce or with audit/encrypt/decrypt set.</summary>
    public static TpmRc Parse(ref TpmReader reader, scoped Span<AuthSession> sessions, out int count)
    {
        count = 0;
        if (reader.ReadUInt32(out uint areaSize) != TpmRc.Success)
            return TpmRc.Insufficient;
        if (areaSize < MinSessionSize || areaSize > (uint)reader.Remaining)
            return TpmRc.Size;
        reader.ReadSubReader((int)areaSize, out var area);
        while (area.HasData)
        {
            int n = count + 1;
            if (count == sessions.Length) return TpmRc.Size.AtSession(n);
            ref var s = ref sessions[count];
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
            if (s.Handle != PasswordSession)
            {
                // HMAC and policy sessions arrive with the authorization issue: none can be loaded yet.
                return TpmRc.ReferenceS0 + (uint)(n - 1);
            }
            // A password session carries no nonce and cannot audit or encrypt (Part 1, 19.6.7).
            if (!s.Nonce.IsEmpty) return TpmRc.Nonce.AtSession(n);
            if ((s.Attributes & (TpmaSession.Audit | TpmaSession.AuditExclusive | TpmaSession.AuditReset
                                 | TpmaSession.Encrypt | TpmaSession.Decrypt)) != 0)
                return TpmRc.Attributes.AtSession(n);
        }
        return TpmRc.Success;
    }

    static bool IsSessionHandle(uint handle) =>
        handle == PasswordSession || (handle >> 24) is (byte)TpmHt.HmacSession or (byte)TpmHt.PolicySession;

    /// <summary>TPMS_AUTH_RESPONSE for a session. A password session answers with an empty nonce,
    /// continueSession set and an empty hmac (Part 1, 19.6.7).</summary>
    public static void WriteResponse(ref TpmWriter w, in AuthSession session)
    {
        w.WriteUInt16(0);
        w.WriteUInt8((byte)TpmaSession.ContinueSession);
        w.WriteUInt16(0);
    }
}
