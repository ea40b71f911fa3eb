using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Server.Swtpm;

/// <summary>
/// ftpm's own format of the state blobs GET_STATEBLOB hands out and SET_STATEBLOB takes back (swtpm moves
/// libtpms' blobs; an ftpm blob only has to make sense to another ftpm, on this host or another one).
/// </summary>
/// <remarks>
/// <code>
/// "FTPMBLOB"  u16 version (1)  u8 type (PTM_BLOB_TYPE_*)  u8 protection  u32 n  body[n]
///   protection 1, MAC:        body = payload, then HMAC-SHA256(key, everything before it)
///   protection 2, encrypted:  body = nonce[12] || AES-256-GCM(payload) || tag[16], the 16-octet header as AAD
/// payload of the permanent and savestate blobs: u32 count, then count × { u32 record key, u32 length, data }
/// payload of the volatile blob: the engine's volatile state (Tpm.SaveVolatileState)
/// </code>
/// With a configured state key both ends derive the key from it (HKDF-SHA256) and the blob is
/// encrypted: only a holder of the key can read or forge it. Without one the MAC key comes from the
/// TPM's own secrets (<see cref="Tpm.TryDeriveHostKey"/>): for the volatile and savestate blobs those of
/// the TPM they are loaded into (which after a permanent blob is the source TPM), for the permanent
/// blob those inside the blob itself, so that blob is only checked for damage — it carries every
/// secret of the TPM in the clear, like swtpm's unencrypted blobs, and must be moved as such.
/// </remarks>
static class SwtpmStateBlob
{
    static ReadOnlySpan<byte> Magic => "FTPMBLOB"u8;
    public const ushort Version = 1;
    const byte ProtectionMac = 1, ProtectionEncrypted = 2;
    const int HeaderSize = 8 + 2 + 1 + 1 + 4, MacSize = 32, NonceSize = 12, TagSize = 16;

    /// <summary>The label a blob type's MAC key is derived with.</summary>
    public static byte[] KeyLabel(SwtpmBlobType type) => [.. "ftpm swtpm state blob "u8, (byte)type];

    /// <summary>The key of encrypted blobs, from the configured state key.</summary>
    public static byte[] EncryptionKey(byte[] stateKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, stateKey, 32, salt: [], info: "ftpm swtpm state blob encryption v1"u8.ToArray());

