using System.Buffers.Binary;

namespace Ftpm.Interop.Tests;

/// <summary>
/// Attestation with real clients against a live `ftpm serve`: tpm2-tools 5.4 makes an EK and an AK
/// (tpm2_createek, tpm2_createak: a policy session on the endorsement hierarchy), quotes PCRs that
/// tpm2_checkquote accepts (and refuses with one octet changed), and signs certify, certifycreation,
/// gettime, nvcertify (a range and the digest form), getcommandauditdigest and getsessionauditdigest
/// structures that `openssl dgst -verify` accepts with the AK's PEM; the TPMS_ATTEST fields (magic,
/// type, qualifiedSigner, extraData) are checked here. tpm2-pytss drives CertifyX509 (the certificate
/// parses and verifies with Python's cryptography, and openssl reads it) and compares the clock fields an
/// endorsement AK and an owner AK see.
/// </summary>
public sealed class Tpm2ToolsAttestationTests : ServerTest
{
    public Tpm2ToolsAttestationTests() : base("ftpm-attest-") { }

    /// <summary>The tool chain, through tpm2-abrmd (tpm2_createak and the session-audit tools keep
    /// objects and sessions across invocations).</summary>
    const string Chain = """
        run tpm2_createek -c ek.ctx -G rsa -u ek.pub
        run tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pem -f pem -n ak.name -q ak.qname
        run tpm2_quote -c ak.ctx -l sha256:0,1,16 -q 0a0b0c0d -m quote.att -s quote.sig -o quote.pcrs -g sha256
        run tpm2_checkquote -u ak.pem -m quote.att -s quote.sig -f quote.pcrs -g sha256 -q 0a0b0c0d
        cp quote.att bad.att
        printf '\001' | dd of=bad.att bs=1 seek=40 conv=notrunc 2>/dev/null
        if tpm2_checkquote -u ak.pem -m bad.att -s quote.sig -f quote.pcrs -g sha256 -q 0a0b0c0d > /dev/null 2>&1; then
          echo "a changed quote was accepted"; kill -9 $A; exit 1
        fi
        run tpm2_createprimary -C o -c prim.ctx --creation-data cd.bin -t tk.bin -d ch.bin
        run tpm2_certify -c prim.ctx -C ak.ctx -g sha256 -o certify.att -s certify.sig -f plain
        run openssl dgst -sha256 -verify ak.pem -signature certify.sig certify.att
        run tpm2_certifycreation -C ak.ctx -c prim.ctx -d ch.bin -t tk.bin -g sha256 -f plain -o creation.sig --attestation creation.att -q 1122
        run openssl dgst -sha256 -verify ak.pem -signature creation.sig creation.att
        run tpm2_gettime -c ak.ctx -g sha256 -f plain -o time.sig --attestation time.att -q 3344
        run openssl dgst -sha256 -verify ak.pem -signature time.sig time.att
        run tpm2_nvdefine -C o -s 32 -a "ownerread|ownerwrite|authread|authwrite" 0x1500020
        printf 0123456789abcdef0123456789abcdef > nv.data
        run tpm2_nvwrite -C o -i nv.data 0x1500020
        run tpm2_nvcertify -C ak.ctx -c o -g sha256 -f plain -o nv.sig --attestation nv.att --size 8 --offset 4 -q 5566 0x1500020
        run openssl dgst -sha256 -verify ak.pem -signature nv.sig nv.att
        run tpm2_nvcertify -C ak.ctx -c o -g sha256 -f plain -o nvdigest.sig --attestation nvdigest.att --size 0 --offset 0 0x1500020
        run openssl dgst -sha256 -verify ak.pem -signature nvdigest.sig nvdigest.att
        run tpm2_setcommandauditstatus -g sha256 TPM2_CC_GetRandom
        run tpm2_getrandom 8
        run tpm2_getcommandauditdigest -c ak.ctx -g sha256 -f plain -m commandaudit.att -s commandaudit.sig -q 7788
        run openssl dgst -sha256 -verify ak.pem -signature commandaudit.sig commandaudit.att
        run tpm2_startauthsession -S audit.ctx --audit-session
        run tpm2_getrandom 8 -S audit.ctx
        run tpm2_getsessionauditdigest -c ak.ctx -g sha256 -f plain -m sessionaudit.att -s sessionaudit.sig -S audit.ctx -q 99aa
        run openssl dgst -sha256 -verify ak.pem -signature sessionaudit.sig sessionaudit.att
        """;

    [Fact]
    public void Tools_attest_and_openssl_verifies()
    {
        ThroughAbrmd("com.intel.tss2.TabrmdAttest", Chain);
        var qualifiedName = File.ReadAllBytes(PathOf("ak.qname"));
        Assert.Equal(34, qualifiedName.Length);
        (string File, ushort Type, string ExtraData)[] expected =
        [
            ("quote.att", 0x8018, "0a0b0c0d"),
            ("certify.att", 0x8017, ""),
            ("creation.att", 0x801A, "1122"),
            ("time.att", 0x8019, "3344"),
            ("nv.att", 0x8014, "5566"),
            ("nvdigest.att", 0x801C, ""),
            ("commandaudit.att", 0x8015, "7788"),
            ("sessionaudit.att", 0x8016, "99aa"),
        ];
        foreach (var (file, type, extraData) in expected)
        {
            var a = File.ReadAllBytes(PathOf(file));
            Assert.Equal(0xFF544347u, BinaryPrimitives.ReadUInt32BigEndian(a));       // TPM_GENERATED_VALUE
            Assert.Equal(type, BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(4)));
            int signerSize = BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(6));
            Assert.Equal(qualifiedName, a.AsSpan(8, signerSize).ToArray());
            int extraSize = BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(8 + signerSize));
            var extra = Convert.ToHexStringLower(a.AsSpan(10 + signerSize, extraSize));
            // tpm2_certify sends its own qualifying data.
            if (file != "certify.att") Assert.Equal(extraData, extra);
        }
        // The NV range: the index Name, offset 4, the 8 octets from there.
        var nv = File.ReadAllBytes(PathOf("nv.att"));
        Assert.EndsWith("0004" + "0008" + Convert.ToHexStringLower("456789ab"u8), Convert.ToHexStringLower(nv));
        // The digest form ends with SHA-256 of the whole index.
        var nvDigest = File.ReadAllBytes(PathOf("nvdigest.att"));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(PathOf("nv.data"))), nvDigest[^32..]);
    }

    [Fact]
    public void CertifyX509_and_obfuscated_clock_through_pytss()
    {
        var r = Client.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytss", "attestation.py"), _server.Tcti],
            new Dictionary<string, string> { ["ATTEST_WORK"] = _dir }, timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), $"attestation.py: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");
        var openssl = Client.Run("openssl", ["x509", "-inform", "DER", "-in", PathOf("x509.der"), "-noout", "-subject", "-issuer"]);
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("ftpm pytss key", openssl.Stdout);
        Assert.Contains("ftpm pytss CA", openssl.Stdout);
    }
}
