using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>Issue 2's proof: tpm2-tools (mssim TCTI) against a live `ftpm serve`.</summary>
public sealed class Tpm2ToolsFoundationTests : ServerTest
{
    public Tpm2ToolsFoundationTests() : base("ftpm-tools-") { }

    string File(string name, byte[] content)
    {
        var path = PathOf(name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>The value tpm2_pcrread prints for one PCR of one bank.</summary>
    string PcrValue(string bank, int pcr)
    {
        var output = Tool("tpm2_pcrread", $"{bank}:{pcr}");
        var m = Regex.Match(output, $@"^\s*{pcr}\s*:\s*0x([0-9A-F]+)\s*$", RegexOptions.Multiline);
        Assert.True(m.Success, output);
        return m.Groups[1].Value.ToLowerInvariant();
    }

    static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    [Fact]
    public void Startup_again_changes_nothing()
    {
        // The TPM answers TPM_RC_INITIALIZE (pinned in the unit tests); tpm2_startup treats that as success.
        Tool("tpm2_pcrextend", $"10:sha256={Hex(SHA256.HashData("x"u8))}");
        var value = PcrValue("sha256", 10);
        Tool("tpm2_startup", "-c");
        Assert.Equal(value, PcrValue("sha256", 10));
    }

    [Fact]
    public void Selftest_and_test_result()
    {
        Tool("tpm2_selftest", "--fulltest");
        Tool("tpm2_incrementalselftest", "sha256");
        Assert.Contains("success", Tool("tpm2_gettestresult"));
    }

    [Fact]
    public void Getrandom_and_stirrandom()
    {
        var hex = Tool("tpm2_getrandom", "--hex", "32").Trim();
        Assert.Matches("^[0-9a-f]{64}$", hex);
        Assert.NotEqual(hex, Tool("tpm2_getrandom", "--hex", "32").Trim());
        var output = PathOf("rand.bin");
        Tool("tpm2_getrandom", "-o", output, "64");
        Assert.Equal(64, new FileInfo(output).Length);
        Tool("tpm2_stirrandom", File("stir.bin", RandomNumberGenerator.GetBytes(64)));
    }

    [Fact]
    public void Pcrextend_then_pcrread_matches_computed_digest()
    {
        var d256 = SHA256.HashData("event one"u8);
        var d1 = SHA1.HashData("event one"u8);
        Tool("tpm2_pcrextend", $"10:sha256={Hex(d256)},sha1={Hex(d1)}");
        Assert.Equal(Hex(SHA256.HashData([.. new byte[32], .. d256])), PcrValue("sha256", 10));
        Assert.Equal(Hex(SHA1.HashData([.. new byte[20], .. d1])), PcrValue("sha1", 10));
        Assert.Equal(new string('0', 96), PcrValue("sha384", 10));
    }

    [Fact]
    public void Pcrevent_extends_every_bank_with_the_data_digest()
    {
        // tpm2_pcrevent 5.4 authorizes PCR_Event through an HMAC session of its own (StartAuthSession).
        var data = "boot"u8.ToArray();
        var output = Tool("tpm2_pcrevent", "9", File("event.bin", data));
        var digests = new Dictionary<string, byte[]>
        {
            ["sha1"] = SHA1.HashData(data), ["sha256"] = SHA256.HashData(data),
            ["sha384"] = SHA384.HashData(data), ["sha512"] = SHA512.HashData(data),
        };
        foreach (var (bank, digest) in digests)
        {
            Assert.Matches($@"(?m)^{bank}:\s*{Hex(digest)}\s*$", output);
            var extended = System.Security.Cryptography.CryptographicOperations.HashData(
                new HashAlgorithmName(bank.ToUpperInvariant()), [.. new byte[digest.Length], .. digest]);
            Assert.Equal(Hex(extended), PcrValue(bank, 9));
        }
    }

    [Fact]
    public void Pcrreset_of_resettable_pcr_and_refusal_of_static_one()
    {
        Tool("tpm2_pcrextend", $"16:sha256={Hex(SHA256.HashData("x"u8))}");
        Assert.NotEqual(new string('0', 64), PcrValue("sha256", 16));
        Tool("tpm2_pcrreset", "16");
        Assert.Equal(new string('0', 64), PcrValue("sha256", 16));
        var r = Client.Tpm2(_server, "tpm2_pcrreset", "10");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x907", r.Stderr); // TPM_RC_LOCALITY, as libtpms answers
    }

    [Fact]
    public void Drtm_pcr_reads_all_ones()
    {
        Assert.Equal(new string('f', 64), PcrValue("sha256", 17));
    }

    [Fact]
    public void Hash_with_and_without_ticket()
    {
        var data = RandomNumberGenerator.GetBytes(700);
        var input = File("data.bin", data);
        Assert.Equal(Hex(SHA256.HashData(data)), Tool("tpm2_hash", "-g", "sha256", "--hex", input).Trim());
        var digest = PathOf("d.bin");
        var ticket = PathOf("t.bin");
        Tool("tpm2_hash", "-g", "sha384", "-C", "o", "-o", digest, "-t", ticket, input);
        Assert.Equal(SHA384.HashData(data), System.IO.File.ReadAllBytes(digest));
        var t = System.IO.File.ReadAllBytes(ticket);
        Assert.Equal(new byte[] { 0x80, 0x24, 0x40, 0x00, 0x00, 0x01, 0x00, 48 }, t[..8]); // HASHCHECK, owner, 48-octet HMAC
    }

    [Fact]
    public void Readclock_and_setclock()
    {
        var before = Tool("tpm2_readclock");
        var clock = ulong.Parse(Regex.Match(before, @"clock:\s*(\d+)").Groups[1].Value);
        Assert.InRange(clock, 0ul, 600_000ul);
        Assert.Matches(@"reset_count:\s*\d+", before);
        Assert.Matches(@"safe:\s*yes", before);
        // tpm2_setclock 5.4 authorizes ClockSet (owner) through an HMAC session.
        ulong target = clock + 86_400_000;
        Tool("tpm2_setclock", target.ToString());
        var after = ulong.Parse(Regex.Match(Tool("tpm2_readclock"), @"clock:\s*(\d+)").Groups[1].Value);
        Assert.InRange(after, target, target + 60_000);
        // Clock only moves forward: TPM_RC_VALUE on parameter 1.
        var r = Client.Tpm2(_server, "tpm2_setclock", clock.ToString());
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x1C4", r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("algorithms", "sha256")]
    [InlineData("commands", "TPM2_CC_PCR_Extend")]
    [InlineData("pcrs", "sha256")]
    [InlineData("properties-fixed", "TPM2_PT_FAMILY_INDICATOR")]
    [InlineData("properties-variable", "TPM2_PT_PERMANENT")]
    [InlineData("handles-permanent", "0x40000001")]
    [InlineData("handles-pcr", "0x17")]
    [InlineData("handles-transient", "")]
    [InlineData("handles-persistent", "")]
    [InlineData("handles-nv-index", "")]
    [InlineData("handles-loaded-session", "")]
    [InlineData("handles-saved-session", "")]
    [InlineData("ecc-curves", "NIST_P256")]
    public void Getcap_answers_every_capability(string capability, string expected)
    {
        var output = Tool("tpm2_getcap", capability);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void Pcrallocate_takes_effect_after_restart()
    {
        // tpm2_pcrallocate 5.4 authorizes PCR_Allocate (platform) through an HMAC session.
        Tool("tpm2_pcrallocate", "sha1:none+sha256:all+sha384:all+sha512:all");
        Assert.Matches(@"sha1\s*:\s*\[\s*0", Tool("tpm2_getcap", "pcrs"));  // until the next Startup(CLEAR)
        _server.Restart();
        Tool("tpm2_startup", "-c");
        var pcrs = Tool("tpm2_getcap", "pcrs");
        Assert.Matches(@"sha1\s*:\s*\[\s*\]", pcrs);
        Assert.Matches(@"sha256\s*:\s*\[\s*0", pcrs);
    }

    [Fact]
    public void Shutdown_state_restart_and_startup_state_keeps_pcr_10_but_startup_clear_after_power_cycle_clears_it()
    {
        var digest = SHA256.HashData("keep me"u8);
        Tool("tpm2_pcrextend", $"10:sha256={Hex(digest)}");
        var value = PcrValue("sha256", 10);
        Tool("tpm2_shutdown");                 // TPM_SU_STATE
        _server.Restart();                     // the process dies: a power cycle
        Tool("tpm2_startup");                  // TPM_SU_STATE: a TPM Resume
        Assert.Equal(value, PcrValue("sha256", 10));
        Assert.Matches(@"restart_count:\s*1", Tool("tpm2_readclock"));

        _server.Restart();                     // power lost without Shutdown
        Tool("tpm2_startup", "-c");
        Assert.Equal(new string('0', 64), PcrValue("sha256", 10));
        var clock = Tool("tpm2_readclock");
        Assert.Matches(@"restart_count:\s*0", clock);
        Assert.Matches(@"safe:\s*no", clock);
    }
}

/// <summary>tpm2-pytss (ESAPI, Debian's python3) against a live `ftpm serve`.</summary>
public sealed class PytssFoundationTests
{
    [Fact]
    public void Esapi_drives_random_pcr_hash_clock_and_capabilities()
    {
        using var server = new FtpmServer();
        var script = Path.Combine(AppContext.BaseDirectory, "pytss", "foundation.py");
        var r = Client.Run("/usr/bin/python3", [script, server.Tcti]);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), r.ToString());
    }
}
