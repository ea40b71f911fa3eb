using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Nist;
using BigInteger = Org.BouncyCastle.Math.BigInteger;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Ftpm.Interop.Tests;

/// <summary>
/// The ECC issue's proof with real clients against a live `ftpm serve`: tpm2-tools 5.4
/// (tpm2_geteccparameters, tpm2_ecephemeral, tpm2_zgen2phase, tpm2_commit, tpm2_sign -s ecschnorr / ecdaa
/// --commit-index, tpm2_verifysignature) and swtpm as the reference: the curve parameters are the same
/// octets, and an ECSCHNORR signature made by either TPM verifies on the other (the TCG's hash input and
/// r/s encoding agree). tpm2-pytss (pytss/ecc.py) covers BN P-256 and ECMQV, which the tools cannot name.
/// </summary>
public sealed class Tpm2ToolsEccTests : ServerTest
{
    readonly Swtpm _swtpm = Swtpm.Start();

    public Tpm2ToolsEccTests() : base("ftpm-ecc-") { }

    public override void Dispose()
    {
        _swtpm.Dispose();
        base.Dispose();
    }

    /// <summary>Runs a tool against ftpm (or, with <paramref name="tcti"/>, another TPM), then flushes the
    /// transient objects it left behind (there is no resource manager).</summary>
    string T(string tool, params string[] args) => On(_server.Tcti, tool, args);

    string On(string tcti, string tool, params string[] args)
    {
        var r = Run(tcti, tool, args);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
        Run(tcti, "tpm2_flushcontext", "-t");
        return r.Stdout;
    }

    /// <summary>A tool that must fail: returns its error output (which names the response code), then
    /// flushes the objects and the session the failed tool left loaded.</summary>
    string Fails(string tool, params string[] args)
    {
        var r = Run(_server.Tcti, tool, args);
        Assert.NotEqual(0, r.ExitCode);
        Run(_server.Tcti, "tpm2_flushcontext", "-t");
        Run(_server.Tcti, "tpm2_flushcontext", "-l");
        return r.Stderr;
    }

