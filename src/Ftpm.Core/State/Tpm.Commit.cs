using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Marshal;
using Ftpm.Ports;

namespace Ftpm;

// The commit mechanism of the split ECC operations (Part 3, 19.1 "Ephemeral EC Keys"; Part 1, annex C):
// TPM2_Commit and TPM2_EC_Ephemeral each use one value of a 64-bit commit counter, whose low 16 bits
// they return; the ephemeral private value r of that count is derived from a per-boot commit nonce, the
// count and (for Commit) the key's Name, so nothing but a bitmap of outstanding counts is stored. TPM2_Sign
// (ECDAA) and TPM2_ZGen_2Phase consume a count: its bit is cleared, so a second use fails. The bitmap has
// 128 bits: a count is usable only while the counter is at most 128 ahead of it (a newer commit that
// reuses its bit is a collision, and the older count is refused). Nonce, counter and bitmap are "state
// reset" data (the reference's gr): new at every TPM Reset, kept across Shutdown(STATE) for a TPM Restart
// or Resume.
public sealed partial class Tpm
{
    /// <summary>Bits in the commit bitmap (the reference's commitArray[16]).</summary>
    internal const int CommitArrayBits = 128;
    const ushort CommitIndexMask = CommitArrayBits - 1;

    byte[] _commitNonce = [];
    ulong _commitCounter;
    UInt128 _commitArray;

    /// <summary>The record Shutdown(STATE) wrote, read at _TPM_Init, consumed by the next Startup.</summary>
    byte[]? _savedCommitState;

    /// <summary>The full commit counter (tests look at it).</summary>
    internal ulong CommitCounter => _commitCounter;

    /// <summary>The commit part of TPM2_Startup: a TPM Reset starts a new nonce, counter 0 and no
    /// outstanding commits; a TPM Restart or Resume brings back what Shutdown(STATE) saved.</summary>
    internal void CommitStartup(bool reset)
    {
        byte[]? saved = _savedCommitState;
        _savedCommitState = null;
        StageRecord(NvKeys.SavedCommitState, null);
        if (!reset && saved is { Length: CommitStateLength })
        {
            _commitNonce = saved[..32];
            _commitCounter = BinaryPrimitives.ReadUInt64BigEndian(saved.AsSpan(32));
            _commitArray = BinaryPrimitives.ReadUInt128BigEndian(saved.AsSpan(40));
            CryptographicOperations.ZeroMemory(saved);
            return;
        }
        _commitNonce = RandomBytes(32);
        _commitCounter = 0;
        _commitArray = 0;
    }

    /// <summary>The commit part of TPM2_Shutdown(STATE).</summary>
    internal void CommitShutdownState() => StageRecord(NvKeys.SavedCommitState, CommitStateRecord());

    /// <summary>Nonce, counter and bitmap as one record (Shutdown(STATE), and a host's volatile state).</summary>
    internal byte[] CommitStateRecord()
    {
        var record = new byte[CommitStateLength];
        _commitNonce.CopyTo(record, 0);
        BinaryPrimitives.WriteUInt64BigEndian(record.AsSpan(32), _commitCounter);
        BinaryPrimitives.WriteUInt128BigEndian(record.AsSpan(40), _commitArray);
        return record;
    }

    /// <summary>The length of every <see cref="CommitStateRecord"/>: nonce, counter and bitmap.</summary>
    internal const int CommitStateLength = 32 + 8 + 16;

    /// <summary>Brings back what <see cref="CommitStateRecord"/> wrote; false if it is not such a record.</summary>
    internal bool RestoreCommitState(ReadOnlySpan<byte> record)
    {
        if (record.Length != CommitStateLength) return false;
        _commitNonce = record[..32].ToArray();
        _commitCounter = BinaryPrimitives.ReadUInt64BigEndian(record[32..]);
        _commitArray = BinaryPrimitives.ReadUInt128BigEndian(record[40..]);
        return true;
    }

    void CommitInit(NvSnapshot snapshot) =>
        _savedCommitState = snapshot.Records.TryGetValue(NvKeys.SavedCommitState, out var saved) ? saved : null;

    /// <summary>The ephemeral key (r, r·G) of the current counter value (before <see cref="CommitAdvance"/>),
    /// on <paramref name="curve"/>, bound to <paramref name="name"/> (empty for TPM2_EC_Ephemeral).</summary>
    internal IAsymmetricKey? CommitKey(TpmEccCurve curve, ReadOnlySpan<byte> name) => CommitKey(curve, name, _commitCounter);

    /// <summary>The ephemeral key of a full count: r from KDFa(SHA-256, commitNonce, "ECDAA Commit", name,
    /// count) as a key stream (the reference's CryptGenerateR).</summary>
    IAsymmetricKey? CommitKey(TpmEccCurve curve, ReadOnlySpan<byte> name, ulong count)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(counter, count);
        using var stream = new KdfStream(_crypto, TpmAlgId.Sha256, _commitNonce, "ECDAA Commit"u8, name, counter);
        return _crypto.EccGenerate(curve, stream);
    }

    /// <summary>Marks the current count outstanding and moves the counter on (the reference's
    /// CryptCommit); returns the count's low 16 bits, the value the caller sees.</summary>
    internal ushort CommitAdvance()
    {
        ushort count = (ushort)_commitCounter;
        _commitArray |= UInt128.One << (count & CommitIndexMask);
        _commitCounter++;
        return count;
    }

    /// <summary>The ephemeral key of an outstanding count <paramref name="count"/> (its low 16 bits), or
    /// null when it is not outstanding: never committed, already used, or more than 128 counts old (its
    /// bit now belongs to a newer commit). The count stays outstanding until <see cref="CommitEnd"/>.</summary>
    internal IAsymmetricKey? CommitKeyOf(ushort count, TpmEccCurve curve, ReadOnlySpan<byte> name)
    {
        if ((_commitArray & (UInt128.One << (count & CommitIndexMask))) == 0) return null;
        // The full count is the latest one below the counter whose low 16 bits are count's; it must
        // lie within the last 128 commits, or the bit is a newer commit's.
        ulong full = (_commitCounter & ~0xFFFFUL) | count;
        if (full >= _commitCounter)
        {
            if (_commitCounter < 0x10000) return null;
            full -= 0x10000;
        }
        if (_commitCounter - full > CommitArrayBits) return null;
        return CommitKey(curve, name, full);
    }

    /// <summary>Ends an outstanding count (the reference's CryptEndCommit): it cannot be used again.</summary>
    internal void CommitEnd(ushort count) => _commitArray &= ~(UInt128.One << (count & CommitIndexMask));
}
