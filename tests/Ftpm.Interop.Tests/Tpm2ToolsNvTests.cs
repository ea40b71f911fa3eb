using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>
/// Issue 5's proof for NV indices against a live `ftpm serve`: the tpm2-tools flow of the issue
/// (<see cref="NvToolFlow"/>; tpm2-tools 5.4 runs every tpm2_nv* tool but tpm2_nvreadpublic in an HMAC
/// session, so this also proves NV Names in session HMACs), the same flow against swtpm as the
/// reference, and tpm2-pytss scenarios with password sessions (pytss/nv.py) for what the tools do not reach.
/// </summary>
public sealed class Tpm2ToolsNvTests : ServerTest
{
    public Tpm2ToolsNvTests() : base("ftpm-nv-tools-") { }

    internal static Client.Result Pytss(string tcti, params string[] scenarios)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytss", "nv.py");
        return Client.Run("/usr/bin/python3", [script, tcti, .. scenarios]);
    }

    [Theory]
    [InlineData("ordinary")]      // nvdefine / nvwrite / nvread, Name changes with WRITTEN
    [InlineData("counter")]       // incremented and read
    [InlineData("bits")]
    [InlineData("extend")]        // against a digest computed in the script
    [InlineData("password")]      // authread|authwrite index; a wrong password is TPM_RC_AUTH_FAIL
    [InlineData("writelock")]     // nvwritelock then nvwrite: TPM_RC_NV_LOCKED (0x148)
    [InlineData("readlock")]
    [InlineData("globallock")]
    [InlineData("handles")]       // getcap handles-nv-index
    [InlineData("undefine")]
    [InlineData("space")]         // 2 KiB indices until TPM_RC_NV_SPACE, then all undefined
    [InlineData("policy")]        // POLICYWRITE/POLICYREAD through a policy session; a password there is AUTH_UNAVAILABLE
    [InlineData("admin")]         // NV_ChangeAuth and NV_UndefineSpaceSpecial with PolicyCommandCode; a password is AUTH_TYPE
    public void Pytss_nv_scenario(string scenario)
    {
        var r = Pytss(_server.Tcti, scenario);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok " + scenario), $"{r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
    }

    [Fact]
    public void Nvreadpublic_and_getcap_show_indices_defined_through_pytss()
    {
        Assert.Equal(0, Pytss(_server.Tcti, "handles", "writelock").ExitCode);
        var pub = Client.Tpm2Ok(_server, "tpm2_nvreadpublic", "0x1500006");
        Assert.Contains("ownerwrite|writelocked|write_stclear|ownerread", pub);
        Assert.Contains("value: 0x20024802", pub);   // + WRITTEN: the index was written before the lock
        Assert.Contains("size: 8", pub);
        // The Name is nameAlg || SHA-256(TPMS_NV_PUBLIC): 000b then 32 octets.
        Assert.Matches(new Regex("name: 000b[0-9a-f]{64}"), pub);
        var handles = Client.Tpm2Ok(_server, "tpm2_getcap", "handles-nv-index");
        foreach (var h in new[] { "0x1500006", "0x1500011", "0x1500012", "0x1500013" }) Assert.Contains(h, handles);
        var props = Client.Tpm2Ok(_server, "tpm2_getcap", "properties-variable");
        Assert.Matches(new Regex(@"TPM2_PT_HR_NV_INDEX:\s+0x4\b"), props);
    }

    [Fact]
    public void Tpm2_tools_nv_flow()
    {
        // nvdefine/nvwrite/nvread; counter; bits; extend against a computed digest; an index with its own
        // password and a wrong one refused (0x98E); nvwritelock then nvwrite (0x148); nvreadpublic; getcap
        // handles-nv-index; nvundefine; 2 KiB indices until TPM_RC_NV_SPACE (0x14B), then all undefined.
        NvToolFlow.Run(_server.Tcti, _dir);
    }

    [Fact]
    public void Nv_answers_match_swtpm_byte_for_byte()
    {
        // About 95 raw NV commands: every DefineSpace attribute rule, range and lock code, authorization
        // by owner, platform and index, counters, bits, extend, PIN, WRITEDEFINE, WRITEALL, global lock,
        // and the Names NV_ReadPublic returns as WRITTEN and the locks change.
        using var swtpm = Swtpm.Start();
        var script = Path.Combine(AppContext.BaseDirectory, "pytss", "nvcodes.py");
        var ours = Client.Run("/usr/bin/python3", [script, _server.Port.ToString()]);
        var reference = Client.Run("/usr/bin/python3", [script, swtpm.Port.ToString()]);
        Assert.True(ours.ExitCode == 0 && reference.ExitCode == 0, $"{ours}\n{reference}");
        var a = ours.Stdout.Split('\n');
        var b = reference.Stdout.Split('\n');
        Assert.True(a.Length > 90, ours.Stdout);
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
            Assert.True(i < a.Length && i < b.Length && a[i] == b[i], $"line {i + 1}:\n ftpm:  {(i < a.Length ? a[i] : "")}\n swtpm: {(i < b.Length ? b[i] : "")}");
    }

    [Fact]
    public void Nv_off_platform_signal_makes_nv_writes_unavailable()
    {
        using var platform = new TcpClient();
        platform.Connect(IPAddress.Loopback, _server.Port + 1);
        var p = platform.GetStream();
        void Signal(uint code)
        {
            p.Write([(byte)(code >> 24), (byte)(code >> 16), (byte)(code >> 8), (byte)code]);
            var ack = new byte[4];
            p.ReadExactly(ack);
        }
        Assert.Equal(0, Pytss(_server.Tcti, "counter").ExitCode);
        Signal(12);                                    // TPM_SIGNAL_NV_OFF
        // Raw commands: the mssim TCTI would send NV_ON at connect.
        var cc = NvCodes.Run(_server.Port, "inc", "read");
        Assert.Contains("inc 0x923", cc);              // TPM_RC_NV_UNAVAILABLE
        Assert.Contains("read 0x000", cc);             // reads need no NV write
        Signal(11);                                    // TPM_SIGNAL_NV_ON
        Assert.Contains("inc 0x000", NvCodes.Run(_server.Port, "inc"));
    }

    [Fact]
    public void State_show_and_verify_read_a_folder_written_by_tools()
    {
        var ctx = PathOf("primary.ctx");
        Client.Tpm2Ok(_server, "tpm2_createprimary", "-C", "o", "-G", "ecc256", "-c", ctx);
        Client.Tpm2Ok(_server, "tpm2_evictcontrol", "-C", "o", "-c", ctx, "0x81000001");
        Client.Tpm2Ok(_server, "tpm2_flushcontext", "-t");
        Assert.Equal(0, Pytss(_server.Tcti, "counter", "extend").ExitCode);
        _server.Kill();

        var cli = Path.Combine(AppContext.BaseDirectory, "ftpm.dll");
        var show = Client.Run("dotnet", [cli, "state", "show", _server.StateDir]);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("manufactured          yes", show.Stdout);
        Assert.Contains("persistent objects    1", show.Stdout);
        Assert.Matches(new Regex(@"0x81000001  owner\s+ecc\s+sha256"), show.Stdout);
        Assert.Contains("0x01500002  counter      8 octets  sha256  ownerwrite|nt=counter|ownerread|written", show.Stdout);
        Assert.Contains("count 3", show.Stdout);
        Assert.Contains("0x01500004  extend      32 octets", show.Stdout);
        var verify = Client.Run("dotnet", [cli, "state", "verify", _server.StateDir]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("is good", verify.Stdout);
    }

    [Fact]
    public void Tool_flow_against_swtpm_the_reference()
    {
        using var swtpm = Swtpm.Start();
        NvToolFlow.Run(swtpm.Tcti, _dir);
    }
}

/// <summary>The issue's tpm2-tools flow for NV indices, for any TCTI.</summary>
internal static class NvToolFlow
{
    static string Ok(string tcti, string tool, params string[] args)
    {
        var r = Client.Run(tool, args, new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tcti });
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {r}");
        return r.Stdout;
    }

    static Client.Result Fails(string tcti, string tool, params string[] args)
    {
        var r = Client.Run(tool, args, new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tcti });
        Assert.True(r.ExitCode != 0, $"{tool} {string.Join(' ', args)} should fail: {r}");
        return r;
    }

    static byte[] ReadBytes(string tcti, string dir, string index, int size, params string[] auth)
    {
        var output = Path.Combine(dir, "read.bin");
        Ok(tcti, "tpm2_nvread", [index, .. auth, "-s", size.ToString(), "-o", output]);
        return File.ReadAllBytes(output);
    }

    public static void Run(string tcti, string dir)
    {
        var input = Path.Combine(dir, "hello.bin");
        File.WriteAllBytes(input, "hello"u8.ToArray());

        // Ordinary index: nvdefine / nvwrite / nvread
        Ok(tcti, "tpm2_nvdefine", "0x1500101", "-C", "o", "-s", "32", "-a", "ownerread|ownerwrite");
        Ok(tcti, "tpm2_nvwrite", "0x1500101", "-C", "o", "-i", input);
        Assert.Equal("hello"u8.ToArray(), ReadBytes(tcti, dir, "0x1500101", 5, "-C", "o"));

        // Counter: incremented and read
        Ok(tcti, "tpm2_nvdefine", "0x1500102", "-C", "o", "-s", "8", "-a", "ownerread|ownerwrite|nt=counter");
        Ok(tcti, "tpm2_nvincrement", "0x1500102", "-C", "o");
        Ok(tcti, "tpm2_nvincrement", "0x1500102", "-C", "o");
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 2 }, ReadBytes(tcti, dir, "0x1500102", 8, "-C", "o"));

        // Bits
        Ok(tcti, "tpm2_nvdefine", "0x1500103", "-C", "o", "-s", "8", "-a", "ownerread|ownerwrite|nt=bits");
        Ok(tcti, "tpm2_nvsetbits", "0x1500103", "-C", "o", "-i", "0x5");
        Ok(tcti, "tpm2_nvsetbits", "0x1500103", "-C", "o", "-i", "0x30");
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0x35 }, ReadBytes(tcti, dir, "0x1500103", 8, "-C", "o"));

        // Extend, checked against a digest computed here
        Ok(tcti, "tpm2_nvdefine", "0x1500104", "-C", "o", "-s", "32", "-g", "sha256", "-a", "ownerread|ownerwrite|nt=extend");
        Ok(tcti, "tpm2_nvextend", "0x1500104", "-C", "o", "-i", input);
        Assert.Equal(SHA256.HashData([.. new byte[32], .. "hello"u8]), ReadBytes(tcti, dir, "0x1500104", 32, "-C", "o"));

        // An index with its own password; a wrong one is refused (TPM_RC_AUTH_FAIL, session 1)
        Ok(tcti, "tpm2_nvdefine", "0x1500105", "-C", "o", "-s", "8", "-p", "secret", "-a", "authread|authwrite");
        Ok(tcti, "tpm2_nvwrite", "0x1500105", "-P", "secret", "-i", input);
        Assert.Equal("hello"u8.ToArray(), ReadBytes(tcti, dir, "0x1500105", 5, "-P", "secret"));
        Assert.Contains("0x98E", Fails(tcti, "tpm2_nvread", "0x1500105", "-P", "wrong", "-s", "5").Stderr);

        // nvwritelock, then nvwrite gets TPM_RC_NV_LOCKED
        Ok(tcti, "tpm2_nvdefine", "0x1500106", "-C", "o", "-s", "8", "-a", "ownerread|ownerwrite|write_stclear");
        Ok(tcti, "tpm2_nvwritelock", "0x1500106", "-C", "o");
        Assert.Contains("0x148", Fails(tcti, "tpm2_nvwrite", "0x1500106", "-C", "o", "-i", input).Stderr);

        // nvreadpublic, getcap handles-nv-index, nvundefine
        Assert.Contains("writelocked", Ok(tcti, "tpm2_nvreadpublic", "0x1500106"));
        var handles = Ok(tcti, "tpm2_getcap", "handles-nv-index");
        for (int i = 1; i <= 6; i++) Assert.Contains($"0x150010{i}", handles);
        for (int i = 1; i <= 6; i++) Ok(tcti, "tpm2_nvundefine", $"0x150010{i}", "-C", "o");
        Assert.DoesNotContain("0x1500101", Ok(tcti, "tpm2_getcap", "handles-nv-index"));

        // 2 KiB indices until TPM_RC_NV_SPACE; the TPM keeps serving; all can be undefined
        var defined = new List<string>();
        for (int i = 0; ; i++)
        {
            string handle = $"0x{0x01700000 + i:x}";
            var r = Client.Run("tpm2_nvdefine", [handle, "-C", "o", "-s", "2048", "-a", "ownerread|ownerwrite"],
                new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tcti });
            if (r.ExitCode != 0)
            {
                Assert.Contains("0x14B", r.Stderr);
                break;
            }
            defined.Add(handle);
            Assert.True(defined.Count < 200, "no TPM_RC_NV_SPACE");
        }
        Assert.Matches("^[0-9a-f]{32}$", Ok(tcti, "tpm2_getrandom", "--hex", "16").Trim());
        foreach (var h in defined) Ok(tcti, "tpm2_nvundefine", h, "-C", "o");
    }
}

