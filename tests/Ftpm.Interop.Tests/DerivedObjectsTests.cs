namespace Ftpm.Interop.Tests;

/// <summary>
/// Issue 3's key-handling additions with real clients against a live `ftpm serve`: derived objects
/// (TPM2_CreateLoaded under a derivation parent) through tpm2-pytss, with the key derived from a known
/// parent secret compared against swtpm's; AES-CMAC through TPM2_MAC/TPM2_MAC_Start as ESAPI's HMAC calls
/// drive them; tpm2_loadexternal of openssl-made RSA and EC keys (public keys that verify openssl's
/// signatures, private keys whose signatures openssl verifies) and LoadExternal with nameAlg TPM_ALG_NULL.
/// </summary>
public sealed class DerivedObjectsTests : ServerTest
{
    public DerivedObjectsTests() : base("ftpm-derive-", startup: false) { }

    static Client.Result Python(string script, string tcti) =>
        Client.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytss", script), tcti], timeoutMs: 300_000);

    void PytssOk(Client.Result r, string script) =>
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), $"{script}: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");

    static string Known(Client.Result r) => r.Stdout.Split('\n').Single(l => l.StartsWith("known "));

    /// <summary>derive.py: a derivation parent (Create + Load under an SRK); CreateLoaded twice with the
    /// same label and context gives the same public key, another context another key; label and context
    /// from inSensitive.data; the derived ECC key signs and the cryptography module verifies it; RSA
    /// templates, non-fixedParent children and Create under the parent are refused with the reference's
    /// codes. The key derived under a parent whose secret the script supplies equals swtpm's.</summary>
    [Fact]
    public void Derived_keys_are_deterministic_and_equal_swtpm_s()
    {
        var ours = Python("derive.py", _server.Tcti);
        PytssOk(ours, "derive.py");
        using var swtpm = Swtpm.Start();
        var reference = Python("derive.py", swtpm.Tcti);
        Assert.True(reference.ExitCode == 0, $"swtpm: {reference}");
        Assert.Equal(Known(reference), Known(ours));
    }

    /// <summary>cmac.py: TPM_ALG_CMAC in TPM_CAP_ALGS and TestParms; TPM2_MAC of 0..64 octets equal to the
    /// cryptography module's AES-CMAC (and RFC 4493's example); a MAC_Start sequence context-saved and
    /// loaded midway gives the RFC's tag and a NULL ticket.</summary>
    [Fact]
    public void Cmac_matches_the_cryptography_module()
    {
        var r = Python("cmac.py", _server.Tcti);
        PytssOk(r, "cmac.py");
        Assert.Contains("mac dfa66747de9ae63030ca32611497c827", r.Stdout);        // RFC 4493, example 3
        Assert.Contains("sequence 51f0bebf7e3b9d92fc49741779363cfe", r.Stdout);   // RFC 4493, example 4
    }

    /// <summary>external.py: LoadExternal with nameAlg TPM_ALG_NULL (Empty Buffer Name, NULL ticket, signs
    /// with its private part) and the RSA exponent rule, the same answers as swtpm's.</summary>
    [Fact]
    public void Nameless_external_keys_work_as_in_swtpm()
    {
        PytssOk(Python("external.py", _server.Tcti), "external.py");
        using var swtpm = Swtpm.Start();
        var reference = Python("external.py", swtpm.Tcti);
        Assert.True(reference.ExitCode == 0 && reference.Stdout.Contains("ok"), $"swtpm: {reference}");
    }

    void Openssl(params string[] args)
    {
        var r = Client.Run("openssl", args);
        Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)}: {r}");
    }

    string T(string tool, params string[] args)
    {
        var output = Client.Tpm2Ok(_server, tool, args);
        Client.Tpm2Ok(_server, "tpm2_flushcontext", "-t");
        return output;
    }

    /// <summary>tpm2_loadexternal -u of openssl's RSA and EC public keys, then tpm2_verifysignature of
    /// openssl's signatures (and a changed signature fails); tpm2_loadexternal -r of the private keys,
    /// then tpm2_sign, whose signatures openssl verifies.</summary>
    [Theory]
    [InlineData("rsa", "rsassa", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")]
    [InlineData("ecc", "ecdsa", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")]
    public void Loadexternal_of_openssl_keys(string alg, string scheme, params string[] genpkey)
    {
        Client.Tpm2Ok(_server, "tpm2_startup", "-c");
        Openssl(["genpkey", .. genpkey, "-out", PathOf("key.pem")]);
        Openssl("pkey", "-in", PathOf("key.pem"), "-pubout", "-out", PathOf("pub.pem"));
        File.WriteAllText(PathOf("msg"), "signed outside, verified inside");
        Openssl("dgst", "-sha256", "-sign", PathOf("key.pem"), "-out", PathOf("openssl.sig"), PathOf("msg"));

        T("tpm2_loadexternal", "-C", "n", "-G", alg, "-u", PathOf("pub.pem"), "-c", PathOf("pub.ctx"));
        T("tpm2_verifysignature", "-c", PathOf("pub.ctx"), "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("openssl.sig"), "-f", scheme);
        var bad = File.ReadAllBytes(PathOf("openssl.sig"));
        bad[^3] ^= 1;
        File.WriteAllBytes(PathOf("bad.sig"), bad);
        var refused = Client.Tpm2(_server, "tpm2_verifysignature", "-c", PathOf("pub.ctx"), "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("bad.sig"), "-f", scheme);
        Assert.NotEqual(0, refused.ExitCode);
        Client.Tpm2Ok(_server, "tpm2_flushcontext", "-t");

        T("tpm2_loadexternal", "-C", "n", "-G", alg, "-r", PathOf("key.pem"), "-c", PathOf("priv.ctx"));
        T("tpm2_sign", "-c", PathOf("priv.ctx"), "-g", "sha256", "-s", scheme, "-f", "plain", "-o", PathOf("tpm.sig"), PathOf("msg"));
        Openssl("dgst", "-sha256", "-verify", PathOf("pub.pem"), "-signature", PathOf("tpm.sig"), PathOf("msg"));
    }
}
