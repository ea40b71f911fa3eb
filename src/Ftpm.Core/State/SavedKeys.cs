namespace Ftpm.State;

/// <summary>
/// The asymmetric keys of objects whose contexts were saved, so that TPM2_ContextLoad can reuse the
/// backend key instead of importing the private key again (an ECC import recomputes d·G, an RSA import
/// rebuilds the CRT numbers: most of a ContextLoad's cost, and resource managers such as tpm2-abrmd save
/// and load every object around every command). An entry is found by the context's sequence number,
/// which numbers one save, and the public area the blob carries; it is only used once the blob has
/// passed its integrity check (Part 1, 30.3), so the key is the one that was saved. At most
/// <see cref="Capacity"/> entries are kept, the oldest dropped first; a context without an entry is
/// loaded by importing its sensitive area as before. The entries share the key with the object
/// (<see cref="SharedAsymmetricKey"/>): the backend key is freed when the last holder lets go.
/// </summary>
internal sealed class SavedKeys
{
    /// <summary>How many saved keys are kept.</summary>
    public const int Capacity = 16;

    sealed record Entry(ulong Sequence, byte[] PublicArea, SharedAsymmetricKey Key);

    readonly LinkedList<Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>Keeps a reference to <paramref name="key"/> for the context numbered <paramref name="sequence"/>.</summary>
    public void Put(ulong sequence, byte[] publicArea, SharedAsymmetricKey key)
    {
        if (_entries.Count >= Capacity)
        {
            _entries.First!.Value.Key.Release();
            _entries.RemoveFirst();
        }
        _entries.AddLast(new Entry(sequence, publicArea, key.Acquire()));
    }

    /// <summary>The key saved under <paramref name="sequence"/> for <paramref name="publicArea"/>, or null.</summary>
    public SharedAsymmetricKey? Get(ulong sequence, ReadOnlySpan<byte> publicArea)
    {
        foreach (var e in _entries)
            if (e.Sequence == sequence && publicArea.SequenceEqual(e.PublicArea)) return e.Key;
        return null;
    }

    /// <summary>Releases every entry (TPM Reset, a hierarchy's seed or proof changing).</summary>
    public void Clear()
    {
        foreach (var e in _entries) e.Key.Release();
        _entries.Clear();
    }
}
