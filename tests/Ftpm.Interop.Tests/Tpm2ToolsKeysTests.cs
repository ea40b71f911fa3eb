using System.Security.Cryptography;

namespace Ftpm.Interop.Tests;

/// <summary>
/// Issue 3's proof with real clients against a live `ftpm serve`: tpm2-tools 5.4 (with its HMAC
/// sessions and object context files, i.e. ContextSave/ContextLoad of objects), openssl checking
/// what ftpm signs and decrypting what openssl encrypts, and tpm2-pytss for what the tools cannot
/// reach (other sizes and curves, tampered blobs). Without a resource manager every tool leaves its
/// transient objects loaded and ftpm has three slots, so <see cref="T"/> flushes them after each tool.
/// </summary>
public sealed class Tpm2ToolsKeysTests : ServerTest
{
    public Tpm2ToolsKeysTests() : base("ftpm-keys-") { }

    /// <summary>Runs a tool, then flushes the transient objects it left behind.</summary>
    string T(string tool, params string[] args)
    {
        var output = Tool(tool, args);
        Tool("tpm2_flushcontext", "-t");
        return output;
    }

    byte[] NameOf(string context)
    {
        T("tpm2_readpublic", "-c", context, "-n", PathOf("name.bin"));
        return File.ReadAllBytes(PathOf("name.bin"));
    }

    /// <summary>An ECC P-256 storage primary in the owner hierarchy, saved in p.ctx.</summary>
    void OwnerPrimary() => T("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", PathOf("p.ctx"));

    /// <summary>tpm2_create under p.ctx, then tpm2_load into <paramref name="name"/>.ctx.</summary>
    void CreateAndLoad(string name, params string[] createArgs)
    {
        T("tpm2_create", ["-C", PathOf("p.ctx"), "-u", PathOf(name + ".pub"), "-r", PathOf(name + ".priv"), .. createArgs]);
        T("tpm2_load", "-C", PathOf("p.ctx"), "-u", PathOf(name + ".pub"), "-r", PathOf(name + ".priv"), "-c", PathOf(name + ".ctx"));
    }

    /// <summary>tpm2_createprimary twice with the same template gives the same key (same Name), for ECC
    /// and RSA-2048 (the second RSA one from the primary-key cache), and differs between the two.</summary>
    [Fact]
    public void Createprimary_twice_gives_the_same_name()
    {
        foreach (var alg in new[] { "ecc", "rsa" })
        {
            T("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", alg, "-c", PathOf(alg + "1.ctx"));
            T("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", alg, "-c", PathOf(alg + "2.ctx"));
            Assert.Equal(NameOf(PathOf(alg + "1.ctx")), NameOf(PathOf(alg + "2.ctx")));
        }
        Assert.NotEqual(NameOf(PathOf("ecc1.ctx")), NameOf(PathOf("rsa1.ctx")));
        Assert.DoesNotContain("0x80", Tool("tpm2_getcap", "handles-transient"));
    }

