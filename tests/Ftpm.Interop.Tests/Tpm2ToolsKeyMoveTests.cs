namespace Ftpm.Interop.Tests;

/// <summary>
/// Credentials, key import and duplication with real clients against a live `ftpm serve`: tpm2-tools 5.4
/// (createek, createak, makecredential offline and online, activatecredential through a PolicySecret
/// session on the endorsement hierarchy, import of openssl-made keys, duplicate under
/// PolicyCommandCode(Duplicate) with and without an inner wrapper), openssl checking what the moved keys
/// sign, tpm2-pytss for Rewrap and encryptedDuplication (the same script passes against swtpm), and blobs
/// exchanged with swtpm in both directions.
/// Without a resource manager every tool leaves its transient objects loaded, so <see cref="T"/> flushes.
/// </summary>
public sealed class Tpm2ToolsKeyMoveTests : ServerTest
{
    public Tpm2ToolsKeyMoveTests() : base("ftpm-keymove-") { }

    /// <summary>Runs a tool, then flushes the transient objects and sessions it left behind.</summary>
    string T(string tool, params string[] args)
    {
        var output = Tool(tool, args);
        Tool("tpm2_flushcontext", "-t");
        return output;
    }

    void Openssl(params string[] args)
    {
        var r = Client.Run("openssl", args, workDir: _dir);
        Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)}: {r}");
    }

    /// <summary>tpm2_startauthsession + tpm2_policysecret on the endorsement hierarchy: the EK's PolicyA.</summary>
    void EkSession()
    {
        Tool("tpm2_startauthsession", "--policy-session", "-S", PathOf("session.ctx"));
        Tool("tpm2_policysecret", "-S", PathOf("session.ctx"), "-c", "e");
    }

    /// <summary>The EK (tpm2_createek) and an AK under it (tpm2_createak); makecredential offline (-T none,
    /// from the EK's public key alone) and through the TPM (TPM2_MakeCredential after LoadExternal);
    /// activatecredential with the EK authorized by PolicySecret(TPM_RH_ENDORSEMENT) returns the secret.
    /// A credential made for another Name does not activate.</summary>
    [Theory]
    [InlineData("rsa", "rsassa")]
    [InlineData("ecc", "ecdsa")]
    public void Credential_made_for_the_ak_activates_with_the_ek(string alg, string scheme)
    {
        File.WriteAllText(PathOf("secret"), "the credential");
        T("tpm2_createek", "-c", PathOf("ek.ctx"), "-G", alg, "-u", PathOf("ek.pub"));
        T("tpm2_createak", "-C", PathOf("ek.ctx"), "-c", PathOf("ak.ctx"), "-G", alg, "-g", "sha256", "-s", scheme,
            "-u", PathOf("ak.pub"), "-n", PathOf("ak.name"));
        string akName = Convert.ToHexString(File.ReadAllBytes(PathOf("ak.name"))).ToLowerInvariant();

        var offline = Client.Run("tpm2_makecredential", ["-T", "none", "-u", PathOf("ek.pub"), "-s", PathOf("secret"), "-n", akName,
            "-o", PathOf("offline.cred")]);
        Assert.True(offline.ExitCode == 0, offline.ToString());
        T("tpm2_makecredential", "-u", PathOf("ek.pub"), "-s", PathOf("secret"), "-n", akName, "-o", PathOf("online.cred"));
        foreach (var credential in new[] { "offline.cred", "online.cred" })
        {
            EkSession();
            T("tpm2_activatecredential", "-c", PathOf("ak.ctx"), "-C", PathOf("ek.ctx"), "-i", PathOf(credential),
                "-o", PathOf(credential + ".out"), "-P", "session:" + PathOf("session.ctx"));
            Tool("tpm2_flushcontext", PathOf("session.ctx"));
            Assert.Equal("the credential", File.ReadAllText(PathOf(credential + ".out")));
        }

        // For another Name (the EK's own), the integrity check fails: TPM_RC_INTEGRITY + P1.
        T("tpm2_readpublic", "-c", PathOf("ek.ctx"), "-n", PathOf("ek.name"));
        string ekName = Convert.ToHexString(File.ReadAllBytes(PathOf("ek.name"))).ToLowerInvariant();
        Assert.Equal(0, Client.Run("tpm2_makecredential", ["-T", "none", "-u", PathOf("ek.pub"), "-s", PathOf("secret"), "-n", ekName,
            "-o", PathOf("other.cred")]).ExitCode);
        EkSession();
        var r = Client.Tpm2(_server, "tpm2_activatecredential", "-c", PathOf("ak.ctx"), "-C", PathOf("ek.ctx"), "-i", PathOf("other.cred"),
            "-o", PathOf("other.out"), "-P", "session:" + PathOf("session.ctx"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x1DF", r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>tpm2_import of an openssl-generated RSA-2048 and ECC P-256 key under an owner primary (the
    /// duplication blob tpm2_import builds in software, its seed encrypted to the parent), tpm2_load,
    /// tpm2_sign; openssl verifies with the original key's public half. An HMAC key and an AES key imported
    /// the same way compute what openssl computes.</summary>
    [Fact]
    public void Imported_openssl_keys_sign_what_openssl_verifies()
    {
        T("tpm2_createprimary", "-C", "o", "-G", "rsa", "-c", PathOf("p.ctx"));
        File.WriteAllText(PathOf("msg"), "imported keys sign this");
        foreach (var (alg, genpkey) in new[] { ("rsa", new[] { "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048" }),
                     ("ecc", new[] { "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256" }) })
        {
            Openssl(["genpkey", .. genpkey, "-out", PathOf(alg + ".pem")]);
            Openssl("pkey", "-in", PathOf(alg + ".pem"), "-pubout", "-out", PathOf(alg + ".pub.pem"));
            T("tpm2_import", "-C", PathOf("p.ctx"), "-G", alg, "-i", PathOf(alg + ".pem"), "-u", PathOf(alg + ".pub"), "-r", PathOf(alg + ".priv"));
            T("tpm2_load", "-C", PathOf("p.ctx"), "-u", PathOf(alg + ".pub"), "-r", PathOf(alg + ".priv"), "-c", PathOf(alg + ".ctx"));
            T("tpm2_sign", "-c", PathOf(alg + ".ctx"), "-g", "sha256", "-f", "plain", "-o", PathOf(alg + ".sig"), PathOf("msg"));
            Openssl("dgst", "-sha256", "-verify", PathOf(alg + ".pub.pem"), "-signature", PathOf(alg + ".sig"), PathOf("msg"));
        }

        var hmacKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        File.WriteAllBytes(PathOf("hmac.key"), hmacKey);
        T("tpm2_import", "-C", PathOf("p.ctx"), "-G", "hmac", "-i", PathOf("hmac.key"), "-u", PathOf("h.pub"), "-r", PathOf("h.priv"));
        T("tpm2_load", "-C", PathOf("p.ctx"), "-u", PathOf("h.pub"), "-r", PathOf("h.priv"), "-c", PathOf("h.ctx"));
        string mac = T("tpm2_hmac", "-c", PathOf("h.ctx"), "--hex", PathOf("msg")).Trim();
        var expected = System.Security.Cryptography.HMACSHA256.HashData(hmacKey, File.ReadAllBytes(PathOf("msg")));
        Assert.Equal(Convert.ToHexString(expected).ToLowerInvariant(), mac);

        var aesKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        File.WriteAllBytes(PathOf("aes.key"), aesKey);
        File.WriteAllText(PathOf("iv"), "0123456789abcdef");
        T("tpm2_import", "-C", PathOf("p.ctx"), "-G", "aes", "-i", PathOf("aes.key"), "-u", PathOf("a.pub"), "-r", PathOf("a.priv"));
        T("tpm2_load", "-C", PathOf("p.ctx"), "-u", PathOf("a.pub"), "-r", PathOf("a.priv"), "-c", PathOf("a.ctx"));
        T("tpm2_encryptdecrypt", "-c", PathOf("a.ctx"), "-t", PathOf("iv"), "-o", PathOf("enc"), PathOf("msg"));
        Openssl("enc", "-aes-128-cfb", "-K", Convert.ToHexString(aesKey), "-iv", Convert.ToHexString("0123456789abcdef"u8),
            "-in", PathOf("msg"), "-out", PathOf("enc.openssl"));
        Assert.Equal(File.ReadAllBytes(PathOf("enc.openssl")), File.ReadAllBytes(PathOf("enc")));
    }

    /// <summary>A key whose policy is PolicyCommandCode(TPM2_Duplicate) is duplicated with tpm2_duplicate to
    /// another parent (its public part loaded with tpm2_loadexternal), with no inner wrapper or an AES one
    /// whose key the TPM makes; tpm2_import under the new parent, tpm2_load, and the moved key signs what
    /// the original verifies. Without the policy session the tool's Duplicate is refused.</summary>
    [Theory]
    [InlineData("rsa", "null")]
    [InlineData("ecc", "aes")]
    public void Duplicated_key_imports_under_the_new_parent_and_signs(string newParent, string inner)
    {
        File.WriteAllText(PathOf("msg"), "moved key signs this");
        T("tpm2_createprimary", "-C", "o", "-G", "ecc", "-c", PathOf("src.ctx"));
        T("tpm2_createprimary", "-C", "o", "-G", newParent, "-c", PathOf("dst.ctx"));
        T("tpm2_readpublic", "-c", PathOf("dst.ctx"), "-o", PathOf("dst.pub"));
        Tool("tpm2_startauthsession", "-S", PathOf("trial.ctx"));
        Tool("tpm2_policycommandcode", "-S", PathOf("trial.ctx"), "-L", PathOf("dup.policy"), "TPM2_CC_Duplicate");
        Tool("tpm2_flushcontext", PathOf("trial.ctx"));
        T("tpm2_create", "-C", PathOf("src.ctx"), "-G", "ecc", "-u", PathOf("k.pub"), "-r", PathOf("k.priv"), "-L", PathOf("dup.policy"),
            "-a", "sensitivedataorigin|userwithauth|sign");
        T("tpm2_load", "-C", PathOf("src.ctx"), "-u", PathOf("k.pub"), "-r", PathOf("k.priv"), "-c", PathOf("k.ctx"));
        T("tpm2_loadexternal", "-C", "o", "-u", PathOf("dst.pub"), "-c", PathOf("dstx.ctx"));

        // The DUP role needs the policy: a password is refused.
        var refused = Client.Tpm2(_server, "tpm2_duplicate", "-C", PathOf("dstx.ctx"), "-c", PathOf("k.ctx"), "-G", "null",
            "-r", PathOf("x.priv"), "-s", PathOf("x.seed"));
        Assert.NotEqual(0, refused.ExitCode);
        Tool("tpm2_flushcontext", "-t");

        Tool("tpm2_startauthsession", "--policy-session", "-S", PathOf("s.ctx"));
        Tool("tpm2_policycommandcode", "-S", PathOf("s.ctx"), "TPM2_CC_Duplicate");
        string[] duplicate = ["-C", PathOf("dstx.ctx"), "-c", PathOf("k.ctx"), "-p", "session:" + PathOf("s.ctx"),
            "-r", PathOf("dup.priv"), "-s", PathOf("dup.seed")];
        duplicate = inner == "null" ? [.. duplicate, "-G", "null"] : [.. duplicate, "-G", "aes", "-o", PathOf("inner.key")];
        T("tpm2_duplicate", duplicate);
        Tool("tpm2_flushcontext", PathOf("s.ctx"));

        string[] import = ["-C", PathOf("dst.ctx"), "-u", PathOf("k.pub"), "-i", PathOf("dup.priv"), "-s", PathOf("dup.seed"), "-r", PathOf("k2.priv")];
        if (inner != "null") import = [.. import, "-G", "aes", "-k", PathOf("inner.key")];
        T("tpm2_import", import);
        T("tpm2_load", "-C", PathOf("dst.ctx"), "-u", PathOf("k.pub"), "-r", PathOf("k2.priv"), "-c", PathOf("k2.ctx"));
        T("tpm2_sign", "-c", PathOf("k2.ctx"), "-g", "sha256", "-f", "plain", "-o", PathOf("moved.sig"), PathOf("msg"));
        T("tpm2_readpublic", "-c", PathOf("k.ctx"), "-f", "pem", "-o", PathOf("k.pem"));
        Openssl("dgst", "-sha256", "-verify", PathOf("k.pem"), "-signature", PathOf("moved.sig"), PathOf("msg"));
    }

    /// <summary>keymove.py: Rewrap between parents, to and from TPM_RH_NULL, and encryptedDuplication
    /// (both wrappers required by Duplicate, Import and Rewrap's removal of the outer one), with the
    /// reference's codes, and PolicyDuplicationSelect limiting a key to one new parent; the same script passes
    /// against swtpm.</summary>
    [Fact]
    public void Rewrap_and_encrypted_duplication_through_pytss_as_in_swtpm()
    {
        static Client.Result Python(string tcti) =>
            Client.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytss", "keymove.py"), tcti], timeoutMs: 300_000);
        var ours = Python(_server.Tcti);
        Assert.True(ours.ExitCode == 0 && ours.Stdout.Contains("ok"), $"{ours}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
        using var swtpm = Swtpm.Start();
        var reference = Python(swtpm.Tcti);
        Assert.True(reference.ExitCode == 0 && reference.Stdout.Contains("ok"), $"swtpm: {reference}");
    }

    /// <summary>crossmove.py: blobs exchanged with swtpm (the reference code) in both directions, with RSA and
    /// ECC storage keys: a key duplicated by one TPM (inner AES and outer wrapper) imports on the other and
    /// signs what the first verifies; a credential made by one activates on the other.</summary>
    [Fact]
    public void Duplicates_and_credentials_move_between_ftpm_and_swtpm()
    {
        using var swtpm = Swtpm.Start();
        var r = Client.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytss", "crossmove.py"), _server.Tcti, swtpm.Tcti],
            timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), $"{r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
    }
}
