using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Storage;

/// <summary>
/// An <see cref="INvStore"/> kept in a state folder: a snapshot file (<see cref="StateFileName"/>) and an
/// append-only journal (<see cref="JournalFileName"/>). A commit appends one checksummed journal entry
/// holding only the changed records and flushes it to the disk (one fsync), so its cost follows the size
/// of the change, not of the state. When the journal has grown past the snapshot (and at least
/// <see cref="CompactAt"/> octets), and when the store closes, the state is compacted: a new snapshot is
/// written (temporary file, flush, rename, flush of the folder) and the journal emptied. A crash at any
/// point leaves the previous or the new state: a torn last entry fails its checksum and is dropped (it
/// was never acknowledged), and entries the snapshot already holds are skipped. SHA-256s detect damage.
/// The folder is locked while the store is open, so two servers cannot share it.
/// </summary>
/// <remarks>
/// Snapshot layout (integers big-endian, like the TPM's own wire format):
/// <code>
/// +0   magic "FTPMNV\0\0"          8 bytes
/// +8   version                     u32  (1)
/// +12  write counter               u64
/// +20  record count                u32
/// +24  records, ascending key:     u32 key, u32 length, length bytes
/// end  SHA-256 of all bytes above  32 bytes
/// </code>
/// Journal entry: u32 length of what follows up to the checksum, u64 write counter (snapshot's + 1 for
/// the first entry, then + 1 each), u32 change count, changes (u32 key, u32 length or 0xFFFFFFFF for a
/// removal, length bytes), SHA-256 of the entry's bytes before it (32).
/// </remarks>
public sealed partial class FileNvStore : INvStore, IDisposable
{
    /// <summary>The state file's name inside the folder.</summary>
    public const string StateFileName = "nv.state";

    /// <summary>The lock file's name inside the folder; held open exclusively while the store lives.</summary>
    public const string LockFileName = "ftpm.lock";

    /// <summary>The journal's name inside the folder.</summary>
    public const string JournalFileName = "nv.journal";

    /// <summary>The journal size from which a commit compacts (when the journal is also larger than the snapshot).</summary>
    public const int CompactAt = 256 * 1024;

    const string TempSuffix = ".tmp";
    const uint Removed = 0xFFFFFFFF;
    const uint FormatVersion = 1;
    const int HeaderSize = 24;
    const int RecordHeaderSize = 8;
    const int ChecksumSize = 32;
    static ReadOnlySpan<byte> Magic => "FTPMNV\0\0"u8;

    readonly string _statePath;
    readonly string _journalPath = "";
    readonly FileStream _lock;
    FileStream? _journal;
    long _journalLength;
    long _snapshotLength;
    Dictionary<uint, byte[]> _records;
    ulong _writeCounter;
    bool _disposed;

    /// <summary>Opens (creating if needed) the state folder <paramref name="directory"/>, locks it and reads its state.</summary>
    /// <exception cref="IOException">Another process (or another store in this process) holds the folder.</exception>
    /// <exception cref="InvalidDataException">The state file is corrupt or of an unknown format.</exception>
    public FileNvStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
        CreatePrivateDirectory(Directory);
        _statePath = Path.Combine(Directory, StateFileName);
        _lock = AcquireLock(Directory);
        try
        {
            _journalPath = Path.Combine(Directory, JournalFileName);
            ulong snapshotCounter;
            (_records, snapshotCounter, _snapshotLength) = ReadStateFile(_statePath);
            (_writeCounter, _journalLength) = ReplayJournal(_journalPath, _records, snapshotCounter);
            // A leftover temporary file is a compaction that never reached its rename: the old snapshot stands.
            File.Delete(_statePath + TempSuffix);
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    /// <summary>Owner-only modes for what ftpm creates (folder 0700, files 0600), whatever the umask:
    /// the state holds the hierarchy seeds and authorization values.</summary>
    internal const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    internal const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="directory"/> (and missing parents) with mode 0700; an existing folder is left as it is.</summary>
    internal static void CreatePrivateDirectory(string directory)
    {
        try
        {
            if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(directory);
            else if (!System.IO.Directory.Exists(directory))
            {
                System.IO.Directory.CreateDirectory(directory, PrivateDirectoryMode);
                // CreateDirectory applies the umask; the mode must not depend on it.
                File.SetUnixFileMode(directory, PrivateDirectoryMode);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot create the state folder", directory);
        }
    }

    /// <summary>File options that create with mode 0600 on Unix.</summary>
    internal static FileStreamOptions PrivateFile(FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode is FileMode.Create or FileMode.CreateNew or FileMode.OpenOrCreate)
            options.UnixCreateMode = PrivateFileMode;
        return options;
    }

    /// <summary>The full path of the state folder.</summary>
    public string Directory { get; }

    /// <summary>The full path of the state file.</summary>
    public string StatePath => _statePath;

    public NvSnapshot Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var copy = new Dictionary<uint, byte[]>(_records.Count);
        foreach (var (key, data) in _records) copy[key] = (byte[])data.Clone();
        return new NvSnapshot(copy, _writeCounter);
    }

