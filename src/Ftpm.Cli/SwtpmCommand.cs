using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Server;
using Ftpm.Server.Swtpm;
using Ftpm.Storage;
using Microsoft.Extensions.Logging;

namespace Ftpm.Cli;

/// <summary><c>ftpm swtpm socket ...</c>: one TPM served like <c>swtpm socket</c> (QEMU's tpm-emulator,
/// libvirt, the swtpm TCTI, swtpm_ioctl), with swtpm's command line.</summary>
static class SwtpmCommand
{
    const string DaemonChildVariable = "FTPM_SWTPM_DAEMON_CHILD";
    const string ReadyLine = "ftpm-swtpm-ready";

    public static Command Create()
    {
        var socket = new Command("socket", "Serve a TPM 2.0 over swtpm's socket and control protocol, with swtpm's options (see --help)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        // swtpm's -h/--help, not System.CommandLine's: the options are swtpm's.
        foreach (var option in socket.Options.ToList()) socket.Options.Remove(option);
        socket.SetAction((parse, cancellation) => RunAsync(parse.UnmatchedTokens, cancellation));
        return new Command("swtpm", "swtpm-compatible front end: put `ftpm swtpm` where a QEMU or libvirt recipe says `swtpm`") { socket };
    }

    /// <summary>Runs `ftpm swtpm socket` with the arguments after "socket".</summary>
    internal static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        SwtpmOptions o;
        try
        {
            o = SwtpmOptions.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"ftpm swtpm socket: {e.Message}");
            return 1;
        }
        if (o.Help)
        {
            Console.WriteLine(SwtpmOptions.Usage);
            return 0;
        }
        if (o.PrintCapabilities)
        {
            Console.WriteLine(Capabilities());
            return 0;
        }
        // swtpm's channels have no authentication either: the data channel serves every TPM command, and the
        // control channel resets, stops and fails the TPM and reads or replaces its whole state (state blobs,
        // the seeds in the clear without a state key).
        if (o.Data is SwtpmTcpEndPoint { } data && !System.Net.IPAddress.IsLoopback(data.Address))
            Console.Error.WriteLine($"ftpm swtpm socket: warning: the data channel listens on {data.Address}, not loopback: anyone who can reach " +
                $"port {data.Port} can send TPM commands; keep it behind a firewall or on a trusted network");
        if (o.Control is SwtpmTcpEndPoint { } control && !System.Net.IPAddress.IsLoopback(control.Address))
            Console.Error.WriteLine($"ftpm swtpm socket: warning: the control channel listens on {control.Address}, not loopback: anyone who can " +
                $"reach port {control.Port} can reset or stop the TPM and read or replace its state; bind it to 127.0.0.1 or use type=unixio");
        if (o.Daemon && Environment.GetEnvironmentVariable(DaemonChildVariable) is null)
            return Daemonize(args);

        using var loggerFactory = CreateLoggerFactory(o);
        if (loggerFactory is null) return 1;
        var logger = loggerFactory.CreateLogger("Ftpm.Server.Swtpm");

