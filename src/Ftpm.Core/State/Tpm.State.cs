using System.Security.Cryptography;
using Ftpm.Auth;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;
using Microsoft.Extensions.Logging;

namespace Ftpm;

// All of one TPM's state, and its life cycle (Part 1, 12 "TPM Operational States" and
// 36 "Startup and Shutdown"): _TPM_Init loads persistent data, Startup decides between
// TPM Reset, Restart and Resume, every command's NV changes are committed together.
public sealed partial class Tpm
{
    bool _poweredOn;
    bool _started;
    bool _failureMode;
    /// <summary>Set by <see cref="ForceFailureMode"/>: the next command enters failure mode.</summary>
    bool _forceFailureMode;

    PersistentData _persistent = new();
    readonly List<NvChange> _pendingNv = new();
    internal readonly PcrBanks Pcrs = new();
    internal Drbg Random = null!;
    internal readonly LoadedObjects Objects = new();

    // ---- NV indices ----
    /// <summary>The NV index table (Part 1, "NV Memory"), loaded from NV at _TPM_Init.</summary>
    internal readonly NvIndices Nv = new();
    // ---- end NV indices ----

    /// <summary>platformAuth and platformPolicy: volatile, empty after every Startup(CLEAR) (Part 1, 13.5).</summary>
    internal byte[] PlatformAuth = [];

    /// <summary>The null hierarchy's proof: new at every TPM Reset (Part 1, 14.4).</summary>
    internal byte[] NullProof = [];

    /// <summary>_TPM_Hash_Start was seen since _TPM_Init (an H-CRTM measured PCR 0).</summary>
    bool _hcrtmSeen;
    byte[]? _savedState;

    internal PersistentData Persistent => _persistent;

    /// <summary>What Shutdown(STATE) saved, until the next Startup consumes it.</summary>
    internal byte[]? SavedState { get => _savedState; set => _savedState = value; }

    internal bool HcrtmSeen => _hcrtmSeen;

    /// <summary>The last Startup came from locality 3 (the reference's g_StartupLocality3); Shutdown(STATE)
    /// keeps it so that the matching Startup(STATE) must come from the same locality (Part 3, 9.3).</summary>
    internal bool StartupLocality3;

    internal bool InFailureMode => _failureMode;

    internal void MarkStarted() => _started = true;

    /// <summary>_TPM_Init: loads the persistent data (manufacturing it the first time), seeds the DRBG.</summary>
    void TpmInit()
    {
        _started = false;
        _failureMode = false;
        _forceFailureMode = false;
        _hcrtmSeen = false;
        _pendingNv.Clear();
        Random = new Drbg(_crypto, _platform, "ftpm DRBG"u8);
        var snapshot = _store.Load();
        if (snapshot.Records.TryGetValue(NvKeys.Persistent, out var data))
        {
            _persistent = PersistentData.Deserialize(data);
        }
        else
        {
            _persistent = Manufacture();
            StagePersistent();
            // Until the new seeds are durable no command may use them (see Dispatch).
            _manufacturePending = !TryCommitNv();
        }
        _savedState = snapshot.Records.TryGetValue(NvKeys.SavedState, out var saved) ? saved : null;
        _savedAuthState = snapshot.Records.TryGetValue(NvKeys.SavedAuthState, out var savedAuth) ? savedAuth : null;
        Nv.Load(snapshot.Records);
        Persistents.Validate(this);
        CommitInit(snapshot);
        DropUnreadableSavedState();
        ClockInit();
        AuthInit();
    }

    /// <summary>
    /// Checks what Shutdown(STATE) saved (PCRs, authorization and commit records) before a Startup uses it.
    /// A damaged record is stored data, not an engine bug: like the reference when a TPM Resume cannot
    /// recover its saved state, the TPM continues as if no state had been saved, so Startup(STATE) fails
    /// with TPM_RC_VALUE and Startup(CLEAR) is a TPM Reset (Part 1, 36.4-36.6) that starts from nothing the
    /// record held. All three records go together: a Resume from some of them would be half a Resume.
    /// </summary>
    void DropUnreadableSavedState()
    {
        if (_savedState is null && _savedAuthState is null && _savedCommitState is null) return;
        string? problem = null;
        if (_savedState is not null && !PcrBanks.IsSavedState(_savedState)) problem = "the saved PCR record is malformed";
        else if (_savedCommitState is not null && _savedCommitState.Length != CommitStateLength) problem = "the saved commit record is malformed";
        else if (_savedAuthState is not null)
        {
            try
            {
                ParseAuthState(_savedAuthState);
            }
            catch (InvalidDataException e)
            {
                problem = e.Message;
            }
        }
        if (problem is null) return;
        _logger.LogWarning("The state saved by TPM2_Shutdown(STATE) is damaged ({Problem}): it is ignored, so TPM2_Startup(STATE) fails and TPM2_Startup(CLEAR) is a TPM Reset", problem);
        _savedState = _savedAuthState = _savedCommitState = null;
    }

