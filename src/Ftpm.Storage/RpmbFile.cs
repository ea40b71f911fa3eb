using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Storage;

/// <summary>
/// A small file that plays the part of an eMMC/UFS Replay Protected Memory Block for a simulator
/// (`ftpm serve --rpmb FILE`): an authentication key, programmed once when the file is created, and a
/// monotonic write counter that only moves forward. <see cref="GuardedNvStore"/> advances it after
/// every commit, so a state file restored from an older copy carries a counter below this one and is
/// refused. Real RPMB hardware cannot be rolled back; this file can (by replacing it too), which is the
/// limit of a simulation: keep it somewhere the state folder's backups do not reach.
/// </summary>
/// <remarks>
/// Layout (big-endian): magic "FTPMRPMB" (8), version u32 (1), key (32), counter u64, SHA-256 of
/// the preceding octets (32). Written like the state file: temporary file, flush, rename, flush folder.
/// </remarks>
public sealed class RpmbFile : IDisposable
{
    const uint FormatVersion = 1;
    public const int KeySize = 32;
    const int Size = 8 + 4 + KeySize + 8 + 32;
    static ReadOnlySpan<byte> Magic => "FTPMRPMB"u8;

    readonly byte[] _key;
    readonly FileStream _lock;
    bool _disposed;

    /// <summary>Opens <paramref name="path"/>, or creates it with a fresh key and counter 0.</summary>
    /// <exception cref="InvalidDataException">The file exists but is damaged or not an RPMB file.</exception>
    /// <exception cref="IOException">Another ftpm holds it.</exception>
    public RpmbFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _lock = FileNvStore.AcquireLockFile(Path + ".lock", $"RPMB file {Path}");
        try
        {
            if (File.Exists(Path))
            {
                (_key, Counter) = Parse(File.ReadAllBytes(Path), Path);
                Created = false;
            }
            else
            {
                _key = RandomNumberGenerator.GetBytes(KeySize);
                Counter = 0;
                FileNvStore.WriteDurably(Path, Serialize(_key, 0));
                Created = true;
            }
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>The file did not exist and was created (a new RPMB, counter 0).</summary>
    public bool Created { get; }

    /// <summary>The authentication key: the platform key the state MAC is derived from when no state key is given.</summary>
    public ReadOnlySpan<byte> Key => _key;

    internal byte[] KeyBytes => _key;

    /// <summary>The write counter: the number of the last state commit it has seen.</summary>
    public ulong Counter { get; private set; }

    /// <summary>Moves the counter forward to <paramref name="value"/>, durably. Never backwards.</summary>
    public void Advance(ulong value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (value < Counter) throw new InvalidOperationException($"RPMB counter cannot go back from {Counter} to {value}");
        if (value == Counter) return;
        try
        {
            FileNvStore.WriteDurably(Path, Serialize(_key, value));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageError.Wrap(e, "cannot advance the RPMB counter file", Path);
        }
        Counter = value;
    }

    /// <summary>Reads an RPMB file without locking it (for `ftpm state verify`): its key and counter.</summary>
    public static (byte[] Key, ulong Counter) ReadUnlocked(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        return Parse(File.ReadAllBytes(full), full);
    }

    static byte[] Serialize(ReadOnlySpan<byte> key, ulong counter)
    {
        var b = new byte[Size];
        Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), FormatVersion);
        key.CopyTo(b.AsSpan(12));
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(12 + KeySize), counter);
        SHA256.HashData(b.AsSpan(0, Size - 32), b.AsSpan(Size - 32));
        return b;
    }

    static (byte[], ulong) Parse(ReadOnlySpan<byte> b, string path)
    {
        if (b.Length != Size || !b[..8].SequenceEqual(Magic))
            throw new InvalidDataException($"RPMB file {path} is corrupt: not an ftpm RPMB file of {Size} octets");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(b[8..]);
        if (version != FormatVersion)
            throw new InvalidDataException($"RPMB file {path} has unsupported format version {version}");
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(b[..(Size - 32)], digest);
        if (!CryptographicOperations.FixedTimeEquals(digest, b[(Size - 32)..]))
            throw new InvalidDataException($"RPMB file {path} is corrupt: checksum mismatch");
        return (b.Slice(12, KeySize).ToArray(), BinaryPrimitives.ReadUInt64BigEndian(b[(12 + KeySize)..]));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
        _lock.Dispose();
    }
}
