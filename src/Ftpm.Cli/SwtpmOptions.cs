using System.Net;
using Ftpm.Server.Swtpm;

namespace Ftpm.Cli;

/// <summary>`ftpm swtpm socket` options, spelled as swtpm spells them (man swtpm(8)), so a QEMU or libvirt
/// recipe written for swtpm runs with `ftpm swtpm` in its place. An option or parameter ftpm does not
/// implement is an error that names it, never ignored.</summary>
sealed class SwtpmOptions
{
    public bool Tpm2;
    public string? StateDirectory;
    public UnixFileMode? StateMode;
    public SwtpmEndPoint? Data;
    public SwtpmEndPoint? Control;
    public bool NeedInit = true, DisableAutoShutdown, AllowSetLocality, RejectLocality4;
    public SwtpmStartup Startup;
    public bool StartupDeactivated;
    public bool Terminate, ControlTerminate, Disconnect, Daemon, PrintCapabilities, Help;
    public string? PidFile;
    public string? LogFile;
    public int LogLevel;
    public string LogPrefix = "";
    public bool LogTruncate;
    public string? StateKeyFile;

    /// <summary>Parses swtpm's command line; throws <see cref="FormatException"/> naming what is wrong or unsupported.</summary>
    public static SwtpmOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var o = new SwtpmOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0) { name = arg[..eq]; inline = arg[(eq + 1)..]; }
            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count) throw new FormatException($"option {name} needs a value");
                return args[++i];
            }
            switch (name)
            {
                case "--tpm2": o.Tpm2 = true; break;
                case "--tpmstate": o.ParseTpmState(Value()); break;
                case "--server": o.Data = ParseChannel("--server", Value(), o, control: false); break;
                case "--ctrl": o.Control = ParseChannel("--ctrl", Value(), o, control: true); break;
                case "--flags": o.ParseFlags(Value()); break;
                case "--pid": o.PidFile = ParsePid(Value()); break;
                case "--log": o.ParseLog(Value()); break;
                case "--locality": o.ParseLocality(Value()); break;
                case "-d": case "--daemon": o.Daemon = true; break;
                case "-t": case "--terminate": o.Terminate = true; break;
                case "--print-capabilities": o.PrintCapabilities = true; break;
                case "-h": case "--help": o.Help = true; break;
                case "--state-key": o.StateKeyFile = Value(); break; // ftpm's own: the key of ftpm serve --state-key
                default:
                    throw new FormatException(name.StartsWith('-')
                        ? $"option {name} is not supported by ftpm swtpm socket"
                        : $"unexpected argument '{arg}'");
            }
        }
        if (o.Help || o.PrintCapabilities) return o;
        if (!o.Tpm2) throw new FormatException("ftpm is a TPM 2.0 only: --tpm2 is required (swtpm would start a TPM 1.2)");
        o.StateDirectory ??= environment("TPM_PATH") is { Length: > 0 } path ? path : null;
        if (o.StateDirectory is null) throw new FormatException("--tpmstate dir=DIR is required (or the TPM_PATH environment variable)");
        if (o.StartupDeactivated) throw new FormatException("--flags startup-deactivated: TPM 2 does not support startup deactivated");
        if (o.Data is null && o.Control is null) throw new FormatException("give --server and/or --ctrl");
        if (o.Data is SwtpmTcpEndPoint { Port: < 0 } && environment("TPM_PORT") is { } port && int.TryParse(port, out int p))
            o.Data = new SwtpmTcpEndPoint(((SwtpmTcpEndPoint)o.Data).Address, p);
        if (o.Data is SwtpmTcpEndPoint { Port: < 0 } t) o.Data = t with { Port = SwtpmProtocol.DefaultDataPort };
        return o;
    }

    /// <summary>"a=b,c,d=e" into (key, value or null) pairs.</summary>
    static List<(string Key, string? Value)> Pairs(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.IndexOf('=') is int e and > 0 ? (p[..e], (string?)p[(e + 1)..]) : (p, null))
            .ToList();

    static FormatException Unsupported(string option, string parameter) =>
        new($"{option} parameter '{parameter}' is not supported by ftpm swtpm socket");

    static string Required(string option, string key, string? value) =>
        value ?? throw new FormatException($"{option} {key} needs a value ({key}=...)");

    static UnixFileMode ParseMode(string option, string? value)
    {
        try
        {
            return (UnixFileMode)Convert.ToInt32(Required(option, "mode", value), 8);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new FormatException($"{option} mode={value} is not an octal file mode");
        }
    }

    void ParseTpmState(string text)
    {
        foreach (var (key, value) in Pairs(text))
        {
            switch (key)
            {
                case "dir": StateDirectory = Required("--tpmstate", key, value); break;
                case "backend-uri":
                    string uri = Required("--tpmstate", key, value);
                    if (!uri.StartsWith("dir://", StringComparison.Ordinal))
                        throw new FormatException($"--tpmstate backend-uri={uri}: ftpm keeps its state in a folder; only dir:// is supported");
                    StateDirectory = uri["dir://".Length..];
                    break;
                case "mode": StateMode = ParseMode("--tpmstate", value); break;
                case "lock": break; // ftpm always locks its state folder
                case "fsync": break; // ftpm always flushes a commit to disk
                default: throw Unsupported("--tpmstate", key);
            }
        }
    }

    static SwtpmEndPoint ParseChannel(string option, string text, SwtpmOptions o, bool control)
    {
        string type = "tcp";
        int? port = null;
        IPAddress address = IPAddress.Loopback;
        string? path = null;
        UnixFileMode? mode = null;
        foreach (var (key, value) in Pairs(text))
        {
            switch (key)
            {
                case "type":
                    type = Required(option, key, value);
                    if (type is not ("tcp" or "unixio")) throw new FormatException($"{option} type={type}: only tcp and unixio are supported");
                    break;
                case "port":
                    if (!int.TryParse(Required(option, key, value), out int p) || p is < 0 or > 65535)
                        throw new FormatException($"{option} port={value} is not a port number");
                    port = p;
                    break;
                case "bindaddr":
                    string a = Required(option, key, value);
                    if (!IPAddress.TryParse(a.Trim('[', ']'), out address!)) throw new FormatException($"{option} bindaddr={a} is not an IP address");
                    break;
                case "path": path = Required(option, key, value); break;
                case "mode": mode = ParseMode(option, value); break;
                case "terminate" when control: o.ControlTerminate = true; break;
                case "disconnect" when !control: o.Disconnect = true; break;
                default: throw Unsupported(option, key);
            }
        }
        if (type == "unixio")
            return new SwtpmUnixEndPoint(path ?? throw new FormatException($"{option} type=unixio needs path=PATH"), mode);
        if (path is not null) throw new FormatException($"{option} path= is only valid with type=unixio");
        if (control && port is null) throw new FormatException($"{option} type=tcp needs port=PORT");
        return new SwtpmTcpEndPoint(address, port ?? -1);
    }

    void ParseFlags(string text)
    {
        foreach (var (key, _) in Pairs(text))
        {
            switch (key)
            {
                case "not-need-init": NeedInit = false; break;
                case "startup-clear": Startup = SwtpmStartup.Clear; break;
                case "startup-state": Startup = SwtpmStartup.State; break;
                case "startup-none": Startup = SwtpmStartup.None; break;
                case "startup-deactivated": StartupDeactivated = true; break;
                case "disable-auto-shutdown": DisableAutoShutdown = true; break;
                default: throw Unsupported("--flags", key);
            }
        }
    }

    static string ParsePid(string text)
    {
        string? file = null;
        foreach (var (key, value) in Pairs(text))
        {
            if (key == "file") file = Required("--pid", key, value);
            else throw Unsupported("--pid", key);
        }
        return file ?? throw new FormatException("--pid needs file=PATH");
    }

    void ParseLog(string text)
    {
        foreach (var (key, value) in Pairs(text))
        {
            switch (key)
            {
                case "file": LogFile = Required("--log", key, value); break;
                case "level":
                    if (!int.TryParse(Required("--log", key, value), out LogLevel) || LogLevel < 0)
                        throw new FormatException($"--log level={value} is not a level");
                    break;
                case "prefix": LogPrefix = value ?? ""; break;
                case "truncate": LogTruncate = true; break;
                default: throw Unsupported("--log", key);
            }
        }
    }

    void ParseLocality(string text)
    {
        foreach (var (key, _) in Pairs(text))
        {
            switch (key)
            {
                case "allow-set-locality": AllowSetLocality = true; break;
                case "reject-locality-4": RejectLocality4 = true; break;
                default: throw Unsupported("--locality", key);
            }
        }
    }

    public const string Usage = """
        Usage: ftpm swtpm socket --tpm2 [options]   (swtpm's options; ftpm is a TPM 2.0 only)

        --tpmstate dir=<dir>|backend-uri=dir://<dir>[,mode=0...][,lock][,fsync]
                          : the TPM's state folder (or the TPM_PATH environment variable)
        --server type=tcp[,port=<port>][,bindaddr=<address>][,disconnect]
        --server type=unixio,path=<path>[,mode=0...]
                          : the data channel (raw TPM commands; also mssim SEND_COMMAND frames);
                            TCP binds 127.0.0.1 unless told, port from TPM_PORT or 2321
        --ctrl type=tcp,port=<port>[,bindaddr=<address>][,terminate]
        --ctrl type=unixio,path=<path>[,mode=0...][,terminate]
                          : the control channel (swtpm_ioctl, QEMU, libvirt)
        --flags [not-need-init][,startup-clear|startup-state|startup-none][,disable-auto-shutdown]
        --locality [reject-locality-4][,allow-set-locality]
        --pid file=<path> : write the process id into the file
        --log file=<path>[,level=n][,prefix=<prefix>][,truncate]
                          : log into the file ('-': no log); level 0: warnings, 1-2: connections,
                            3-4: every command and control request, 5+: everything
        -t|--terminate    : stop once the data connection closes
        -d|--daemon       : run in the background once the channels listen
        --state-key <file>: ftpm's state key (32 octets or 64 hex digits): the state files and the
                            migration blobs are encrypted under it (default: FTPM_STATE_KEY)
        --print-capabilities
                          : print the JSON capabilities libvirt probes for, and exit
        """;
}