    /// <summary>Wraps <paramref name="payload"/>: encrypted under <paramref name="encryptionKey"/> if given, else MACed with <paramref name="macKey"/>.</summary>
    public static byte[] Seal(SwtpmBlobType type, ReadOnlySpan<byte> payload, byte[]? encryptionKey, ReadOnlySpan<byte> macKey)
    {
        bool encrypted = encryptionKey is not null;
        int bodySize = encrypted ? NonceSize + payload.Length + TagSize : payload.Length + MacSize;
        var blob = new byte[HeaderSize + bodySize];
        Magic.CopyTo(blob);
        BinaryPrimitives.WriteUInt16BigEndian(blob.AsSpan(8), Version);
        blob[10] = (byte)type;
        blob[11] = encrypted ? ProtectionEncrypted : ProtectionMac;
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(12), (uint)bodySize);
        var body = blob.AsSpan(HeaderSize);
        if (encrypted)
        {
            var nonce = body[..NonceSize];
            RandomNumberGenerator.Fill(nonce);
            using var gcm = new AesGcm(encryptionKey!, TagSize);
            gcm.Encrypt(nonce, payload, body.Slice(NonceSize, payload.Length), body[(NonceSize + payload.Length)..], blob.AsSpan(0, HeaderSize));
        }
        else
        {
            payload.CopyTo(body);
            HMACSHA256.HashData(macKey, blob.AsSpan(0, HeaderSize + payload.Length), body[payload.Length..]);
        }
        return blob;
    }

    /// <summary>Checks and unwraps a blob of type <paramref name="type"/>. <paramref name="macKeyFor"/> gives the
    /// MAC key of an unencrypted blob from its payload (null: no key can be derived).</summary>
    /// <returns>The payload, or null with the result code and a message saying why the blob is refused.</returns>
    public static byte[]? Open(ReadOnlySpan<byte> blob, SwtpmBlobType type, byte[]? encryptionKey,
        Func<byte[], byte[]?> macKeyFor, out SwtpmResult result, out string error)
    {
        result = SwtpmResult.Fail;
        if (blob.Length < HeaderSize || !blob[..8].SequenceEqual(Magic))
        {
            error = "not an ftpm state blob (blobs of swtpm/libtpms cannot be loaded into ftpm)";
            return null;
        }
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(blob[8..]);
        if (version > Version)
        {
            result = SwtpmResult.BadVersion;
            error = $"state blob format version {version} is newer than this ftpm's ({Version}): update ftpm";
            return null;
        }
        if (version != Version)
        {
            error = $"state blob format version {version} is unknown";
            return null;
        }
        if (blob[10] != (byte)type)
        {
            result = SwtpmResult.BadParameter;
            error = $"the blob holds {Describe(blob[10])} state, not {Describe((byte)type)} state";
            return null;
        }
        uint bodySize = BinaryPrimitives.ReadUInt32BigEndian(blob[12..]);
        if (bodySize != blob.Length - HeaderSize)
        {
            error = "state blob is truncated or has trailing data (damaged)";
            return null;
        }
        var header = blob[..HeaderSize];
        var body = blob[HeaderSize..];
        switch (blob[11])
        {
            case ProtectionEncrypted:
            {
                if (encryptionKey is null)
                {
                    error = "state blob is encrypted under a state key: start ftpm with the same key";
                    return null;
                }
                if (body.Length < NonceSize + TagSize)
                {
                    error = "state blob is truncated (damaged)";
                    return null;
                }
                var payload = new byte[body.Length - NonceSize - TagSize];
                try
                {
                    using var gcm = new AesGcm(encryptionKey, TagSize);
                    gcm.Decrypt(body[..NonceSize], body.Slice(NonceSize, payload.Length), body[(NonceSize + payload.Length)..], payload, header);
                }
                catch (AuthenticationTagMismatchException)
                {
                    error = "state blob failed its integrity check: damaged, or encrypted under another state key";
                    return null;
                }
                result = SwtpmResult.Success;
                error = "";
                return payload;
            }
            case ProtectionMac:
            {
                if (encryptionKey is not null)
                {
                    error = "state blob is not encrypted, but this ftpm has a state key: only encrypted blobs are accepted";
                    return null;
                }
                if (body.Length < MacSize)
                {
                    error = "state blob is truncated (damaged)";
                    return null;
                }
                var payload = body[..^MacSize].ToArray();
                byte[]? key = macKeyFor(payload);
                if (key is null)
                {
                    error = type == SwtpmBlobType.Permanent
                        ? "state blob holds no persistent TPM data (damaged)"
                        : "the TPM has no permanent state to check the blob against: load the permanent blob first";
                    return null;
                }
                Span<byte> mac = stackalloc byte[MacSize];
                HMACSHA256.HashData(key, blob[..^MacSize], mac);
                CryptographicOperations.ZeroMemory(key);
                if (!CryptographicOperations.FixedTimeEquals(mac, body[^MacSize..]))
                {
                    CryptographicOperations.ZeroMemory(payload);
                    error = type == SwtpmBlobType.Permanent
                        ? "state blob failed its integrity check (damaged)"
                        : "state blob failed its integrity check: damaged, or taken from another TPM than the permanent state loaded";
                    return null;
                }
                result = SwtpmResult.Success;
                error = "";
                return payload;
            }
            default:
                error = $"state blob has an unknown protection {blob[11]} (damaged)";
                return null;
        }
    }

    static string Describe(byte type) => (SwtpmBlobType)type switch
    {
        SwtpmBlobType.Permanent => "permanent",
        SwtpmBlobType.Volatile => "volatile",
        SwtpmBlobType.SaveState => "savestate",
        _ => $"unknown ({type})",
    };

    /// <summary>The permanent and savestate payload: records sorted by key.</summary>
    public static byte[] EncodeRecords(IEnumerable<KeyValuePair<uint, byte[]>> records)
    {
        var list = records.OrderBy(r => r.Key).ToList();
        var payload = new byte[4 + list.Sum(r => 8 + r.Value.Length)];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)list.Count);
        int at = 4;
        foreach (var (key, data) in list)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(at), key);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(at + 4), (uint)data.Length);
            data.CopyTo(payload.AsSpan(at + 8));
            at += 8 + data.Length;
        }
        return payload;
    }

    /// <summary>Reads what <see cref="EncodeRecords"/> wrote; null if malformed.</summary>
    public static Dictionary<uint, byte[]>? DecodeRecords(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4) return null;
        uint count = BinaryPrimitives.ReadUInt32BigEndian(payload);
        var records = new Dictionary<uint, byte[]>();
        int at = 4;
        for (uint i = 0; i < count; i++)
        {
            if (payload.Length - at < 8) return null;
            uint key = BinaryPrimitives.ReadUInt32BigEndian(payload[at..]);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(payload[(at + 4)..]);
            at += 8;
            if (length > payload.Length - at || !records.TryAdd(key, payload.Slice(at, (int)length).ToArray())) return null;
            at += (int)length;
        }
        return at == payload.Length ? records : null;
    }
}
