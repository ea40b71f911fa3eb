using System.Diagnostics;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Ftpm.Interop.Tests;

/// <summary>
/// Issue 5's fault proof: `ftpm serve` killed with SIGKILL (<see cref="FtpmServer.Kill"/>) at chosen
/// and at random moments. Every acknowledged NV change must be there after a restart, the state must
/// always load, and a damaged state file must be refused with a clear message.
/// </summary>
public sealed class NvFaultTests(ITestOutputHelper output) : IDisposable
{
    const string CounterA = "0x01500A01";   // ordinary counter: every increment is committed
    const string CounterB = "0x01500A02";   // orderly counter: increments in RAM, jumps forward after a crash

    readonly FtpmServer _server = new();

    public void Dispose() => _server.Dispose();

    static readonly Dictionary<string, string> Quiet = new() { ["TSS2_LOG"] = "all+none" };

    static string Script => Path.Combine(AppContext.BaseDirectory, "pytss", "nvfault.py");

    string Fault(params string[] args)
    {
        var r = Client.Run("/usr/bin/python3", [Script, _server.Tcti, .. args], Quiet);
        Assert.True(r.ExitCode == 0, $"nvfault.py {string.Join(' ', args)}: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
        return r.Stdout.Trim();
    }

    [Fact]
    public void Kill_right_after_an_acknowledged_write_keeps_the_data()
    {
        var data = Convert.ToHexString(RandomNumberGenerator.GetBytes(64)).ToLowerInvariant();
        Assert.Equal("ok", Fault("write", "0x01500B01", data));
        _server.Restart();   // SIGKILL: no Shutdown, no flush beyond what the commit did
        Assert.Equal(data, Fault("read", "0x01500B01", "64"));

        var again = Convert.ToHexString(RandomNumberGenerator.GetBytes(64)).ToLowerInvariant();
        Assert.Equal("ok", Fault("write", "0x01500B01", again));
        _server.Restart();
        Assert.Equal(again, Fault("read", "0x01500B01", "64"));
    }

    [Fact]
    public void Kill_at_random_moments_while_counters_are_incremented_never_loses_an_acknowledged_value() =>
        KillLoop(_server, 15, "plain file store");

    [Fact]
    public void Kill_at_random_moments_with_the_guard_layer()
    {
        // Encrypted, MACed and rollback-protected: a kill can also fall between the state file's commit
        // and the RPMB counter's; the state, one commit ahead, must then be accepted.
        string dir = Directory.CreateTempSubdirectory("ftpm-guard-kill-").FullName;
        try
        {
            var key = new Dictionary<string, string> { ["FTPM_STATE_KEY"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) };
            using var server = new FtpmServer(Path.Combine(dir, "state"), ["--rpmb", Path.Combine(dir, "rpmb.bin")], key);
            KillLoop(server, 5, "guarded store");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    string Run(FtpmServer server, params string[] args)
    {
        var r = Client.Run("/usr/bin/python3", [Script, server.Tcti, .. args], Quiet);
        Assert.True(r.ExitCode == 0, $"nvfault.py {string.Join(' ', args)}: {r}\nserver log:\n{string.Join("\n", server.Log.TakeLast(20))}");
        return r.Stdout.Trim();
    }

    /// <summary>How long one step of an iteration may take (the client's start, its first increments, its exit
    /// after the kill): generous, because the loop is bounded by its iteration count, not by a clock. On a
    /// quiet machine a step takes well under a second; on a loaded one (a 2-core CI runner beside fuzzers)
    /// tens of seconds have been seen.</summary>
    static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);

    void KillLoop(FtpmServer server, int iterations, string label)
    {
        var random = new Random(Environment.TickCount);
        ulong ackedA = 0, ackedB = 0;
        int incrementsSeen = 0;
        var clock = Stopwatch.StartNew();
        Run(server, "counters", CounterA, CounterB);

        for (int i = 0; i < iterations; i++)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Script, server.Tcti, "increment", CounterA, CounterB }) psi.ArgumentList.Add(arg);
            psi.Environment["TSS2_LOG"] = "all+none";
            using var client = Process.Start(psi)!;
            var stderr = client.StandardError.ReadToEndAsync();
            var lines = new List<string>();
            var reader = new Thread(() =>
            {
                string? line;
                while ((line = client.StandardOutput.ReadLine()) is not null) lock (lines) lines.Add(line);
            });
            reader.Start();
            // The random moment: after a random number of acknowledged increments (so every iteration has
            // some to lose, however slow the machine), plus a random delay, while the client keeps
            // incrementing (so the kill falls anywhere in a command or its commit).
            int before = random.Next(1, 6);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < StepTimeout && !client.HasExited) { lock (lines) if (lines.Count >= before) break; Thread.Sleep(10); }
            lock (lines)
                Assert.True(lines.Count >= before, $"iteration {i}: {lines.Count} of {before} increments acknowledged within {StepTimeout.TotalSeconds} s " +
                    $"(client {(client.HasExited ? "exited: " + stderr.Result : "running")})\nserver log:\n{string.Join("\n", server.Log.TakeLast(20))}");
            Thread.Sleep(random.Next(0, 200));
            server.Kill();
            if (!client.WaitForExit(StepTimeout))
            {
                client.Kill();
                Assert.Fail($"iteration {i}: the client did not notice the server going away within {StepTimeout.TotalSeconds} s");
            }
            reader.Join();

            lock (lines)
            {
                foreach (var line in lines)
                {
                    var parts = line.Split(' ');
                    if (parts.Length != 2) continue;
                    ulong v = ulong.Parse(parts[1]);
                    incrementsSeen++;
                    if (parts[0] == "A") ackedA = Math.Max(ackedA, v); else ackedB = Math.Max(ackedB, v);
                }
            }