    public void Commit(IReadOnlyList<NvChange> changes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ulong counter = _writeCounter + 1;
        var entry = JournalEntry(changes, counter);
        try
        {
            AppendDurably(entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot write the state journal", _journalPath);
        }

        // Only a durable commit changes what Load returns.
        foreach (var c in changes)
        {
            if (c.Data is null) _records.Remove(c.Key);
            else _records[c.Key] = (byte[])c.Data.Clone();
        }
        _writeCounter = counter;

        if (_journalLength >= CompactAt && _journalLength > _snapshotLength)
        {
            // The commit is durable in the journal already: a failed compaction costs nothing but space.
            try { Compact(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Appends <paramref name="entry"/> to the journal and flushes it to the disk. On failure the
    /// journal is cut back to its previous length (a crash instead leaves a torn entry that loading drops).</summary>
    void AppendDurably(byte[] entry)
    {
        bool created = false;
        if (_journal is null)
        {
            created = !File.Exists(_journalPath);
            _journal = new FileStream(_journalPath, PrivateFile(FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, bufferSize: 1));
        }
        try
        {
            _journal.Position = _journalLength;
            try
            {
                Fault("write", _journalPath, entry.Length);
            }
            catch (TornWriteException torn)
            {
                _journal.Write(entry.AsSpan(0, torn.Written));
                _journal.Flush(flushToDisk: true);
                throw;
            }
            _journal.Write(entry);
            Fault("fsync", _journalPath, 0);
            _journal.Flush(flushToDisk: true);
            if (created)
            {
                Fault("fsync-dir", _journalPath, 0);
                FlushDirectory(Directory);
            }
        }
        catch
        {
            try { _journal.SetLength(_journalLength); }
            catch (IOException) { }
            throw;
        }
        _journalLength += entry.Length;
    }

    /// <summary>Writes the whole state as a new snapshot and empties the journal. A crash between the two
    /// leaves journal entries the snapshot already holds, which loading skips by their counter.</summary>
    void Compact()
    {
        var snapshot = Serialize(_records, _writeCounter);
        WriteDurably(_statePath, snapshot);
        _snapshotLength = snapshot.Length;
        if (_journal is not null)
        {
            Fault("truncate", _journalPath, 0);
            _journal.SetLength(0);
            _journal.Flush(flushToDisk: true);
        }
        _journalLength = 0;
    }

    static byte[] JournalEntry(IReadOnlyList<NvChange> changes, ulong counter)
    {
        int size = 4 + 8 + 4 + ChecksumSize;
        foreach (var c in changes) size += RecordHeaderSize + (c.Data?.Length ?? 0);
        var entry = new byte[size];
        var span = entry.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)(size - 4 - ChecksumSize));
        BinaryPrimitives.WriteUInt64BigEndian(span[4..], counter);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], (uint)changes.Count);
        int offset = 16;
        foreach (var c in changes)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[offset..], c.Key);
            BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 4)..], c.Data is null ? Removed : (uint)c.Data.Length);
            c.Data?.CopyTo(span[(offset + RecordHeaderSize)..]);
            offset += RecordHeaderSize + (c.Data?.Length ?? 0);
        }
        SHA256.HashData(span[..offset], span[offset..]);
        return entry;
    }

    /// <summary>Applies the journal's entries after the snapshot to <paramref name="records"/>: the write
    /// counter and the length of the valid entries. A torn or damaged entry ends the journal (a crash
    /// during its append); one the snapshot already holds is skipped; a gap in the counters is damage.</summary>
    static (ulong Counter, long Length) ReplayJournal(string path, Dictionary<uint, byte[]> records, ulong snapshotCounter)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return (snapshotCounter, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot read the state journal", path);
        }
        ulong counter = snapshotCounter;
        int offset = 0;
        Span<byte> digest = stackalloc byte[ChecksumSize];
        while (bytes.Length - offset >= 4 + 12 + ChecksumSize)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
            if (length < 12 || (ulong)(bytes.Length - offset) < 4UL + length + ChecksumSize) break;
            var body = bytes.AsSpan(offset, 4 + (int)length);
            SHA256.HashData(body, digest);
            if (!CryptographicOperations.FixedTimeEquals(digest, bytes.AsSpan(offset + body.Length, ChecksumSize)))
            {
                // Only the last entry can be torn by a crash; a damaged one with entries after it is damage.
                if (offset + body.Length + ChecksumSize < bytes.Length)
                    throw Corrupt(path, $"journal entry after commit {counter} fails its checksum");
                break;
            }
            ulong entryCounter = BinaryPrimitives.ReadUInt64BigEndian(body[4..]);
            if (entryCounter > counter + 1)
                throw Corrupt(path, $"journal entry {entryCounter} follows commit {counter} (entries are missing)");
            if (entryCounter == counter + 1)
            {
                ApplyEntry(body[12..], records, path, entryCounter);
                counter = entryCounter;
            }
            offset += body.Length + ChecksumSize;
        }
        return (counter, offset);
    }

    static void ApplyEntry(ReadOnlySpan<byte> entry, Dictionary<uint, byte[]> records, string path, ulong counter)
    {
        uint count = BinaryPrimitives.ReadUInt32BigEndian(entry);
        int offset = 4;
        var changes = new List<(uint Key, byte[]? Data)>();
        for (uint i = 0; i < count; i++)
        {
            if (entry.Length - offset < RecordHeaderSize) throw Corrupt(path, $"journal entry {counter} is truncated");
            uint key = BinaryPrimitives.ReadUInt32BigEndian(entry[offset..]);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(entry[(offset + 4)..]);
            offset += RecordHeaderSize;
            if (length == Removed) { changes.Add((key, null)); continue; }
            if ((ulong)(entry.Length - offset) < length) throw Corrupt(path, $"journal entry {counter} is truncated");
            changes.Add((key, entry.Slice(offset, (int)length).ToArray()));
            offset += (int)length;
        }
        if (offset != entry.Length) throw Corrupt(path, $"journal entry {counter} has trailing bytes");
        foreach (var (key, data) in changes)
        {
            if (data is null) records.Remove(key);
            else records[key] = data;
        }
    }

    /// <summary>Reads a state folder's state (snapshot and journal) without locking or changing it, for
    /// `ftpm state show` and `ftpm state verify`: the records and the write counter.</summary>
    public static (Dictionary<uint, byte[]> Records, ulong Counter) ReadUnlocked(string directory)
    {
        string full = Path.GetFullPath(directory);
        var (records, counter, _) = ReadStateFile(Path.Combine(full, StateFileName));
        (counter, _) = ReplayJournal(Path.Combine(full, JournalFileName), records, counter);
        return (records, counter);
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> so that a crash at any point
    /// leaves the old or the new file: write a temporary file, flush it to the disk, rename it over the old
    /// one, flush the folder (so the rename itself is durable).</summary>
    internal static void WriteDurably(string path, ReadOnlySpan<byte> content)
    {
        string temp = path + TempSuffix;
        try
        {
            using (var file = new FileStream(temp, PrivateFile(FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1)))
            {
                try
                {
                    Fault("write", temp, content.Length);
                }
                catch (TornWriteException torn)
                {
                    // A torn write: part of the content reaches the file, then the write fails.
                    file.Write(content[..torn.Written]);
                    file.Flush(flushToDisk: true);
                    throw;
                }
                file.Write(content);
                Fault("fsync", temp, 0);
                file.Flush(flushToDisk: true);
            }
            Fault("rename", path, 0);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            // A commit that did not reach its rename leaves the old file; free the space the temporary took.
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
        Fault("fsync-dir", path, 0);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Fault injection for tests: called before every write, fsync and rename of a commit with the
    /// operation, the file and (for a write) its length. It may throw to fail that step, or return a
    /// length shorter than the write's to tear it: that many octets are written, then the step fails.</summary>
    internal static Func<string, string, int, int>? FaultInjector { get; set; }

    static void Fault(string operation, string path, int length)
    {
        if (FaultInjector is not { } injector) return;
        int allowed = injector(operation, path, length);
        if (allowed < length)
            throw new TornWriteException(allowed);
    }

    /// <summary>A write the fault injector tore: only <see cref="Written"/> octets were to reach the file.</summary>
    internal sealed class TornWriteException(int written) : IOException($"injected torn write after {written} octets")
    {
        public int Written { get; } = written;
    }

    public void Dispose()
    {
        if (_disposed) return;
        // A clean close leaves the whole state in the snapshot (what `ftpm state show` and backups read
        // first); on failure the journal still holds it.
        if (_journalLength > 0)
        {
            try { Compact(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        _disposed = true;
        _journal?.Dispose();
        _lock.Dispose();
    }

    static FileStream AcquireLock(string directory) => AcquireLockFile(Path.Combine(directory, LockFileName), $"state folder {directory}");

    /// <summary>Holds <paramref name="path"/> open exclusively: a second holder gets an <see cref="IOException"/> naming <paramref name="what"/>.</summary>
    internal static FileStream AcquireLockFile(string path, string what)
    {
        FileStream stream;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix and a sharing lock on Windows.
            stream = new FileStream(path, PrivateFile(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (StorageError.IsLockConflict(e))
            {
                string holder = ReadHolder(path) is int pid ? $"locked by process {pid}" : "locked by another process";
                throw new IOException($"{what} is in use by another ftpm ({holder}; lock file {path})", e);
            }
            throw StorageError.Wrap(e, $"cannot lock {what}", path);
        }
        try
        {
            // The holder's process id, for the message a second server gets.
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            stream.Flush();
        }
        catch (IOException)
        {
            // Informational only (a full disk must not keep the store from opening).
        }
        return stream;
    }

    static int? ReadHolder(string path)
    {
        string? text = ReadLockedFile(path);
        return int.TryParse(text?.Trim(), out int pid) && pid > 0 ? pid : null;
    }

    static (Dictionary<uint, byte[]>, ulong, long) ReadStateFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return (new Dictionary<uint, byte[]>(), 0, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot read the state file", path);
        }
        var (records, counter) = Parse(bytes, path);
        return (records, counter, bytes.Length);
    }

    /// <summary>Writes the state in the file layout (see the remarks on the class).</summary>
    internal static byte[] Serialize(IReadOnlyDictionary<uint, byte[]> records, ulong writeCounter)
    {
        int size = HeaderSize + ChecksumSize;
        foreach (var data in records.Values) size += RecordHeaderSize + data.Length;
        var buffer = new byte[size];
        var span = buffer.AsSpan();

        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], FormatVersion);
        BinaryPrimitives.WriteUInt64BigEndian(span[12..], writeCounter);
        BinaryPrimitives.WriteUInt32BigEndian(span[20..], (uint)records.Count);
        int offset = HeaderSize;
        var keys = records.Keys.ToArray();
        Array.Sort(keys);
        foreach (uint key in keys)
        {
            byte[] data = records[key];
            BinaryPrimitives.WriteUInt32BigEndian(span[offset..], key);
            BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 4)..], (uint)data.Length);
            data.CopyTo(span[(offset + RecordHeaderSize)..]);
            offset += RecordHeaderSize + data.Length;
        }
        SHA256.HashData(span[..offset], span[offset..]);
        return buffer;
    }

    /// <summary>Reads the file layout back, checking magic, version, checksum and every length.</summary>
    internal static (Dictionary<uint, byte[]>, ulong) Parse(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderSize + ChecksumSize || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw Corrupt(path, bytes.Length < HeaderSize + ChecksumSize ? "file is truncated" : "not an ftpm state file (bad magic)");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]);
        if (version != FormatVersion)
            throw Corrupt(path, $"unsupported format version {version} (this ftpm reads version {FormatVersion})");

        var content = bytes[..^ChecksumSize];
        Span<byte> digest = stackalloc byte[ChecksumSize];
        SHA256.HashData(content, digest);
        if (!CryptographicOperations.FixedTimeEquals(digest, bytes[^ChecksumSize..]))
            throw Corrupt(path, "checksum mismatch");

        ulong counter = BinaryPrimitives.ReadUInt64BigEndian(bytes[12..]);
        uint count = BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]);
        var records = new Dictionary<uint, byte[]>();
        int offset = HeaderSize;
        for (uint i = 0; i < count; i++)
        {
            if (content.Length - offset < RecordHeaderSize)
                throw Corrupt(path, $"record {i} is truncated");
            uint key = BinaryPrimitives.ReadUInt32BigEndian(content[offset..]);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(content[(offset + 4)..]);
            offset += RecordHeaderSize;
            if ((ulong)(content.Length - offset) < length)
                throw Corrupt(path, $"record {i} (key 0x{key:X8}) is truncated");
            if (!records.TryAdd(key, content.Slice(offset, (int)length).ToArray()))
                throw Corrupt(path, $"record key 0x{key:X8} appears twice");
            offset += (int)length;
        }
        if (offset != content.Length)
            throw Corrupt(path, "trailing bytes after the last record");
        return (records, counter);
    }

    static InvalidDataException Corrupt(string path, string reason) =>
        new($"state file {path} is corrupt: {reason}");
}
