using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>
/// Primary keys already derived, keyed by a digest of (hierarchy, seed, template, sensitive data).
/// Part 1, 27.1 makes a primary key a function of its hierarchy's seed and its template, so a repeated
/// TPM2_CreatePrimary (tools recreate SRKs and EKs all the time) may reuse the result: RSA prime search
/// costs tens of milliseconds, reuse well under one. A changed seed (TPM2_Clear, ChangeEPS/PPS, a new
/// null seed) gives a different id, so stale entries are never found and age out.
/// Entries share their <see cref="IAsymmetricKey"/> with the loaded objects made from them, so an
/// evicted entry is dropped, not disposed; the backend's key object is freed when no object uses it.
/// </summary>
internal sealed class PrimaryKeyCache
{
    public const int Capacity = 8;

    internal sealed record Entry(byte[] Id, byte[] PublicArea, byte[] SeedValue, byte[] SensitiveData, IAsymmetricKey? Asymmetric);

    readonly List<Entry> _entries = new();

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
        if (_entries.Count > Capacity) _entries.RemoveAt(_entries.Count - 1);
    }

    public void Clear() => _entries.Clear();
}
