using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;

namespace Ftpm;

// Authorization state that is not persistent (Part 1, 36 "Startup/Shutdown"): the session table, the
// null proof and the command audit digest are "state reset" data, kept by Shutdown(STATE) for a TPM
// Restart or Resume and lost at a TPM Reset; the hierarchy enables, the platform policy and the PCR
// group authValue are "state clear" data, kept only for a TPM Resume. Both go into one record of the
// NV store at Shutdown(STATE).
public sealed partial class Tpm
{
    /// <summary>TPMA_STARTUP_CLEAR phEnable, shEnable, ehEnable and phEnableNV (TPM2_HierarchyControl).</summary>
    internal bool PhEnable = true, ShEnable = true, EhEnable = true, PhEnableNv = true;

    /// <summary>TPMA_STARTUP_CLEAR readOnly (TPM2_ReadOnlyControl, 1.84): state clear data like the enables.</summary>
    internal bool ReadOnlyMode;

    /// <summary>platformPolicy and its hash (TPM2_SetPrimaryPolicy of TPM_RH_PLATFORM): volatile like platformAuth.</summary>
    internal byte[] PlatformPolicy = [];
    internal TpmAlgId PlatformPolicyAlg = TpmAlgId.Null;

    /// <summary>Identifies this power cycle: Time restarts at every _TPM_Init, so a policy timeout
    /// computed in an earlier one means nothing (the reference's g_timeEpoch).</summary>
    ulong _timeEpoch;

    /// <summary>_TPM_Init: loaded sessions are gone, and so is everything a Startup may restore.</summary>
    void AuthInit()
    {
        Sessions.Clear();
        ReadOnlyMode = false;
        ActInit();
        ExclusiveAuditSession = (uint)TpmRh.Unassigned;
        NewTimeEpoch();
        _daChanged = false;
    }

    /// <summary>A new time epoch: at _TPM_Init, and when the timer restarts (the reference's TimeNewEpoch
    /// with CLOCK_STOPS: a random nonce).</summary>
    void NewTimeEpoch()
    {
        Span<byte> epoch = stackalloc byte[8];
        Random.Generate(epoch);
        _timeEpoch = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(epoch);
    }

    /// <summary>The authorization part of TPM2_Startup (the reference's SessionStartup, HierarchyStartup and
    /// DAStartup). <paramref name="resume"/>: Startup(STATE) after Shutdown(STATE); <paramref name="restart"/>:
    /// Startup(CLEAR) after Shutdown(STATE); neither: a TPM Reset.</summary>
    internal void AuthStartup(bool resume, bool restart, bool previousShutdownWasOrderly)
    {
        byte[]? saved = _savedAuthState;
        _savedAuthState = null;
        StageRecord(NvKeys.SavedAuthState, null);
        Sessions.Clear();
        CommandAuditDigest = [];
        bool actStarted = (resume || restart) && saved is not null;
        if (actStarted) ReadAuthState(saved!, resume);
        PhEnable = true;
        if (!resume)
        {
            ShEnable = EhEnable = PhEnableNv = true;
            ReadOnlyMode = false;
            PlatformAuth = [];
            PlatformPolicy = [];
            PlatformPolicyAlg = TpmAlgId.Null;
            PcrGroupAuth = [];
        }
        if (!actStarted) ActStartup(resume: false, []);
        DaStartup(previousShutdownWasOrderly);
        StagePersistent();
    }

    /// <summary>The authorization part of TPM2_Shutdown(STATE): what a Resume or Restart brings back.</summary>
    internal void AuthShutdownState() => StageRecord(NvKeys.SavedAuthState, AuthStateRecord(shutdown: true));

    /// <summary>The authorization state a Resume or Restart brings back, as one record (also part of the
    /// volatile state a host saves, <see cref="SaveVolatileState"/>).</summary>
    internal byte[] AuthStateRecord(bool shutdown = false)
    {
        var buffer = new byte[SessionTableSavedSize];
        var w = new TpmWriter(buffer);
        Sessions.WriteSaved(ref w);
        w.WriteSized(NullProof);
        w.WriteUInt8((byte)((ShEnable ? 1 : 0) | (EhEnable ? 2 : 0) | (PhEnableNv ? 4 : 0) | (ReadOnlyMode ? 8 : 0)));
        w.WriteSized(PlatformAuth);
        w.WriteSized(PlatformPolicy);
        w.WriteUInt16((ushort)PlatformPolicyAlg);
        w.WriteSized(CommandAuditDigest);
        w.WriteSized(PcrGroupAuth);
        ActShutdownState(ref w, halve: shutdown);
        var record = w.Written.ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return record;
    }