    /// <summary>ECDSA, RSASSA and RSAPSS keys made by tpm2_create and tpm2_load sign with tpm2_sign;
    /// openssl verifies with the key tpm2_readpublic exports; tpm2_verifysignature checks a signature
    /// and writes a ticket, and refuses the signature for another message.</summary>
    [Fact]
    public void Tools_sign_and_openssl_verifies()
    {
        OwnerPrimary();
        File.WriteAllText(PathOf("msg"), "message to sign");
        foreach (var (key, alg, scheme, sigopt) in new[]
        {
            ("ecdsa", "ecc", "ecdsa", (string?)null),
            ("rsassa", "rsa2048:rsassa:null", "rsassa", null),
            ("rsapss", "rsa2048:rsapss:null", "rsapss", "rsa_padding_mode:pss"),
        })
        {
            CreateAndLoad(key, "-G", alg);
            T("tpm2_sign", "-c", PathOf(key + ".ctx"), "-g", "sha256", "-s", scheme, "-f", "plain", "-o", PathOf(key + ".sig"), PathOf("msg"));
            T("tpm2_readpublic", "-c", PathOf(key + ".ctx"), "-f", "pem", "-o", PathOf(key + ".pem"));
            string[] verify = ["dgst", "-sha256", "-verify", PathOf(key + ".pem"), "-signature", PathOf(key + ".sig"), PathOf("msg")];
            if (sigopt is not null) verify = [.. verify[..4], "-sigopt", sigopt, .. verify[4..]];
            Openssl(verify);
        }

        T("tpm2_sign", "-c", PathOf("ecdsa.ctx"), "-g", "sha256", "-o", PathOf("ecdsa.tss"), PathOf("msg"));
        T("tpm2_verifysignature", "-c", PathOf("ecdsa.ctx"), "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("ecdsa.tss"), "-t", PathOf("ticket"));
        Assert.True(new FileInfo(PathOf("ticket")).Length > 6);
        File.WriteAllText(PathOf("other"), "another message");
        Assert.NotEqual(0, Client.Tpm2(_server, "tpm2_verifysignature", "-c", PathOf("ecdsa.ctx"), "-g", "sha256", "-m", PathOf("other"), "-s", PathOf("ecdsa.tss")).ExitCode);
    }

    /// <summary>tpm2_rsaencrypt/tpm2_rsadecrypt (OAEP) round trip, and tpm2_rsadecrypt of data openssl
    /// encrypted with OAEP-SHA256 to the key tpm2_readpublic exported.</summary>
    [Fact]
    public void Tools_rsa_encrypt_decrypt_and_openssl_oaep()
    {
        OwnerPrimary();
        CreateAndLoad("rsa", "-G", "rsa2048:null:null", "-a", "decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth");
        File.WriteAllText(PathOf("plain"), "a secret for RSA");
        T("tpm2_rsaencrypt", "-c", PathOf("rsa.ctx"), "-s", "oaep", "-o", PathOf("ct"), PathOf("plain"));
        T("tpm2_rsadecrypt", "-c", PathOf("rsa.ctx"), "-s", "oaep", "-o", PathOf("pt"), PathOf("ct"));
        Assert.Equal(File.ReadAllBytes(PathOf("plain")), File.ReadAllBytes(PathOf("pt")));

        T("tpm2_readpublic", "-c", PathOf("rsa.ctx"), "-f", "pem", "-o", PathOf("rsa.pem"));
        Openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", PathOf("rsa.pem"), "-pkeyopt", "rsa_padding_mode:oaep",
            "-pkeyopt", "rsa_oaep_md:sha256", "-in", PathOf("plain"), "-out", PathOf("ct2"));
        T("tpm2_rsadecrypt", "-c", PathOf("rsa.ctx"), "-s", "oaep", "-o", PathOf("pt2"), PathOf("ct2"));
        Assert.Equal(File.ReadAllBytes(PathOf("plain")), File.ReadAllBytes(PathOf("pt2")));
    }

    /// <summary>Seal (tpm2_create -i) and tpm2_unseal; AES-128-CFB tpm2_encryptdecrypt round trip;
    /// tpm2_hmac is a function of key and message; tpm2_ecdhkeygen
    /// and tpm2_ecdhzgen agree on Z.</summary>
    [Fact]
    public void Tools_seal_aes_hmac_and_ecdh()
    {
        OwnerPrimary();
        File.WriteAllText(PathOf("secret.txt"), "sealed secret");
        CreateAndLoad("seal", "-i", PathOf("secret.txt"));
        T("tpm2_unseal", "-c", PathOf("seal.ctx"), "-o", PathOf("unsealed"));
        Assert.Equal("sealed secret", File.ReadAllText(PathOf("unsealed")));

        CreateAndLoad("aes", "-G", "aes128cfb");
        var data = RandomNumberGenerator.GetBytes(100);
        File.WriteAllBytes(PathOf("data"), data);
        File.WriteAllBytes(PathOf("iv"), new byte[16]);
        T("tpm2_encryptdecrypt", "-c", PathOf("aes.ctx"), "-t", PathOf("iv"), "-o", PathOf("enc"), PathOf("data"));
        Assert.NotEqual(data, File.ReadAllBytes(PathOf("enc")));
        T("tpm2_encryptdecrypt", "-d", "-c", PathOf("aes.ctx"), "-t", PathOf("iv"), "-o", PathOf("dec"), PathOf("enc"));
        Assert.Equal(data, File.ReadAllBytes(PathOf("dec")));

        CreateAndLoad("hmac", "-G", "hmac");
        File.WriteAllText(PathOf("msg"), "message");
        File.WriteAllText(PathOf("msg2"), "message 2");
        var mac1 = T("tpm2_hmac", "-c", PathOf("hmac.ctx"), "--hex", PathOf("msg")).Trim();
        Assert.Matches("^[0-9a-f]{64}$", mac1);
        Assert.Equal(mac1, T("tpm2_hmac", "-c", PathOf("hmac.ctx"), "--hex", PathOf("msg")).Trim());
        Assert.NotEqual(mac1, T("tpm2_hmac", "-c", PathOf("hmac.ctx"), "--hex", PathOf("msg2")).Trim());
        // From standard input tpm2_hmac cannot know the size and runs HMAC_Start, SequenceUpdate and
        // SequenceComplete, each authorized by an HMAC session on the sequence: same answer as TPM2_HMAC.
        var sequence = Client.Run("tpm2_hmac", ["-c", PathOf("hmac.ctx"), "--hex"],
            new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = _server.Tcti }, stdin: "message"u8.ToArray());
        Assert.True(sequence.ExitCode == 0, sequence.ToString());
        Assert.Equal(mac1, sequence.Stdout.Trim());
        Tool("tpm2_flushcontext", "-t");
        File.WriteAllBytes(PathOf("big"), RandomNumberGenerator.GetBytes(3000));
        Assert.Matches("^[0-9a-f]{64}$", T("tpm2_hmac", "-c", PathOf("hmac.ctx"), "--hex", PathOf("big")).Trim());

