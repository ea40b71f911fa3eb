using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>
/// A QEMU guest with ftpm as its vTPM: `ftpm swtpm socket` behind QEMU's tpm-emulator backend (the data
/// channel arrives with CMD_SET_DATAFD), Debian's kernel and a busybox initramfs built here. The guest's
/// kernel must find a TPM 2.0, see SeaBIOS's measurement in PCR 0 (the value ftpm holds) and read /dev/hwrng.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class QemuVtpmTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-qemu-").FullName;

    string PathOf(string name) => Path.Combine(_dir, name);

    const string Init = """
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        i=0
        while [ ! -e /sys/class/tpm/tpm0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        echo "TPMVER=$(cat /sys/class/tpm/tpm0/tpm_version_major)"
        echo "PCR0=$(cat /sys/class/tpm/tpm0/pcr-sha256/0)"
        echo "HWRNG=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"
        echo "GUEST-DONE"
        sleep 10
        poweroff -f
        """;

    /// <summary>The busybox initramfs whose init prints what the test checks.</summary>
    string BuildInitramfs()
    {
        Assert.True(File.Exists("/bin/busybox"), "busybox-static is one of test.sh's packages");
        string root = PathOf("root");
        foreach (var d in new[] { "bin", "proc", "sys", "dev" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        File.WriteAllText(Path.Combine(root, "init"), Init.Replace("\r", "") + "\n");
        File.SetUnixFileMode(Path.Combine(root, "init"), (UnixFileMode)0b111_101_101);
        string initrd = PathOf("initrd.gz");
        var r = Client.Run("sh", ["-c", $"cd '{root}' && find . | cpio -o -H newc 2>/dev/null | gzip > '{initrd}'"]);
        Assert.True(r.ExitCode == 0 && new FileInfo(initrd).Length > 0, r.ToString());
        return initrd;
    }

    [Fact]
    public void Linux_guest_finds_a_tpm2_with_firmware_measurements_and_a_hwrng()
    {
        var kernel = Directory.GetFiles("/boot", "vmlinuz-*").OrderBy(f => f).LastOrDefault();
        Assert.True(kernel is not null, "no kernel at /boot/vmlinuz-* (test.sh installs linux-image-amd64)");
        string initrd = BuildInitramfs();
        string state = PathOf("state"), ctrl = PathOf("ctrl.sock");
        Directory.CreateDirectory(state);
        int port = FtpmServer.FreePortPair();
        // The unix control channel QEMU uses, and a TCP data channel through which the test reads PCR 0 itself.
        using var ftpm = new FtpmSwtpm(["--tpm2", "--ctrl", $"type=unixio,path={ctrl}", "--server", $"type=tcp,port={port}",
            "--tpmstate", $"dir={state}", "--log", $"file={PathOf("ftpm.log")},level=2"], readyPath: ctrl);

        // Firmware gives the first TPM commands 750 ms: boot once ftpm has compiled their paths (its warm-up).
        var warm = DateTime.UtcNow.AddSeconds(60);
        while (!(File.Exists(PathOf("ftpm.log")) && File.ReadAllText(PathOf("ftpm.log")).Contains("Warm-up done")) && DateTime.UtcNow < warm)
            Thread.Sleep(100);

        var psi = new ProcessStartInfo("qemu-system-x86_64") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-accel", "tcg", "-cpu", "max", "-m", "512", "-nographic", "-no-reboot", "-net", "none",
                     "-kernel", kernel!, "-initrd", initrd, "-append", "console=ttyS0 quiet panic=-1",
                     "-chardev", $"socket,id=chrtpm,path={ctrl}", "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0" })
            psi.ArgumentList.Add(a);
        var console = new List<string>();
        string? ftpmPcr0 = null;
        using var guestDone = new ManualResetEventSlim();
        using var qemu = Process.Start(psi)!;
        qemu.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (console) console.Add(e.Data);
            if (e.Data.Contains("GUEST-DONE"))
            {
                // While the guest still runs, ask ftpm for PCR 0 on its own data channel.
                ftpmPcr0 = ReadPcr0(port);
                guestDone.Set();
            }
        };
        qemu.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (console) console.Add(e.Data); };
        qemu.BeginOutputReadLine();
        qemu.BeginErrorReadLine();
        try
        {
            bool done = guestDone.Wait(TimeSpan.FromMinutes(4));
            string output;
            lock (console) output = string.Join("\n", console);
            Assert.True(done, $"the guest did not finish in 4 minutes:\n{output}\nftpm:\n{ftpm.Output}");

            Assert.Matches(@"(?m)^TPMVER=2\s*$", output);
            var pcr0 = Regex.Match(output, @"(?m)^PCR0=([0-9A-F]{64})\s*$");
            Assert.True(pcr0.Success, output);
            Assert.NotEqual(new string('0', 64), pcr0.Groups[1].Value); // SeaBIOS measured into PCR 0
            Assert.Equal(pcr0.Groups[1].Value, ftpmPcr0);
            var hwrng = Regex.Match(output, @"(?m)^HWRNG=([0-9a-f]{32})\s*$");
            Assert.True(hwrng.Success, output);
            Assert.NotEqual(new string('0', 32), hwrng.Groups[1].Value);
        }
        finally
        {
            try { qemu.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            qemu.WaitForExit(10_000);
        }
    }

    /// <summary>TPM2_PCR_Read of sha256 PCR 0 as a raw command on ftpm's TCP data channel.</summary>
    static string ReadPcr0(int port)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        var stream = client.GetStream();
        stream.Write(Convert.FromHexString("8001000000140000017E00000001000B03010000"));
        var response = new byte[4096];
        int got = 0;
        while (got < 10 || got < BinaryPrimitives.ReadInt32BigEndian(response.AsSpan(2)))
        {
            int n = stream.Read(response, got, response.Length - got);
            if (n == 0) break;
            got += n;
        }
        // header (10), pcrUpdateCounter (4), one selection (4 + 2 + 1 + 3), digest count (4), TPM2B size (2), digest
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6)));
        return Convert.ToHexString(response.AsSpan(30, 32));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
