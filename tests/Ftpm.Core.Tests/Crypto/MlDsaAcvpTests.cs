using System.Security.Cryptography;
using System.Text.Json;
using Ftpm.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ftpm.Tests.Crypto;

/// <summary>NIST ACVP FIPS 204 vectors (Crypto/Vectors/mldsa-acvp-subset.json, README.mldsa.md) against the
/// crypto port's ML-DSA. The vectors use the internal interface: keyGen is ML-DSA.KeyGen_internal(ξ)
/// (Algorithm 6), sigGen and sigVer take the message as M′ of Sign_internal / Verify_internal (Algorithms 7
/// and 8), so μ = H(tr || M′, 64) with tr = H(pk, 64), computed here with BouncyCastle's SHAKE256.</summary>
public sealed class MlDsaAcvpTests
{
    readonly PlatformCrypto _crypto = new();
    static byte[] H(string hex) => Convert.FromHexString(hex);
    static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));

    static JsonElement Vectors(string mode)
    {
        using var stream = typeof(MlDsaAcvpTests).Assembly.GetManifestResourceStream("Vectors.mldsa-acvp-subset.json")
            ?? throw new InvalidOperationException("vectors not embedded");
        return JsonDocument.Parse(stream).RootElement.GetProperty(mode).Clone();
    }

    static TheoryData<int> Indices(string mode)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Vectors(mode).GetArrayLength(); i++) data.Add(i);
        return data;
    }

    public static TheoryData<int> KeyGenCases() => Indices("keyGen");
    public static TheoryData<int> SigGenCases() => Indices("sigGen");

    public static TheoryData<int, int> SigVerCases()
    {
        var data = new TheoryData<int, int>();
        var groups = Vectors("sigVer");
        for (int g = 0; g < groups.GetArrayLength(); g++)
            for (int t = 0; t < groups[g].GetProperty("tests").GetArrayLength(); t++) data.Add(g, t);
        return data;
    }

    static MlDsaSet SetOf(JsonElement v) => v.GetProperty("parameterSet").GetString() switch
    {
        "ML-DSA-44" => MlDsaSet.MlDsa44,
        "ML-DSA-65" => MlDsaSet.MlDsa65,
        "ML-DSA-87" => MlDsaSet.MlDsa87,
        var name => throw new ArgumentException(name),
    };

    static MLDsaParameters Bouncy(MlDsaSet set) => set.Id switch
    {
        TpmMlDsaParms.MlDsa44 => MLDsaParameters.ml_dsa_44,
        TpmMlDsaParms.MlDsa65 => MLDsaParameters.ml_dsa_65,
        _ => MLDsaParameters.ml_dsa_87,
    };

    static byte[] Shake256(int length, params byte[][] parts)
    {
        var h = new ShakeDigest(256);
        foreach (var p in parts) h.BlockUpdate(p);
        var output = new byte[length];
        h.OutputFinal(output);
        return output;
    }

    /// <summary>keyGen: the port's key from ξ has the vector's public key. The port keeps only ξ and does not
    /// export the expanded private key; it builds its signing key from BouncyCastle's expansion
    /// (MlDsaKey.FromSeed), so that expansion is what is checked against the vector's sk.</summary>
    [Theory]
    [MemberData(nameof(KeyGenCases))]
    public void KeyGen(int index)
    {
        var v = Vectors("keyGen")[index];
        var set = SetOf(v);
        var seed = H(v.GetProperty("seed").GetString()!);
        using var key = (MlDsaKey)_crypto.MlDsaGenerate(set.Id, seed)!;
        Assert.Equal(set.PublicKeySize, key.PublicKey.Length);
        Assert.Equal(v.GetProperty("pkSha256").GetString(), Sha256(key.PublicKey));

        var expanded = MLDsaPrivateKeyParameters.FromSeed(Bouncy(set), seed).GetEncoded();
        Assert.Equal(set.PrivateKeySize, expanded.Length);
        Assert.Equal(v.GetProperty("skSha256").GetString(), Sha256(expanded));
    }

    /// <summary>sigGen: the managed signer, given the vector's expanded sk (skDecode) and μ = H(tr || M′, 64)
    /// with tr taken from sk (skEncode keeps it at octets 64..127), makes exactly the vector's signature:
    /// deterministic (rnd = 0^32) and hedged (the vector's rnd).</summary>
    [Theory]
    [MemberData(nameof(SigGenCases))]
    public void SigGen(int index)
    {
        var v = Vectors("sigGen")[index];
        var set = SetOf(v);
        var sk = H(v.GetProperty("sk").GetString()!);
        var rnd = H(v.GetProperty("rnd").GetString()!);
        Assert.Equal(v.GetProperty("deterministic").GetBoolean(), rnd.All(b => b == 0));
        var mu = Shake256(64, sk[64..128], H(v.GetProperty("message").GetString()!));

        var key = MlDsaManaged.DecodePrivate(set, sk);
        var signature = new byte[set.SignatureSize];
        MlDsaManaged.SignMu(key, mu, rnd, signature);
        key.Clear();
        Assert.Equal(v.GetProperty("signatureSha256").GetString(), Sha256(signature));
    }

    /// <summary>sigVer: the port's verify-μ operation on a public-only key imported from the vector's pk
    /// accepts the unmodified signature and refuses the modified ones (too many hints, ‖z‖ too large, a
    /// changed signature).</summary>
    [Theory]
    [MemberData(nameof(SigVerCases))]
    public void SigVer(int group, int test)
    {
        var g = Vectors("sigVer")[group];
        var v = g.GetProperty("tests")[test];
        var set = SetOf(g);
        var pk = H(g.GetProperty("pk").GetString()!);
        using var key = _crypto.MlDsaImport(set.Id, pk, [])!;
        var mu = Shake256(64, Shake256(64, pk), H(v.GetProperty("message").GetString()!));
        Assert.Equal(v.GetProperty("testPassed").GetBoolean(),
            _crypto.MlDsaVerifyMu(key, mu, H(v.GetProperty("signature").GetString()!)));
    }
}
