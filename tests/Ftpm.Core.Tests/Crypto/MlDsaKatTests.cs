using System.Security.Cryptography;
using System.Text.Json;
using Ftpm.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Ftpm.Tests.Crypto;

/// <summary>FIPS 204 known-answer tests of the crypto port's ML-DSA (Crypto/Vectors/mldsa-kat-subset.json,
/// README.mldsa.md): key generation from ξ, ML-DSA.Sign (pure, with a context), HashML-DSA.Sign and
/// Sign_internal (external μ), each deterministic and hedged with the vector's rnd, and verification. μ is
/// built the way the engine builds it (MlDsaMessage over the port's MlDsaMuSetup). The managed signer runs
/// here: this machine's OpenSSL has no ML-DSA, so .NET's MLDsa is not supported.</summary>
public sealed class MlDsaKatTests
{
    readonly PlatformCrypto _crypto = new();
    static byte[] H(string hex) => Convert.FromHexString(hex);

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Vectors().GetArrayLength(); i++) data.Add(i);
        return data;
    }

    static JsonElement Vectors()
    {
        using var stream = typeof(MlDsaKatTests).Assembly.GetManifestResourceStream("Vectors.mldsa-kat-subset.json")
            ?? throw new InvalidOperationException("vectors not embedded");
        return JsonDocument.Parse(stream).RootElement.GetProperty("vectors").Clone();
    }

    static (MlDsaSet Set, TpmAlgId PreHash) SetOf(string name) => name switch
    {
        "ML-DSA-44" => (MlDsaSet.MlDsa44, TpmAlgId.Sha256),
        "ML-DSA-65" => (MlDsaSet.MlDsa65, TpmAlgId.Sha384),
        "ML-DSA-87" => (MlDsaSet.MlDsa87, TpmAlgId.Sha512),
        _ => throw new ArgumentException(name),
    };

    static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>μ of the vector's variant, as the engine builds it.</summary>
    byte[] Mu(MlDsaKey key, JsonElement v, TpmAlgId preHash)
    {
        var mu = new byte[64];
        var msg = H(v.GetProperty("msg").GetString()!);
        var ctx = H(v.GetProperty("ctx").GetString()!);
        var variant = v.GetProperty("variant").GetString()!;
        if (variant.EndsWith("_pure"))
        {
            using var op = MlDsaMessage.BeginPure(_crypto, key, ctx);
            op.Update(msg);
            op.Finish(mu);
        }
        else if (variant.EndsWith("_hashed"))
        {
            var digest = new byte[TpmAlgorithms.DigestSize(preHash)];
            _crypto.Hash(preHash, msg, digest);
            MlDsaMessage.PreHashMu(_crypto, key, ctx, preHash, digest, mu);
        }
        else
        {
            using var op = _crypto.MlDsaMuSetup(key);
            op.Update(msg);
            op.Finish(mu);
        }
        return mu;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KeyGenSignVerify(int index)
    {
        var v = Vectors()[index];
        var (set, preHash) = SetOf(v.GetProperty("parameterSet").GetString()!);
        using var key = (MlDsaKey)_crypto.MlDsaGenerate(set.Id, H(v.GetProperty("xi").GetString()!))!;
        Assert.Equal(v.GetProperty("pkSha256").GetString(), Sha256(key.PublicKey));

        var mu = Mu(key, v, preHash);
        var signature = new byte[set.SignatureSize];
        Assert.Equal(set.SignatureSize, _crypto.MlDsaSignMu(key, mu, H(v.GetProperty("rnd").GetString()!), signature));
        Assert.Equal(v.GetProperty("sigSha256").GetString(), Sha256(signature));
        Assert.True(_crypto.MlDsaVerifyMu(key, mu, signature));
    }

    [Theory]
    [InlineData("ML-DSA-44")]
    [InlineData("ML-DSA-65")]
    [InlineData("ML-DSA-87")]
    public void VerifyKnownSignatureAndRefuseFlippedBits(string parameterSet)
    {
        var v = Vectors().EnumerateArray().Single(e => e.GetProperty("parameterSet").GetString() == parameterSet &&
            e.GetProperty("variant").GetString() == "det_pure");
        var (set, preHash) = SetOf(parameterSet);
        using var signer = (MlDsaKey)_crypto.MlDsaGenerate(set.Id, H(v.GetProperty("xi").GetString()!))!;
        using var key = _crypto.MlDsaImport(set.Id, signer.PublicKey, [])!;
        var mu = Mu(signer, v, preHash);
        var signature = H(v.GetProperty("sig").GetString()!);
        Assert.True(_crypto.MlDsaVerifyMu(key, mu, signature));
        foreach (int bit in new[] { 0, 8 * set.CTildeBytes + 3, 8 * (signature.Length - 1) - 1, 8 * signature.Length - 1 })
        {
            var bad = (byte[])signature.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(_crypto.MlDsaVerifyMu(key, mu, bad));
        }
        Assert.False(_crypto.MlDsaVerifyMu(key, mu, signature.AsSpan(1).ToArray()));
        var otherMu = (byte[])mu.Clone();
        otherMu[0] ^= 1;
        Assert.False(_crypto.MlDsaVerifyMu(key, otherMu, signature));
    }

    /// <summary>The sizes the port's ML-DSA parameter sets give match Part 2 v185, Table 208.</summary>
    [Fact]
    public void SetSizesMatchPart2()
    {
        foreach (var set in new[] { MlDsaSet.MlDsa44, MlDsaSet.MlDsa65, MlDsaSet.MlDsa87 })
        {
            Assert.Equal(MlParameterSets.PublicKeySize(set.Id), set.PublicKeySize);
            Assert.Equal(MlParameterSets.SignatureSize(set.Id), set.SignatureSize);
        }
    }

    /// <summary>A signature the port makes, hedged with random rnd, verifies with BouncyCastle's ML-DSA used
    /// directly (pure ML-DSA with a context), and one BouncyCastle makes verifies in the port.</summary>
    [Theory]
    [InlineData(TpmMlDsaParms.MlDsa44)]
    [InlineData(TpmMlDsaParms.MlDsa65)]
    [InlineData(TpmMlDsaParms.MlDsa87)]
    public void InteroperatesWithBouncyCastle(TpmMlDsaParms id)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var message = RandomNumberGenerator.GetBytes(1000);
        var context = "ftpm"u8.ToArray();
        var parameters = id switch
        {
            TpmMlDsaParms.MlDsa44 => MLDsaParameters.ml_dsa_44,
            TpmMlDsaParms.MlDsa65 => MLDsaParameters.ml_dsa_65,
            _ => MLDsaParameters.ml_dsa_87,
        };
        using var key = (MlDsaKey)_crypto.MlDsaGenerate(id, seed)!;
        var mu = new byte[64];
        using (var op = MlDsaMessage.BeginPure(_crypto, key, context)) { op.Update(message); op.Finish(mu); }
        var signature = new byte[MlParameterSets.SignatureSize(id)];
        _crypto.MlDsaSignMu(key, mu, RandomNumberGenerator.GetBytes(32), signature);

        var verifier = new MLDsaSigner(parameters, deterministic: false);
        verifier.Init(false, new Org.BouncyCastle.Crypto.Parameters.ParametersWithContext(
            MLDsaPublicKeyParameters.FromEncoding(parameters, key.PublicKey), context));
        verifier.BlockUpdate(message);
        Assert.True(verifier.VerifySignature(signature));

        var signer = new MLDsaSigner(parameters, deterministic: false);
        signer.Init(true, new Org.BouncyCastle.Crypto.Parameters.ParametersWithContext(MLDsaPrivateKeyParameters.FromSeed(parameters, seed), context));
        signer.BlockUpdate(message);
        Assert.True(_crypto.MlDsaVerifyMu(key, mu, signer.GenerateSignature()));
    }
}
