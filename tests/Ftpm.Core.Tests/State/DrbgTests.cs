using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Tests.State;

public class DrbgTests
{
    /// <summary>NIST CAVP Hash_DRBG.rsp, SHA-256, no prediction resistance, with personalization,
    /// reseed, two 1024-bit generates; the second output is the answer.</summary>
    [Fact]
    public void Hash_drbg_sha256_known_answer()
    {
        var entropy = Convert.FromHexString("b87bb4de5c148d964fc0cb612d69295671780b4270fe32bf389b6f49488efe13");
        var nonce = Convert.FromHexString("27eb37a0c695c4ee3c9b70b7f6b33492");
        var personalization = Convert.FromHexString("52321406ac8a9c266b1f8d811bb871269e5824b59a0234f01d358193523bbb7c");
        var reseed = Convert.FromHexString("7638267f534c4e6ee22cc6ca6ed824fd5d3d387c00b89dd791eb5ac9766385b8");
        var expected = Convert.FromHexString(
            "de01c061651bab3cef2fc4ea89a56b6e86e74b2e9fd11ed671c97c813778a06a2c1f41b41e754a5257750c6bde9601da" +
            "9d67d8d9564f4a8538b92516a2dacc496dee257b85393f2a01ad59aa3257f1b6da9566e3706d2d6d4a26e511b0c64d7dc2" +
            "23acb24827178afa43ca8d5a66f983d6929dc61564c4c14fc32d85765a23f7");
        var drbg = Drbg.ForKnownAnswer(new PlatformCrypto(), new SoftwarePlatform(), [.. entropy, .. nonce, .. personalization]);
        drbg.ReseedWith(reseed, []);
        var output = new byte[128];
        drbg.Generate(output);
        drbg.Generate(output);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Outputs_differ_and_odd_lengths_work()
    {
        var drbg = new Drbg(new PlatformCrypto(), new SoftwarePlatform(), "test"u8);
        var a = new byte[33];
        var b = new byte[33];
        drbg.Generate(a);
        drbg.Stir("more"u8);
        drbg.Generate(b);
        Assert.NotEqual(a, b);
        var big = new byte[70_000];
        drbg.Generate(big);
        Assert.NotEqual(new byte[32], big.AsSpan(69_968).ToArray());
    }
}
