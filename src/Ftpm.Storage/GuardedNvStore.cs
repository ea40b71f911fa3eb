using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Storage;

/// <summary>How the state is protected: a state key (encryption at rest and the MAC), an RPMB
/// counter file (rollback detection; its key is the MAC key when there is no state key), or both.</summary>
public sealed class StateGuardOptions
{
    /// <summary>A 32-octet AES-256 key (`--state-key FILE` or FTPM_STATE_KEY): records are encrypted with
    /// AES-GCM and the whole state is MACed with keys derived from it.</summary>
    public byte[]? StateKey { get; init; }

    /// <summary>The RPMB counter (`--rpmb FILE`): a state older than its counter is refused.</summary>
    public RpmbFile? Rpmb { get; init; }

    /// <summary>Names the state in messages (the state file's path).</summary>
    public string StateName { get; init; } = "the state";

    public bool Protects => StateKey is not null || Rpmb is not null;
}

/// <summary>The state may not be used: damaged, modified, rolled back, or opened with the wrong keys.
/// The message says which, in words a user can act on.</summary>
public sealed class StateRefusedException(string message) : IOException(message);

/// <summary>
/// The guard layer (ARCHITECTURE.md, "INvStore ... a guard layer"): wraps any <see cref="INvStore"/> and
/// adds integrity (HMAC-SHA256 over every record and the commit number, with a key from the platform),
/// optional encryption at rest (AES-256-GCM per record) and rollback detection (the commit number must
/// not be below an <see cref="RpmbFile"/>'s monotonic counter). The backend's atomic commit carries the
/// changed records and a header record together, so records and MAC never disagree after a crash.
/// A commit costs what it changes: the MAC covers the XOR of one HMAC per record (an incremental
/// XOR MAC, Bellare, Guérin and Rogaway 1995), so a commit recomputes the tags of the records it
/// changes, not of all of them.
/// </summary>
/// <remarks>
/// Header record (key <see cref="HeaderKey"/>): magic "FTPMGRD2" (8), flags u32 (1 encrypted, 2
/// rollback-protected), commit number u64, key check value (8: HMAC(macKey, "ftpm key check")),
/// MAC (32) = HMAC-SHA256(macKey, the 28 octets before the MAC || S), where S is the XOR over the other
/// records of HMAC-SHA256(macKey, "ftpm record" || key u32 || length u32 || stored octets). The record
/// tags never leave the process, so records mixed from different states do not give a known S. States
/// written with "FTPMGRD1" (MAC over the records themselves, in ascending key order) are still read;
/// their next commit writes the new header. An encrypted record is nonce (12) || tag (16) ||
/// ciphertext, with the record key as associated data, so records cannot be moved between keys.
/// A commit writes the backend first and then advances the RPMB counter: after a crash in between the
/// state is one commit ahead of the counter, which is accepted (and the counter catches up).
/// </remarks>
public sealed class GuardedNvStore : INvStore, IDisposable
{
    /// <summary>The header's record key; no engine key uses it (the engine's are small numbers and handles).</summary>
    public const uint HeaderKey = 0xFFFFFFFF;

    const uint FlagEncrypted = 1;
    const uint FlagRollback = 2;
    const int HeaderSize = 8 + 4 + 8 + 8 + 32;
    const int KcvSize = 8;
    const int NonceSize = 12;
    const int TagSize = 16;
    const int TagLength = 32;
    static ReadOnlySpan<byte> Magic => "FTPMGRD2"u8;
    static ReadOnlySpan<byte> MagicV1 => "FTPMGRD1"u8;

    readonly INvStore _inner;
    readonly StateGuardOptions _options;
    readonly byte[] _macKey;
    readonly AesGcm? _aes;
    readonly uint _flags;
    /// <summary>Per record, HMAC(macKey, "ftpm record" || key || length || stored octets).</summary>
    readonly Dictionary<uint, byte[]> _tags;
    /// <summary>The XOR of <see cref="_tags"/>.</summary>
    readonly byte[] _tagSum = new byte[TagLength];
    readonly Dictionary<uint, byte[]> _plain;
    ulong _counter;
    bool _disposed;

