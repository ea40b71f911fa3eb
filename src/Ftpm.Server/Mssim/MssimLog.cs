using System.Net;
using Microsoft.Extensions.Logging;

namespace Ftpm.Server.Mssim;

// Fixed event ids; every line about a connection carries its id.
static partial class MssimLog
{
    [LoggerMessage(1, LogLevel.Information, "Listening for mssim {Port} connections on {EndPoint}")]
    public static partial void Listening(ILogger logger, MssimPort port, EndPoint endPoint);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId} opened on the {Port} port from {RemoteEndPoint}")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId, MssimPort port, EndPoint? remoteEndPoint);

    [LoggerMessage(3, LogLevel.Information, "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId}: command 0x{CommandCode:X8} at locality {Locality} -> 0x{ResponseCode:X8} in {ElapsedMicroseconds} us")]
    public static partial void CommandExecuted(ILogger logger, long connectionId, uint commandCode, byte locality, uint responseCode, long elapsedMicroseconds);

    [LoggerMessage(5, LogLevel.Debug, "Connection {ConnectionId}: {Signal}")]
    public static partial void Signal(ILogger logger, long connectionId, MssimCode signal);

    [LoggerMessage(6, LogLevel.Warning, "Connection {ConnectionId}: unknown platform code {Code}, answered 1")]
    public static partial void UnknownPlatformCode(ILogger logger, long connectionId, uint code);

    [LoggerMessage(7, LogLevel.Warning, "Connection {ConnectionId} dropped: {Reason}")]
    public static partial void ConnectionDropped(ILogger logger, long connectionId, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Connection {ConnectionId}: unexpected socket error")]
    public static partial void ConnectionError(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "Connection {ConnectionId} sent STOP; stopping the server")]
    public static partial void StopRequested(ILogger logger, long connectionId);

    [LoggerMessage(10, LogLevel.Warning, "Accepting a {Port} connection failed ({Error}); backing off, further failures are counted until an accept succeeds")]
    public static partial void AcceptError(ILogger logger, MssimPort port, string error);

    [LoggerMessage(12, LogLevel.Information, "Accepting {Port} connections again after {Failures} failed attempts")]
    public static partial void AcceptRecovered(ILogger logger, MssimPort port, long failures);

    [LoggerMessage(13, LogLevel.Warning, "Refused a {Port} connection from {RemoteEndPoint}: {Limit} connections are open on that port")]
    public static partial void ConnectionRefused(ILogger logger, MssimPort port, EndPoint? remoteEndPoint, int limit);

    [LoggerMessage(14, LogLevel.Warning, "{Count} connection log lines were suppressed (rate limit)")]
    public static partial void Suppressed(ILogger logger, long count);

    [LoggerMessage(11, LogLevel.Information, "mssim server stopped")]
    public static partial void Stopped(ILogger logger);
}

/// <summary>Which of the two mssim listeners a connection came in on.</summary>
public enum MssimPort
{
    Command,
    Platform,
}
