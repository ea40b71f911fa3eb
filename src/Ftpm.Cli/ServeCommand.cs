using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Server;
using Ftpm.Server.Mssim;
using Ftpm.Storage;
using Microsoft.Extensions.Logging;

namespace Ftpm.Cli;

/// <summary><c>ftpm serve</c>: one TPM, its state in a folder, served over the mssim protocol until Ctrl+C, SIGTERM or STOP.</summary>
static class ServeCommand
{
    static readonly Option<int> Port = new("--port")
    {
        Description = "TPM command port (0 picks a free port)",
        DefaultValueFactory = _ => MssimProtocol.DefaultCommandPort,
    };

    static readonly Option<int?> PlatformPort = new("--platform-port")
    {
        Description = "Platform port (default: command port + 1)",
    };

    static readonly Option<string?> State = new("--state")
    {
        Description = "State folder (default: ftpm under the user's local application data folder)",
    };

    static readonly Option<string> Address = new("--address")
    {
        Description = "Address to listen on",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    static readonly Option<string?> PlatformAddress = new("--platform-address")
    {
        Description = "Address of the platform port (power, NV and failure-mode signals); default: the --address value. " +
            "Use 127.0.0.1 to serve commands on a network while keeping the platform port local",
    };

    static readonly Option<string?> Rpmb = new("--rpmb")
    {
        Description = "RPMB counter file: a monotonic commit counter kept apart from the state; an older state restored beside it is refused (created if missing)",
    };

    static readonly Option<string?> StateKeyFile = new("--state-key")
    {
        Description = $"File holding the 32-octet key (raw or 64 hex digits) that encrypts the state at rest (AES-256-GCM); default: environment variable {StateKey.EnvironmentVariable}",
    };

    static readonly Option<string[]> ProvisionEk = new("--provision-ek")
    {
        Description = "Before serving, provision EK certificates (as `ftpm provision`) for these templates (default rsa, ecc) where missing; CA in ek-ca in the state folder",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = true,
    };

    static readonly Option<int> MaxConnections = new("--max-connections")
    {
        Description = "Connections served at once on each port; more are closed at once",
        DefaultValueFactory = _ => MssimServerOptions.DefaultMaxConnectionsPerPort,
    };

    static readonly Option<double> IdleTimeout = new("--idle-timeout")
    {
        Description = "Seconds a connection may stall in the middle of a request (or not read its reply) before it is dropped; 0: never",
        DefaultValueFactory = _ => MssimServerOptions.DefaultIdleTimeout.TotalSeconds,
    };

    static readonly Option<LogLevel> Level = new("--log-level")
    {
        Description = "Trace, Debug, Information, Warning, Error, Critical or None",
        DefaultValueFactory = _ => LogLevel.Information,
    };

    public static Command Create()
    {
        var command = new Command("serve", "Run a TPM simulator server (mssim protocol: tpm2-tss mssim TCTI, IBM TSS)")
        {
            Port, PlatformPort, State, Address, PlatformAddress, Rpmb, StateKeyFile, MaxConnections, IdleTimeout, ProvisionEk, Level,
        };
        command.SetAction(RunAsync);
        return command;
    }

    static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellation)
    {
        if (!IPAddress.TryParse(parse.GetValue(Address), out var address))
        {
            Console.Error.WriteLine($"ftpm: --address {parse.GetValue(Address)} is not an IP address");
            return 2;
        }
        IPAddress? platformAddress = null;
        if (parse.GetValue(PlatformAddress) is { } platformText && !IPAddress.TryParse(platformText, out platformAddress))
        {
            Console.Error.WriteLine($"ftpm: --platform-address {platformText} is not an IP address");
            return 2;
        }
        int port = parse.GetValue(Port);
        if (parse.GetValue(MaxConnections) < 1)
        {
            Console.Error.WriteLine("ftpm: --max-connections must be at least 1");
            return 2;
        }
        double idleSeconds = parse.GetValue(IdleTimeout);
        if (!(idleSeconds >= 0 && idleSeconds <= int.MaxValue / 1000))
        {
            Console.Error.WriteLine($"ftpm: --idle-timeout {idleSeconds} is not a number of seconds >= 0");
            return 2;
        }
        string stateDirectory = parse.GetValue(State) ?? DefaultStateDirectory();
        // The mssim protocol has no authentication: whoever reaches the platform port can power-cycle the
        // TPM, stop the server or put the TPM into failure mode, and the command port serves every command.
        if (!IPAddress.IsLoopback(address))
            Console.Error.WriteLine($"ftpm: warning: listening on {address}, not loopback: anyone who can reach port {port} can send TPM commands; " +
                "keep it behind a firewall or on a trusted network");
        if (!IPAddress.IsLoopback(platformAddress ?? address))
            Console.Error.WriteLine($"ftpm: warning: the platform port listens on {platformAddress ?? address}, not loopback: anyone who can reach it can " +
                "power-cycle the TPM, stop the server or put the TPM into failure mode; use --platform-address 127.0.0.1 to keep it local");

        // Permissions: refuse a state folder or key file others may write, warn about ones they may read.
        bool encrypted = parse.GetValue(StateKeyFile) is not null || Environment.GetEnvironmentVariable(StateKey.EnvironmentVariable) is { Length: > 0 };
        bool refused = false;
        foreach (var finding in StatePermissions.Check(stateDirectory, parse.GetValue(StateKeyFile), encrypted))
        {
            Console.Error.WriteLine(finding.Refuse ? $"ftpm: {finding.Message}" : $"ftpm: warning: {finding.Message}");
            refused |= finding.Refuse;
        }
        if (refused) return 1;

        using var loggerFactory = LineLoggerFactory.Console(parse.GetValue(Level));

        FileNvStore store;
        RpmbFile? rpmb = null;
        INvStore nv;
        try
        {
            store = new FileNvStore(stateDirectory);
            try
            {
                // The guard layer: integrity, encryption at rest and rollback detection when asked for.
                byte[]? key = StateKey.Load(parse.GetValue(StateKeyFile));
                if (parse.GetValue(Rpmb) is string rpmbPath) rpmb = new RpmbFile(rpmbPath);
                nv = GuardedNvStore.Open(store, new StateGuardOptions { StateKey = key, Rpmb = rpmb, StateName = $"state file {store.StatePath}" });
                if (key is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            }
            catch
            {
                rpmb?.Dispose();
                store.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ftpm: {e.Message}");
            return 1;
        }
        using (store)
        using (rpmb)
        using (nv as IDisposable)
        {
            var platform = new SoftwarePlatform();
            var tpm = new Tpm(new TpmOptions
            {
                Crypto = new PlatformCrypto(),
                Store = nv,
                Platform = platform,
                Logger = loggerFactory.CreateLogger("Ftpm.Tpm"),
            });
            if (parse.GetResult(ProvisionEk) is not null)
            {
                // Manufacturing before the first power-on a client sees: the TPM is powered off again after.
                var templates = EkProvisioner.ParseTemplates(parse.GetValue(ProvisionEk), Console.Error);
                if (templates is null) return 2;
                try
                {
                    EkProvisioner.ProvisionAll(tpm, templates, Path.Combine(store.Directory, "ek-ca"), Console.Out);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException
                    or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
                {
                    Console.Error.WriteLine($"ftpm: EK provisioning failed: {e.Message}");
                    return 1;
                }
            }
            var options = new MssimServerOptions
            {
                Address = address,
                PlatformAddress = platformAddress,
                CommandPort = port,
                PlatformPort = parse.GetValue(PlatformPort),
                MaxConnectionsPerPort = parse.GetValue(MaxConnections),
                IdleTimeout = TimeSpan.FromSeconds(idleSeconds),
            };
            await using var server = new MssimServer(tpm, platform, options, loggerFactory.CreateLogger("Ftpm.Server.Mssim"));
            try
            {
                server.Start();
            }
            catch (Exception e) when (e is AddressInUseException or System.Net.Sockets.SocketException)
            {
                Console.Error.WriteLine($"ftpm: {e.Message}");
                return 1;
            }
            string protection = nv is GuardedNvStore
                ? (key: parse.GetValue(StateKeyFile) is not null || Environment.GetEnvironmentVariable(StateKey.EnvironmentVariable) is { Length: > 0 }, rpmb) switch
                {
                    (true, { } r) => $"encrypted, rollback-protected by {r.Path} (counter {r.Counter})",
                    (true, null) => "encrypted",
                    (false, { } r) => $"MACed, rollback-protected by {r.Path} (counter {r.Counter})",
                    _ => "guarded",
                }
                : "unprotected";
            Console.WriteLine($"ftpm listening on {server.CommandEndPoint} (platform {server.PlatformEndPoint.Port}), state {store.Directory} ({protection})");

            // Ctrl+C and SIGTERM end the server. Like a power loss, the TPM gets no Shutdown.
            // (System.CommandLine cancels its token on Ctrl+C; SIGTERM would otherwise end the process
            // from ProcessExit without letting the server close its sockets and the store its lock.)
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onCancel = cancellation.Register(() => cancelled.TrySetResult());
            using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            await Task.WhenAny(server.Stopped, cancelled.Task);
            await server.StopAsync();

            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                cancelled.TrySetResult();
            }
        }
        return 0;
    }

    static string DefaultStateDirectory()
    {
        string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        if (string.IsNullOrEmpty(root)) root = Environment.CurrentDirectory;
        return Path.Combine(root, "ftpm");
    }
}
