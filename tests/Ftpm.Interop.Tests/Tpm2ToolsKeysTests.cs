namespace Ftpm.Interop.Tests;

/// <summary>
/// Issue 3's proof with real clients against a live `ftpm serve`. tpm2-tools 5.4 opens an HMAC session
/// (TPM2_StartAuthSession, issue 4) for tpm2_createprimary, tpm2_create, tpm2_load, tpm2_sign,
/// tpm2_unseal and tpm2_evictcontrol, so those commands are driven through tpm2-pytss ESAPI with
/// password sessions; the tools that need no session (tpm2_readpublic, tpm2_verifysignature,
/// tpm2_getcap, tpm2_flushcontext) are used directly, and openssl checks the signatures.
/// </summary>
public sealed class Tpm2ToolsKeysTests : IDisposable
{
    readonly FtpmServer _server = new();
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-keys-").FullName;

    public Tpm2ToolsKeysTests() => Client.Tpm2Ok(_server, "tpm2_startup", "-c");

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, true);
    }

    string Tool(string tool, params string[] args) => Client.Tpm2Ok(_server, tool, args);

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

        string F(string name) => Path.Combine(_dir, name);
        Tool("tpm2_readpublic", "-c", "0x81000003", "-f", "pem", "-o", F("ecc.pem"));
        Tool("tpm2_verifysignature", "-c", "0x81000003", "-g", "sha256", "-m", F("msg"), "-s", F("ecc.tss"), "-t", F("ticket"));
        Assert.True(new FileInfo(F("ticket")).Length > 6);
        Openssl("dgst", "-sha256", "-verify", F("pss.pem"), "-sigopt", "rsa_padding_mode:pss", "-signature", F("pss.sig"), F("msg"));

        // A signature of another message does not verify.
        File.WriteAllText(F("other"), "other");
        Assert.NotEqual(0, Client.Tpm2(_server, "tpm2_verifysignature", "-c", "0x81000003", "-g", "sha256", "-m", F("other"), "-s", F("ecc.tss")).ExitCode);

        // Nothing transient is left behind; flushcontext -t empties the slots anyway.
        Tool("tpm2_flushcontext", "-t");
        Assert.DoesNotContain("0x80", Tool("tpm2_getcap", "handles-transient"));
    }
}