    static Client.Result Run(string tcti, string tool, params string[] args) =>
        Client.Run(tool, args, new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tcti });

    /// <summary>An ECC P-256 storage primary in p.ctx and a child made by tpm2_create -G <paramref name="alg"/>
    /// (and <paramref name="attributes"/>), loaded into <paramref name="name"/>.ctx.</summary>
    void Child(string name, string alg, string? attributes = null, string? tcti = null)
    {
        tcti ??= _server.Tcti;
        var parent = PathOf(tcti == _server.Tcti ? "p.ctx" : "swtpm-p.ctx");
        if (!File.Exists(parent)) On(tcti, "tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", parent);
        string[] create = ["-C", parent, "-G", alg, "-u", PathOf(name + ".pub"), "-r", PathOf(name + ".priv")];
        if (attributes is not null) create = [.. create, "-a", attributes];
        On(tcti, "tpm2_create", create);
        On(tcti, "tpm2_load", "-C", parent, "-u", PathOf(name + ".pub"), "-r", PathOf(name + ".priv"), "-c", PathOf(name + ".ctx"));
    }

    /// <summary>The public point of a P-256 key as a TPM2B_ECC_POINT file (the last 68 octets of its
    /// public area are TPMS_ECC_POINT), for tpm2_zgen2phase --static-public.</summary>
    (byte[] X, byte[] Y) PublicPoint(string name, string? file = null)
    {
        T("tpm2_readpublic", "-c", PathOf(name + ".ctx"), "-o", PathOf(name + ".tpub"));
        var area = File.ReadAllBytes(PathOf(name + ".tpub"));
        var unique = area[^68..];
        if (file is not null) File.WriteAllBytes(PathOf(file), [0x00, 0x44, .. unique]);
        return (unique[2..34], unique[36..]);
    }

    /// <summary>The coordinates in a TPM2B_ECC_POINT file of a 256-bit curve.</summary>
    (byte[] X, byte[] Y) ReadPoint(string file)
    {
        var b = File.ReadAllBytes(PathOf(file));
        Assert.Equal(70, b.Length);
        return (b[4..36], b[38..70]);
    }

    static readonly Org.BouncyCastle.Asn1.X9.X9ECParameters P256 = NistNamedCurves.GetByName("P-256");

    static ECPoint Point((byte[] X, byte[] Y) p) => P256.Curve.CreatePoint(new BigInteger(1, p.X), new BigInteger(1, p.Y));

    /// <summary>tpm2_geteccparameters gives the same TPMS_ALGORITHM_DETAIL_ECC octets on ftpm and swtpm for
    /// the NIST curves, holding the published P-256 constants; tpm2_getcap ecc-curves lists BN P-256 too.</summary>
    [Fact]
    public void Geteccparameters_matches_swtpm_and_the_published_constants()
    {
        foreach (var curve in new[] { "ecc256", "ecc384", "ecc521" })
        {
            T("tpm2_geteccparameters", curve, "-o", PathOf(curve + ".ftpm"));
            On(_swtpm.Tcti, "tpm2_geteccparameters", curve, "-o", PathOf(curve + ".swtpm"));
            Assert.Equal(File.ReadAllBytes(PathOf(curve + ".swtpm")), File.ReadAllBytes(PathOf(curve + ".ftpm")));
        }
        var p256 = Convert.ToHexString(File.ReadAllBytes(PathOf("ecc256.ftpm")));
        Assert.StartsWith("00030100" + "0020000B" + "0010", p256);   // curve, key size, KDF1_SP800_56A-SHA256, no sign scheme
        Assert.Contains("0020FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", p256);   // p
        Assert.Contains("00205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B", p256);   // b
        Assert.Contains("00206B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296", p256);   // Gx
        Assert.EndsWith("0020FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551" + "000101", p256); // n, h

        var curves = T("tpm2_getcap", "ecc-curves");
        foreach (var name in new[] { "TPM2_ECC_NIST_P256", "TPM2_ECC_NIST_P384", "TPM2_ECC_NIST_P521", "TPM2_ECC_BN_P256" })
            Assert.Contains(name, curves);
        Assert.DoesNotContain("P192", curves);
    }

    /// <summary>Two-party ECDH through tpm2_ecephemeral and tpm2_zgen2phase: party A (key a, ephemeral
    /// count ca) and party B (key b, count cb) each compute (Z1, Z2) = (ds·QsOther, de·QeOther) and get the
    /// same points; a count is consumed by its first use (TPM_RC_VALUE + P4 the second time).</summary>
    [Fact]
    public void Zgen2phase_ecdh_agrees_between_two_parties()
    {
        const string exchange = "decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth";
        Child("a", "ecc256:null:null", exchange);
        Child("b", "ecc256:ecdh-sha256", exchange);
        PublicPoint("a", "a.point");
        PublicPoint("b", "b.point");
        T("tpm2_ecephemeral", "-u", PathOf("ea.point"), "-t", PathOf("ca"), "ecc256");
        T("tpm2_ecephemeral", "-u", PathOf("eb.point"), "-t", PathOf("cb"), "ecc256");
        int ca = File.ReadAllBytes(PathOf("ca"))[1], cb = File.ReadAllBytes(PathOf("cb"))[1];
        Assert.Equal(ca + 1, cb);
        Assert.True(Point(ReadPoint("ea.point")).IsValid());

        T("tpm2_zgen2phase", "-c", PathOf("a.ctx"), "-t", ca.ToString(), "--static-public", PathOf("b.point"),
            "--ephemeral-public", PathOf("eb.point"), "--output-Z1", PathOf("za1"), "--output-Z2", PathOf("za2"));
        T("tpm2_zgen2phase", "-c", PathOf("b.ctx"), "-t", cb.ToString(), "--static-public", PathOf("a.point"),
            "--ephemeral-public", PathOf("ea.point"), "--output-Z1", PathOf("zb1"), "--output-Z2", PathOf("zb2"));
        Assert.Equal(File.ReadAllBytes(PathOf("za1")), File.ReadAllBytes(PathOf("zb1")));
        Assert.Equal(File.ReadAllBytes(PathOf("za2")), File.ReadAllBytes(PathOf("zb2")));
        Assert.True(Point(ReadPoint("za1")).IsValid());
        Assert.NotEqual(ReadPoint("za1").X, ReadPoint("za2").X);

        Assert.Contains("0x4C4", Fails("tpm2_zgen2phase", "-c", PathOf("a.ctx"), "-t", ca.ToString(), "--static-public", PathOf("b.point"),
            "--ephemeral-public", PathOf("eb.point"), "--output-Z1", PathOf("za1"), "--output-Z2", PathOf("za2")));
    }

    /// <summary>ECSCHNORR: a key made by tpm2_create -G ecc256:ecschnorr-sha256 signs with tpm2_sign -s
    /// ecschnorr; tpm2_verifysignature accepts it on ftpm (with a ticket) and on swtpm (the public key
    /// loaded there with tpm2_loadexternal), and both refuse it for another message. The other way round,
    /// swtpm's ECSCHNORR signature verifies on ftpm. Each TPM checks the other's hash input and encoding.</summary>
    [Fact]
    public void Ecschnorr_signatures_verify_on_ftpm_and_on_swtpm_both_ways()
    {
        File.WriteAllText(PathOf("msg"), "message signed with EC-Schnorr");
        File.WriteAllText(PathOf("other"), "another message");

        Child("s", "ecc256:ecschnorr-sha256");
        T("tpm2_sign", "-c", PathOf("s.ctx"), "-g", "sha256", "-s", "ecschnorr", "-o", PathOf("s.sig"), PathOf("msg"));
        Assert.Equal([0x00, 0x1C, 0x00, 0x0B, 0x00, 0x20], File.ReadAllBytes(PathOf("s.sig"))[..6]);
        T("tpm2_verifysignature", "-c", PathOf("s.ctx"), "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("s.sig"), "-t", PathOf("s.ticket"));
        Assert.Equal([0x80, 0x22, 0x40, 0x00, 0x00, 0x01, 0x00, 0x20], File.ReadAllBytes(PathOf("s.ticket"))[..8]);
        Assert.Contains("0x2DB", Fails("tpm2_verifysignature", "-c", PathOf("s.ctx"), "-g", "sha256", "-m", PathOf("other"), "-s", PathOf("s.sig")));

        PublicPoint("s");
        On(_swtpm.Tcti, "tpm2_loadexternal", "-C", "n", "-u", PathOf("s.tpub"), "-c", PathOf("sw-s.ctx"));
        On(_swtpm.Tcti, "tpm2_verifysignature", "-c", PathOf("sw-s.ctx"), "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("s.sig"));
        On(_swtpm.Tcti, "tpm2_loadexternal", "-C", "n", "-u", PathOf("s.tpub"), "-c", PathOf("sw-s.ctx"));
        var refused = Run(_swtpm.Tcti, "tpm2_verifysignature", ["-c", PathOf("sw-s.ctx"), "-g", "sha256", "-m", PathOf("other"), "-s", PathOf("s.sig")]);
        Assert.Contains("0x2DB", refused.Stderr);
        Run(_swtpm.Tcti, "tpm2_flushcontext", ["-t"]);

        Child("w", "ecc256:ecschnorr-sha256", tcti: _swtpm.Tcti);
        On(_swtpm.Tcti, "tpm2_sign", "-c", PathOf("w.ctx"), "-g", "sha256", "-s", "ecschnorr", "-o", PathOf("w.sig"), PathOf("msg"));
        On(_swtpm.Tcti, "tpm2_readpublic", "-c", PathOf("w.ctx"), "-o", PathOf("w.tpub"));
        T("tpm2_loadexternal", "-C", "o", "-u", PathOf("w.tpub"), "-c", PathOf("f-w.ctx"));
        T("tpm2_verifysignature", "-c", PathOf("f-w.ctx"), "-g", "sha256", "-m", PathOf("msg"), "-s", PathOf("w.sig"), "-t", PathOf("w.ticket"));
        Assert.Equal([0x80, 0x22, 0x40, 0x00, 0x00, 0x01], File.ReadAllBytes(PathOf("w.ticket"))[..6]);
        Assert.Contains("0x2DB", Fails("tpm2_verifysignature", "-c", PathOf("f-w.ctx"), "-g", "sha256", "-m", PathOf("other"), "-s", PathOf("w.sig")));
    }

    /// <summary>ECDAA: tpm2_commit on an ecc256:ecdaa-sha256 key gives count 0 and E = r·G (K and L empty
    /// without a basepoint); tpm2_sign -s ecdaa --commit-index 0 signs once with that r (s·G = E + T·Q with
    /// T = SHA256(nonceK || digest) mod n, checked here), and the second use of the count fails with
    /// TPM_RC_VALUE, as swtpm answers.</summary>
    [Fact]
    public void Ecdaa_sign_after_commit_works_once()
    {
        File.WriteAllText(PathOf("msg"), "anonymous attestation");
        Child("d", "ecc256:ecdaa-sha256");
        var q = PublicPoint("d");
        T("tpm2_commit", "-c", PathOf("d.ctx"), "-t", PathOf("count"), "--eccpoint-K", PathOf("K"), "--eccpoint-L", PathOf("L"), "-u", PathOf("E"));
        Assert.Equal([0, 0], File.ReadAllBytes(PathOf("count")));
        Assert.Equal([0, 4, 0, 0, 0, 0], File.ReadAllBytes(PathOf("K")));
        Assert.Equal([0, 4, 0, 0, 0, 0], File.ReadAllBytes(PathOf("L")));
        var e = ReadPoint("E");

        T("tpm2_sign", "-c", PathOf("d.ctx"), "-g", "sha256", "-s", "ecdaa", "--commit-index", "0", "-o", PathOf("d.sig"), PathOf("msg"));
        var sig = File.ReadAllBytes(PathOf("d.sig"));
        Assert.Equal([0x00, 0x1A, 0x00, 0x0B, 0x00, 0x20], sig[..6]);
        var digest = SHA256.HashData(File.ReadAllBytes(PathOf("msg")));
        var t = new BigInteger(1, SHA256.HashData([.. sig[6..38], .. digest])).Mod(P256.N);
        var s = new BigInteger(1, sig[40..72]);
        Assert.Equal(Point(e).Add(Point(q).Multiply(t)).Normalize(), P256.G.Multiply(s).Normalize());

        Assert.Contains("(0x84)", Fails("tpm2_sign", "-c", PathOf("d.ctx"), "-g", "sha256", "-s", "ecdaa", "--commit-index", "0", "-o", PathOf("d2.sig"), PathOf("msg")));
        // A second commit has the next count and another r.
        T("tpm2_commit", "-c", PathOf("d.ctx"), "-t", PathOf("count2"), "--eccpoint-K", PathOf("K"), "--eccpoint-L", PathOf("L"), "-u", PathOf("E2"));
        Assert.Equal([0, 1], File.ReadAllBytes(PathOf("count2")));
        Assert.NotEqual(e.X, ReadPoint("E2").X);
    }

    /// <summary>BN P-256 (ECC_Parameters, ECDSA, ECSCHNORR, ECDAA after Commit, ZGen_2Phase ECDH) and
    /// ECMQV between two P-256 keys, through tpm2-pytss (pytss/ecc.py checks every point itself).</summary>
    [Fact]
    public void Bn_p256_and_ecmqv_through_pytss()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "pytss", "ecc.py");
        var r = Client.Run("/usr/bin/python3", [path, _server.Tcti], timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), $"ecc.py: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
    }
}
