using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Auth;

/// <summary>What a policy session requires of the command it authorizes besides its policyDigest
/// (Part 1, 19.7.x): at most one of cpHash, nameHash, templateHash or parametersHash is set.</summary>
internal enum PolicyHashKind : byte
{
    None,
    CpHash,
    NameHash,
    TemplateHash,
    ParametersHash,
}

/// <summary>
/// One HMAC, policy or trial session (Part 1, 19.6 and 19.7): what TPM2_StartAuthSession created and
/// what each use changes. The fields are the reference's SESSION, named by the spec's terms.
/// </summary>
internal sealed class Session
{
    public uint Handle;
    public TpmSe Type;
    public TpmAlgId AuthHash;

    /// <summary>The parameter-encryption algorithm (TPMT_SYM_DEF): NULL, XOR (hash in KeyBits) or AES-CFB.</summary>
    public TpmAlgId SymAlgorithm = TpmAlgId.Null;
    public ushort SymKeyBits;

    /// <summary>KDFa(authHash, bindAuth || salt, "ATH", nonceTPM, nonceCaller, digest bits); empty for an
    /// unbound, unsalted session (Part 1, 19.6.8).</summary>
    public byte[] SessionKey = [];

    /// <summary>The TPM's last nonce (nonceOlder of the next command); its size is fixed at start.</summary>
    public byte[] NonceTpm = [];

    /// <summary>An HMAC session bound to an entity: its Name and authValue when the session started
    /// (Part 1, 19.6.10). Using the session for that entity leaves the authValue out of the HMAC key.</summary>
    public bool IsBound;
    public byte[] BoundName = [];
    public byte[] BoundAuth = [];

    /// <summary>Bound to a DA-protected entity (Part 1, 19.8): the session is refused while in lockout.</summary>
    public bool IsDaBound;
    public bool IsLockoutBound;

    /// <summary>Set per command: the authValue of the authorized entity is part of the HMAC key.</summary>
    public bool IncludeAuth;

    // ---- Policy sessions (Part 1, 19.7) ----
    public byte[] PolicyDigest = [];
    /// <summary>TPM2_PolicyCommandCode: 0 when any command is allowed.</summary>
    public TpmCc CommandCode;
    /// <summary>TPM2_PolicyLocality: the TPMA_LOCALITY octet, 0 when any locality is allowed.</summary>
    public byte CommandLocality;
    public PolicyHashKind HashKind;
    public byte[] PolicyHash = [];
    /// <summary>TPM2_PolicyPCR: the PCR update counter the policy was computed at; 0 when unused.</summary>
    public uint PcrCounter;
    public bool PcrCounterSet;
    /// <summary>Time (ms since _TPM_Init) at which the session expires; 0: never.</summary>
    public ulong Timeout;
    /// <summary>Time when the session started or last rolled its nonce (policy timeouts count from it).</summary>
    public ulong StartTime;
    /// <summary>The power cycle the times belong to: a session saved across one has an unknown age.</summary>
    public ulong Epoch;
    public bool IsPasswordNeeded;
    public bool IsAuthValueNeeded;
    public bool IsPpRequired;
    public bool CheckNvWritten;
    public bool NvWrittenState;

    /// <summary>TPM2_PolicyTransportSPDM (1.84): the authorized command must come through an SPDM secure
    /// channel, and (CheckReqKey, CheckTpmKey) with the keys whose Names hash to ScKeyNameHash.</summary>
    public bool CheckSecureChannel, CheckReqKey, CheckTpmKey;
    public byte[] ScKeyNameHash = [];

    // ---- Audit sessions (Part 1, 19.6.9 audit) ----
    public bool IsAudit;
    public byte[] AuditDigest = [];

    public bool IsPolicy => Type != TpmSe.Hmac;
    public bool IsTrial => Type == TpmSe.Trial;

    /// <summary>Clears what policy commands accumulated (TPM2_PolicyRestart, and each time a policy
    /// session that authorized a command continues): Part 3, 23.x and the reference's SessionResetPolicyData.</summary>
    public void ResetPolicy()
    {
        Array.Clear(PolicyDigest);
        CommandCode = 0;
        CommandLocality = 0;
        HashKind = PolicyHashKind.None;
        PolicyHash = [];
        PcrCounter = 0;
        PcrCounterSet = false;
        Timeout = 0;
        IsPasswordNeeded = false;
        IsAuthValueNeeded = false;
        IsPpRequired = false;
        CheckNvWritten = false;
        NvWrittenState = false;
        CheckSecureChannel = CheckReqKey = CheckTpmKey = false;
        ScKeyNameHash = [];
    }

    public void Wipe()
    {
        CryptographicOperations.ZeroMemory(SessionKey);
        CryptographicOperations.ZeroMemory(BoundAuth);
    }

    // ---- Context blob (TPM2_ContextSave of a session) ----------------------------------------

    const byte BlobVersion = 1;

