using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>
/// `ftpm swtpm socket` as a drop-in for swtpm: tpm2-tools through the swtpm TCTI, swtpm_ioctl on the
/// control channel side by side with Debian's swtpm, migration of state blobs between two ftpm
/// processes, and a libvirt-style invocation whose data channel arrives with CMD_SET_DATAFD.
/// </summary>
public sealed class SwtpmProtocolTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-swtpm-").FullName;

    string PathOf(string name) => Path.Combine(_dir, name);

    string NewStateDir(string name)
    {
        var d = PathOf(name);
        Directory.CreateDirectory(d);
        return d;
    }

    static Client.Result Tools(int port, string tool, params string[] args) =>
        Client.Run(tool, args, new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = $"swtpm:host=127.0.0.1,port={port}" });

    static string ToolsOk(int port, string tool, params string[] args)
    {
        var r = Tools(port, tool, args);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {r}");
        return r.Stdout;
    }

    static Client.Result Ioctl(int controlPort, params string[] args) =>
        Client.Run("swtpm_ioctl", ["--tcp", $"127.0.0.1:{controlPort}", .. args]);

    static string Pcr(int port, string bank, int pcr)
    {
        var output = ToolsOk(port, "tpm2_pcrread", $"{bank}:{pcr}");
        var m = Regex.Match(output, $@"^\s*{pcr}\s*:\s*0x([0-9A-F]+)\s*$", RegexOptions.Multiline);
        Assert.True(m.Success, output);
        return m.Groups[1].Value;
    }

    static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    [Fact]
    public void Tpm2_tools_through_the_swtpm_tcti()
    {
        using var ftpm = FtpmSwtpm.Tcp(NewStateDir("state"), out int port, "--flags", "not-need-init");
        ToolsOk(port, "tpm2_startup", "-c");
        Assert.Matches("^[0-9a-f]{32}$", ToolsOk(port, "tpm2_getrandom", "--hex", "16").Trim());
        var digest = SHA256.HashData("swtpm"u8);
        ToolsOk(port, "tpm2_pcrextend", $"10:sha256={Hex(digest)}");
        Assert.Equal(Hex(SHA256.HashData([.. new byte[32], .. digest])), Pcr(port, "sha256", 10).ToLowerInvariant());

        File.WriteAllText(PathOf("msg"), "signed through the swtpm protocol");
        ToolsOk(port, "tpm2_createprimary", "-C", "o", "-G", "ecc256:ecdsa-sha256", "-c", PathOf("key.ctx"),
            "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign");
        ToolsOk(port, "tpm2_readpublic", "-c", PathOf("key.ctx"), "-f", "pem", "-o", PathOf("key.pem"));
        ToolsOk(port, "tpm2_sign", "-c", PathOf("key.ctx"), "-g", "sha256", "-f", "plain", "-o", PathOf("sig"), PathOf("msg"));
        var verify = Client.Run("openssl", ["dgst", "-sha256", "-verify", PathOf("key.pem"), "-signature", PathOf("sig"), PathOf("msg")]);
        Assert.True(verify.ExitCode == 0 && verify.Stdout.Contains("Verified OK"), verify.ToString());
    }

    /// <summary>The same swtpm_ioctl calls against Debian's swtpm and ftpm give the same output, but for
    /// what differs by design: the capability word (ftpm also has PTM_CAP_LOCK_STORAGE, which swtpm 0.7.1
    /// predates: 0x1ffff against 0xffff) and the TPM's identity in --info.</summary>
    [Fact]
    public void Swtpm_ioctl_gives_the_same_answers_as_swtpm()
    {
        using var swtpm = Swtpm.Start();
        using var ftpm = FtpmSwtpm.Tcp(NewStateDir("state"), out int port, "--flags", "not-need-init,startup-clear");
        int[] ports = [swtpm.Port, port];

        Assert.Equal("ptm capability is 0xffff\n", Ioctl(swtpm.Port + 1, "-c").Stdout);
        Assert.Equal("ptm capability is 0x1ffff\n", Ioctl(port + 1, "-c").Stdout);

        foreach (string[] args in new string[][] { ["-e"], ["-l", "3"], ["-l", "5"], ["-g"], ["-l", "4"], ["-h", "measured at locality 4"], ["-e"], ["-l", "0"], ["-v"] })
        {
            var expected = Ioctl(swtpm.Port + 1, args);
            var actual = Ioctl(port + 1, args);
            Assert.True(expected.ExitCode == actual.ExitCode && expected.Stdout == actual.Stdout && expected.Stderr == actual.Stderr,
                $"swtpm_ioctl {string.Join(' ', args)}\nswtpm: {expected}\nftpm: {actual}");
        }
        // -h was a dynamic launch: PCR 17 = H(0 || H(data)) on both.
        string expectedPcr17 = Hex(SHA256.HashData([.. new byte[32], .. SHA256.HashData("measured at locality 4"u8)])).ToUpperInvariant();
        foreach (var p in ports) Assert.Equal(expectedPcr17, Pcr(p, "sha256", 17));

        // --info: the same JSON shape; ftpm names itself and spec revision 184.
        Assert.Equal("{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,\"revision\":164}}\n", Ioctl(swtpm.Port + 1, "--info", "1").Stdout);
        Assert.Equal("{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,\"revision\":184}}\n", Ioctl(port + 1, "--info", "1").Stdout);
        Assert.Equal("{\"TPMAttributes\":{\"manufacturer\":\"id:4654504D\",\"version\":\"id:00010000\",\"model\":\"ftpm\"}}\n", Ioctl(port + 1, "--info", "2").Stdout);

        // -v stored the volatile state, so -i (_TPM_Init) continues from it on both, PCR 17 included.
        foreach (var p in ports)
        {
            Assert.Equal(0, Ioctl(p + 1, "-i").ExitCode);
            Assert.Equal(expectedPcr17, Pcr(p, "sha256", 17));
        }
        // --stop: commands fail with TPM_RC_FAILURE, control requests that need a running TPM with TPM_BAD_ORDINAL.
        foreach (string[] args in new string[][] { ["--stop"], ["-e"], ["-b", "4096"], ["-b", "0"] })
        {
            var expected = Ioctl(swtpm.Port + 1, args);
            var actual = Ioctl(port + 1, args);
            if (args[0] == "-b")
            {
                // Set while stopped on both; the limits are the engine's (libtpms 2808-4096, ftpm 1024-8192 for v185 ML-DSA).
                Assert.True(expected.ExitCode == 0 && actual.ExitCode == 0, $"swtpm: {expected}\nftpm: {actual}");
                Assert.Equal("TPM buffersize: 4096\nminimum size  : 1024\nmaximum size  : 8192\n", actual.Stdout);
                continue;
            }
            Assert.True(expected.ExitCode == actual.ExitCode && expected.Stdout == actual.Stdout && expected.Stderr == actual.Stderr,
                $"swtpm_ioctl {string.Join(' ', args)}\nswtpm: {expected}\nftpm: {actual}");
        }
        foreach (var p in ports)
        {
            var r = Tools(p, "tpm2_getrandom", "4");
            Assert.True(r.ExitCode != 0 && r.Stderr.Contains("0x101"), r.ToString());
        }
        // -s: CMD_SHUTDOWN ends the process.
        Assert.Equal(0, Ioctl(port + 1, "-s").ExitCode);
        Assert.True(ftpm.WaitForExit(10_000), ftpm.Output);
    }

    /// <summary>swtpm's data channel also takes mssim SEND_COMMAND frames (u32 8, u8 locality, u32 size,
    /// command) and answers them mssim's way (u32 size, response, u32 0); raw and framed commands mix on
    /// one connection. Checked against swtpm byte for byte (GetRandom(0) has a fixed answer).</summary>
    [Fact]
    public void Data_channel_detects_the_mssim_prefix_as_swtpm_does()
    {
        using var swtpm = Swtpm.Start();
        using var ftpm = FtpmSwtpm.Tcp(NewStateDir("state"), out int port, "--flags", "not-need-init,startup-clear");
        byte[] getRandom0 = Convert.FromHexString("80010000000C0000017B0000");
        byte[] framed = [0, 0, 0, 8, 3, 0, 0, 0, 12, .. getRandom0];
        foreach (int p in new[] { swtpm.Port, port })
        {
            using var client = new TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, p);
            var stream = client.GetStream();
            byte[] expected = Convert.FromHexString("80010000000C000000000000");
            stream.Write(framed);
            Assert.Equal(Convert.FromHexString("0000000C") .Concat(expected).Concat(new byte[4]).ToArray(), ReadExactly(stream, 4 + 12 + 4));
            stream.Write(getRandom0);
            Assert.Equal(expected, ReadExactly(stream, 12));
        }
    }

    static byte[] ReadExactly(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        stream.ReadTimeout = 10_000;
        stream.ReadExactly(buffer);
        return buffer;
    }

    [Fact]
    public void State_blobs_move_a_tpm_to_a_fresh_process_and_damaged_blobs_are_refused()
    {
        string pcr, nv, persistentName;
        using (var source = FtpmSwtpm.Tcp(NewStateDir("source"), out int p, "--flags", "not-need-init,startup-clear"))
        {
            ToolsOk(p, "tpm2_pcrextend", $"10:sha256={Hex(SHA256.HashData("before migration"u8))}");
            pcr = Pcr(p, "sha256", 10);
            ToolsOk(p, "tpm2_nvdefine", "0x1500016", "-C", "o", "-s", "8", "-a", "ownerread|ownerwrite");
            File.WriteAllText(PathOf("nv.in"), "migrated");
            ToolsOk(p, "tpm2_nvwrite", "0x1500016", "-C", "o", "-i", PathOf("nv.in"));
            nv = ToolsOk(p, "tpm2_nvread", "0x1500016", "-C", "o", "-s", "8");
            ToolsOk(p, "tpm2_createprimary", "-C", "o", "-G", "ecc256", "-c", PathOf("primary.ctx"));
            ToolsOk(p, "tpm2_evictcontrol", "-C", "o", "-c", PathOf("primary.ctx"), "0x81000005");
            persistentName = ReadName(p, "0x81000005");
            // Source: save volatile, save permanent, stop (as QEMU does for live migration).
            foreach (string[] args in new string[][] { ["--save", "volatile", PathOf("volatile")], ["--save", "permanent", PathOf("permanent")], ["--stop"] })
                Assert.True(Ioctl(p + 1, args).ExitCode == 0, string.Join(' ', args));
        }

        using var target = FtpmSwtpm.Tcp(NewStateDir("target"), out int t, "--flags", "not-need-init,startup-clear");
        Assert.Equal(0, Ioctl(t + 1, "--stop").ExitCode);

        // A damaged permanent blob, a volatile blob of another TPM and a blob of a newer format are refused...
        byte[] permanent = File.ReadAllBytes(PathOf("permanent"));
        byte[] damaged = (byte[])permanent.Clone();
        damaged[damaged.Length / 2] ^= 0x40;
        File.WriteAllBytes(PathOf("damaged"), damaged);
        var refused = Ioctl(t + 1, "--load", "permanent", PathOf("damaged"));
        Assert.True(refused.ExitCode == 1 && refused.Stderr.Contains("TPM result from PTM_SET_STATEBLOB: 0x9"), refused.ToString());
        refused = Ioctl(t + 1, "--load", "volatile", PathOf("volatile"));
        Assert.True(refused.ExitCode == 1 && refused.Stderr.Contains("TPM result from PTM_SET_STATEBLOB: 0x9"), refused.ToString());
        byte[] newer = (byte[])permanent.Clone();
        newer[9] = 2; // format version 2
        File.WriteAllBytes(PathOf("newer"), newer);
        refused = Ioctl(t + 1, "--load", "permanent", PathOf("newer"));
        Assert.True(refused.ExitCode == 1 && refused.Stderr.Contains("TPM result from PTM_SET_STATEBLOB: 0x2e"), refused.ToString());
        Assert.Contains("newer than this ftpm", target.Output);
        // ... and leave the TPM as it was: still the fresh one.
        Assert.Equal(0, Ioctl(t + 1, "-i").ExitCode);
        ToolsOk(t, "tpm2_startup", "-c");
        Assert.NotEqual(0, Tools(t, "tpm2_readpublic", "-c", "0x81000005").ExitCode);

        // Target: stop, load permanent, load volatile, init: it continues where the source stopped.
        foreach (string[] args in new string[][] { ["--stop"], ["--load", "permanent", PathOf("permanent")], ["--load", "volatile", PathOf("volatile")], ["-i"] })
        {
            var r = Ioctl(t + 1, args);
            Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)}: {r}\n{target.Output}");
        }
        Assert.Equal(pcr, Pcr(t, "sha256", 10));
        Assert.Equal(nv, ToolsOk(t, "tpm2_nvread", "0x1500016", "-C", "o", "-s", "8"));
        Assert.Equal(persistentName, ReadName(t, "0x81000005"));
    }

    static string ReadName(int port, string handle)
    {
        var output = ToolsOk(port, "tpm2_readpublic", "-c", handle);
        var m = Regex.Match(output, @"^name:\s*([0-9a-f]+)", RegexOptions.Multiline);
        Assert.True(m.Success, output);
        return m.Groups[1].Value;
    }

    /// <summary>The command line libvirt gives swtpm (unixio control socket, state and log files, pid file,
    /// --terminate); the data channel arrives over the control socket with CMD_SET_DATAFD, as from QEMU.</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Libvirt_style_invocation_starts_and_serves()
    {
        string state = NewStateDir("tpm2"), ctrl = PathOf("vm-swtpm.sock"), log = PathOf("vm-swtpm.log"), pid = PathOf("vm-swtpm.pid");
        using var ftpm = new FtpmSwtpm(
            ["--ctrl", $"type=unixio,path={ctrl},mode=0600", "--tpmstate", $"dir={state},mode=0600",
             "--log", $"file={log},level=20", "--pid", $"file={pid}", "--terminate", "--tpm2"], readyPath: ctrl);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(pid) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal(ftpm.Id.ToString(), File.ReadAllText(pid).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ctrl));
        Assert.Equal("ptm capability is 0x1ffff\n", Client.Run("swtpm_ioctl", ["--unix", ctrl, "-c"]).Stdout);

        // What QEMU does: CMD_SET_DATAFD with one end of a socket pair, CMD_INIT, then TPM commands on the pair.
        var script = PathOf("datafd.py");
        File.WriteAllText(script, """
            import socket, struct, sys
            ctrl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            ctrl.connect(sys.argv[1])
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            ctrl.sendmsg([struct.pack(">I", 0x10)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", theirs.fileno()))])
            print("SET_DATAFD", struct.unpack(">I", ctrl.recv(4))[0])
            theirs.close()
            ctrl.sendall(struct.pack(">II", 0x02, 0))
            print("INIT", struct.unpack(">I", ctrl.recv(4))[0])
            mine.sendall(bytes.fromhex("80010000000c000001440000"))  # TPM2_Startup(CLEAR)
            print("STARTUP", mine.recv(4096)[6:10].hex())
            mine.sendall(bytes.fromhex("80010000000c0000017b0010"))  # TPM2_GetRandom(16)
            r = mine.recv(4096)
            print("GETRANDOM", r[6:10].hex(), len(r))
            mine.close()
            """);
        var run = Client.Run("/usr/bin/python3", [script, ctrl]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("SET_DATAFD 0\nINIT 0\nSTARTUP 00000000\nGETRANDOM 00000000 28\n", run.Stdout);

        // --terminate: the data connection closed, so the process ends (and removes its socket).
        Assert.True(ftpm.WaitForExit(15_000), ftpm.Output);
        Assert.False(File.Exists(ctrl));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state, "nv.state")));
        Assert.Contains("SetDataFd", File.ReadAllText(log));
    }

    [Fact]
    public void Unsupported_options_are_errors_that_name_them()
    {
        foreach (var (args, message) in new (string[], string)[]
        {
            (["--tpm2", "--tpmstate", "dir=/tmp/x", "--seccomp", "action=none"], "option --seccomp is not supported"),
            (["--tpm2", "--tpmstate", "dir=/tmp/x,backup", "--ctrl", "type=tcp,port=1"], "--tpmstate parameter 'backup' is not supported"),
            (["--tpm2", "--tpmstate", "dir=/tmp/x", "--ctrl", "type=unixio,path=/tmp/s,uid=0"], "--ctrl parameter 'uid' is not supported"),
            (["--tpmstate", "dir=/tmp/x", "--ctrl", "type=tcp,port=1"], "--tpm2 is required"),
        })
        {
            var r = Client.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "ftpm.dll"), "swtpm", "socket", .. args]);
            Assert.True(r.ExitCode == 1 && r.Stderr.Contains(message), r.ToString());
        }
        var caps = Client.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "ftpm.dll"), "swtpm", "socket", "--print-capabilities"]);
        Assert.Equal(0, caps.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(caps.Stdout);
        var features = json.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("tpm-2.0", features);
        Assert.DoesNotContain("tpm-1.2", features);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