    /// <summary>TPM_Manufacture: fresh seeds and proofs, everything else at its default.</summary>
    PersistentData Manufacture()
    {
        var p = new PersistentData
        {
            EndorsementSeed = RandomBytes(64),
            StorageSeed = RandomBytes(64),
            PlatformSeed = RandomBytes(64),
            PlatformProof = RandomBytes(64),
            StorageProof = RandomBytes(64),
            EndorsementProof = RandomBytes(64),
            Manufactured = true,
            PpCommands = Ftpm.Dispatch.CommandTable.PhysicalPresenceDefaults(),
            // A new TPM starts as if after an orderly TPM2_Shutdown(CLEAR): Clock is safe.
            OrderlyState = (ushort)TpmSu.Clear,
        };
        return p;
    }

    internal byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        Random.Generate(b);
        return b;
    }

    void DropVolatileState()
    {
        Objects.Clear();
        SavedKeys.Clear();
        foreach (var op in _hcrtmOperations ?? []) op.Dispose();
        _hcrtmOperations = null;
        _hcrtmDigests = null;
        _pendingNv.Clear();
    }

    /// <summary>Marks the persistent data as changed by the running command.</summary>
    internal void StagePersistent() => StageRecord(NvKeys.Persistent, null);

    /// <summary>Adds a record write (or, with null data and a key other than Persistent, a removal) to the running command's NV transaction.</summary>
    internal void StageRecord(uint key, byte[]? data)
    {
        for (int i = 0; i < _pendingNv.Count; i++)
            if (_pendingNv[i].Key == key) { _pendingNv[i] = new NvChange(key, data); return; }
        _pendingNv.Add(new NvChange(key, data));
    }

    /// <summary>
    /// Commits the running command's NV changes atomically. A store that fails is not an engine bug
    /// (disk full, read-only, I/O error): the changes the command made to NV-backed memory are undone
    /// from the store's last commit (<see cref="RestoreFromStore"/>), the error is logged, and the caller
    /// fails the command with TPM_RC_NV_UNAVAILABLE; the TPM keeps serving, and the next commit after the
    /// storage recovers succeeds. Returns false when the store failed.
    /// </summary>
    /// <param name="keepMemory">Keep memory as the command left it (the dictionary-attack count of a
    /// failed authorization: undoing it would hand out uncounted guesses); it is written with the next commit.</param>
    bool TryCommitNv(bool keepMemory = false)
    {
        ClockMaybePersist();
        bool commandChanges = _pendingNv.Count > 0;
        // Persistent data a failed commit left unsaved rides along with every commit until one succeeds.
        if (_persistentUnsaved) StagePersistent();
        if (_pendingNv.Count == 0) return true;
        for (int i = 0; i < _pendingNv.Count; i++)
            if (_pendingNv[i].Key == NvKeys.Persistent)
                _pendingNv[i] = new NvChange(NvKeys.Persistent, _persistent.Serialize());
        try
        {
            _store.Commit(_pendingNv);
        }
        catch (Exception e)
        {
            _logger.LogError("NV commit failed, the command fails with TPM_RC_NV_UNAVAILABLE and changes nothing: {Reason}", e.Message);
            if (keepMemory || !commandChanges)
            {
                // Only carried data (or data that must stay): nothing of the command to undo.
                if (_pendingNv.Exists(c => c.Key == NvKeys.Persistent)) _persistentUnsaved = true;
            }
            else
            {
                RestoreFromStore();
            }
            _pendingNv.Clear();
            // A command that changed nothing itself is not failed by a pending save.
            return !commandChanges;
        }
        _persistentUnsaved = false;
        _pendingNv.Clear();
        return true;
    }

    /// <summary>Persistent data in memory is newer than the store's (a commit failed); the dictionary-attack
    /// check refuses authorizations until it is written (Part 1, 19.8: a failure must be recorded).</summary>
    bool _persistentUnsaved;

    /// <summary>_TPM_Init manufactured new seeds that the store could not save yet.</summary>
    bool _manufacturePending;

    internal bool PersistentUnsaved => _persistentUnsaved;

    /// <summary>
    /// Undoes, record by record, what the running command changed in NV-backed memory: each staged key is
    /// brought back to the store's last commit. Values that must never go back stay as memory has them
    /// (dictionary-attack count and lockout, the highest deleted counter value, Clock; orderly indices'
    /// data, which lives in RAM): they are saved with the next successful commit.
    /// </summary>
    void RestoreFromStore()
    {
        var records = _store.Load().Records;
        foreach (var change in _pendingNv)
        {
            records.TryGetValue(change.Key, out var stored);
            switch (change.Key)
            {
                case NvKeys.Persistent:
                    if (stored is null) { _persistentUnsaved = true; break; }
                    var memory = _persistent;
                    var restored = PersistentData.Deserialize(stored);
                    _persistentUnsaved |= restored.KeepMonotonic(memory);
                    _persistent = restored;
                    break;
                case NvKeys.SavedState:
                    _savedState = stored;
                    break;
                case NvKeys.SavedAuthState:
                    _savedAuthState = stored;
                    break;
                case NvKeys.SavedCommitState:
                    _savedCommitState = stored;
                    break;
                default:
                    if (NvIndices.IsIndexKey(change.Key)) Nv.Restore(change.Key, stored);
                    else if (change.Key >> 24 == (uint)TpmHt.Persistent) Persistents.Restore(this, change.Key, stored);
                    break;
            }
        }
    }

    /// <summary>The kind of a handle value (Part 2, 7.2 TPM_HT and 7.4 TPM_RH).</summary>
    internal static HandleKinds KindOf(uint handle) => (handle >> 24) switch
    {
        (uint)TpmHt.Pcr when handle < TpmLimits.PcrCount => HandleKinds.Pcr,
        (uint)TpmHt.NvIndex => HandleKinds.NvIndex,
        (uint)TpmHt.ExternalNv => HandleKinds.ExternalNv,
        (uint)TpmHt.PermanentNv => HandleKinds.PermanentNv,
        // HMAC_SESSION_FIRST..LAST and POLICY_SESSION_FIRST..LAST: MAX_ACTIVE_SESSIONS handles each.
        (uint)TpmHt.HmacSession when (handle & 0x00FFFFFF) < SessionTable.MaxActive => HandleKinds.HmacSession,
        (uint)TpmHt.PolicySession when (handle & 0x00FFFFFF) < SessionTable.MaxActive => HandleKinds.PolicySession,
        // TRANSIENT_FIRST..TRANSIENT_LAST: MAX_LOADED_OBJECTS handles (Part 2, 7.4; the reference's
        // TPMI_DH_OBJECT unmarshal rejects the rest with TPM_RC_VALUE).
        (uint)TpmHt.Transient when (handle & 0x00FFFFFF) < LoadedObjects.Capacity => HandleKinds.Transient,
        (uint)TpmHt.Persistent => HandleKinds.Persistent,
        (uint)TpmHt.Permanent => (TpmRh)handle switch
        {
            TpmRh.Owner => HandleKinds.Owner,
            TpmRh.Endorsement => HandleKinds.Endorsement,
            TpmRh.Platform => HandleKinds.Platform,
            TpmRh.Lockout => HandleKinds.Lockout,
            TpmRh.Null => HandleKinds.Null,
            TpmRh.PlatformNv => HandleKinds.PlatformNv,
            >= TpmRh.Act0 and <= TpmRh.ActF => HandleKinds.Act,
            _ => HandleKinds.None,
        },
        _ => HandleKinds.None,
    };

    /// <summary>Whether a hierarchy's objects may be used (Part 1, 13.3 "Hierarchy enables"; the
    /// reference's HierarchyIsEnabled): its enable for owner, endorsement and platform, always for
    /// TPM_RH_NULL.</summary>
    internal bool IsHierarchyEnabled(uint hierarchy) => hierarchy switch
    {
        (uint)TpmRh.Owner => ShEnable,
        (uint)TpmRh.Endorsement => EhEnable,
        (uint)TpmRh.Platform => PhEnable,
        _ => true,
    };

    /// <summary>A handle of a kind the command does not take fails its TPMI_ unmarshal with TPM_RC_VALUE;
    /// one that names nothing loaded is TPM_RC_HANDLE (Part 3, 5.3).</summary>
    TpmRc CheckHandle(uint handle, HandleKinds accepted)
    {
        var kind = KindOf(handle);
        if ((kind & accepted) == 0) return TpmRc.Value;
        return kind switch
        {
            // A transient object that is not loaded is the warning TPM_RC_REFERENCE_H0 + n (the
            // reference's EntityGetLoadStatus), so that a resource manager can load it and retry.
            HandleKinds.Transient => Objects.Get(handle) is null ? TpmRc.ReferenceH0 : TpmRc.Success,
            // A persistent object of a disabled hierarchy is TPM_RC_HIERARCHY (the reference's ObjectLoadEvict).
            HandleKinds.Persistent => !Persistents.Contains(this, handle) ? TpmRc.Handle
                : IsHierarchyEnabled(PersistentObjects.Get(this, handle)!.Hierarchy) ? TpmRc.Success : TpmRc.Hierarchy,
            HandleKinds.NvIndex => Nv.CheckHandle(handle, ShEnable, PhEnableNv),
            // External and permanent NV indices pass TPMI_RH_NV_INDEX but none exist (the reference's
            // EntityGetLoadStatus answers TPM_RC_VALUE for both types).
            HandleKinds.ExternalNv or HandleKinds.PermanentNv => TpmRc.Value,
            // A session handle names a loaded session of its type (else TPM_RC_REFERENCE_H0 + n, or
            // TPM_RC_HANDLE for an HMAC session named as a policy session and the reverse).
            HandleKinds.HmacSession or HandleKinds.PolicySession => Sessions.Get(handle) is not { } s
                ? TpmRc.ReferenceH0 : s.Handle == handle ? TpmRc.Success : TpmRc.Handle,
            // A disabled hierarchy is TPM_RC_HIERARCHY (TPM2_HierarchyControl).
            HandleKinds.Owner => ShEnable ? TpmRc.Success : TpmRc.Hierarchy,
            HandleKinds.Endorsement => EhEnable ? TpmRc.Success : TpmRc.Hierarchy,
            HandleKinds.Platform => PhEnable ? TpmRc.Success : TpmRc.Hierarchy,
            // An ACT this TPM does not implement fails like an invalid hierarchy (the reference's EntityGetLoadStatus).
            HandleKinds.Act => IsActImplemented(handle) ? TpmRc.Success : TpmRc.Value,
            _ => TpmRc.Success,
        };
    }

    /// <summary>The Name of an entity (Part 1, 16): for PCRs, permanent handles and sessions the handle
    /// itself (4 octets, big-endian); for objects and NV indices nameAlg || H(public area).</summary>
    internal byte[] NameOf(uint handle) => KindOf(handle) switch
    {
        HandleKinds.Transient => Objects.Get(handle)?.Name ?? HandleName(handle),
        HandleKinds.NvIndex => Nv.NameOf(_crypto, handle) ?? HandleName(handle),
        HandleKinds.Persistent => KeyOf(handle)?.Name ?? HandleName(handle),
        _ => HandleName(handle),
    };

    internal static byte[] HandleName(uint handle)
    {
        var name = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(name, handle);
        return name;
    }

    /// <summary>The authValue of an entity (Part 1, 19.7).</summary>
    internal ReadOnlySpan<byte> AuthValueOf(uint handle) => KindOf(handle) switch
    {
        HandleKinds.Owner => _persistent.OwnerAuth,
        HandleKinds.Endorsement => _persistent.EndorsementAuth,
        HandleKinds.Lockout => _persistent.LockoutAuth,
        HandleKinds.Platform => PlatformAuth,
        // An ACT is authorized with platformAuth (Part 1, 37; the reference's EntityGetAuthValue).
        HandleKinds.Act => PlatformAuth,
        HandleKinds.Pcr => PcrAuthValueOf(handle),
        HandleKinds.Transient => Objects.Get(handle)!.AuthValue,
        HandleKinds.NvIndex => Nv.AuthValueOf(handle),
        HandleKinds.Persistent => KeyOf(handle)!.AuthValue,
        _ => [],
    };

    /// <summary>Entities outside dictionary-attack protection (Part 1, 19.8.4): PCRs, every permanent
    /// handle but TPM_RH_LOCKOUT, and objects with noDA (sequences are noDA).</summary>
    internal bool IsDaExempt(uint handle) => KindOf(handle) switch
    {
        HandleKinds.Lockout => false,
        HandleKinds.Transient => Objects.Get(handle)?.NoDa ?? true,
        HandleKinds.NvIndex => Nv.IsDaExempt(handle),
        HandleKinds.Persistent => KeyOf(handle)?.NoDa ?? true,
        _ => true,
    };

    internal static ReadOnlySpan<byte> TrimTrailingZeros(ReadOnlySpan<byte> value)
    {
        int n = value.Length;
        while (n > 0 && value[n - 1] == 0) n--;
        return value[..n];
    }

    /// <summary>The proof of a hierarchy, the key of its tickets (Part 1, 14.4).</summary>
    internal ReadOnlySpan<byte> ProofOf(uint hierarchy) => (TpmRh)hierarchy switch
    {
        TpmRh.Owner => _persistent.StorageProof,
        TpmRh.Endorsement => _persistent.EndorsementProof,
        TpmRh.Platform => _persistent.PlatformProof,
        _ => NullProof,
    };
}
