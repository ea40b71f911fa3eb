using System.Net;

namespace Ftpm.Server.Mssim;

/// <summary>Where an <see cref="MssimServer"/> listens.</summary>
public sealed class MssimServerOptions
{
    /// <summary>The address both listeners bind; loopback unless asked otherwise (the protocol has no authentication).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>TPM command port; 0 picks a free port (read it back from <see cref="MssimServer.CommandEndPoint"/>).</summary>
    public int CommandPort { get; set; } = MssimProtocol.DefaultCommandPort;

    /// <summary>Platform port; null means <see cref="CommandPort"/> + 1 (or a free port when <see cref="CommandPort"/> is 0).</summary>
    public int? PlatformPort { get; set; }

    internal int EffectivePlatformPort => PlatformPort ?? (CommandPort == 0 ? 0 : CommandPort + 1);
}