        FileNvStore store;
        INvStore nv;
        byte[]? key;
        try
        {
            store = new FileNvStore(o.StateDirectory!);
            try
            {
                key = StateKey.Load(o.StateKeyFile);
                nv = GuardedNvStore.Open(store, new StateGuardOptions { StateKey = key, StateName = $"state file {store.StatePath}" });
                if (o.StateMode is { } mode) nv = new ModeKeepingStore(nv, store.StatePath, mode);
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ftpm swtpm socket: {e.Message}");
            logger.LogError("{Message}", e.Message);
            return 1;
        }
        using (store)
        using ((nv as ModeKeepingStore)?.Inner as IDisposable ?? nv as IDisposable)
        {
            var platform = new SoftwarePlatform();
            var tpm = new Tpm(new TpmOptions
            {
                Crypto = new PlatformCrypto(),
                Store = nv,
                Platform = platform,
                Logger = loggerFactory.CreateLogger("Ftpm.Tpm"),
            });
            var options = new SwtpmServerOptions
            {
                Data = o.Data,
                Control = o.Control,
                NeedInit = o.NeedInit,
                Startup = o.Startup,
                DisableAutoShutdown = o.DisableAutoShutdown,
                AllowSetLocality = o.AllowSetLocality,
                RejectLocality4 = o.RejectLocality4,
                TerminateOnDataClose = o.Terminate,
                TerminateOnControlClose = o.ControlTerminate,
                DisconnectAfterResponse = o.Disconnect,
                StateKey = key,
                VolatileStatePath = Path.Combine(store.Directory, "swtpm-volatile.blob"),
                StateFileMode = o.StateMode,
            };
            using var server = new SwtpmServer(tpm, platform, nv, options, logger);
            try
            {
                server.Start();
            }
            catch (Exception e) when (e is AddressInUseException or System.Net.Sockets.SocketException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ftpm swtpm socket: {e.Message}");
                logger.LogError("{Message}", e.Message);
                return 1;
            }
            finally
            {
                if (key is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            }
            SwtpmWarmup.Start(logger);
            if (o.PidFile is { } pidFile)
            {
                try
                {
                    File.WriteAllText(pidFile, Environment.ProcessId + "\n");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"ftpm swtpm socket: cannot write the pid file: {e.Message}");
                    return 1;
                }
            }
            if (Environment.GetEnvironmentVariable(DaemonChildVariable) is not null)
            {
                Console.Out.WriteLine(ReadyLine);
                Console.Out.Flush();
            }

            // SIGTERM and Ctrl+C end the server like swtpm: an orderly TPM2_Shutdown first (unless disabled).
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onCancel = cancellation.Register(() => cancelled.TrySetResult());
            using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            await Task.WhenAny(server.Stopped, cancelled.Task);
            server.Stop();

            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                cancelled.TrySetResult();
            }
        }
        return 0;
    }

    /// <summary>What libvirt reads from <c>swtpm socket --print-capabilities</c>: the features ftpm has.</summary>
    static string Capabilities()
    {
        string version = typeof(SwtpmCommand).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";
        string[] features =
        [
            "tpm-2.0", "tpm-send-command-header", "flags-opt-startup", "flags-opt-disable-auto-shutdown",
            "ctrl-opt-terminate", "nvram-backend-dir", "tpmstate-opt-lock",
        ];
        return $"{{ \"type\": \"swtpm\", \"features\": [ {string.Join(", ", features.Select(f => $"\"{f}\""))} ], \"version\": \"{version}\" }}";
    }

    /// <summary>--log: a file (or none with '-'); without it, warnings to stderr as swtpm does.</summary>
    static ILoggerFactory? CreateLoggerFactory(SwtpmOptions o)
    {
        var level = o.LogLevel switch
        {
            <= 0 => LogLevel.Warning,
            <= 2 => LogLevel.Information,
            <= 4 => LogLevel.Debug,
            _ => LogLevel.Trace,
        };
        if (o.LogFile == "-") return LineLoggerFactory.None();
        if (o.LogFile is { } file)
        {
            LineFileLoggerProvider provider;
            try
            {
                provider = new LineFileLoggerProvider(file, o.LogTruncate, o.LogPrefix);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ftpm swtpm socket: cannot open the log file: {e.Message}");
                return null;
            }
            return new LineLoggerFactory(provider, level);
        }
        if (Environment.GetEnvironmentVariable(DaemonChildVariable) is not null)
            return LineLoggerFactory.None(); // a daemon has no console
        return LineLoggerFactory.Console(level);
    }

    /// <summary>--daemon: .NET cannot fork, so the same command runs again in the background and this
    /// process returns once it listens (or fails with its error).</summary>
    static int Daemonize(IReadOnlyList<string> args)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ftpm.dll"));
        psi.ArgumentList.Add("swtpm");
        psi.ArgumentList.Add("socket");
        foreach (var a in args) if (a is not ("-d" or "--daemon")) psi.ArgumentList.Add(a);
        psi.Environment[DaemonChildVariable] = "1";
        using var child = Process.Start(psi)!;
        child.StandardInput.Close();
        var stderr = child.StandardError.ReadToEndAsync();
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null)
            if (line == ReadyLine) return 0;
        child.WaitForExit();
        Console.Error.Write(stderr.Result);
        return child.ExitCode == 0 ? 1 : child.ExitCode;
    }
}

/// <summary>Keeps the state file at the mode of <c>--tpmstate mode=</c> (a commit writes a new file and renames it).</summary>
sealed class ModeKeepingStore(INvStore inner, string statePath, UnixFileMode mode) : INvStore
{
    public INvStore Inner => inner;

    public NvSnapshot Load() => inner.Load();

    public void Commit(IReadOnlyList<NvChange> changes)
    {
        inner.Commit(changes);
        if (!OperatingSystem.IsWindows() && File.Exists(statePath)) File.SetUnixFileMode(statePath, mode);
    }
}

/// <summary>A logger provider writing one line per message to a file (swtpm's --log file=).</summary>
sealed class LineFileLoggerProvider : ILoggerProvider
{
    readonly StreamWriter _writer;
    readonly string _prefix;
    readonly Lock _lock = new();

    public LineFileLoggerProvider(string path, bool truncate, string prefix)
    {
        _writer = new StreamWriter(new FileStream(path, truncate ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _prefix = prefix;
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this);

    public void Dispose()
    {
        lock (_lock) _writer.Dispose();
    }

    void Write(string line)
    {
        lock (_lock)
        {
            try { _writer.WriteLine(line); } catch (ObjectDisposedException) { }
        }
    }

    sealed class FileLogger(LineFileLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string line = $"{provider._prefix}{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}";
            if (exception is not null) line += " " + exception;
            provider.Write(line);
        }
    }
}