    /// <summary>A Shutdown(STATE) authorization record, read (<see cref="ParseAuthState"/>) but not applied.</summary>
    sealed class SavedAuth
    {
        public ulong ContextCounter;
        public (uint Handle, ulong Sequence)[] SavedSessions = [];
        public byte[] NullProof = [];
        public byte Enables;
        public byte[] PlatformAuth = [], PlatformPolicy = [], AuditDigest = [], PcrGroupAuth = [];
        public TpmAlgId PlatformPolicyAlg;
        public SavedAct[] Acts = [];
    }

    /// <summary>Reads what <see cref="AuthStateRecord"/> wrote, changing nothing, and checks that every field
    /// is one the TPM could have saved (authValues and digests within their TPM2B bounds, policies as
    /// SetPrimaryPolicy sets them), so that a damaged record is found when the state loads, not by the
    /// command that would use it.</summary>
    /// <exception cref="InvalidDataException">The record is malformed.</exception>
    SavedAuth ParseAuthState(byte[] saved)
    {
        var r = new TpmReader(saved);
        var s = new SavedAuth();
        State.PersistentData.Check(Auth.SessionTable.ParseSaved(ref r, out s.ContextCounter, out s.SavedSessions));
        s.NullProof = State.PersistentData.ReadArray(ref r);
        if (s.NullProof.Length > TpmLimits.MaxDigestSize)
            throw new InvalidDataException($"saved state: a null proof of {s.NullProof.Length} octets");
        State.PersistentData.Check(r.ReadUInt8(out s.Enables));
        s.PlatformAuth = State.PersistentData.CheckAuth(State.PersistentData.ReadArray(ref r), "saved platformAuth");
        s.PlatformPolicy = State.PersistentData.ReadArray(ref r);
        State.PersistentData.Check(r.ReadUInt16(out ushort platformPolicyAlg));
        s.PlatformPolicyAlg = (TpmAlgId)platformPolicyAlg;
        State.PersistentData.CheckPolicy(s.PlatformPolicyAlg, s.PlatformPolicy, "saved platformPolicy");
        // (A record from before command audit has no digest: it starts empty.)
        if (r.HasData) s.AuditDigest = State.PersistentData.ReadArray(ref r);
        if (s.AuditDigest.Length > TpmLimits.MaxDigestSize)
            throw new InvalidDataException($"saved state: an audit digest of {s.AuditDigest.Length} octets");
        if (r.HasData) s.PcrGroupAuth = State.PersistentData.CheckAuth(State.PersistentData.ReadArray(ref r), "saved PCR group authValue");
        s.Acts = ParseActSaved(ref r);
        if (r.HasData) throw new InvalidDataException("saved state: trailing data after the authorization record");
        return s;
    }

    /// <summary>Reads what <see cref="AuthStateRecord"/> wrote: the session table, null proof and audit digest
    /// always; the state-clear data only for a <paramref name="resume"/>.</summary>
    /// <exception cref="InvalidDataException">The record is malformed (nothing is changed then).</exception>
    void ReadAuthState(byte[] saved, bool resume)
    {
        var s = ParseAuthState(saved);
        Sessions.RestoreSaved(s.ContextCounter, s.SavedSessions);
        NullProof = s.NullProof;
        CommandAuditDigest = s.AuditDigest;
        ActStartup(resume, s.Acts);
        if (resume)
        {
            ShEnable = (s.Enables & 1) != 0;
            EhEnable = (s.Enables & 2) != 0;
            PhEnableNv = (s.Enables & 4) != 0;
            ReadOnlyMode = (s.Enables & 8) != 0;
            PlatformAuth = s.PlatformAuth;
            PlatformPolicy = s.PlatformPolicy;
            PlatformPolicyAlg = s.PlatformPolicyAlg;
            PcrGroupAuth = s.PcrGroupAuth;
        }
    }

    static int SessionTableSavedSize => Auth.SessionTable.SavedSize + 5 * (2 + TpmLimits.MaxDigestSize) + 2 + 1 + 2 + ActSavedSize;

    /// <summary>The record Shutdown(STATE) wrote, read at _TPM_Init, consumed by the next Startup.</summary>
    byte[]? _savedAuthState;
}