/// <summary>A raw client for two NV commands on counter 0x01500002 (owner authorization), over mssim framing.</summary>
internal static class NvCodes
{
    public static string Run(int port, params string[] commands)
    {
        using var c = new TcpClient();
        c.Connect(IPAddress.Loopback, port);
        var s = c.GetStream();
        var output = new List<string>();
        foreach (var name in commands)
        {
            // tag, size, code, authHandle TPM_RH_OWNER, nvIndex, authorizationSize, empty password session
            const string auth = "40000001" + "01500002" + "00000009" + "40000009" + "0000" + "01" + "0000";
            byte[] command = name == "inc"
                ? Hex("8002" + "0000001F" + "00000134" + auth)
                : Hex("8002" + "00000023" + "0000014E" + auth + "0008" + "0000");   // size 8, offset 0
            var frame = new byte[9 + command.Length];
            frame[3] = 8;                                                  // TPM_SEND_COMMAND
            frame[8] = (byte)command.Length;                               // locality 0, length < 256
            command.CopyTo(frame, 9);
            s.Write(frame);
            var length = new byte[4];
            s.ReadExactly(length);
            var response = new byte[(length[2] << 8) | length[3]];
            s.ReadExactly(response);
            s.ReadExactly(new byte[4]);
            uint rc = (uint)(response[6] << 24 | response[7] << 16 | response[8] << 8 | response[9]);
            output.Add($"{name} 0x{rc:x3}");
        }
        return string.Join("\n", output);
    }

    static byte[] Hex(string hex) => Convert.FromHexString(hex);
}
