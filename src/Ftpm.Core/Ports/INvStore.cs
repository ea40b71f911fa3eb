namespace Ftpm.Ports;

/// <summary>
/// Persistent storage shaped like RPMB: the engine loads every record once, then hands over one
/// change set per command, which the store applies atomically (all records or none). Keys name
/// records: <see cref="NvKeys"/>; NV indices and persistent objects use their handle.
/// </summary>
public interface INvStore
{
    /// <summary>The records as of the last successful commit.</summary>
    NvSnapshot Load();

    /// <summary>Applies <paramref name="changes"/> atomically and durably, or throws and leaves the previous state.</summary>
    void Commit(IReadOnlyList<NvChange> changes);
}

/// <summary>One record write; <see cref="Data"/> null removes the record.</summary>
public readonly record struct NvChange(uint Key, byte[]? Data);

/// <summary>Every record, and the store's write counter (number of commits so far).</summary>
public sealed class NvSnapshot(IReadOnlyDictionary<uint, byte[]> records, ulong writeCounter)
{
    public IReadOnlyDictionary<uint, byte[]> Records { get; } = records;
    public ulong WriteCounter { get; } = writeCounter;

    public static NvSnapshot Empty { get; } = new(new Dictionary<uint, byte[]>(), 0);
}

/// <summary>Record keys of the engine's own data (handles of NV indices and persistent objects never collide: their top octet is 0x01 or 0x81).</summary>
public static class NvKeys
{
    /// <summary>Data that survives every power cycle (Part 1 "persistent"): seeds, clock, counts, PCR allocation.</summary>
    public const uint Persistent = 0x00000001;

    /// <summary>State saved by TPM2_Shutdown(TPM_SU_STATE) for a later Startup(TPM_SU_STATE).</summary>
    public const uint SavedState = 0x00000002;

    /// <summary>Authorization state saved by TPM2_Shutdown(TPM_SU_STATE): saved sessions, null proof,
    /// hierarchy enables and platform policy, for a later TPM Restart or Resume.</summary>
    public const uint SavedAuthState = 0x00000003;

    /// <summary>The commit nonce, counter and outstanding commits (TPM2_Commit, TPM2_EC_Ephemeral) saved by
    /// TPM2_Shutdown(TPM_SU_STATE), for a later TPM Restart or Resume.</summary>
    public const uint SavedCommitState = 0x00000004;
}

/// <summary>A store in memory, for tests and in-process TPMs that need no persistence.</summary>
public sealed class MemoryNvStore : INvStore
{
    readonly Dictionary<uint, byte[]> _records = new();
    ulong _counter;

    public NvSnapshot Load() => new(new Dictionary<uint, byte[]>(_records), _counter);

    public void Commit(IReadOnlyList<NvChange> changes)
    {
        foreach (var c in changes)
        {
            if (c.Data is null) _records.Remove(c.Key);
            else _records[c.Key] = (byte[])c.Data.Clone();
        }
        _counter++;
    }
}
