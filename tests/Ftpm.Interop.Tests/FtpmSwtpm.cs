using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ftpm.Interop.Tests;

/// <summary>A live `ftpm swtpm socket` process started with swtpm's options; Dispose kills it.</summary>
public sealed class FtpmSwtpm : IDisposable
{
    readonly Process _process;

    public List<string> Log { get; } = new();

    /// <param name="args">The options after `ftpm swtpm socket`.</param>
    /// <param name="readyPort">A TCP port that answers once the process serves.</param>
    /// <param name="readyPath">A unix socket path that exists once the process serves.</param>
    public FtpmSwtpm(IEnumerable<string> args, int? readyPort = null, string? readyPath = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ftpm.dll"));
        psi.ArgumentList.Add("swtpm");
        psi.ArgumentList.Add("socket");
        foreach (var a in args) psi.ArgumentList.Add(a);
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
                _process.WaitForExit();
                throw new InvalidOperationException("ftpm swtpm socket exited: " + Output);
            }
            if (readyPath is not null && File.Exists(readyPath)) return;
            if (readyPort is int port)
            {
                try
                {
                    using var c = new TcpClient();
                    c.Connect(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException) { }
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException("ftpm swtpm socket did not start: " + Output);
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output { get { lock (Log) return string.Join("\n", Log); } }

    /// <summary>Waits for the process to end by itself; true if it did.</summary>
    public bool WaitForExit(int milliseconds) => _process.WaitForExit(milliseconds);

    public void Dispose()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
        _process.Dispose();
    }

    /// <summary>A data port P and control port P+1 on loopback, with a not-need-init TPM in <paramref name="stateDir"/>.</summary>
    public static FtpmSwtpm Tcp(string stateDir, out int port, params string[] flags)
    {
        port = FtpmServer.FreePortPair();
        return new FtpmSwtpm(
            ["--tpm2", "--server", $"type=tcp,port={port},bindaddr=127.0.0.1", "--ctrl", $"type=tcp,port={port + 1},bindaddr=127.0.0.1",
             "--tpmstate", $"dir={stateDir}", .. flags], readyPort: port + 1);
    }
}