        CreateAndLoad("ecdh", "-G", "ecc256:ecdh");
        T("tpm2_ecdhkeygen", "-u", PathOf("eph.pub"), "-o", PathOf("z1"), "-c", PathOf("ecdh.ctx"));
        T("tpm2_ecdhzgen", "-u", PathOf("eph.pub"), "-o", PathOf("z2"), "-c", PathOf("ecdh.ctx"));
        Assert.Equal(2 + 2 + 32 + 2 + 32, File.ReadAllBytes(PathOf("z1")).Length); // TPM2B_ECC_POINT of P-256
        Assert.Equal(File.ReadAllBytes(PathOf("z1")), File.ReadAllBytes(PathOf("z2")));
    }

    /// <summary>A key with a password: tpm2_sign with the wrong one fails with TPM_RC_AUTH_FAIL for
    /// session 1 (0x98E), with the right one it signs.</summary>
    [Fact]
    public void Tools_wrong_password_is_auth_fail()
    {
        OwnerPrimary();
        CreateAndLoad("pw", "-G", "ecc", "-p", "pw");
        File.WriteAllText(PathOf("msg"), "m");
        var r = Client.Tpm2(_server, "tpm2_sign", "-c", PathOf("pw.ctx"), "-p", "wrong", "-g", "sha256", "-o", PathOf("sig"), PathOf("msg"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x98E", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Tool("tpm2_flushcontext", "-t");
        T("tpm2_sign", "-c", PathOf("pw.ctx"), "-p", "pw", "-g", "sha256", "-o", PathOf("sig"), PathOf("msg"));
    }

    /// <summary>tpm2_evictcontrol makes the primary persistent; after a power loss and restart it is still
    /// there, a child created before loads under it and signs (openssl verifies); tpm2_flushcontext -t
    /// empties the transient handles.</summary>
    [Fact]
    public void Tools_evictcontrol_survives_restart()
    {
        OwnerPrimary();
        CreateAndLoad("k", "-G", "ecc");
        T("tpm2_readpublic", "-c", PathOf("k.ctx"), "-f", "pem", "-o", PathOf("k.pem"));
        T("tpm2_evictcontrol", "-C", "o", "-c", PathOf("p.ctx"), "0x81000001");

        _server.Restart();
        Tool("tpm2_startup", "-c");
        Assert.Contains("0x81000001", Tool("tpm2_getcap", "handles-persistent"));
        File.WriteAllText(PathOf("msg"), "after restart");
        Tool("tpm2_load", "-C", "0x81000001", "-u", PathOf("k.pub"), "-r", PathOf("k.priv"), "-c", PathOf("k2.ctx"));
        Tool("tpm2_load", "-C", "0x81000001", "-u", PathOf("k.pub"), "-r", PathOf("k.priv"), "-c", PathOf("k3.ctx"));
        Assert.Contains("0x80", Tool("tpm2_getcap", "handles-transient"));
        Tool("tpm2_flushcontext", "-t");
        Assert.DoesNotContain("0x80", Tool("tpm2_getcap", "handles-transient"));
        T("tpm2_sign", "-c", PathOf("k2.ctx"), "-g", "sha256", "-f", "plain", "-o", PathOf("sig.der"), PathOf("msg"));
        Openssl("dgst", "-sha256", "-verify", PathOf("k.pem"), "-signature", PathOf("sig.der"), PathOf("msg"));
    }

    void Pytss(string script, params string[] args)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "pytss", script);
        var r = Client.Run("/usr/bin/python3", [path, _server.Tcti, .. args], timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), $"{script}: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
    }

    void Openssl(params string[] args)
    {
        var r = Client.Run("openssl", args);
        Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)}: {r}");
    }

    /// <summary>CreatePrimary twice gives the same name (ECC P-256/P-384, RSA-2048; owner, endorsement,
    /// null); Create/Load/ReadPublic; ECDSA and RSASSA signatures openssl accepts; VerifySignature and
    /// its ticket; restricted keys need a hash-check ticket; a wrong password is TPM_RC_AUTH_FAIL (0x98E);
    /// seal/unseal; a tampered private area is TPM_RC_INTEGRITY; ObjectChangeAuth.</summary>
    [Fact]
    public void Objects_and_signing_through_pytss() => Pytss("keys_objects.py", _dir);

    /// <summary>RSA_Encrypt/RSA_Decrypt (OAEP with and without label, RSAES, data openssl encrypted with
    /// OAEP to the exported key; a wrong label is TPM_RC_VALUE), EncryptDecrypt2 (AES-CFB chained through
    /// ivOut, AES-CBC), HMAC equal to Python's, ECDH_KeyGen and ECDH_ZGen agree.</summary>
    [Fact]
    public void Encryption_hmac_and_ecdh_through_pytss() => Pytss("keys_crypto.py", _dir);

    /// <summary>Every RSA size (1024, 2048, 3072, 4096) and NIST curve (P-256, P-384, P-521), checked outside
    /// the TPM with Python's cryptography (OpenSSL): RSASSA and RSAPSS signatures verify, OAEP data encrypted
    /// outside decrypts, RSA primaries are reproducible, ECDSA verifies and ECDH_ZGen equals the outside ECDH.</summary>
    [Fact]
    public void Every_rsa_size_and_curve_through_pytss() => Pytss("keys_sizes.py");

    /// <summary>ContextSave/ContextLoad through ESAPI: a salted, encrypting HMAC session, a hash sequence and an
    /// HMAC sequence saved in the middle (digests checked in Python), a signing key; a stale session blob is
    /// TPM_RC_HANDLE and a tampered one TPM_RC_INTEGRITY. The same script passes on swtpm (same codes).</summary>
    [Fact]
    public void Context_save_and_load_of_sessions_sequences_and_keys_through_pytss()
    {
        Pytss("contexts.py");
        using var swtpm = Swtpm.Start();
        var r = Client.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytss", "contexts.py"), swtpm.Tcti], timeoutMs: 120_000);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), "swtpm: " + r);
    }

    /// <summary>EvictControl, then a power loss: the persistent keys are still there (tpm2_getcap), their
    /// children load and sign; tpm2_readpublic exports PEM that openssl verifies an RSAPSS signature with;
    /// tpm2_verifysignature checks an ECDSA signature with a persistent key and writes a ticket.</summary>
    [Fact]
    public void Persistent_keys_survive_restart_and_their_children_sign()
    {
        Pytss("keys_persist.py");
        _server.Restart();
        Tool("tpm2_startup", "-c");
        var handles = Tool("tpm2_getcap", "handles-persistent");
        Assert.Contains("0x81000001", handles);
        Assert.Contains("0x81000002", handles);

        Pytss("keys_children.py", _dir);
        Assert.Contains("0x81000003", Tool("tpm2_getcap", "handles-persistent"));

            Tool("tpm2_readpublic", "-c", "0x81000003", "-f", "pem", "-o", PathOf("ecc.pem"));
        Tool("tpm2_verifysignature", "-c", "0x81000003", "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("ecc.tss"), "-t", PathOf("ticket"));
        Assert.True(new FileInfo(PathOf("ticket")).Length > 6);
        Openssl("dgst", "-sha256", "-verify", PathOf("pss.pem"), "-sigopt", "rsa_padding_mode:pss", "-signature", PathOf("pss.sig"), PathOf("msg"));

        // A signature of another message does not verify.
        File.WriteAllText(PathOf("other"), "other");
        Assert.NotEqual(0, Client.Tpm2(_server, "tpm2_verifysignature", "-c", "0x81000003", "-g", "sha256", "-m", PathOf("other"), "-s", PathOf("ecc.tss")).ExitCode);

        // Nothing transient is left behind; flushcontext -t empties the slots anyway.
        Tool("tpm2_flushcontext", "-t");
        Assert.DoesNotContain("0x80", Tool("tpm2_getcap", "handles-transient"));
    }

    /// <summary>tpm2-abrmd, the resource manager users run, between tpm2-tools and ftpm on a private
    /// D-Bus: createprimary, create, load and sign chain without any flushing, because abrmd saves every
    /// object context after each command and loads it back before the next (ContextSave/ContextLoad of
    /// objects); tpm2_hash of 3000 octets runs a hash sequence whose context abrmd saves and loads
    /// between SequenceUpdate calls. openssl checks the signature and the digest.</summary>
    [Fact]
    public void Tools_chain_through_tpm2_abrmd()
    {
        const string bus = "com.intel.tss2.TabrmdFtpmKeys";
        ThroughAbrmd(bus, """
            echo hello > msg
            head -c 3000 /dev/urandom > big
            run tpm2_createprimary -C o -g sha256 -G ecc -c p.ctx
            run tpm2_create -C p.ctx -G ecc -u k.pub -r k.priv
            run tpm2_load -C p.ctx -u k.pub -r k.priv -c k.ctx
            run tpm2_sign -c k.ctx -g sha256 -f plain -o sig.der msg
            run tpm2_readpublic -c k.ctx -f pem -o k.pem
            run tpm2_hash -g sha256 -o big.hash big
            """);
        Openssl("dgst", "-sha256", "-verify", PathOf("k.pem"), "-signature", PathOf("sig.der"), PathOf("msg"));
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(PathOf("big"))), File.ReadAllBytes(PathOf("big.hash")));
    }

    /// <summary>The tpm2-openssl provider (TPM2OPENSSL_TCTI): openssl genpkey makes an EC P-256 key in
    /// ftpm, pkeyutl signs with it in ftpm, and plain openssl verifies with the exported public key.</summary>
    [Fact]
    public void Tpm2_openssl_provider_generates_signs_and_openssl_verifies()
    {
        var env = new Dictionary<string, string> { ["TPM2OPENSSL_TCTI"] = _server.Tcti };
        void Provider(params string[] args)
        {
            var r = Client.Run("openssl", args, env, timeoutMs: 120_000);
            Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)}: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
        }
        File.WriteAllText(PathOf("m"), "signed by the tpm2 provider");
        Provider("genpkey", "-provider", "tpm2", "-provider", "base", "-algorithm", "EC", "-pkeyopt", "group:P-256", "-out", PathOf("key.pem"));
        Provider("pkeyutl", "-provider", "tpm2", "-provider", "default", "-sign", "-inkey", PathOf("key.pem"), "-rawin", "-digest", "sha256", "-in", PathOf("m"), "-out", PathOf("s"));
        Provider("pkey", "-provider", "tpm2", "-provider", "default", "-in", PathOf("key.pem"), "-pubout", "-out", PathOf("pub.pem"));
        Openssl("pkeyutl", "-verify", "-pubin", "-inkey", PathOf("pub.pem"), "-rawin", "-digest", "sha256", "-in", PathOf("m"), "-sigfile", PathOf("s"));
        File.WriteAllText(PathOf("m2"), "something else");
        Assert.NotEqual(0, Client.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", PathOf("pub.pem"), "-rawin", "-digest", "sha256", "-in", PathOf("m2"), "-sigfile", PathOf("s")]).ExitCode);
    }

    /// <summary>Salted HMAC sessions (Part 1, secret sharing): tpm2_startauthsession -c KEY encrypts a
    /// salt to an RSA primary (OAEP, label "SECRET\0") or an ECC primary (ECDH + KDFe, label "SECRET");
    /// ftpm recovers it, and tpm2_getrandom -S checks the response HMAC keyed with the salted session key.</summary>
    [Fact]
    public void Tools_salted_sessions_with_rsa_and_ecc_keys()
    {
        foreach (var alg in new[] { "rsa", "ecc" })
        {
            T("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", alg, "-c", PathOf(alg + ".ctx"));
            Tool("tpm2_startauthsession", "--hmac-session", "-c", PathOf(alg + ".ctx"), "-S", PathOf("s.ctx"));
            Assert.Matches("^[0-9a-f]{32}$", Tool("tpm2_getrandom", "-S", PathOf("s.ctx"), "--hex", "16").Trim());
            Tool("tpm2_flushcontext", PathOf("s.ctx"));
            Tool("tpm2_flushcontext", "-t");
        }
    }
}
