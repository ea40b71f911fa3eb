using Ftpm.Crypto;

namespace Ftpm.Tests.Crypto;

/// <summary>Known-answer tests of the platform backend's symmetric primitives and the KDFs.</summary>
public sealed class SymmetricKatTests
{
    readonly PlatformCrypto _crypto = new();
    static byte[] H(string hex) => Convert.FromHexString(hex);

    // NIST SP 800-38A, appendix F: AES-128 with key 2b7e1516..., the first two plaintext blocks.
    const string Key128 = "2b7e151628aed2a6abf7158809cf4f3c";
    const string Plain = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";

    [Theory]
    [InlineData(TpmAlgId.Ecb, "", "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf")]      // F.1.1
    [InlineData(TpmAlgId.Cbc, "000102030405060708090a0b0c0d0e0f", "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")] // F.2.1
    [InlineData(TpmAlgId.Cfb, "000102030405060708090a0b0c0d0e0f", "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b")] // F.3.13
    [InlineData(TpmAlgId.Ofb, "000102030405060708090a0b0c0d0e0f", "3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed825")] // F.4.1
    [InlineData(TpmAlgId.Ctr, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")] // F.5.1
    public void Aes128_sp800_38a(TpmAlgId mode, string iv, string cipher)
    {
        var ivBytes = iv.Length == 0 ? new byte[16] : H(iv);
        var output = new byte[32];
        _crypto.Cipher(TpmAlgId.Aes, mode, true, H(Key128), ivBytes.ToArray(), H(Plain), output);
        Assert.Equal(cipher, Convert.ToHexString(output).ToLowerInvariant());

        // Decrypting in two calls chains the IV (TPM2_EncryptDecrypt's ivOut).
        var chain = iv.Length == 0 ? new byte[16] : H(iv);
        var back = new byte[32];
        _crypto.Cipher(TpmAlgId.Aes, mode, false, H(Key128), chain, H(cipher).AsSpan(0, 16), back.AsSpan(0, 16));
        _crypto.Cipher(TpmAlgId.Aes, mode, false, H(Key128), chain, H(cipher).AsSpan(16), back.AsSpan(16));
        Assert.Equal(Plain, Convert.ToHexString(back).ToLowerInvariant());
    }

    // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    [Theory]
    [InlineData(TpmAlgId.Sha256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData(TpmAlgId.Sha384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649")]
    [InlineData(TpmAlgId.Sha512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")]
    public void Hmac_rfc4231_case2(TpmAlgId hash, string expected)
    {
        var mac = new byte[64];
        int n = _crypto.Hmac(hash, "Jefe"u8, "what do ya want for nothing?"u8, mac);
        Assert.Equal(expected, Convert.ToHexString(mac, 0, n).ToLowerInvariant());
        using var op = _crypto.HmacSetup(hash, "Jefe"u8);
        op.Update("what do ya "u8);
        op.Update("want for nothing?"u8);
        n = op.Finish(mac);
        Assert.Equal(expected, Convert.ToHexString(mac, 0, n).ToLowerInvariant());
    }

    // KDFa: the reference implementation's self-test vector (KdfTestData.h): key, label
    // "KDFSELFTESTLABEL" with its terminating zero, contextU, contextV, 160 bits.
    [Theory]
    [InlineData(TpmAlgId.Sha1, "55b5a7184aa07423c47dae766c26a2377d7cf851")]
    [InlineData(TpmAlgId.Sha256, "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4")]
    [InlineData(TpmAlgId.Sha384, "1dce70c9113eb2dba47bd9cfc72bf46f45b09312")]
    [InlineData(TpmAlgId.Sha512, "8be2c1b85b78569b9fa759f5857c56d684810fd3")]
    public void KdfA_reference_self_test(TpmAlgId hash, string expected)
    {
        var output = new byte[20];
        Kdf.KdfA(_crypto, hash, H("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C"), "KDFSELFTESTLABEL\0"u8,
            H("CE244F395DCA7391"), H("DA504031DDF12E83"), output);
        Assert.Equal(expected, Convert.ToHexString(output).ToLowerInvariant());
    }

    [Fact]
    public void KdfA_without_terminating_zero_in_label_is_the_same()
    {
        var a = new byte[20];
        var b = new byte[20];
        Kdf.KdfA(_crypto, TpmAlgId.Sha256, H("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C"), "KDFSELFTESTLABEL"u8, H("CE244F395DCA7391"), H("DA504031DDF12E83"), a);
        Kdf.KdfA(_crypto, TpmAlgId.Sha256, H("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C"), "KDFSELFTESTLABEL\0"u8, H("CE244F395DCA7391"), H("DA504031DDF12E83"), b);
        Assert.Equal(a, b);
    }

    // KDFe: vectors of the public tpm-test-vectors project (generated with go-tpm, checked against a TPM simulator).
    [Theory]
    [InlineData(TpmAlgId.Sha1, "9b050039c8e5ca60deeb978f2faf573c94af61", "IDENTITY", "ff1a1852db7b60a5c963f17eb306f3a905d100ae", "0047ee45771a256d58b091b6d6", "94c3c160")]
    [InlineData(TpmAlgId.Sha1, "ff91ed7a50947619ba87", "SECRET", "dfdf401d4eeaab4e0105bc159d483600", "ff6edce14a",
        "3a235d45be65331fddbf6d60807df8f65e66f73775528d77b40bcf409f114ffa9f1447db1743aeabcc61602d1e710fd6b1f0a0c901d850d30b2e6938e8")]
    [InlineData(TpmAlgId.Sha256, "00", "OBFUSCATE", "ebcb3cd4a002941ed496ef1d32a70b0b7f6f05b8a51803d5a9ff9b", "a1f79a7ee2beee21e2bfaee67769874687bfe21b2468fc8e721b6e967e12ff",
        "dcd14d72e0d5d8ec15b5ea15ae060e02f0e042f3af7efbd73650bb4457d73b060ef8f78bdf8cea099fe98fad6359bcfe92c1c6be8a157c1064c85ada3ad2")]
    public void KdfE_vectors(TpmAlgId hash, string z, string use, string u, string v, string expected)
    {
        var output = new byte[expected.Length / 2];
        Kdf.KdfE(_crypto, hash, H(z), System.Text.Encoding.ASCII.GetBytes(use), H(u), H(v), output);
        Assert.Equal(expected, Convert.ToHexString(output).ToLowerInvariant());
    }

    [Fact]
    public void KdfStream_is_KdfA_counter_mode_and_continues_across_calls()
    {
        using var s1 = new KdfStream(_crypto, TpmAlgId.Sha256, "seed"u8, "RSA"u8, "ctx"u8, []);
        using var s2 = new KdfStream(_crypto, TpmAlgId.Sha256, "seed"u8, "RSA"u8, "ctx"u8, []);
        var whole = new byte[100];
        s1.Generate(whole);
        var parts = new byte[100];
        s2.Generate(parts.AsSpan(0, 7));
        s2.Generate(parts.AsSpan(7, 50));
        s2.Generate(parts.AsSpan(57));
        Assert.Equal(whole, parts);
        // Block 1 is HMAC(seed, [1] || "RSA" || 0 || "ctx" || [0]).
        var expected = System.Security.Cryptography.HMACSHA256.HashData("seed"u8, [0, 0, 0, 1, .. "RSA"u8, 0, .. "ctx"u8, 0, 0, 0, 0]);
        Assert.Equal(expected, whole[..32]);
    }
}