    GuardedNvStore(INvStore inner, StateGuardOptions options)
    {
        _inner = inner;
        _options = options;
        _flags = (options.StateKey is not null ? FlagEncrypted : 0) | (options.Rpmb is not null ? FlagRollback : 0);
        (_macKey, var encryptionKey) = DeriveKeys(options.StateKey, options.Rpmb?.KeyBytes);
        if (encryptionKey is not null)
        {
            _aes = new AesGcm(encryptionKey, TagSize);
            CryptographicOperations.ZeroMemory(encryptionKey);
        }
        try
        {
            var snapshot = inner.Load();
            var records = snapshot.Records;
            (_plain, _counter) = Open(records, _flags, _macKey, _aes, options.Rpmb?.Counter, options.StateName, options.Rpmb?.Path, snapshot.WriteCounter);
            _tags = new Dictionary<uint, byte[]>(_plain.Count);
            foreach (var (key, data) in records)
            {
                if (key == HeaderKey) continue;
                var tag = RecordTag(_macKey, key, data);
                _tags[key] = tag;
                Xor(_tagSum, tag);
            }
            // One commit ahead: a crash came between the backend's commit and the counter's.
            if (options.Rpmb is not null && _counter > options.Rpmb.Counter) options.Rpmb.Advance(_counter);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="inner"/> with the protection <paramref name="options"/> ask for, verifying it
    /// (integrity, keys, rollback). Without any protection, returns <paramref name="inner"/> itself, after
    /// checking that it does not hold a protected state.
    /// </summary>
    /// <exception cref="StateRefusedException">The state may not be used; the message says why.</exception>
    public static INvStore Open(INvStore inner, StateGuardOptions options)
    {
        if (options.Protects) return new GuardedNvStore(inner, options);
        if (inner.Load().Records.TryGetValue(HeaderKey, out var header))
        {
            uint flags = header.Length >= 12 ? BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)) : 0;
            throw new StateRefusedException($"{options.StateName} is protected ({Describe(flags)}): give " +
                ((flags & FlagEncrypted) != 0 ? "its key with --state-key FILE or FTPM_STATE_KEY" : "") +
                ((flags & FlagEncrypted) != 0 && (flags & FlagRollback) != 0 ? " and " : "") +
                ((flags & FlagRollback) != 0 ? "its RPMB counter file with --rpmb FILE" : ""));
        }
        return inner;
    }

    /// <summary>The commit number of the state as last committed.</summary>
    public ulong Counter => _counter;