            // The state must load, and neither counter may be below what was acknowledged.
            server.Start();
            var now = Run(server, "counters", CounterA, CounterB).Split(' ');
            ulong a = ulong.Parse(now[1]), b = ulong.Parse(now[3]);
            Assert.True(a >= ackedA, $"iteration {i}: counter A is {a}, {ackedA} was acknowledged");
            Assert.True(b >= ackedB, $"iteration {i}: orderly counter B is {b}, {ackedB} was acknowledged");
            ackedA = a;
            ackedB = b;
        }
        // No bound on the total time: the iterations bound the loop, each step has its own generous timeout.
        output.WriteLine($"{label}: {iterations} kills in {clock.Elapsed.TotalSeconds:F1} s; {incrementsSeen} acknowledged increments; " +
            $"counter A (committed each time) {ackedA}, orderly counter B {ackedB}");
        Assert.True(incrementsSeen >= iterations, $"only {incrementsSeen} increments in {iterations} runs");
    }

    [Fact]
    public void A_flipped_byte_in_the_state_file_is_refused_with_a_clear_message()
    {
        Assert.Equal("ok", Fault("write", "0x01500B02", "00112233"));
        _server.Kill();
        // After a kill the latest commits are in the journal (a damaged entry with entries after it is
        // damage, not a torn append); after a clean close, in the snapshot.
        var journal = Path.Combine(_server.StateDir, Ftpm.Storage.FileNvStore.JournalFileName);
        var path = File.Exists(journal) && new FileInfo(journal).Length > 0 ? journal : Path.Combine(_server.StateDir, Ftpm.Storage.FileNvStore.StateFileName);
        var bytes = File.ReadAllBytes(path);
        bytes[20] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidOperationException>(() => _server.Start());
        Assert.Contains("ftpm serve exited", e.Message);
        Assert.Contains("corrupt", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void An_older_state_file_restored_beside_a_newer_rpmb_counter_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("ftpm-rpmb-").FullName;
        try
        {
            string rpmb = Path.Combine(dir, "rpmb.bin");
            using var server = new FtpmServer(Path.Combine(dir, "state"), ["--rpmb", rpmb]);
            string Run(params string[] args)
            {
                var r = Client.Run("/usr/bin/python3", [Script, server.Tcti, .. args], Quiet);
                Assert.True(r.ExitCode == 0, $"{r}\n{string.Join("\n", server.Log)}");
                return r.Stdout.Trim();
            }
            Assert.Equal("ok", Run("write", "0x01500C01", "01010101"));
            server.Kill();
            // The state is the snapshot and its journal.
            string[] files = [Path.Combine(server.StateDir, Ftpm.Storage.FileNvStore.StateFileName), Path.Combine(server.StateDir, Ftpm.Storage.FileNvStore.JournalFileName)];
            var old = files.Select(f => File.Exists(f) ? File.ReadAllBytes(f) : null).ToArray();   // a backup taken now ...
            server.Start();
            Assert.Equal("ok", Run("write", "0x01500C01", "02020202"));
            server.Kill();
            for (int i = 0; i < files.Length; i++)                                                   // ... restored later, beside the newer counter
                if (old[i] is { } content) File.WriteAllBytes(files[i], content); else File.Delete(files[i]);

            var e = Assert.Throws<InvalidOperationException>(() => server.Start());
            Assert.Contains("older than its RPMB counter", e.Message);
            Assert.Contains("refusing it (rollback)", e.Message);

            // `ftpm state verify` says the same without starting a server; `state show` still shows the old state.
            var cli = Path.Combine(AppContext.BaseDirectory, "ftpm.dll");
            var verify = Client.Run("dotnet", [cli, "state", "verify", server.StateDir, "--rpmb", rpmb]);
            Assert.Equal(1, verify.ExitCode);
            Assert.Contains("older than its RPMB counter", verify.Stderr);
            var show = Client.Run("dotnet", [cli, "state", "show", server.StateDir]);
            Assert.True(show.ExitCode == 0, show.ToString());
            Assert.Contains("0x01500C01  ordinary     4 octets  sha256  ownerwrite|ownerread|written", show.Stdout);
            Assert.Contains("rollback-protected", show.Stdout);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Encryption_at_rest_with_the_key_from_the_environment()
    {
        string dir = Directory.CreateTempSubdirectory("ftpm-key-").FullName;
        try
        {
            var key = new Dictionary<string, string> { ["FTPM_STATE_KEY"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) };
            using var server = new FtpmServer(Path.Combine(dir, "state"), environment: key);
            const string data = "5345435245542d4e562d44415441"; // "SECRET-NV-DATA"
            var r = Client.Run("/usr/bin/python3", [Script, server.Tcti, "write", "0x01500C02", data], Quiet);
            Assert.Equal(0, r.ExitCode);
            server.Restart();
            r = Client.Run("/usr/bin/python3", [Script, server.Tcti, "read", "0x01500C02", "14"], Quiet);
            Assert.Equal(data, r.Stdout.Trim());
            server.Kill();
            foreach (var name in new[] { Ftpm.Storage.FileNvStore.StateFileName, Ftpm.Storage.FileNvStore.JournalFileName })
            {
                var path = Path.Combine(server.StateDir, name);
                if (File.Exists(path)) Assert.Equal(-1, File.ReadAllBytes(path).AsSpan().IndexOf("SECRET-NV-DATA"u8));
            }

            // The same state without the key is refused, and says what to give.
            var refused = Assert.Throws<InvalidOperationException>(() => new FtpmServer(server.StateDir).Dispose());
            Assert.Contains("is protected (encrypted): give its key with --state-key FILE or FTPM_STATE_KEY", refused.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
