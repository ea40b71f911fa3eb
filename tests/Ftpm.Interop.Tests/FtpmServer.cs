using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ftpm.Interop.Tests;

/// <summary>
/// A live `ftpm serve` process on loopback with its own state folder, as a user would run it.
/// Dispose kills it (like a power loss) and removes the folder.
/// </summary>
public sealed class FtpmServer : IDisposable
{
    Process? _process;
    readonly bool _ownsState;
    readonly string[] _extraArgs;
    readonly IReadOnlyDictionary<string, string> _environment;
    readonly string[] _launcher;

    public int Port { get; }
    public string StateDir { get; }
    public string Tcti => $"mssim:host=127.0.0.1,port={Port}";

    /// <param name="stateDir">State folder (default: a new temporary one, removed on Dispose).</param>
    /// <param name="extraArgs">More `ftpm serve` arguments (e.g. --rpmb FILE, --state-key FILE).</param>
    /// <param name="environment">Environment variables for the server (e.g. FTPM_STATE_KEY).</param>
    /// <param name="launcher">The program and arguments before `serve` (default: dotnet ftpm.dll; e.g. the
    /// native binary, or prlimit in front of it).</param>
    public FtpmServer(string? stateDir = null, IEnumerable<string>? extraArgs = null, IReadOnlyDictionary<string, string>? environment = null,
        IEnumerable<string>? launcher = null)
    {
        _launcher = launcher?.ToArray() ?? ["dotnet", CliPath];
        _extraArgs = extraArgs?.ToArray() ?? [];
        _environment = environment ?? new Dictionary<string, string>();
        Port = FreePortPair();
        _ownsState = stateDir is null;
        StateDir = stateDir ?? Directory.CreateTempSubdirectory("ftpm-test-").FullName;
        Start();
    }

    /// <summary>The ftpm CLI next to the test assembly (the project references Ftpm.Cli).</summary>
    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "ftpm.dll");

    /// <summary>The server's process id (for /proc), while it runs.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("not running");

    public void Start()
    {
        var psi = new ProcessStartInfo(_launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in _launcher[1..]) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "serve", "--port", Port.ToString(), "--state", StateDir }) psi.ArgumentList.Add(a);
        foreach (var a in _extraArgs) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _environment) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (Log) Log.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Log) Log.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();   // drains the redirected output into Log
                throw new InvalidOperationException("ftpm serve exited: " + string.Join("\n", Log));
            }
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port + 1);
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new TimeoutException("ftpm serve did not start listening: " + string.Join("\n", Log));
    }

    /// <summary>Output of the server so far, for failure messages.</summary>
    public List<string> Log { get; } = new();

    /// <summary>Kills the server (power loss) and starts it again on the same port and state.</summary>
    public void Restart()
    {
        Kill();
        Start();
    }

    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        if (_ownsState) try { Directory.Delete(StateDir, true); } catch (IOException) { }
    }

    static readonly object PortLock = new();
    static int _nextPort = 23000 + Environment.ProcessId % 1000 * 20;

    /// <summary>A port P such that P and P+1 are free on loopback (also swtpm's data and control ports).</summary>
    internal static int FreePortPair()
    {
        lock (PortLock)
        {
            for (int i = 0; i < 2000; i++)
            {
                int p = _nextPort;
                _nextPort += 2;
                if (_nextPort > 60000) _nextPort = 20000;
                if (IsFree(p) && IsFree(p + 1)) return p;
            }
        }
        throw new InvalidOperationException("no free port pair");
    }

    static bool IsFree(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }
}

/// <summary>Runs a client program (tpm2-tools, python) and captures what it prints.</summary>
public static class Client
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static Result Run(string program, IEnumerable<string> args, IDictionary<string, string>? env = null,
        string? workDir = null, byte[]? stdin = null, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} timed out");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tpm2-tools program against <paramref name="server"/>.</summary>
    public static Result Tpm2(FtpmServer server, string tool, params string[] args) =>
        Run(tool, args, new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = server.Tcti });

    /// <summary>Like <see cref="Tpm2"/>, but asserts exit code 0.</summary>
    public static string Tpm2Ok(FtpmServer server, string tool, params string[] args)
    {
        var r = Tpm2(server, tool, args);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {r}\nserver log:\n{string.Join("\n", server.Log.TakeLast(20))}");
        return r.Stdout;
    }
}
