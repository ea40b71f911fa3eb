using System.Security.Cryptography;
using Ftpm.Auth;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 11 "Session Commands": TPM2_StartAuthSession and TPM2_PolicyRestart.</summary>
internal static partial class SessionCommands
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<StartAuthSessionIn, StartAuthSessionOut>(TpmCc.StartAuthSession, StartAuthSession)
        {
            // tpmKey: TPMI_DH_OBJECT+; bind: TPMI_DH_ENTITY+. Neither needs authorization.
            Handles =
            [
                new(HandleKinds.Object | HandleKinds.Null),
                new(HandleKinds.Hierarchy | HandleKinds.Lockout | HandleKinds.Object | HandleKinds.NvIndex
                    | HandleKinds.Pcr | HandleKinds.Null),
            ],
            ReturnsHandle = true,
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command(TpmCc.PolicyRestart, PolicyRestart) { Handles = [new(HandleKinds.PolicySession)] },
    ];

    [TpmParameters]
    internal partial struct StartAuthSessionIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> NonceCaller;
        /// <summary>TPM2B_ENCRYPTED_SECRET: up to sizeof(TPMU_ENCRYPTED_SECRET), v185 an ML-KEM-1024 ciphertext.</summary>
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> EncryptedSalt;
        [Check(nameof(TpmCheck.SessionType))] public TpmSe SessionType;
        [Check(nameof(TpmCheck.SymDef), AllowNull = true)] public TpmtSymDef Symmetric;
        [Check(nameof(TpmCheck.Hash))] public TpmAlgId AuthHash;
    }

    /// <summary>
    /// TPM2_StartAuthSession (Part 3, 11.1): an HMAC, policy or trial session; bound when bind is an
    /// entity, salted when tpmKey is a key. sessionKey = KDFa(authHash, bindAuth || salt, "ATH",
    /// nonceTPM, nonceCaller, digest bits), or empty when neither (Part 1, 19.6.8).
    /// Codes: TPM_RC_SIZE (P1) for a nonceCaller shorter than 16 octets or longer than the digest;
    /// TPM_RC_KEY (H1) for a tpmKey that is no asymmetric key; TPM_RC_VALUE (P2) for an empty salt with a
    /// key, or a salt without one; TPM_RC_HANDLE (H1) for a key with only its public part loaded;
    /// TPM_RC_ATTRIBUTES (H1) for a key without decrypt; TPM_RC_VALUE (P2) for a salt the key cannot
    /// decrypt; TPM_RC_HANDLE (H2) for binding to an object with only its public part; TPM_RC_MODE (P4)
    /// for a block cipher in another mode than CFB; TPM_RC_SESSION_MEMORY, TPM_RC_SESSION_HANDLES,
    /// TPM_RC_CONTEXT_GAP when no session can be added.
    /// </summary>
    static TpmRc StartAuthSession(Tpm tpm, ref CommandContext c, in StartAuthSessionIn p, out StartAuthSessionOut o)
    {
        o = default;
        uint tpmKey = c.Handles[0], bind = c.Handles[1];

        // Validation
        int digestSize = TpmAlgorithms.DigestSize(p.AuthHash);
        if (p.NonceCaller.Length < 16 || p.NonceCaller.Length > digestSize) return TpmRc.Size.AtParameter(StartAuthSessionIn.Param.NonceCaller);

        TpmRc rc;
        byte[] salt = [];
        if (tpmKey != (uint)TpmRh.Null)
        {
            rc = tpm.DecryptSessionSalt(tpmKey, p.EncryptedSalt.Span, out salt);
            if (rc != TpmRc.Success) return rc;
        }
        else if (!p.EncryptedSalt.IsEmpty)
        {
            return TpmRc.Value.AtParameter(StartAuthSessionIn.Param.EncryptedSalt);
        }
        if (Tpm.KindOf(bind) == HandleKinds.Transient && tpm.Objects.Get(bind) is IObjectAuthorization { PublicOnly: true })
            return TpmRc.Handle.AtHandle(2);

        rc = tpm.Sessions.Reserve(p.SessionType, out uint handle);
        if (rc != TpmRc.Success) return rc;

        // State update
        var session = new Auth.Session
        {
            Handle = handle,
            Type = p.SessionType,
            AuthHash = p.AuthHash,
            SymAlgorithm = p.Symmetric.Algorithm,
            SymKeyBits = p.Symmetric.Algorithm == TpmAlgId.Xor ? (ushort)p.Symmetric.KeyBits.Xor : p.Symmetric.KeyBits.Sym,
            NonceTpm = tpm.RandomBytes(p.NonceCaller.Length),
        };
        bool bound = bind != (uint)TpmRh.Null;
        var bindAuth = bound ? Tpm.TrimTrailingZeros(tpm.AuthValueOf(bind)).ToArray() : [];
        if (bound || salt.Length != 0)
        {
            byte[] key = [.. bindAuth, .. salt];
            session.SessionKey = new byte[digestSize];
            Kdf.KdfA(tpm.Crypto, p.AuthHash, key, "ATH"u8, session.NonceTpm, p.NonceCaller.Span, session.SessionKey);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(salt);
        }
        if (bound && p.SessionType == TpmSe.Hmac)
        {
            session.IsBound = true;
            session.BoundName = tpm.NameOf(bind);
            session.BoundAuth = bindAuth;
        }
        else
        {
            CryptographicOperations.ZeroMemory(bindAuth);
        }
        session.IsDaBound = bound && !tpm.IsDaExempt(bind);
        session.IsLockoutBound = session.IsDaBound && bind == (uint)TpmRh.Lockout;
        if (session.IsPolicy)
        {
            session.PolicyDigest = new byte[digestSize];
            session.StartTime = tpm.Time;
            session.Epoch = tpm.TimeEpoch;
        }
        tpm.Sessions.Add(session);

        // Output
        c.ResponseHandle = handle;
        o.NonceTpm = session.NonceTpm;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct StartAuthSessionOut
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> NonceTpm;
    }

    /// <summary>TPM2_PolicyRestart (Part 3, 11.2): the policy session's digest and conditions start over;
    /// the session, its nonces and keys stay.</summary>
    static TpmRc PolicyRestart(Tpm tpm, ref CommandContext c)
    {
        var session = tpm.Sessions.Get(c.Handles[0])!;
        session.ResetPolicy();
        return TpmRc.Success;
    }
}
