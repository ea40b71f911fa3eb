using System.Net;

namespace Ftpm.Server.Swtpm;

/// <summary>Where a channel of a <see cref="SwtpmServer"/> listens.</summary>
public abstract record SwtpmEndPoint;

/// <summary>A TCP listener (swtpm <c>type=tcp,port=N,bindaddr=A</c>; port 0 picks a free port).</summary>
public sealed record SwtpmTcpEndPoint(IPAddress Address, int Port) : SwtpmEndPoint
{
    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}

/// <summary>A unix socket listener (swtpm <c>type=unixio,path=P,mode=0...</c>); a stale socket file at the path is replaced.</summary>
public sealed record SwtpmUnixEndPoint(string Path, UnixFileMode? Mode = null) : SwtpmEndPoint
{
    public override string ToString() => Path;
}

/// <summary>TPM2_Startup that swtpm's <c>--flags startup-clear|startup-state</c> sends before serving.</summary>
public enum SwtpmStartup
{
    None,
    Clear,
    State,
}

/// <summary>How a <see cref="SwtpmServer"/> serves its TPM; the defaults are swtpm's.</summary>
public sealed class SwtpmServerOptions
{
    /// <summary>The data channel (raw TPM commands); null: only a socket passed with CMD_SET_DATAFD.</summary>
    public SwtpmEndPoint? Data { get; set; }

    /// <summary>The control channel (CMD_*); null: none.</summary>
    public SwtpmEndPoint? Control { get; set; }

    /// <summary>False (<c>not-need-init</c>): the TPM runs from the start; true: only after CMD_INIT.</summary>
    public bool NeedInit { get; set; } = true;

    /// <summary>Startup sent when the TPM starts running at <see cref="SwtpmServer.Start"/> (<c>startup-*</c>).</summary>
    public SwtpmStartup Startup { get; set; }

    /// <summary>No TPM2_Shutdown before a CMD_INIT, CMD_STOP, CMD_SHUTDOWN or the end (<c>disable-auto-shutdown</c>).</summary>
    public bool DisableAutoShutdown { get; set; }

    /// <summary>Accept swtpm's TPM2_CC_SET_LOCALITY vendor command on the data channel (<c>--locality allow-set-locality</c>).</summary>
    public bool AllowSetLocality { get; set; }

    /// <summary>Refuse locality 4 (<c>--locality reject-locality-4</c>).</summary>
    public bool RejectLocality4 { get; set; }

    /// <summary>Stop when a data connection ends (<c>--terminate</c>).</summary>
    public bool TerminateOnDataClose { get; set; }

    /// <summary>Stop when a control connection ends (<c>--ctrl ...,terminate</c>).</summary>
    public bool TerminateOnControlClose { get; set; }

    /// <summary>Close a data connection after each response (<c>--server ...,disconnect</c>).</summary>
    public bool DisconnectAfterResponse { get; set; }

    /// <summary>The configured state key: state blobs are then encrypted under a key derived from it, and
    /// GET_CONFIG reports PTM_CONFIG_FLAG_FILE_KEY.</summary>
    public byte[]? StateKey { get; set; }

    /// <summary>Where CMD_STORE_VOLATILE and SET_STATEBLOB keep the volatile state (null: in memory only).</summary>
    public string? VolatileStatePath { get; set; }

    /// <summary>Mode of the files this host writes (the volatile state), e.g. from <c>--tpmstate mode=0600</c>.</summary>
    public UnixFileMode? StateFileMode { get; set; }

    /// <summary>Most data and control connections served at once; more are closed at once.</summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>Listen backlog: the swtpm TCTI opens a connection per command, so bursts queue here.</summary>
    public int Backlog { get; set; } = 128;
}
