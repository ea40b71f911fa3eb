using Ftpm.Marshal;

namespace Ftpm.Auth;

/// <summary>
/// The active sessions (Part 1, 30.x "Session Context Management"): each of MAX_ACTIVE_SESSIONS
/// handle indices is free, loaded (its state in TPM memory) or saved (its state in a context blob
/// the caller holds; the TPM keeps only the blob's sequence number, so an old blob cannot be
/// replayed). At most MAX_LOADED_SESSIONS are loaded at once. A session keeps its index, and so its
/// handle (HMAC_SESSION_FIRST or POLICY_SESSION_FIRST + index), from StartAuthSession to its flush.
/// </summary>
internal sealed class SessionTable
{
    /// <summary>MAX_ACTIVE_SESSIONS (TPM_PT_ACTIVE_SESSIONS_MAX).</summary>
    public const int MaxActive = 64;

    /// <summary>MAX_LOADED_SESSIONS (TPM_PT_HR_LOADED_MIN); the PC Client minimum, as libtpms.</summary>
    public const int MaxLoaded = 3;

    public const uint HmacSessionFirst = 0x02000000;
    public const uint PolicySessionFirst = 0x03000000;

    /// <summary>The reference tracks saved contexts in 16 bits: a new context may not take a sequence
    /// whose low 16 bits equal a saved one's (TPM_PT_CONTEXT_GAP_MAX = 0xFFFF).</summary>
    public const ulong ContextGapLimit = 0x10000;

    readonly Session?[] _loaded = new Session?[MaxActive];
    readonly uint[] _savedHandle = new uint[MaxActive];
    readonly ulong[] _savedSequence = new ulong[MaxActive];

    /// <summary>The sequence number the next saved session context gets (TPMS_CONTEXT.sequence).</summary>
    public ulong ContextCounter = 1;

    static int IndexOf(uint handle) => (int)(handle & 0x00FFFFFF);

    /// <summary>The loaded session with the index of <paramref name="handle"/> (whatever its type), or null.</summary>
    public Session? Get(uint handle)
    {
        int index = IndexOf(handle);
        return index < MaxActive ? _loaded[index] : null;
    }

    /// <summary>A loaded session whose type matches the handle's (HMAC 0x02, policy and trial 0x03).</summary>
    public Session? GetExact(uint handle)
    {
        var s = Get(handle);
        return s is not null && s.Handle == handle ? s : null;
    }

    public bool IsSaved(uint handle)
    {
        int index = IndexOf(handle);
        return index < MaxActive && _savedSequence[index] != 0;
    }

    public int LoadedCount
    {
        get { int n = 0; foreach (var s in _loaded) if (s is not null) n++; return n; }
    }

