using System.Net;

namespace Ftpm.Server.Mssim;

/// <summary>Where an <see cref="MssimServer"/> listens, and the limits that keep one client from starving others.</summary>
public sealed class MssimServerOptions
{
    /// <summary>The address both listeners bind; loopback unless asked otherwise (the protocol has no authentication).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>The address the platform listener binds; null means <see cref="Address"/>. Lets the command
    /// port serve a network while the platform port (power, NV, failure-mode signals) stays on loopback.</summary>
    public IPAddress? PlatformAddress { get; set; }

    /// <summary>TPM command port; 0 picks a free port (read it back from <see cref="MssimServer.CommandEndPoint"/>).</summary>
    public int CommandPort { get; set; } = MssimProtocol.DefaultCommandPort;

    /// <summary>Platform port; null means <see cref="CommandPort"/> + 1 (or a free port when <see cref="CommandPort"/> is 0).</summary>
    public int? PlatformPort { get; set; }

    /// <summary>Connections served at once on each port. One more is accepted and closed at once (so it does not
    /// wait in the backlog), with a rate-limited log line. Each connection holds one thread and ~8 KiB of buffers.</summary>
    public int MaxConnectionsPerPort { get; set; } = DefaultMaxConnectionsPerPort;

    /// <summary>A connection that stops sending in the middle of a request, or stops reading its reply, for this long
    /// is dropped. A connection idle between requests is kept (resource managers hold one open for hours).
    /// <see cref="TimeSpan.Zero"/> or less: never.</summary>
    public TimeSpan IdleTimeout { get; set; } = DefaultIdleTimeout;

    /// <summary>Listen backlog of each port (Linux caps it at net.core.somaxconn).</summary>
    public int ListenBacklog { get; set; } = 512;

    public const int DefaultMaxConnectionsPerPort = 64;
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(10);

    internal int EffectivePlatformPort => PlatformPort ?? (CommandPort == 0 ? 0 : CommandPort + 1);
}
