using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Storage;

/// <summary>
/// An <see cref="INvStore"/> kept in one file inside a state folder. Every commit rewrites the whole
/// state (write a temporary file, flush it to the disk, rename it over the old file, flush the folder),
/// so a crash at any point leaves either the previous or the new state, never a mix. A SHA-256 over the
/// content detects a torn or damaged file on load. The folder is locked while the store is open, so two
/// servers cannot share it.
/// </summary>
/// <remarks>
/// File layout (integers big-endian, like the TPM's own wire format):
/// <code>
/// +0   magic "FTPMNV\0\0"          8 bytes
/// +8   version                     u32  (1)
/// +12  write counter               u64
/// +20  record count                u32
/// +24  records, ascending key:     u32 key, u32 length, length bytes
/// end  SHA-256 of all bytes above  32 bytes
/// </code>
/// </remarks>
public sealed partial class FileNvStore : INvStore, IDisposable
{
    /// <summary>The state file's name inside the folder.</summary>
    public const string StateFileName = "nv.state";

    /// <summary>The lock file's name inside the folder; held open exclusively while the store lives.</summary>
    public const string LockFileName = "ftpm.lock";

    const string TempSuffix = ".tmp";
    const uint FormatVersion = 1;
    const int HeaderSize = 24;
    const int RecordHeaderSize = 8;
    const int ChecksumSize = 32;
    static ReadOnlySpan<byte> Magic => "FTPMNV\0\0"u8;

    readonly string _statePath;
    readonly FileStream _lock;
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
            (_records, _writeCounter) = ReadStateFile(_statePath);
            // A leftover temporary file is a commit that never reached its rename: the old state stands.
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
        var next = new Dictionary<uint, byte[]>(_records);
        foreach (var c in changes)
        {
            if (c.Data is null) next.Remove(c.Key);
            else next[c.Key] = (byte[])c.Data.Clone();
        }
        ulong counter = _writeCounter + 1;

        try
        {
            WriteDurably(_statePath, Serialize(next, counter));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot write the state file", _statePath);
        }

        // Only a durable commit changes what Load returns.
        _records = next;
        _writeCounter = counter;
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
        _disposed = true;
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

    static (Dictionary<uint, byte[]>, ulong) ReadStateFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return (new Dictionary<uint, byte[]>(), 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot read the state file", path);
        }
        return Parse(bytes, path);
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