    /// <summary>The session's state as the plaintext of a context blob.</summary>
    public byte[] Serialize()
    {
        var buffer = new byte[1024];
        var w = new TpmWriter(buffer);
        w.WriteUInt8(BlobVersion);
        w.WriteUInt32(Handle);
        w.WriteUInt8((byte)Type);
        w.WriteUInt16((ushort)AuthHash);
        w.WriteUInt16((ushort)SymAlgorithm);
        w.WriteUInt16(SymKeyBits);
        w.WriteSized(SessionKey);
        w.WriteSized(NonceTpm);
        w.WriteUInt8(Flags(IsBound, IsDaBound, IsLockoutBound, IncludeAuth, IsPasswordNeeded, IsAuthValueNeeded, IsPpRequired, CheckNvWritten));
        w.WriteUInt8(Flags(NvWrittenState, IsAudit, PcrCounterSet, CheckSecureChannel, CheckReqKey, CheckTpmKey, false, false));
        w.WriteSized(BoundName);
        w.WriteSized(BoundAuth);
        w.WriteSized(PolicyDigest);
        w.WriteUInt32((uint)CommandCode);
        w.WriteUInt8(CommandLocality);
        w.WriteUInt8((byte)HashKind);
        w.WriteSized(PolicyHash);
        w.WriteUInt32(PcrCounter);
        w.WriteUInt64(Timeout);
        w.WriteUInt64(StartTime);
        w.WriteUInt64(Epoch);
        w.WriteSized(AuditDigest);
        w.WriteSized(ScKeyNameHash);
        var result = w.Written.ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return result;
    }

    static byte Flags(bool b0, bool b1, bool b2, bool b3, bool b4, bool b5, bool b6, bool b7) =>
        (byte)((b0 ? 1 : 0) | (b1 ? 2 : 0) | (b2 ? 4 : 0) | (b3 ? 8 : 0) | (b4 ? 16 : 0) | (b5 ? 32 : 0) | (b6 ? 64 : 0) | (b7 ? 128 : 0));

    /// <summary>Reads a blob written by <see cref="Serialize"/>. The blob passed the context integrity
    /// check, so it is one this TPM wrote; a malformed one still gives null, never an exception.</summary>
    public static Session? Deserialize(ReadOnlyMemory<byte> data)
    {
        var r = new TpmReader(data);
        var s = new Session();
        if (r.ReadUInt8(out byte version) != TpmRc.Success || version != BlobVersion) return null;
        bool ok = r.ReadUInt32(out s.Handle) == TpmRc.Success;
        ok &= r.ReadUInt8(out byte type) == TpmRc.Success;
        ok &= r.ReadUInt16(out ushort hash) == TpmRc.Success;
        ok &= r.ReadUInt16(out ushort sym) == TpmRc.Success;
        ok &= r.ReadUInt16(out s.SymKeyBits) == TpmRc.Success;
        ok &= ReadArray(ref r, out s.SessionKey);
        ok &= ReadArray(ref r, out s.NonceTpm);
        ok &= r.ReadUInt8(out byte f1) == TpmRc.Success;
        ok &= r.ReadUInt8(out byte f2) == TpmRc.Success;
        ok &= ReadArray(ref r, out s.BoundName);
        ok &= ReadArray(ref r, out s.BoundAuth);
        ok &= ReadArray(ref r, out s.PolicyDigest);
        ok &= r.ReadUInt32(out uint cc) == TpmRc.Success;
        ok &= r.ReadUInt8(out s.CommandLocality) == TpmRc.Success;
        ok &= r.ReadUInt8(out byte kind) == TpmRc.Success;
        ok &= ReadArray(ref r, out s.PolicyHash);
        ok &= r.ReadUInt32(out s.PcrCounter) == TpmRc.Success;
        ok &= r.ReadUInt64(out s.Timeout) == TpmRc.Success;
        ok &= r.ReadUInt64(out s.StartTime) == TpmRc.Success;
        ok &= r.ReadUInt64(out s.Epoch) == TpmRc.Success;
        ok &= ReadArray(ref r, out s.AuditDigest);
        ok &= ReadArray(ref r, out s.ScKeyNameHash);
        if (!ok || r.HasData) return null;
        s.Type = (TpmSe)type;
        s.AuthHash = (TpmAlgId)hash;
        s.SymAlgorithm = (TpmAlgId)sym;
        s.CommandCode = (TpmCc)cc;
        s.HashKind = (PolicyHashKind)kind;
        s.IsBound = (f1 & 1) != 0; s.IsDaBound = (f1 & 2) != 0; s.IsLockoutBound = (f1 & 4) != 0;
        s.IncludeAuth = (f1 & 8) != 0; s.IsPasswordNeeded = (f1 & 16) != 0; s.IsAuthValueNeeded = (f1 & 32) != 0;
        s.IsPpRequired = (f1 & 64) != 0; s.CheckNvWritten = (f1 & 128) != 0;
        s.NvWrittenState = (f2 & 1) != 0; s.IsAudit = (f2 & 2) != 0; s.PcrCounterSet = (f2 & 4) != 0;
        s.CheckSecureChannel = (f2 & 8) != 0; s.CheckReqKey = (f2 & 16) != 0; s.CheckTpmKey = (f2 & 32) != 0;
        if (!TpmAlgorithms.IsHash(s.AuthHash) || s.Type is not (TpmSe.Hmac or TpmSe.Policy or TpmSe.Trial)) return null;
        return s;
    }

    static bool ReadArray(ref TpmReader r, out byte[] value)
    {
        if (r.ReadSized(ushort.MaxValue, out var m) != TpmRc.Success) { value = []; return false; }
        value = m.ToArray();
        return true;
    }
}
