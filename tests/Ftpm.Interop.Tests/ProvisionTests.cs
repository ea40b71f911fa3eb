namespace Ftpm.Interop.Tests;

/// <summary>
/// `ftpm provision` on a state folder, then `ftpm serve` on it (or `ftpm serve --provision-ek`): the EK certificates sit at the TCG EK
/// Credential Profile's NV indices (write-locked, platform-created), tpm2_nvread and tpm2_getekcertificate
/// read DER certificates that `openssl verify` accepts against the CA the command wrote, and each
/// certificate's public key is the EK tpm2_createek makes.
/// </summary>
public sealed class ProvisionTests : IDisposable
{
    readonly string _state = Directory.CreateTempSubdirectory("ftpm-provision-").FullName;
    readonly string _work = Directory.CreateTempSubdirectory("ftpm-provision-work-").FullName;

    string PathOf(string name) => Path.Combine(_work, name);

    void Openssl(params string[] args)
    {
        var r = Client.Run("openssl", args, workDir: _work);
        Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)}: {r}");
    }

    static Client.Result Provision(string state, params string[] args) =>
        Client.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "ftpm.dll"), "provision", "--state", state, .. args], timeoutMs: 120_000);

    [Fact]
    public void Provisioned_ek_certificates_verify_against_the_ca_and_match_createek()
    {
        var r = Provision(_state, "--ek", "rsa", "ecc", "ecc384");
        Assert.True(r.ExitCode == 0, r.ToString());
        string ca = Path.Combine(_state, "ek-ca", "ca.pem");
        Assert.Contains($"EK CA certificate: {ca}", r.Stdout);
        Assert.True(File.Exists(ca));
        // A second run keeps what is there.
        var again = Provision(_state, "--ek", "rsa");
        Assert.True(again.ExitCode == 0 && again.Stdout.Contains("already holds a certificate"), again.ToString());

        using var server = new FtpmServer(_state);
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        foreach (var (index, alg) in new[] { ("0x01C00002", "rsa"), ("0x01C0000A", "ecc"), ("0x01C00016", "ecc384") })
        {
            var nvPublic = Client.Tpm2Ok(server, "tpm2_nvreadpublic", index);
            // PPWRITE | WRITEDEFINE | PPREAD | OWNERREAD | AUTHREAD | NO_DA | PLATFORMCREATE, written and write-locked.
            Assert.Contains("value: 0x62072801", nvPublic);
            Client.Tpm2Ok(server, "tpm2_nvread", index, "-C", "o", "-o", PathOf(alg + ".der"));
            Openssl("x509", "-inform", "DER", "-in", PathOf(alg + ".der"), "-out", PathOf(alg + ".pem"));
            Openssl("verify", "-CAfile", ca, PathOf(alg + ".pem"));
            Openssl("x509", "-in", PathOf(alg + ".pem"), "-noout", "-pubkey", "-out", PathOf(alg + ".certkey.pem"));
            Client.Tpm2Ok(server, "tpm2_createek", "-c", PathOf(alg + ".ek.ctx"), "-G", alg, "-u", PathOf(alg + ".ek.pem"), "-f", "pem");
            Client.Tpm2Ok(server, "tpm2_flushcontext", "-t");
            Openssl("pkey", "-pubin", "-in", PathOf(alg + ".certkey.pem"), "-outform", "DER", "-out", PathOf(alg + ".certkey.der"));
            Openssl("pkey", "-pubin", "-in", PathOf(alg + ".ek.pem"), "-outform", "DER", "-out", PathOf(alg + ".ek.der"));
            Assert.Equal(File.ReadAllBytes(PathOf(alg + ".ek.der")), File.ReadAllBytes(PathOf(alg + ".certkey.der")));
        }
        // The platform wrote them, and they are locked: the owner cannot change one.
        var write = Client.Tpm2(server, "tpm2_nvwrite", "0x01C00002", "-C", "o", "-i", PathOf("rsa.der"));
        Assert.NotEqual(0, write.ExitCode);
        // tpm2_getekcertificate finds the low-range RSA and ECC certificates.
        Client.Tpm2Ok(server, "tpm2_getekcertificate", "-o", PathOf("get-rsa.crt"), "-o", PathOf("get-ecc.crt"));
        Assert.Equal(File.ReadAllBytes(PathOf("rsa.der")), File.ReadAllBytes(PathOf("get-rsa.crt")));
        Assert.Equal(File.ReadAllBytes(PathOf("ecc.der")), File.ReadAllBytes(PathOf("get-ecc.crt")));
    }

    /// <summary>`ftpm serve --provision-ek ecc` provisions before it listens, and clients start the TPM as
    /// usual (the provisioning powers it off again).</summary>
    [Fact]
    public void Serve_provisions_before_it_listens()
    {
        using var server = new FtpmServer(_state, ["--provision-ek", "ecc"]);
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        Client.Tpm2Ok(server, "tpm2_nvread", "0x01C0000A", "-C", "o", "-o", PathOf("ecc.der"));
        Openssl("x509", "-inform", "DER", "-in", PathOf("ecc.der"), "-out", PathOf("ecc.pem"));
        Openssl("verify", "-CAfile", Path.Combine(_state, "ek-ca", "ca.pem"), PathOf("ecc.pem"));
        Assert.Contains(server.Log, l => l.Contains("EK CA certificate:"));
    }

    [Fact]
    public void Unknown_template_is_refused()
    {
        var r = Provision(_state, "--ek", "dsa");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown EK template", r.Stderr);
    }

    public void Dispose()
    {
        Directory.Delete(_state, true);
        Directory.Delete(_work, true);
    }
}
