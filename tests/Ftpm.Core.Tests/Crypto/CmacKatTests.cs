using Ftpm.Crypto;

namespace Ftpm.Tests.Crypto;

/// <summary>Known-answer tests of the platform backend's AES-CMAC (the crypto port's MacSetup).</summary>
public sealed class CmacKatTests
{
    readonly PlatformCrypto _crypto = new();
    static byte[] H(string hex) => Convert.FromHexString(hex);

    // AES-CMAC: RFC 4493, 4 (AES-128) and NIST SP 800-38B, D.3 (AES-256; the CMAC examples of the NIST
    // "Cryptographic Standards and Guidelines" page), over the first 0, 16, 40 and 64 octets of the
    // SP 800-38A plaintext.
    const string CmacMessage = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" +
                               "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    [Theory]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", 0, "bb1d6929e95937287fa37d129b756746")]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", 16, "070a16b46b4d4144f79bdd9dd04a287c")]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", 40, "dfa66747de9ae63030ca32611497c827")]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", 64, "51f0bebf7e3b9d92fc49741779363cfe")]
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 0, "028962f61b7bf89efc6b551f4667d983")]
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 16, "28a7023f452e8f82bd4bf28d8c37c35c")]
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 64, "e1992190549f6ed5696a2c056c315410")]
    public void Cmac_rfc4493_and_sp800_38b(string key, int length, string expected)
    {
        var message = H(CmacMessage)[..length];
        var mac = new byte[16];
        using (var op = _crypto.MacSetup(TpmAlgId.Cmac, TpmAlgId.Aes, H(key)))
        {
            op.Update(message);
            Assert.Equal(16, op.Finish(mac));
        }
        Assert.Equal(expected, Convert.ToHexString(mac).ToLowerInvariant());

        // In pieces of every size, and through a clone taken midway (a context-saved MAC sequence).
        for (int piece = 1; piece <= 17; piece++)
        {
            using var op = _crypto.MacSetup(TpmAlgId.Cmac, TpmAlgId.Aes, H(key));
            int half = length / 2;
            for (int at = 0; at < half; at += piece) op.Update(message.AsSpan(at, Math.Min(piece, half - at)));
            using var clone = op.Clone();
            op.Update(new byte[] { 0xFF });   // the original goes its own way
            for (int at = half; at < length; at += piece) clone.Update(message.AsSpan(at, Math.Min(piece, length - at)));
            clone.Finish(mac);
            Assert.Equal(expected, Convert.ToHexString(mac).ToLowerInvariant());
        }
    }

    [Fact]
    public void Only_aes_cmac_is_offered()
    {
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => _crypto.MacSetup(TpmAlgId.Cmac, TpmAlgId.Aes, new byte[15]));
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => _crypto.MacSetup(TpmAlgId.Hmac, TpmAlgId.Aes, new byte[16]));
    }
}