    public NvSnapshot Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var copy = new Dictionary<uint, byte[]>(_plain.Count);
        foreach (var (key, data) in _plain) copy[key] = (byte[])data.Clone();
        return new NvSnapshot(copy, _counter);
    }

    public void Commit(IReadOnlyList<NvChange> changes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The new tags and their sum are worked out on the side: only a durable commit changes the store.
        var innerChanges = new List<NvChange>(changes.Count + 1);
        var newTags = new Dictionary<uint, byte[]?>(changes.Count);
        var tagSum = (byte[])_tagSum.Clone();
        foreach (var c in changes)
        {
            if (c.Key == HeaderKey) throw new ArgumentException($"record key 0x{HeaderKey:X8} is the guard's own", nameof(changes));
            // A key changed twice in one commit: take out what the first change put in.
            if (newTags.TryGetValue(c.Key, out var earlier)) { if (earlier is not null) Xor(tagSum, earlier); }
            else if (_tags.TryGetValue(c.Key, out var old)) Xor(tagSum, old);
            if (c.Data is null)
            {
                newTags[c.Key] = null;
                innerChanges.Add(c);
                continue;
            }
            var sealedData = Seal(c.Key, c.Data);
            var tag = RecordTag(_macKey, c.Key, sealedData);
            Xor(tagSum, tag);
            newTags[c.Key] = tag;
            innerChanges.Add(new NvChange(c.Key, sealedData));
        }
        ulong counter = _counter + 1;
        innerChanges.Add(new NvChange(HeaderKey, Header(_flags, counter, _macKey, tagSum)));

        _inner.Commit(innerChanges);
        _options.Rpmb?.Advance(counter);
        foreach (var c in changes)
        {
            if (c.Data is null) _plain.Remove(c.Key);
            else _plain[c.Key] = (byte[])c.Data.Clone();
        }
        foreach (var (key, tag) in newTags)
        {
            if (tag is null) _tags.Remove(key);
            else _tags[key] = tag;
        }
        tagSum.CopyTo(_tagSum, 0);
        _counter = counter;
    }

    byte[] Seal(uint key, byte[] data)
    {
        if (_aes is null) return (byte[])data.Clone();
        var output = new byte[NonceSize + TagSize + data.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> aad = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(aad, key);
        _aes.Encrypt(nonce, data, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), aad);
        return output;
    }

    // ---- Verification (also used by `ftpm state verify`) ------------------------------------

    /// <summary>The MAC key and, with a state key, the encryption key (HKDF-SHA256 from the state key,
    /// else from the RPMB key).</summary>
    static (byte[] Mac, byte[]? Encryption) DeriveKeys(byte[]? stateKey, byte[]? rpmbKey)
    {
        if (stateKey is not null)
            return (HKDF.DeriveKey(HashAlgorithmName.SHA256, stateKey, 32, [], "ftpm nv integrity"u8.ToArray()),
                    HKDF.DeriveKey(HashAlgorithmName.SHA256, stateKey, 32, [], "ftpm nv encryption"u8.ToArray()));
        if (rpmbKey is null) throw new ArgumentException("a state key or an RPMB key is needed");
        return (HKDF.DeriveKey(HashAlgorithmName.SHA256, rpmbKey, 32, [], "ftpm nv integrity"u8.ToArray()), null);
    }

    /// <summary>
    /// Checks stored records against the keys and the RPMB counter and returns the plain records and
    /// the commit number. Throws <see cref="StateRefusedException"/> with the reason.
    /// </summary>
    static (Dictionary<uint, byte[]>, ulong) Open(IReadOnlyDictionary<uint, byte[]> records, uint flags, byte[] macKey,
        AesGcm? aes, ulong? rpmbCounter, string name, string? rpmbPath, ulong? storeCounter)
    {
        if (!records.TryGetValue(HeaderKey, out var header))
        {
            if (records.Count != 0)
                throw new StateRefusedException($"{name} holds an unprotected state (written without --state-key or --rpmb): " +
                    "start ftpm without them, or move the state aside to begin a new protected one");
            if (rpmbCounter is > 0)
                throw new StateRefusedException($"{name} is empty but the RPMB counter {rpmbPath} is at {rpmbCounter}: " +
                    "the state was deleted or replaced; refusing to start a new state on a used counter");
            return (new Dictionary<uint, byte[]>(), 0);
        }

        bool v1 = header.Length == HeaderSize && header.AsSpan(0, 8).SequenceEqual(MagicV1);
        if (header.Length != HeaderSize || !(v1 || header.AsSpan(0, 8).SequenceEqual(Magic)))
            throw new StateRefusedException($"{name} failed its integrity check: the guard header is damaged");
        uint storedFlags = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        ulong counter = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(12));
        if ((storedFlags & FlagEncrypted) != 0 && (flags & FlagEncrypted) == 0)
            throw new StateRefusedException($"{name} is encrypted at rest: give its key with --state-key FILE or FTPM_STATE_KEY");
        if ((storedFlags & FlagEncrypted) == 0 && (flags & FlagEncrypted) != 0)
            throw new StateRefusedException($"{name} is not encrypted, but a state key was given: start without --state-key and FTPM_STATE_KEY");
        if ((storedFlags & FlagRollback) != 0 && (flags & FlagRollback) == 0)
            throw new StateRefusedException($"{name} is rollback-protected: give its RPMB counter file with --rpmb FILE");
        if ((storedFlags & FlagRollback) == 0 && (flags & FlagRollback) != 0)
            throw new StateRefusedException($"{name} was written without an RPMB counter: start without --rpmb");

        Span<byte> kcv = stackalloc byte[32];
        HMACSHA256.HashData(macKey, "ftpm key check"u8, kcv);
        if (!CryptographicOperations.FixedTimeEquals(kcv[..KcvSize], header.AsSpan(20, KcvSize)))
            throw new StateRefusedException((flags & FlagEncrypted) != 0
                ? $"the state key does not match the key {name} was written with"
                : $"the RPMB file {rpmbPath} is not the one {name} was written with (its key differs)");

        var others = new Dictionary<uint, byte[]>(records.Where(r => r.Key != HeaderKey));
        byte[] expected;
        if (v1) expected = HeaderV1(storedFlags, counter, macKey, others);
        else
        {
            var sum = new byte[TagLength];
            foreach (var (key, data) in others) Xor(sum, RecordTag(macKey, key, data));
            expected = Header(storedFlags, counter, macKey, sum);
        }
        if (!CryptographicOperations.FixedTimeEquals(expected, header))
            throw new StateRefusedException($"{name} failed its integrity check (MAC): it was modified outside ftpm");
        // The backend's own write counter is outside the MAC'd records; every commit moves it and the
        // MAC'd commit number together, so they must agree (else the file was edited and re-summed).
        if (storeCounter is ulong written && written != counter)
            throw new StateRefusedException($"{name} failed its integrity check: its write counter ({written}) is not the MAC'd commit number ({counter}); it was modified outside ftpm");

        if (rpmbCounter is ulong rpmb)
        {
            if (counter < rpmb)
                throw new StateRefusedException($"{name} is older than its RPMB counter (state commit {counter}, RPMB counter {rpmb}): " +
                    "an older copy of the state was restored; refusing it (rollback)");
            if (counter > rpmb + 1)
                throw new StateRefusedException($"{name} is ahead of its RPMB counter (state commit {counter}, RPMB counter {rpmb}): " +
                    $"the RPMB file {rpmbPath} was replaced or rolled back; refusing it");
        }

        var plain = new Dictionary<uint, byte[]>(others.Count);
        foreach (var (key, data) in others)
            plain[key] = aes is null ? (byte[])data.Clone() : Unseal(aes, key, data, name);
        return (plain, counter);
    }

    static byte[] Unseal(AesGcm aes, uint key, byte[] data, string name)
    {
        if (data.Length < NonceSize + TagSize)
            throw new StateRefusedException($"{name}: record 0x{key:X8} is too short to be encrypted");
        var plain = new byte[data.Length - NonceSize - TagSize];
        Span<byte> aad = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(aad, key);
        try
        {
            aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize + TagSize), data.AsSpan(NonceSize, TagSize), plain, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new StateRefusedException($"{name}: record 0x{key:X8} cannot be decrypted with the state key");
        }
        return plain;
    }

    /// <summary>HMAC(macKey, "ftpm record" || key || length || stored octets): one record's share of the MAC.</summary>
    static byte[] RecordTag(byte[] macKey, uint key, ReadOnlySpan<byte> stored)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, key);
        BinaryPrimitives.WriteUInt32BigEndian(prefix[4..], (uint)stored.Length);
        mac.AppendData("ftpm record"u8);
        mac.AppendData(prefix);
        mac.AppendData(stored);
        var tag = new byte[TagLength];
        mac.GetHashAndReset(tag);
        return tag;
    }

    static void Xor(Span<byte> sum, ReadOnlySpan<byte> tag)
    {
        for (int i = 0; i < TagLength; i++) sum[i] ^= tag[i];
    }

    /// <summary>The header: flags, commit number, key check value and the MAC over them and the record tags' XOR.</summary>
    static byte[] Header(uint flags, ulong counter, byte[] macKey, ReadOnlySpan<byte> tagSum)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        WriteHeaderFields(header, flags, counter, macKey);
        Span<byte> input = stackalloc byte[HeaderSize - 32 + TagLength];
        header.AsSpan(0, HeaderSize - 32).CopyTo(input);
        tagSum.CopyTo(input[(HeaderSize - 32)..]);
        HMACSHA256.HashData(macKey, input, header.AsSpan(HeaderSize - 32));
        return header;
    }

    static void WriteHeaderFields(byte[] header, uint flags, ulong counter, byte[] macKey)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), flags);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(12), counter);
        Span<byte> kcv = stackalloc byte[32];
        HMACSHA256.HashData(macKey, "ftpm key check"u8, kcv);
        kcv[..KcvSize].CopyTo(header.AsSpan(20));
    }

    /// <summary>For tests: the first format's header for <paramref name="stored"/> (records and a
    /// current header, as the backend holds them) under <paramref name="stateKey"/>.</summary>
    internal static byte[] HeaderV1ForTests(IReadOnlyDictionary<uint, byte[]> stored, byte[] stateKey)
    {
        var header = stored[HeaderKey];
        var (macKey, encryptionKey) = DeriveKeys(stateKey, null);
        CryptographicOperations.ZeroMemory(encryptionKey!);
        return HeaderV1(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)), BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(12)),
            macKey, new Dictionary<uint, byte[]>(stored.Where(r => r.Key != HeaderKey)));
    }

    /// <summary>The first format's header (read only): the MAC runs over every record in key order.</summary>
    static byte[] HeaderV1(uint flags, ulong counter, byte[] macKey, IReadOnlyDictionary<uint, byte[]> records)
    {
        var header = new byte[HeaderSize];
        MagicV1.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), flags);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(12), counter);
        Span<byte> kcv = stackalloc byte[32];
        HMACSHA256.HashData(macKey, "ftpm key check"u8, kcv);
        kcv[..KcvSize].CopyTo(header.AsSpan(20));

        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        mac.AppendData(header.AsSpan(0, HeaderSize - 32));
        Span<byte> prefix = stackalloc byte[8];
        var keys = records.Keys.ToArray();
        Array.Sort(keys);
        foreach (uint key in keys)
        {
            var data = records[key];
            BinaryPrimitives.WriteUInt32BigEndian(prefix, key);
            BinaryPrimitives.WriteUInt32BigEndian(prefix[4..], (uint)data.Length);
            mac.AppendData(prefix);
            mac.AppendData(data);
        }
        mac.GetHashAndReset(header.AsSpan(HeaderSize - 32));
        return header;
    }

    static string Describe(uint flags) => (flags & (FlagEncrypted | FlagRollback)) switch
    {
        FlagEncrypted | FlagRollback => "encrypted and rollback-protected",
        FlagEncrypted => "encrypted",
        FlagRollback => "rollback-protected",
        _ => "integrity-protected",
    };

    /// <summary>What a protected state's header says, for `ftpm state show` (no keys needed): its
    /// protection and commit number. Null for an unprotected state.</summary>
    public static (string Protection, ulong Counter)? HeaderInfo(IReadOnlyDictionary<uint, byte[]> records)
    {
        if (!records.TryGetValue(HeaderKey, out var h) || h.Length != HeaderSize) return null;
        return (Describe(BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8))), BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(12)));
    }

    /// <summary>Verifies stored records without opening a store or touching the RPMB file (`ftpm state
    /// verify`): the plain records and commit number, or <see cref="StateRefusedException"/>.</summary>
    public static (IReadOnlyDictionary<uint, byte[]> Records, ulong Counter) Verify(IReadOnlyDictionary<uint, byte[]> records,
        byte[]? stateKey, (byte[] Key, ulong Counter, string Path)? rpmb, string name, ulong? writeCounter = null)
    {
        if (stateKey is null && rpmb is null)
        {
            if (records.ContainsKey(HeaderKey)) Open(new SnapshotStore(records), new StateGuardOptions { StateName = name });
            return (records, 0);
        }
        uint flags = (stateKey is not null ? FlagEncrypted : 0) | (rpmb is not null ? FlagRollback : 0);
        var (macKey, encryptionKey) = DeriveKeys(stateKey, rpmb?.Key);
        using var aes = encryptionKey is null ? null : new AesGcm(encryptionKey, TagSize);
        try
        {
            return Open(records, flags, macKey, aes, rpmb?.Counter, name, rpmb?.Path, writeCounter);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(macKey);
            if (encryptionKey is not null) CryptographicOperations.ZeroMemory(encryptionKey);
        }
    }

    /// <summary>The plain records of a state for display (`ftpm state show`), without the RPMB check: an
    /// encrypted state is MAC-checked and decrypted with <paramref name="stateKey"/>; a state MACed with an
    /// RPMB key only is returned as stored (unverified). Throws <see cref="StateRefusedException"/>.</summary>
    public static IReadOnlyDictionary<uint, byte[]> ReadForDisplay(IReadOnlyDictionary<uint, byte[]> records, byte[]? stateKey, string name)
    {
        if (!records.TryGetValue(HeaderKey, out var header) || header.Length != HeaderSize)
            return records;
        uint flags = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        if ((flags & FlagEncrypted) == 0)
            return new Dictionary<uint, byte[]>(records.Where(r => r.Key != HeaderKey));
        if (stateKey is null)
            throw new StateRefusedException($"{name} is encrypted at rest: give its key with --state-key FILE or FTPM_STATE_KEY to show its contents");
        var (macKey, encryptionKey) = DeriveKeys(stateKey, null);
        using var aes = new AesGcm(encryptionKey!, TagSize);
        try
        {
            return Open(records, flags, macKey, aes, null, name, null, null).Item1;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(macKey);
            CryptographicOperations.ZeroMemory(encryptionKey!);
        }
    }

    /// <summary>A read-only view of records (for <see cref="Verify"/>).</summary>
    sealed class SnapshotStore(IReadOnlyDictionary<uint, byte[]> records) : INvStore
    {
        public NvSnapshot Load() => new(records, 0);
        public void Commit(IReadOnlyList<NvChange> changes) => throw new InvalidOperationException("read-only");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _aes?.Dispose();
        CryptographicOperations.ZeroMemory(_macKey);
    }
}
