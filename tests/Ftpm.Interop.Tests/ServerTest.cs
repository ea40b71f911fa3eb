namespace Ftpm.Interop.Tests;

/// <summary>The fixture of the tests that drive one live `ftpm serve` with real clients: the server, a
/// scratch folder for the clients' files, both removed afterwards, and (unless a test wants to do it
/// itself) TPM2_Startup(CLEAR) through tpm2-tools.</summary>
public abstract class ServerTest : IDisposable
{
    protected readonly FtpmServer _server = new();
    protected readonly string _dir;

    protected ServerTest(string folderPrefix, bool startup = true)
    {
        _dir = Directory.CreateTempSubdirectory(folderPrefix).FullName;
        if (startup) Client.Tpm2Ok(_server, "tpm2_startup", "-c");
    }

    /// <summary>Runs a tpm2-tools command against the server and requires it to succeed; its stdout.</summary>
    protected string Tool(string tool, params string[] args) => Client.Tpm2Ok(_server, tool, args);

    /// <summary>A file in the scratch folder.</summary>
    protected string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Runs shell <paramref name="commands"/> (in the scratch folder; <c>run tool args</c> requires a
    /// tool to succeed) with tpm2-tools chained through tpm2-abrmd, the resource manager users run, on a
    /// private D-Bus session bus (dbus-run-session) under the name <paramref name="bus"/>; requires the
    /// whole chain to finish.</summary>
    protected void ThroughAbrmd(string bus, string commands)
    {
        var script = PathOf(bus + ".sh");
        System.IO.File.WriteAllText(script, $$"""
            #!/bin/sh
            cd '{{_dir}}'
            tpm2-abrmd --session --dbus-name={{bus}} --tcti={{_server.Tcti}} --flush-all --allow-root > abrmd.log 2>&1 &
            A=$!
            i=0
            until dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames 2>/dev/null | grep -q {{bus}}; do
              i=$((i+1)); [ $i -gt 300 ] && { echo "abrmd did not appear"; kill -9 $A; exit 3; }
              sleep 0.1
            done
            export TPM2TOOLS_TCTI=tabrmd:bus_name={{bus}},bus_type=session
            run() { "$@" > /dev/null || { echo "failed: $*"; kill -9 $A; exit 1; }; }

            """.Replace("\r", "") + commands.Replace("\r", "") + "\necho chain-ok\nsleep 0.5\nkill -9 $A\n");
        var r = Client.Run("dbus-run-session", ["--", "sh", script], timeoutMs: 180_000);
        var abrmdLog = PathOf("abrmd.log");
        Assert.True(r.Stdout.Contains("chain-ok"), $"{r}\nabrmd: {(System.IO.File.Exists(abrmdLog) ? System.IO.File.ReadAllText(abrmdLog) : "")}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
    }

    public virtual void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }
}
