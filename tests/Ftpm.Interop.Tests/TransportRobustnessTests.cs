using System.Net;
using System.Net.Sockets;

namespace Ftpm.Interop.Tests;

/// <summary>`ftpm serve` against clients that hold or waste connections: it keeps serving the others.</summary>
public sealed class TransportRobustnessTests
{
    [Fact]
    public void OutOfDescriptorsBacksOffLogsOnceAndRecovers()
    {
        // The native binary needs ~14 descriptors; 64 leaves it ~50 for connections.
        using var server = new FtpmServer(launcher: ["prlimit", "--nofile=64", Artifacts.NativeFtpm]);
        long cpuBefore = CpuTicks(server.ProcessId);
        var held = new List<Socket>();
        try
        {
            // More than the process can accept: the rest wait in the backlog while accept() fails with EMFILE.
            for (int i = 0; i < 120; i++) held.Add(Connect(server.Port));
            Thread.Sleep(2000);
            long cpu = CpuTicks(server.ProcessId) - cpuBefore;
            // A loop that retried at once would use one core for the whole 2 s (200 ticks).
            Assert.True(cpu < 100, $"server used {cpu} ticks of CPU while out of descriptors");
        }
        finally
        {
            foreach (var s in held) s.Dispose();
        }
        // Serving again once the descriptors come back.
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        Assert.Equal(32, Client.Tpm2Ok(server, "tpm2_getrandom", "--hex", "16").Trim().Length);

        WaitForLog(server, "Accepting Command connections again");
        string[] log;
        lock (server.Log) log = [.. server.Log];
        string all = string.Join("\n", log);
        Assert.Contains("Accepting a Command connection failed", all);
        Assert.Contains("Accepting Command connections again", all);
        // Bounded: one line per burst of failed accepts and rate-limited connection lines (the defect this
        // guards against wrote ~12,000 lines a second).
        Assert.True(log.Count(l => l.Contains("Accepting a Command connection failed")) <= 5, all);
        Assert.True(log.Length < 200, $"{log.Length} log lines");
    }

    [Fact]
    public void ConnectionLimitAndIdleTimeoutFromTheCommandLine()
    {
        using var server = new FtpmServer(extraArgs: ["--max-connections", "3", "--idle-timeout", "0.5"]);
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        var held = new List<Socket>();
        try
        {
            // Three stalled half-frames fill the command port's slots; after the idle timeout they are
            // dropped, so a real client gets through.
            for (int i = 0; i < 3; i++)
            {
                var s = Connect(server.Port);
                s.Send([0, 0, 0, 8, 0, 0, 0, 0, 100, 1, 2]);
                held.Add(s);
            }
            foreach (var s in held) AssertClosedByServer(s);
            Client.Tpm2Ok(server, "tpm2_getrandom", "--hex", "4");
        }
        finally
        {
            foreach (var s in held) s.Dispose();
        }
        WaitForLog(server, "stalled in the middle of a request");
    }

    [Fact]
    public void ConnectionBeyondTheLimitIsRefused()
    {
        using var server = new FtpmServer(extraArgs: ["--max-connections", "2"]);
        using var a = Connect(server.Port);
        using var b = Connect(server.Port);
        // Both are served (a handshake each), so both hold their slots.
        foreach (var s in new[] { a, b })
        {
            s.Send([0, 0, 0, 15, 0, 0, 0, 1]);
            Assert.Equal(12, ReadExactly(s, 12).Length);
        }
        using var c = Connect(server.Port);
        AssertClosedByServer(c);
        WaitForLog(server, "2 connections are open on that port");
    }

    /// <summary>The console logger writes from a queue: wait (up to 20 s) for a line to reach the output.</summary>
    static void WaitForLog(FtpmServer server, string text)
    {
        for (int i = 0; i < 400; i++)
        {
            lock (server.Log) if (server.Log.Any(l => l.Contains(text))) return;
            Thread.Sleep(50);
        }
        lock (server.Log) Assert.Fail($"no log line with \"{text}\":\n{string.Join("\n", server.Log)}");
    }

    static Socket Connect(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 20_000 };
        s.Connect(IPAddress.Loopback, port);
        return s;
    }

    static byte[] ReadExactly(Socket s, int count)
    {
        var buffer = new byte[count];
        for (int got = 0; got < count;)
        {
            int n = s.Receive(buffer, got, count - got, SocketFlags.None);
            Assert.NotEqual(0, n);
            got += n;
        }
        return buffer;
    }

    /// <summary>End of stream or a reset, not the 20 s receive timeout.</summary>
    static void AssertClosedByServer(Socket s)
    {
        try
        {
            Assert.Equal(0, s.Receive(new byte[1]));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    /// <summary>utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).</summary>
    static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }
}
