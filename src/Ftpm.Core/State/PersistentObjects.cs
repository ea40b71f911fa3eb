using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>
/// Persistent objects (Part 1, 37.4 "Persistent Object Handles"; Part 3, 28.5 TPM2_EvictControl):
/// one NV record per object, keyed by its 0x81xxxxxx handle. The record holds the hierarchy, the
/// public area, the marshaled TPMT_SENSITIVE and the Qualified Name. Objects are made into
/// <see cref="TpmKey"/>s on first use and kept, so a persistent signing key is imported once.
/// </summary>
internal sealed class PersistentObjects
{
    /// <summary>How many persistent objects fit (TPM_RC_NV_SPACE beyond).</summary>
    public const int Capacity = 16;
    public const uint OwnerFirst = 0x81000000, PlatformFirst = 0x81800000, Last = 0x81FFFFFF;

    readonly SortedDictionary<uint, byte[]> _records = new();
    readonly Dictionary<uint, TpmKey> _keys = new();
    object? _epoch;

    /// <summary>Reloads the records from the store after each _TPM_Init. The engine makes a new DRBG at
    /// every _TPM_Init; that instance marks the epoch in which the records were read.</summary>
    void Sync(Tpm tpm, INvStore store)
    {
        if (ReferenceEquals(_epoch, tpm.Random)) return;
        foreach (var k in _keys.Values) k.Dispose();
        _keys.Clear();
        _records.Clear();
        foreach (var (key, data) in store.Load().Records)
            if ((key >> 24) == (uint)TpmHt.Persistent) _records[key] = data;
        _epoch = tpm.Random;
    }

    public static TpmKey? Get(Tpm tpm, uint handle) => tpm.Persistents.Lookup(tpm, handle);

    TpmKey? Lookup(Tpm tpm, uint handle)
    {
        Sync(tpm, tpm.Store);
        if (_keys.TryGetValue(handle, out var key)) return key;
        if (!_records.TryGetValue(handle, out var record)) return null;
        key = Decode(tpm, record) ?? throw new InvalidDataException($"persistent object {handle:x8} is malformed");
        key.EvictHandle = handle;
        _keys[handle] = key;
        return key;
    }

    /// <summary>Decodes every stored object at _TPM_Init, so a malformed record refuses the state when it
    /// loads (<see cref="InvalidDataException"/>) instead of failing a later command that names it.</summary>
    public void Validate(Tpm tpm)
    {
        Sync(tpm, tpm.Store);
        foreach (uint handle in _records.Keys.ToArray()) Lookup(tpm, handle);
    }

    public bool Contains(Tpm tpm, uint handle)
    {
        Sync(tpm, tpm.Store);
        return _records.ContainsKey(handle);
    }

    public int Count(Tpm tpm)
    {
        Sync(tpm, tpm.Store);
        return _records.Count;
    }

    /// <summary>The persistent handles, ascending (GetCapability(TPM_CAP_HANDLES)).</summary>
    public IEnumerable<uint> Handles(Tpm tpm)
    {
        Sync(tpm, tpm.Store);
        return _records.Keys.ToArray();
    }

    /// <summary>Makes <paramref name="key"/> persistent at <paramref name="handle"/> in the running command's NV transaction.</summary>
    public void Add(Tpm tpm, uint handle, TpmKey key, ReadOnlySpan<byte> sensitive)
    {
        Sync(tpm, tpm.Store);
        var record = Encode(key, sensitive);
        _records[handle] = record;
        tpm.StageRecord(handle, record);
    }

    public void Remove(Tpm tpm, uint handle)
    {
        Sync(tpm, tpm.Store);
        _records.Remove(handle);
        if (_keys.Remove(handle, out var key)) key.Dispose();
        tpm.StageRecord(handle, null);
    }

    /// <summary>Brings one persistent object back to <paramref name="record"/>, its last committed form
    /// (null: there was none), after a failed commit.</summary>
    public void Restore(Tpm tpm, uint handle, byte[]? record)
    {
        Sync(tpm, tpm.Store);
        if (_keys.Remove(handle, out var key)) key.Dispose();
        if (record is null) _records.Remove(handle);
        else _records[handle] = record;
    }

    static byte[] Encode(TpmKey key, ReadOnlySpan<byte> sensitive)
    {
        var buffer = new byte[4 + 2 + key.PublicArea.Length + 2 + sensitive.Length + 2 + key.QualifiedName.Length];
        var w = new TpmWriter(buffer);
        w.WriteUInt32(key.Hierarchy);
        w.WriteSized(key.PublicArea);
        w.WriteSized(sensitive);
        w.WriteSized(key.QualifiedName);
        return buffer;
    }

    static TpmKey? Decode(Tpm tpm, byte[] record)
    {
        var r = new TpmReader(record);
        if (r.ReadUInt32(out uint hierarchy) != TpmRc.Success) return null;
        if (r.ReadSized(ushort.MaxValue, out var publicArea) != TpmRc.Success) return null;
        if (r.ReadSized(ushort.MaxValue, out var sensitive) != TpmRc.Success) return null;
        if (r.ReadSized(ushort.MaxValue, out var qn) != TpmRc.Success) return null;
        var sensitiveCopy = sensitive.ToArray();
        try
        {
            var rc = Commands.ObjectSupport.LoadKey(tpm, publicArea.ToArray(), sensitiveCopy, out var key);
            if (rc != TpmRc.Success) return null;
            key.Hierarchy = hierarchy;
            key.QualifiedName = qn.ToArray();
            return key;
        }
        finally { CryptographicOperations.ZeroMemory(sensitiveCopy); }
    }
}
