using Microsoft.Extensions.Logging;

namespace Ftpm.Server.Swtpm;

// Fixed event ids; every line about a connection carries its id.
static partial class SwtpmLog
{
    [LoggerMessage(101, LogLevel.Information, "Listening for swtpm {Channel} connections on {EndPoint}")]
    public static partial void Listening(ILogger logger, string channel, SwtpmEndPoint endPoint);

    [LoggerMessage(102, LogLevel.Debug, "Connection {ConnectionId} opened on the {Channel} channel")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId, string channel);

    [LoggerMessage(103, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string reason);

    [LoggerMessage(104, LogLevel.Debug, "Connection {ConnectionId}: command 0x{CommandCode:X8} at locality {Locality} -> 0x{ResponseCode:X8}")]
    public static partial void CommandExecuted(ILogger logger, long connectionId, uint commandCode, byte locality, uint responseCode);

    [LoggerMessage(105, LogLevel.Debug, "Connection {ConnectionId}: control {Code} -> 0x{Result:X}")]
    public static partial void Control(ILogger logger, long connectionId, SwtpmControlCode code, uint result);

    [LoggerMessage(106, LogLevel.Warning, "Connection {ConnectionId} dropped: {Reason}")]
    public static partial void ConnectionDropped(ILogger logger, long connectionId, string reason);

    [LoggerMessage(107, LogLevel.Warning, "Connection {ConnectionId}: unexpected socket error")]
    public static partial void ConnectionError(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(108, LogLevel.Warning, "Accepting a {Channel} connection failed; retrying in {DelayMilliseconds} ms")]
    public static partial void AcceptError(ILogger logger, string channel, int delayMilliseconds, Exception exception);

    [LoggerMessage(109, LogLevel.Warning, "{Channel} connection refused: {Limit} connections are open")]
    public static partial void ConnectionLimit(ILogger logger, string channel, int limit);

    [LoggerMessage(110, LogLevel.Error, "State blob refused: {Reason}")]
    public static partial void BlobRefused(ILogger logger, string reason);

    [LoggerMessage(111, LogLevel.Error, "{Message}")]
    public static partial void Error(ILogger logger, string message);

    [LoggerMessage(112, LogLevel.Information, "{Message}")]
    public static partial void Info(ILogger logger, string message);

    [LoggerMessage(113, LogLevel.Information, "swtpm server stopped: {Reason}")]
    public static partial void Stopped(ILogger logger, string reason);
}
