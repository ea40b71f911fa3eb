namespace Ftpm.Server.Mssim;

/// <summary>
/// Codes of the Microsoft/TCG simulator TCP protocol ("mssim"), as in the reference simulator's
/// TpmTcpProtocol.h. Every integer on the wire is a big-endian u32 unless noted.
/// </summary>
/// <remarks>
/// Command port (default 2321):
/// <code>
/// SEND_COMMAND       u32 8, u8 locality, u32 n, n bytes  ->  u32 m, m response bytes, u32 0
/// HASH_START/END     u32 5 / 7                           ->  u32 0
/// HASH_DATA          u32 6, u32 n, n bytes               ->  u32 0
/// REMOTE_HANDSHAKE   u32 15, u32 clientVersion           ->  u32 serverVersion (1), u32 flags, u32 0
/// SET_ALT_RESULT     u32 16, u32 result                  ->  u32 0
/// SESSION_END, STOP  u32 20 / 21                         ->  (connection closed, no reply)
/// </code>
/// Platform port (default command port + 1): one u32 code, optional u32 argument, reply u32 0
/// (u32 1 for an unknown code). ACT_GET_SIGNALED answers u32 signaled before the u32 0;
/// GET_COMMAND_RESPONSE_SIZES answers u32 16 and 16 bytes before the u32 0.
/// </remarks>
public enum MssimCode : uint
{
    SignalPowerOn = 1,
    SignalPowerOff = 2,
    SignalPhysPresOn = 3,
    SignalPhysPresOff = 4,
    SignalHashStart = 5,
    SignalHashData = 6,
    SignalHashEnd = 7,
    SendCommand = 8,
    SignalCancelOn = 9,
    SignalCancelOff = 10,
    SignalNvOn = 11,
    SignalNvOff = 12,
    SignalKeyCacheOn = 13,
    SignalKeyCacheOff = 14,
    RemoteHandshake = 15,
    SetAlternativeResult = 16,
    SignalReset = 17,
    SignalRestart = 18,
    SessionEnd = 20,
    Stop = 21,
    GetCommandResponseSizes = 25,
    ActGetSignaled = 26,
    TestFailureMode = 30,
    SetFwHash = 35,
    SetFwSvn = 36,
}

/// <summary>Constants of the mssim protocol.</summary>
public static class MssimProtocol
{
    /// <summary>Default TPM command port; the platform port is this plus one.</summary>
    public const int DefaultCommandPort = 2321;

    /// <summary>The server protocol version REMOTE_HANDSHAKE answers.</summary>
    public const uint ServerVersion = 1;

    /// <summary>TpmEndPointInfo bits of REMOTE_HANDSHAKE (TpmTcpProtocol.h).</summary>
    public const uint PlatformAvailable = 0x01, UsesTbs = 0x02, InRawMode = 0x04, SupportsPP = 0x08;

    /// <summary>REMOTE_HANDSHAKE flags, as the reference simulator answers: a raw TPM (no TBS or resource
    /// manager in between, so the client powers it up and sends Startup) with a platform port and
    /// physical presence: 0x0D.</summary>
    public const uint HandshakeFlags = PlatformAvailable | InRawMode | SupportsPP;

    /// <summary>Largest HASH_DATA payload accepted (the reference simulator's buffer size).</summary>
    public const int MaxHashDataSize = 1 << 20;
}
