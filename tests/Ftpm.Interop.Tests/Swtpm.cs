using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ftpm.Interop.Tests;

/// <summary>swtpm as the reference TPM, on free loopback ports with a fresh state folder.</summary>
internal sealed class Swtpm : IDisposable
{
    readonly Process _process;
    readonly string _state;

    public int Port { get; }
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    Swtpm(Process process, string state, int port) { _process = process; _state = state; Port = port; }

    public static Swtpm Start()
    {
        if (!File.Exists("/usr/bin/swtpm"))
            throw new InvalidOperationException("swtpm (Debian package swtpm) is not installed; ./test.sh installs it");
        string state = Directory.CreateTempSubdirectory("swtpm-ref-").FullName;
        int port = FtpmServer.FreePortPair();
        var psi = new ProcessStartInfo("/usr/bin/swtpm") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "socket", "--tpm2", "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
                     "--ctrl", $"type=tcp,port={port + 1},bindaddr=127.0.0.1", "--tpmstate", $"dir={state}",
                     "--flags", "not-need-init,startup-clear" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return new Swtpm(process, state, port);
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        process.Kill();
        throw new InvalidOperationException("swtpm did not start: " + process.StandardError.ReadToEnd());
    }

    public void Dispose()
    {
        try { _process.Kill(); } catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
        _process.Dispose();
        try { Directory.Delete(_state, true); } catch (IOException) { }
    }
}
