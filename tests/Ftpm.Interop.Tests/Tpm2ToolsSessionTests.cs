using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>Issue 4's proof with tpm2-tools (mssim TCTI) against a live `ftpm serve`: HMAC sessions
/// saved in files between tools, parameter encryption, hierarchy administration, dictionary-attack
/// lockout, policy digests.</summary>
public sealed class Tpm2ToolsSessionTests : ServerTest
{
    public Tpm2ToolsSessionTests() : base("ftpm-sessions-") { }

    Client.Result Fails(string tool, params string[] args)
    {
        var r = Client.Tpm2(_server, tool, args);
        Assert.True(r.ExitCode != 0, $"{tool} {string.Join(' ', args)} should have failed: {r}");
        return r;
    }

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

    static uint Property(string output, string name)
    {
        var m = Regex.Match(output, $@"{name}:\s*0x([0-9A-Fa-f]+)");
        Assert.True(m.Success, output);
        return Convert.ToUInt32(m.Groups[1].Value, 16);
    }

    [Fact]
    public void Changeauth_of_owner_then_owner_commands_need_the_new_password()
    {
        Tool("tpm2_changeauth", "-c", "owner", "newowner");
        Assert.Matches(@"ownerAuthSet:\s*1", Tool("tpm2_getcap", "properties-variable"));
        // ClockSet is authorized by the owner (tpm2_setclock uses an HMAC session with the password).
        Assert.Contains("0x9A2", Fails("tpm2_setclock", "999999999").Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_setclock", "-p", "newowner", "999999999");
        // CreatePrimary in the owner hierarchy needs it too.
        Assert.Contains("0x9A2", Fails("tpm2_createprimary", "-Q", "-C", "o", "-c", PathOf("p.ctx")).Stderr, StringComparison.OrdinalIgnoreCase);
        Chain("tpm2_createprimary", "-Q", "-C", "o", "-P", "newowner", "-c", PathOf("p.ctx"));
        Tool("tpm2_changeauth", "-c", "o", "-p", "newowner");
        Tool("tpm2_setclock", "1999999999");
    }

    [Fact]
    public void Repeated_wrong_key_passwords_lock_the_tpm_out_until_dictionarylockout_clear()
    {
        Tool("tpm2_dictionarylockout", "-s", "-n", "3", "-t", "1000", "-l", "1000");
        Chain("tpm2_createprimary", "-Q", "-C", "o", "-c", PathOf("prim.ctx"));
        Chain("tpm2_create", "-Q", "-C", PathOf("prim.ctx"), "-G", "ecc", "-p", "keypass", "-u", PathOf("k.pub"), "-r", PathOf("k.priv"));
        Chain("tpm2_load", "-Q", "-C", PathOf("prim.ctx"), "-u", PathOf("k.pub"), "-r", PathOf("k.priv"), "-c", PathOf("k.ctx"));
        File("msg", "m"u8.ToArray());
        string[] Sign(string password) => ["-c", PathOf("k.ctx"), "-p", password, "-g", "sha256", "-o", PathOf("sig"), PathOf("msg")];
        for (int i = 0; i < 3; i++)
        {
            Assert.Contains("0x98E", Fails("tpm2_sign", Sign("wrong")).Stderr, StringComparison.OrdinalIgnoreCase);
            Tool("tpm2_flushcontext", "-t");
        }
        Assert.Matches(@"inLockout:\s*1", Tool("tpm2_getcap", "properties-variable"));
        Assert.Contains("0x921", Fails("tpm2_sign", Sign("keypass")).Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_flushcontext", "-t");
        Tool("tpm2_dictionarylockout", "-c");
        Chain("tpm2_sign", Sign("keypass"));
    }

    [Fact]
    public void Dictionary_lockout_parameters_lockout_and_recovery()
    {
        Tool("tpm2_changeauth", "-c", "lockout", "lockpass");
        Tool("tpm2_dictionarylockout", "-s", "-n", "5", "-t", "10", "-l", "2", "-p", "lockpass");
        var props = Tool("tpm2_getcap", "properties-variable");
        Assert.Equal(5u, Property(props, "TPM2_PT_MAX_AUTH_FAIL"));
        Assert.Equal(10u, Property(props, "TPM2_PT_LOCKOUT_INTERVAL"));
        Assert.Equal(2u, Property(props, "TPM2_PT_LOCKOUT_RECOVERY"));

        // A wrong lockout password counts (TPM_RC_AUTH_FAIL + session 1), then lockoutAuth is locked out:
        // TPM_RC_LOCKOUT even with the right password, until lockoutRecovery has passed.
        Assert.Contains("0x98E", Fails("tpm2_dictionarylockout", "-c", "-p", "wrong").Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("0x921", Fails("tpm2_dictionarylockout", "-c", "-p", "lockpass").Stderr, StringComparison.OrdinalIgnoreCase);
        Thread.Sleep(2500);
        Tool("tpm2_dictionarylockout", "-c", "-p", "lockpass");

        // Power lost without Shutdown: the next startup counts one failure; -c clears the counter.
        _server.Restart();
        Tool("tpm2_startup", "-c");
        Assert.Equal(1u, Property(Tool("tpm2_getcap", "properties-variable"), "TPM2_PT_LOCKOUT_COUNTER"));
        Tool("tpm2_dictionarylockout", "-c", "-p", "lockpass");
        Assert.Equal(0u, Property(Tool("tpm2_getcap", "properties-variable"), "TPM2_PT_LOCKOUT_COUNTER"));
    }

    [Fact]
    public void Lockout_after_a_wrong_lockout_password_survives_power_loss()
    {
        Tool("tpm2_changeauth", "-c", "lockout", "l1");
        Assert.Contains("0x98E", Fails("tpm2_clear", "-c", "l", "bad").Stderr, StringComparison.OrdinalIgnoreCase);
        _server.Restart();                     // the failure is in NV: a power cycle does not undo it
        Tool("tpm2_startup", "-c");
        Assert.Contains("0x921", Fails("tpm2_clear", "-c", "l", "l1").Stderr, StringComparison.OrdinalIgnoreCase);
        // The platform still clears.
        Tool("tpm2_clear", "-c", "p");
    }

    [Fact]
    public void Clear_with_the_lockout_password()
    {
        Tool("tpm2_changeauth", "-c", "owner", "o1");
        Tool("tpm2_changeauth", "-c", "lockout", "l1");
        // Owner objects and indices go; platform-created indices stay.
        Chain("tpm2_createprimary", "-Q", "-C", "o", "-P", "o1", "-c", PathOf("prim.ctx"));
        Chain("tpm2_evictcontrol", "-C", "o", "-P", "o1", "-c", PathOf("prim.ctx"), "0x81000001");
        Tool("tpm2_nvdefine", "0x1500100", "-C", "o", "-P", "o1", "-s", "8", "-a", "ownerread|ownerwrite");
        Tool("tpm2_nvdefine", "0x1500101", "-C", "p", "-s", "8", "-a", "ppread|ppwrite|platformcreate");
        Tool("tpm2_clear", "-c", "l", "l1");
        Assert.DoesNotContain("0x81000001", Tool("tpm2_getcap", "handles-persistent"));
        var indices = Tool("tpm2_getcap", "handles-nv-index");
        Assert.DoesNotContain("0x1500100", indices);
        Assert.Contains("0x1500101", indices);
        var props = Tool("tpm2_getcap", "properties-variable");
        Assert.Matches(@"ownerAuthSet:\s*0", props);
        Assert.Matches(@"lockoutAuthSet:\s*0", props);
        Tool("tpm2_setclock", "1999999999");           // owner without password again
        // clearcontrol: disableClear through lockout, then clear is refused (TPM_RC_DISABLED).
        Tool("tpm2_clearcontrol", "-C", "l", "s");
        Assert.Contains("0x120", Fails("tpm2_clear", "-c", "l").Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_clearcontrol", "-C", "p", "c");
        Tool("tpm2_clear", "-c", "p");
    }

    [Fact]
    public void Hierarchycontrol_disables_the_owner_hierarchy_until_the_platform_enables_it()
    {
        Tool("tpm2_hierarchycontrol", "-C", "o", "shEnable", "clear");
        Assert.Matches(@"shEnable:\s*0", Tool("tpm2_getcap", "properties-variable"));
        Assert.Contains("0x185", Fails("tpm2_setclock", "1999999999").Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_hierarchycontrol", "-C", "p", "shEnable", "set");
        Tool("tpm2_setclock", "1999999999");
    }

    static byte[] H(params byte[][] parts) => SHA256.HashData(parts.SelectMany(p => p).ToArray());
    static byte[] Cc(uint code) => [(byte)(code >> 24), (byte)(code >> 16), (byte)(code >> 8), (byte)code];

    /// <summary>Runs a policy tool in a fresh trial session and returns the digest it wrote.</summary>
    byte[] TrialDigest(string name, params string[] policyTool)
    {
        var session = PathOf($"trial-{name}.ctx");
        var output = PathOf($"{name}.dat");
        Tool("tpm2_startauthsession", "-S", session);
        Tool(policyTool[0], [.. policyTool[1..], "-S", session, "-L", output]);
        Tool("tpm2_flushcontext", session);
        return System.IO.File.ReadAllBytes(output);
    }

    [Fact]
    public void Policy_digests_of_pcr_password_and_or_match_the_spec()
    {
        var zero = new byte[32];
        // PolicyPCR over sha256:0,1 (both zero after Startup): H(0 || TPM_CC_PolicyPCR || pcrs || H(PCR0 || PCR1)).
        var pcr = TrialDigest("pcr", "tpm2_policypcr", "-l", "sha256:0,1");
        byte[] selection = [0, 0, 0, 1, 0x00, 0x0B, 3, 0x03, 0x00, 0x00];
        Assert.Equal(Hex(H(zero, Cc(0x17F), selection, H(zero, zero))), Hex(pcr));

        var password = TrialDigest("pw", "tpm2_policypassword");
        Assert.Equal(Hex(H(zero, Cc(0x16B))), Hex(password));          // TPM_CC_PolicyAuthValue, as PolicyAuthValue

        var or = TrialDigest("or", "tpm2_policyor", $"sha256:{PathOf("pcr.dat")},{PathOf("pw.dat")}");
        Assert.Equal(Hex(H(zero, Cc(0x171), pcr, password)), Hex(or));

        var cc = TrialDigest("cc", "tpm2_policycommandcode", "TPM2_CC_ClockSet");
        Assert.Equal(Hex(H(zero, Cc(0x16C), Cc(0x128))), Hex(cc));
    }

    [Fact]
    public void Owner_policy_authorizes_setclock_through_a_policy_session()
    {
        // Owner policy: PolicyOR(PolicyCommandCode(ClockSet), PolicyPassword).
        Tool("tpm2_changeauth", "-c", "owner", "ownerpw");
        var cc = TrialDigest("cc", "tpm2_policycommandcode", "TPM2_CC_ClockSet");
        var pw = TrialDigest("pw", "tpm2_policypassword");
        var branches = $"sha256:{PathOf("cc.dat")},{PathOf("pw.dat")}";
        TrialDigest("or", "tpm2_policyor", branches);
        Tool("tpm2_setprimarypolicy", "-C", "o", "-P", "ownerpw", "-L", PathOf("or.dat"), "-g", "sha256");

        var session = PathOf("policy.ctx");
        Tool("tpm2_startauthsession", "--policy-session", "-S", session);
        Tool("tpm2_policycommandcode", "-S", session, "TPM2_CC_ClockSet");
        Tool("tpm2_policyor", "-S", session, branches);
        Tool("tpm2_setclock", "-p", $"session:{session}", "1999999999");
        // The session started over after authorizing: PolicyPassword branch with the owner password.
        Tool("tpm2_policypassword", "-S", session);
        Tool("tpm2_policyor", "-S", session, branches);
        Tool("tpm2_setclock", "-p", $"session:{session}+ownerpw", "2999999999");
        Tool("tpm2_policypassword", "-S", session);
        Tool("tpm2_policyor", "-S", session, branches);
        Assert.Contains("0x9A2", Fails("tpm2_setclock", "-p", $"session:{session}+wrong", "3999999999").Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_flushcontext", session);
    }

    [Fact]
    public void Policysecret_against_the_owner_hierarchy()
    {
        Tool("tpm2_changeauth", "-c", "owner", "ownerpw");
        var expected = H(H(new byte[32], Cc(0x151), Cc(0x40000001)));     // empty policyRef
        var digest = TrialDigest("secret", "tpm2_policysecret", "-c", "o", "ownerpw");
        Assert.Equal(Hex(expected), Hex(digest));
        // In a real policy session the owner's authorization is checked: a wrong password is refused.
        var session = PathOf("secret.ctx");
        Tool("tpm2_startauthsession", "--policy-session", "-S", session);
        Assert.Contains("0x9A2", Fails("tpm2_policysecret", "-S", session, "-c", "o", "bad").Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_policysecret", "-S", session, "-c", "o", "-L", PathOf("real.dat"), "ownerpw");
        Assert.Equal(Hex(expected), Hex(System.IO.File.ReadAllBytes(PathOf("real.dat"))));
        Tool("tpm2_flushcontext", session);
    }

    [Fact]
    public void Setcommandauditstatus_counts_audit_digests()
    {
        Tool("tpm2_setcommandauditstatus", "-C", "o", "TPM2_CC_GetRandom");
        // SetCommandCodeAuditStatus is itself audited: it started the digest (audit counter 1).
        Assert.Equal(1u, Property(Tool("tpm2_getcap", "properties-variable"), "TPM2_PT_AUDIT_COUNTER_1"));
        Tool("tpm2_getrandom", "8");
        // A new audit hash starts a new digest at the next audited command: counter 2.
        Tool("tpm2_setcommandauditstatus", "-C", "o", "-g", "sha384");
        Tool("tpm2_getrandom", "8");
        Assert.Equal(2u, Property(Tool("tpm2_getcap", "properties-variable"), "TPM2_PT_AUDIT_COUNTER_1"));
    }

    /// <summary>Each tool leaves its objects loaded and a TPM holds three: flush them between tools (CLIENTS.md).</summary>
    string Chain(string tool, params string[] args)
    {
        var output = Tool(tool, args);
        Tool("tpm2_flushcontext", "-t");
        return output;
    }

    [Fact]
    public void Signing_authorized_through_an_hmac_session_with_the_key_password()
    {
        Chain("tpm2_createprimary", "-Q", "-C", "o", "-c", PathOf("prim.ctx"));
        Chain("tpm2_create", "-Q", "-C", PathOf("prim.ctx"), "-G", "ecc", "-p", "keypass", "-u", PathOf("k.pub"), "-r", PathOf("k.priv"));
        Chain("tpm2_load", "-Q", "-C", PathOf("prim.ctx"), "-u", PathOf("k.pub"), "-r", PathOf("k.priv"), "-c", PathOf("k.ctx"));
        var session = PathOf("s.ctx");
        Tool("tpm2_startauthsession", "--hmac-session", "-S", session);
        File("msg", "signed through an HMAC session"u8.ToArray());
        Chain("tpm2_sign", "-c", PathOf("k.ctx"), "-p", $"session:{session}+keypass", "-g", "sha256", "-f", "plain", "-o", PathOf("sig.der"), PathOf("msg"));
        Chain("tpm2_readpublic", "-Q", "-c", PathOf("k.ctx"), "-f", "pem", "-o", PathOf("k.pem"));
        var verify = Client.Run("openssl", ["dgst", "-sha256", "-verify", PathOf("k.pem"), "-signature", PathOf("sig.der"), PathOf("msg")]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        // A wrong password: the key is DA-protected, so TPM_RC_AUTH_FAIL at session 1.
        var r = Fails("tpm2_sign", "-c", PathOf("k.ctx"), "-p", $"session:{session}+wrong", "-g", "sha256", "-f", "plain", "-o", PathOf("sig2.der"), PathOf("msg"));
        Assert.Contains("0x98E", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_flushcontext", "-t");
        Tool("tpm2_flushcontext", session);
    }

    [Fact]
    public void Sealed_to_pcr_23_unseals_until_pcr_23_changes()
    {
        Chain("tpm2_createprimary", "-Q", "-C", "o", "-c", PathOf("prim.ctx"));
        var policy = TrialDigest("pcr23", "tpm2_policypcr", "-Q", "-l", "sha256:23");
        Chain("tpm2_create", "-Q", "-C", PathOf("prim.ctx"), "-L", PathOf("pcr23.dat"), "-i", File("secret", "sealed secret"u8.ToArray()),
            "-u", PathOf("s.pub"), "-r", PathOf("s.priv"));
        Chain("tpm2_load", "-Q", "-C", PathOf("prim.ctx"), "-u", PathOf("s.pub"), "-r", PathOf("s.priv"), "-c", PathOf("sealed.ctx"));
        Assert.Equal(32, policy.Length);

        var session = PathOf("p.ctx");
        Tool("tpm2_startauthsession", "--policy-session", "-S", session);
        Tool("tpm2_policypcr", "-Q", "-S", session, "-l", "sha256:23");
        Assert.Equal("sealed secret", Chain("tpm2_unseal", "-c", PathOf("sealed.ctx"), "-p", $"session:{session}"));
        Tool("tpm2_flushcontext", session);

        Tool("tpm2_pcrextend", $"23:sha256={Hex(SHA256.HashData("boot"u8))}");
        Tool("tpm2_startauthsession", "--policy-session", "-S", session);
        Tool("tpm2_policypcr", "-Q", "-S", session, "-l", "sha256:23");
        Assert.Contains("0x99D", Fails("tpm2_unseal", "-c", PathOf("sealed.ctx"), "-p", $"session:{session}").Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_flushcontext", "-t");
        Tool("tpm2_flushcontext", session);
    }

    /// <summary>PolicyAuthorize with an authority outside the TPM: openssl signs a PCR policy, the TPM
    /// checks the signature with the public key loaded by tpm2_loadexternal (tpm2_verifysignature gives
    /// the ticket), and a secret sealed to the authorized policy unseals; after PCR 23 changes the old
    /// approval no longer fits (TPM_RC_VALUE, parameter 1), and a newly signed policy for the new value
    /// unseals the same object without sealing it again.</summary>
    [Fact]
    public void Policyauthorize_with_an_openssl_signed_pcr_policy()
    {
        var key = PathOf("authority.key");
        var pub = PathOf("authority.pub");
        var gen = Client.Run("openssl", ["genrsa", "-out", key, "2048"]);
        Assert.True(gen.ExitCode == 0, gen.ToString());
        var export = Client.Run("openssl", ["rsa", "-in", key, "-pubout", "-out", pub]);
        Assert.True(export.ExitCode == 0, export.ToString());

        string SignedPolicy(string name)
        {
            TrialDigest(name, "tpm2_policypcr", "-Q", "-l", "sha256:23");
            var sign = Client.Run("openssl", ["dgst", "-sha256", "-sign", key, "-out", PathOf(name + ".sig"), PathOf(name + ".dat")]);
            Assert.True(sign.ExitCode == 0, sign.ToString());
            // The ticket: TPM2_VerifySignature over H(approvedPolicy), the key in the owner hierarchy.
            Chain("tpm2_loadexternal", "-Q", "-G", "rsa", "-C", "o", "-u", pub, "-c", PathOf("authority.ctx"), "-n", PathOf("authority.name"));
            Chain("tpm2_verifysignature", "-c", PathOf("authority.ctx"), "-g", "sha256", "-m", PathOf(name + ".dat"),
                "-s", PathOf(name + ".sig"), "-f", "rsassa", "-t", PathOf(name + ".tkt"));
            return PathOf(name + ".dat");
        }

        var approved = SignedPolicy("pcr-before");
        var authorized = TrialDigest("authorized", "tpm2_policyauthorize", "-Q", "-n", PathOf("authority.name"), "-i", approved);
        // PolicyAuthorize's digest: H(H(0 || TPM_CC_PolicyAuthorize || keySign.Name) || policyRef), with an empty policyRef.
        var name = System.IO.File.ReadAllBytes(PathOf("authority.name"));
        var inner = SHA256.HashData([.. new byte[32], 0x00, 0x00, 0x01, 0x6A, .. name]);
        Assert.Equal(SHA256.HashData(inner), authorized);

        Chain("tpm2_createprimary", "-Q", "-C", "o", "-c", PathOf("prim.ctx"));
        Chain("tpm2_create", "-Q", "-C", PathOf("prim.ctx"), "-L", PathOf("authorized.dat"), "-i", File("secret", "authorized secret"u8.ToArray()),
            "-u", PathOf("s.pub"), "-r", PathOf("s.priv"));
        Chain("tpm2_load", "-Q", "-C", PathOf("prim.ctx"), "-u", PathOf("s.pub"), "-r", PathOf("s.priv"), "-c", PathOf("sealed.ctx"));

        string Unseal(string policy)
        {
            var session = PathOf("p.ctx");
            Tool("tpm2_startauthsession", "--policy-session", "-S", session);
            try
            {
                Tool("tpm2_policypcr", "-Q", "-S", session, "-l", "sha256:23");
                var r = Client.Tpm2(_server, "tpm2_policyauthorize", "-Q", "-S", session, "-i", PathOf(policy + ".dat"),
                    "-n", PathOf("authority.name"), "-t", PathOf(policy + ".tkt"));
                if (r.ExitCode != 0) return r.Stderr;
                return Chain("tpm2_unseal", "-c", PathOf("sealed.ctx"), "-p", $"session:{session}");
            }
            finally { Tool("tpm2_flushcontext", session); }
        }

        Assert.Equal("authorized secret", Unseal("pcr-before"));
        Tool("tpm2_pcrextend", $"23:sha256={Hex(SHA256.HashData("kernel update"u8))}");
        Assert.Contains("0x1C4", Unseal("pcr-before"), StringComparison.OrdinalIgnoreCase);
        SignedPolicy("pcr-after");
        Assert.Equal("authorized secret", Unseal("pcr-after"));
    }

    [Fact]
    public void Clevis_binds_a_secret_to_pcr_23()
    {
        var env = new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = _server.Tcti };
        var encrypt = Client.Run("clevis", ["encrypt", "tpm2", """{"pcr_bank":"sha256","pcr_ids":"23"}"""], env, stdin: "disk key"u8.ToArray(), timeoutMs: 180_000);
        Assert.True(encrypt.ExitCode == 0, encrypt.ToString());
        var jwe = System.Text.Encoding.ASCII.GetBytes(encrypt.Stdout);
        Tool("tpm2_flushcontext", "-t");
        var decrypt = Client.Run("clevis", ["decrypt"], env, stdin: jwe, timeoutMs: 180_000);
        Assert.True(decrypt.ExitCode == 0 && decrypt.Stdout == "disk key", decrypt.ToString());
        Tool("tpm2_flushcontext", "-t");

        Tool("tpm2_pcrextend", $"23:sha256={Hex(SHA256.HashData("changed"u8))}");
        var refused = Client.Run("clevis", ["decrypt"], env, stdin: jwe, timeoutMs: 180_000);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("0x99D", refused.Stderr, StringComparison.OrdinalIgnoreCase);   // TPM_RC_POLICY_FAIL, session 1
    }

    /// <summary>tpm2-abrmd between the tools and ftpm saves every session's context after each command and
    /// loads it back before the next (ContextSave/ContextLoad of sessions), also for the HMAC sessions the
    /// tools open themselves (pcrevent, setclock).</summary>
    [Fact]
    public void Sessions_through_tpm2_abrmd()
    {
        const string bus = "com.intel.tss2.TabrmdFtpmSessions";
        ThroughAbrmd(bus, """
            echo x > ev
            run tpm2_pcrevent 16 ev
            run tpm2_startauthsession --hmac-session -S s.ctx
            run tpm2_sessionconfig s.ctx --enable-encrypt
            run tpm2_getrandom -S s.ctx 16
            run tpm2_getrandom -S s.ctx 16
            run tpm2_flushcontext s.ctx
            run tpm2_setclock 9999999999
            """);
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
/// (pytss/relay.py): the secrets never cross it in clear, and ESAPI still gets the right answers. With
/// keys (pytss/sessions_keys.py): salted sessions to RSA and ECC keys, signing authorized through an HMAC
/// session, sealing to PCR 23, PolicyAuthorize with a VerifySignature ticket.</summary>
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

    [Fact]
    public void Esapi_salted_sessions_signing_pcr_sealing_and_policy_authorize()
    {
        using var server = new FtpmServer();
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        var script = Path.Combine(AppContext.BaseDirectory, "pytss", "sessions_keys.py");
        var r = Client.Run("/usr/bin/python3", [script, server.Port.ToString()], timeoutMs: 180_000);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), r.ToString());
    }
}
