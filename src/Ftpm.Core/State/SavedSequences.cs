using System.Security.Cryptography;

namespace Ftpm.State;

/// <summary>
/// Saved hash, HMAC and event sequences (Part 3, 28.2 TPM2_ContextSave of a sequence object).
/// The platform crypto cannot export an intermediate hash state, so a sequence's context blob does
/// not carry the state itself: ContextSave keeps a copy of the sequence here, under the context's
/// sequence number and a random tag, and the (encrypted, integrity-protected) blob carries that number
/// and tag. ContextLoad finds the copy and loads a clone of it, so one blob can be loaded again, as
/// object contexts can. At most <see cref="Capacity"/> copies are kept; the oldest is dropped first
/// and its blob then fails to load with TPM_RC_HANDLE. Copies live in RAM only: a TPM Reset
/// (new totalResetCount) invalidates every blob anyway.
/// </summary>
internal sealed class SavedSequences
{
    /// <summary>How many saved sequence copies are kept.</summary>
    public const int Capacity = 16;
    public const int TagSize = 16;

    sealed record Entry(ulong Sequence, byte[] Tag, HashSequence Copy);

    readonly LinkedList<Entry> _entries = new();

    /// <summary>Keeps a clone of <paramref name="sequence"/> for the context numbered <paramref name="contextSequence"/>.</summary>
    public void Put(ulong contextSequence, ReadOnlySpan<byte> tag, HashSequence sequence)
    {
        if (_entries.Count >= Capacity)
        {
            _entries.First!.Value.Copy.Dispose();
            _entries.RemoveFirst();
        }
        _entries.AddLast(new Entry(contextSequence, tag.ToArray(), sequence.Clone()));
    }

    /// <summary>A new clone of the copy saved under <paramref name="contextSequence"/> and <paramref name="tag"/>, or null.</summary>
    public HashSequence? Get(ulong contextSequence, ReadOnlySpan<byte> tag)
    {
        foreach (var e in _entries)
            if (e.Sequence == contextSequence && CryptographicOperations.FixedTimeEquals(e.Tag, tag))
                return e.Copy.Clone();
        return null;
    }

    public void Clear()
    {
        foreach (var e in _entries) e.Copy.Dispose();
        _entries.Clear();
    }
}