    public int ActiveCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < MaxActive; i++) if (_loaded[i] is not null || _savedSequence[i] != 0) n++;
            return n;
        }
    }

    /// <summary>Handles of loaded sessions, ascending by index (TPM_CAP_HANDLES, TPM_HT_LOADED_SESSION).</summary>
    public IEnumerable<uint> LoadedHandles()
    {
        for (int i = 0; i < MaxActive; i++)
            if (_loaded[i] is { } s) yield return s.Handle;
    }

    /// <summary>Handles of saved sessions (TPM_HT_SAVED_SESSION): listed with the HMAC session type, as the reference does.</summary>
    public IEnumerable<uint> SavedHandles()
    {
        for (int i = 0; i < MaxActive; i++)
            if (_savedSequence[i] != 0) yield return HmacSessionFirst + (uint)i;
    }

    /// <summary>The oldest saved context's sequence, or 0 when none is saved.</summary>
    ulong OldestSaved(out int index)
    {
        ulong oldest = 0;
        index = -1;
        for (int i = 0; i < MaxActive; i++)
        {
            ulong s = _savedSequence[i];
            if (s != 0 && (oldest == 0 || s < oldest)) { oldest = s; index = i; }
        }
        return oldest;
    }

    /// <summary>Whether saving one more context would reuse the 16-bit id of the oldest saved one.</summary>
    bool GapReached(out int oldestIndex)
    {
        ulong oldest = OldestSaved(out oldestIndex);
        return oldest != 0 && ContextCounter - oldest >= ContextGapLimit;
    }

    /// <summary>Finds a free index and slot for a new session. TPM_RC_SESSION_MEMORY when MAX_LOADED_SESSIONS
    /// are loaded, TPM_RC_SESSION_HANDLES when every index is active, TPM_RC_CONTEXT_GAP when the last
    /// free slot must stay free so that the oldest saved context can be loaded and saved again.</summary>
    public TpmRc Reserve(TpmSe type, out uint handle)
    {
        handle = 0;
        int loaded = LoadedCount;
        if (loaded >= MaxLoaded) return TpmRc.SessionMemory;
        if (loaded == MaxLoaded - 1 && GapReached(out _)) return TpmRc.ContextGap;
        for (int i = 0; i < MaxActive; i++)
        {
            if (_loaded[i] is not null || _savedSequence[i] != 0) continue;
            handle = (type == TpmSe.Hmac ? HmacSessionFirst : PolicySessionFirst) + (uint)i;
            return TpmRc.Success;
        }
        return TpmRc.SessionHandles;
    }

    /// <summary>Places a new session at the index <see cref="Reserve"/> gave.</summary>
    public void Add(Session session) => _loaded[IndexOf(session.Handle)] = session;

    /// <summary>Forgets a loaded or saved session (FlushContext, continueSession clear).</summary>
    public void Flush(uint handle)
    {
        int index = IndexOf(handle);
        if (index >= MaxActive) return;
        _loaded[index]?.Wipe();
        _loaded[index] = null;
        _savedSequence[index] = 0;
        _savedHandle[index] = 0;
    }

    /// <summary>TPM2_ContextSave of a loaded session: it becomes saved under a new sequence number.
    /// TPM_RC_CONTEXT_GAP when that number's low 16 bits would equal the oldest saved context's,
    /// TPM_RC_TOO_MANY_CONTEXTS when the counter is exhausted.</summary>
    public TpmRc Save(uint handle, out ulong sequence)
    {
        sequence = 0;
        if (GapReached(out _)) return TpmRc.ContextGap;
        if (ContextCounter == ulong.MaxValue) return TpmRc.TooManyContexts;
        int index = IndexOf(handle);
        var session = _loaded[index]!;
        sequence = ContextCounter++;
        _loaded[index] = null;
        _savedHandle[index] = session.Handle;
        _savedSequence[index] = sequence;
        return TpmRc.Success;
    }

    /// <summary>Whether a context blob with this handle and sequence is the current saved context of
    /// its session (an older or flushed one is refused).</summary>
    public bool IsCurrentContext(uint handle, ulong sequence)
    {
        int index = IndexOf(handle);
        return index < MaxActive && _savedSequence[index] != 0 && _savedSequence[index] == sequence
            && _savedHandle[index] == handle;
    }

    /// <summary>TPM2_ContextLoad of a session whose context is current: TPM_RC_SESSION_MEMORY when no slot
    /// is free, TPM_RC_CONTEXT_GAP when the last slot is kept for the oldest saved context.</summary>
    public TpmRc Load(Session session)
    {
        int index = IndexOf(session.Handle);
        int loaded = LoadedCount;
        if (loaded >= MaxLoaded) return TpmRc.SessionMemory;
        if (loaded == MaxLoaded - 1 && GapReached(out int oldest) && oldest != index) return TpmRc.ContextGap;
        _savedSequence[index] = 0;
        _savedHandle[index] = 0;
        _loaded[index] = session;
        return TpmRc.Success;
    }

    /// <summary>Everything goes (TPM Reset, and _TPM_Init before the saved list is restored).</summary>
    public void Clear()
    {
        for (int i = 0; i < MaxActive; i++) Flush((uint)i);
        ContextCounter = 1;
    }

    /// <summary>What TPM2_Shutdown(STATE) keeps: the context counter and the saved contexts' sequences, so
    /// that saved sessions can be loaded after a TPM Resume or Restart (Part 1, 30.x); loaded sessions are lost.</summary>
    public void WriteSaved(ref TpmWriter w)
    {
        w.WriteUInt64(ContextCounter);
        int count = 0;
        for (int i = 0; i < MaxActive; i++) if (_savedSequence[i] != 0) count++;
        w.WriteUInt16((ushort)count);
        for (int i = 0; i < MaxActive; i++)
        {
            if (_savedSequence[i] == 0) continue;
            w.WriteUInt32(_savedHandle[i]);
            w.WriteUInt64(_savedSequence[i]);
        }
    }

    public static int SavedSize => 8 + 2 + MaxActive * 12;

    /// <summary>Reads what <see cref="WriteSaved"/> wrote without changing the table (state loaded from NV is
    /// checked before any of it is used): each entry names a session handle of this table with a sequence.</summary>
    public static TpmRc ParseSaved(ref TpmReader r, out ulong counter, out (uint Handle, ulong Sequence)[] saved)
    {
        saved = [];
        var rc = r.ReadUInt64(out counter);
        if (rc != TpmRc.Success) return rc;
        rc = r.ReadUInt16(out ushort count);
        if (rc != TpmRc.Success) return rc;
        if (count > MaxActive) return TpmRc.Value;
        var entries = new (uint, ulong)[count];
        for (int n = 0; n < count; n++)
        {
            rc = r.ReadUInt32(out uint handle);
            if (rc != TpmRc.Success) return rc;
            rc = r.ReadUInt64(out ulong sequence);
            if (rc != TpmRc.Success) return rc;
            if (handle >> 24 is not (HmacSessionFirst >> 24 or PolicySessionFirst >> 24) || IndexOf(handle) >= MaxActive || sequence == 0)
                return TpmRc.Value;
            entries[n] = (handle, sequence);
        }
        saved = entries;
        return TpmRc.Success;
    }

    /// <summary>Replaces the table with what <see cref="ParseSaved"/> read: no session loaded, these saved.</summary>
    public void RestoreSaved(ulong counter, (uint Handle, ulong Sequence)[] saved)
    {
        Clear();
        foreach (var (handle, sequence) in saved)
        {
            _savedHandle[IndexOf(handle)] = handle;
            _savedSequence[IndexOf(handle)] = sequence;
        }
        ContextCounter = counter;
    }
}
