namespace Ftpm.Server.Swtpm;

/// <summary>
/// Requests of swtpm's control channel (swtpm include/swtpm/tpm_ioctl.h, the CMD_* numbers; the CUSE
/// ioctls PTM_* are the same operations numbered from 0). Every integer on the wire is big-endian.
/// </summary>
/// <remarks>
/// A request is a u32 code followed by the request part of the operation's struct; the reply is only
/// the response part, which starts with a u32 result (<see cref="SwtpmResult"/>):
/// <code>
/// GET_CAPABILITY          -                                 ->  u32 res, u32 caps
/// INIT                    u32 init_flags                    ->  u32 res
/// SHUTDOWN, STOP          -                                 ->  u32 res
/// GET_TPMESTABLISHED      -                                 ->  u32 res, u8 bit, u8 pad[3]
/// SET_LOCALITY            u8 loc                            ->  u32 res
/// HASH_START, HASH_END    -                                 ->  u32 res
/// HASH_DATA               u32 length, length bytes          ->  u32 res
/// CANCEL_TPM_CMD          -                                 ->  u32 res
/// STORE_VOLATILE          -                                 ->  u32 res
/// RESET_TPMESTABLISHED    u8 loc                            ->  u32 res
/// GET_STATEBLOB           u32 flags, u32 type, u32 offset   ->  u32 res, u32 flags, u32 totlength, u32 length, data
/// SET_STATEBLOB           u32 flags, u32 type, u32 length, data   ->  u32 res
/// GET_CONFIG              -                                 ->  u32 res, u32 flags
/// SET_DATAFD              - (the socket in SCM_RIGHTS)      ->  u32 res
/// SET_BUFFERSIZE          u32 size (0 = query)              ->  u32 res, u32 size, u32 min, u32 max
/// GET_INFO                u64 flags, u32 offset, u32 pad    ->  u32 res, u32 totlength, u32 length, text
/// LOCK_STORAGE            u32 retries                       ->  u32 res
/// </code>
/// </remarks>
public enum SwtpmControlCode : uint
{
    GetCapability = 0x01,
    Init = 0x02,
    Shutdown = 0x03,
    GetTpmEstablished = 0x04,
    SetLocality = 0x05,
    HashStart = 0x06,
    HashData = 0x07,
    HashEnd = 0x08,
    CancelTpmCmd = 0x09,
    StoreVolatile = 0x0a,
    ResetTpmEstablished = 0x0b,
    GetStateBlob = 0x0c,
    SetStateBlob = 0x0d,
    Stop = 0x0e,
    GetConfig = 0x0f,
    SetDataFd = 0x10,
    SetBufferSize = 0x11,
    GetInfo = 0x12,
    LockStorage = 0x13,
}

/// <summary>PTM_CAP_* bits of the GET_CAPABILITY reply.</summary>
[Flags]
public enum SwtpmCapabilities : uint
{
    Init = 1 << 0,
    Shutdown = 1 << 1,
    GetTpmEstablished = 1 << 2,
    SetLocality = 1 << 3,
    Hashing = 1 << 4,
    CancelTpmCmd = 1 << 5,
    StoreVolatile = 1 << 6,
    ResetTpmEstablished = 1 << 7,
    GetStateBlob = 1 << 8,
    SetStateBlob = 1 << 9,
    Stop = 1 << 10,
    GetConfig = 1 << 11,
    SetDataFd = 1 << 12,
    SetBufferSize = 1 << 13,
    GetInfo = 1 << 14,
    SendCommandHeader = 1 << 15,
    LockStorage = 1 << 16,
}

/// <summary>The TPM 1.2 style result codes (TPM_BASE + n) the control channel answers with.</summary>
public enum SwtpmResult : uint
{
    Success = 0,
    BadParameter = 3,
    Fail = 9,
    BadOrdinal = 10,
    Size = 0x17,
    IoError = 0x1f,
    BadVersion = 0x2e,
    BadLocality = 0x3d,
}

/// <summary>PTM_BLOB_TYPE_*: the three parts of a TPM's state that GET/SET_STATEBLOB move.</summary>
public enum SwtpmBlobType : uint
{
    Permanent = 1,
    Volatile = 2,
    SaveState = 3,
}

/// <summary>Constants of swtpm's protocols.</summary>
public static class SwtpmProtocol
{
    /// <summary>swtpm's default data port (TPM_PORT); the control channel has no default.</summary>
    public const int DefaultDataPort = 2321;

    /// <summary>PTM_INIT_FLAG_DELETE_VOLATILE: delete the volatile state after reading it.</summary>
    public const uint InitFlagDeleteVolatile = 1;

    /// <summary>PTM_STATE_FLAG_DECRYPTED (request) and PTM_STATE_FLAG_ENCRYPTED (reply).</summary>
    public const uint StateFlagDecrypted = 1, StateFlagEncrypted = 2;

    /// <summary>PTM_CONFIG_FLAG_FILE_KEY and PTM_CONFIG_FLAG_MIGRATION_KEY of GET_CONFIG.</summary>
    public const uint ConfigFlagFileKey = 1, ConfigFlagMigrationKey = 2;

    /// <summary>SWTPM_INFO_TPMSPECIFICATION and SWTPM_INFO_TPMATTRIBUTES of GET_INFO.</summary>
    public const ulong InfoTpmSpecification = 1, InfoTpmAttributes = 2;

    /// <summary>Most HASH_DATA bytes one request carries (ptm_hdata's buffer).</summary>
    public const int MaxHashDataChunk = 4096;

    /// <summary>Largest GET_INFO text one reply carries (PTM_GETINFO_SIZE).</summary>
    public const int GetInfoChunk = 3 * 1024;

    /// <summary>Largest state blob SET_STATEBLOB accepts (swtpm's limit too).</summary>
    public const int MaxStateBlobSize = 512 * 1024;

    /// <summary>Every capability this host implements.</summary>
    public const SwtpmCapabilities Capabilities = (SwtpmCapabilities)0x1FFFF;

    /// <summary>swtpm's vendor command TPM2_CC_SET_LOCALITY (accepted with --locality allow-set-locality).</summary>
    public const uint SetLocalityCommandCode = 0x20001000;

    /// <summary>The mssim TPM_SEND_COMMAND code, which swtpm's data channel also accepts as a prefix.</summary>
    public const uint MssimSendCommand = 8;
}
