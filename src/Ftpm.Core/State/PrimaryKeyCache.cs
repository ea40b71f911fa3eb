using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>
/// Primary keys already derived, keyed by a digest of (hierarchy, seed, template, sensitive data).
/// Part 1, 27.1 makes a primary key a function of its hierarchy's seed and its template, so a repeated
/// TPM2_CreatePrimary (tools recreate SRKs and EKs all the time) may reuse the result: RSA prime search
/// costs tens of milliseconds, reuse well under one. An entry holds secrets (seedValue, the KEYEDHASH or
/// SYMCIPHER secret, the private key), so it is wiped when it leaves the cache: when evicted, and when
/// a seed changes (TPM2_Clear, ChangeEPS/PPS and HierarchyControl flush their hierarchy; a TPM Reset
/// makes a new null seed), which clears the whole cache. Its backend key is shared with the loaded
/// objects made from it and disposed when the last of them, cache included, lets go.
/// </summary>
internal sealed class PrimaryKeyCache
{
    public const int Capacity = 8;

    /// <summary>A cached primary: its public area, seedValue and secret (wiped on removal), and its
    /// asymmetric key (the cache's reference is released on removal).</summary>
    internal sealed record Entry(byte[] Id, byte[] PublicArea, byte[] SeedValue, byte[] SensitiveData, SharedAsymmetricKey? Asymmetric)
    {
        public void Wipe()
        {
            CryptographicOperations.ZeroMemory(SeedValue);
            CryptographicOperations.ZeroMemory(SensitiveData);
            Asymmetric?.Release();
        }
    }

    readonly List<Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>The entries, most recently used first.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    public Entry? Find(ReadOnlySpan<byte> id)
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (!id.SequenceEqual(e.Id)) continue;
            // Most recently used first.
            _entries.RemoveAt(i);
            _entries.Insert(0, e);
            return e;
        }
        return null;
    }

    public void Add(Entry entry)
    {
        _entries.Insert(0, entry);
        if (_entries.Count <= Capacity) return;
        _entries[^1].Wipe();
        _entries.RemoveAt(_entries.Count - 1);
    }

    public void Clear()
    {
        foreach (var e in _entries) e.Wipe();
        _entries.Clear();
    }
}

/// <summary>An asymmetric key shared by the primary-key cache and the loaded objects made from one
/// entry: each holder takes a reference, and the backend key is disposed (its private part freed) when
/// the last reference is released.</summary>
internal sealed class SharedAsymmetricKey(IAsymmetricKey key)
{
    int _references = 1;

    public IAsymmetricKey Key { get; } = key;

    /// <summary>Whether the backend key has been disposed (no holder is left).</summary>
    public bool IsDisposed => _references == 0;

    public SharedAsymmetricKey Acquire()
    {
        if (_references == 0) throw new InvalidOperationException("shared key already disposed");
        _references++;
        return this;
    }

    public void Release()
    {
        if (_references == 0) throw new InvalidOperationException("shared key released twice");
        if (--_references == 0) Key.Dispose();
    }
}
