using System.Security.Cryptography;
using System.Text.Json;
using Ftpm.Crypto;
using Ftpm.Ports;

namespace Ftpm.Tests.Crypto;

/// <summary>FIPS 203 known-answer tests of the crypto port's ML-KEM against a subset of the NIST ACVP vectors
/// (Crypto/Vectors/mlkem-acvp-subset.json): keyGen from d || z, encapsulation with a given m, decapsulation
/// (valid ciphertext and implicit rejection). Run on the backend this machine selects (BouncyCastle's
/// managed ML-KEM where the platform lacks MLKem) and, where the platform has it, on .NET's as well.</summary>
public sealed class MlKemKatTests
{
    readonly PlatformCrypto _crypto = new();
    static byte[] H(string hex) => Convert.FromHexString(hex);

    static JsonElement Vectors()
    {
        using var stream = typeof(MlKemKatTests).Assembly.GetManifestResourceStream("Vectors.mlkem-acvp-subset.json")
            ?? throw new InvalidOperationException("vectors not embedded");
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    static TpmMlKemParms SetId(string name) => name switch
    {
        "ML-KEM-512" => TpmMlKemParms.MlKem512,
        "ML-KEM-768" => TpmMlKemParms.MlKem768,
        "ML-KEM-1024" => TpmMlKemParms.MlKem1024,
        _ => throw new ArgumentException(name),
    };

    /// <summary>The backends to run: always the managed one; the platform's when it is supported.</summary>
    public static TheoryData<bool> Backends() => MLKem.IsSupported ? new TheoryData<bool> { false, true } : new TheoryData<bool> { false };

    sealed class FixedStream(byte[] bytes) : IKeyStream
    {
        int _offset;
        public void Generate(Span<byte> output)
        {
            bytes.AsSpan(_offset, output.Length).CopyTo(output);
            _offset += output.Length;
        }
    }

    [Fact]
    public void Vectors_cover_every_parameter_set()
    {
        var v = Vectors();
        Assert.Equal(6, v.GetProperty("keyGen").GetArrayLength());
        Assert.Equal(3, v.GetProperty("encapsulation").GetArrayLength());
        Assert.Equal(2, v.GetProperty("decapsulation")[0].GetProperty("tests").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void KeyGen_from_seed_d_z(bool platform)
    {
        foreach (var t in Vectors().GetProperty("keyGen").EnumerateArray())
        {
            var set = MlKemSet.Of((ushort)SetId(t.GetProperty("parameterSet").GetString()!))!.Value;
            var seed = H(t.GetProperty("d").GetString()!).Concat(H(t.GetProperty("z").GetString()!)).ToArray();
            using var key = platform ? MlKemKey.FromSeed(set, seed, true) : _crypto.MlKemFromSeed((TpmMlKemParms)set.Id, seed)!;
            var ek = new byte[set.EncapsulationKeySize];
            Assert.Equal((set.EncapsulationKeySize, 0), key.ExportPublic(ek, []));
            Assert.Equal(t.GetProperty("ekSha256").GetString(), Convert.ToHexString(SHA256.HashData(ek)));
            Assert.True(set.IsValidEncapsulationKey(ek));
            // The private key leaves the backend as the seed it came from (Part 1 v185, 47.2).
            var exported = new byte[64];
            Assert.Equal(64, key.ExportPrivate(exported));
            Assert.Equal(seed, exported);
            Assert.Equal(TpmAlgId.MlKem, key.Type);
            Assert.Equal(set.Bits, key.KeyBits);
        }
    }

    [Fact]
    public void Encapsulation_with_given_m()
    {
        // Only the managed backend takes m from outside; the platform's draws it itself.
        foreach (var t in Vectors().GetProperty("encapsulation").EnumerateArray())
        {
            var id = SetId(t.GetProperty("parameterSet").GetString()!);
            using var key = _crypto.MlKemImportPublic(id, H(t.GetProperty("ek").GetString()!))!;
            Assert.NotNull(key);
            Assert.False(key.HasPrivate);
            var k = new byte[32];
            var c = new byte[1568];
            int n = _crypto.MlKemEncapsulate(key, new FixedStream(H(t.GetProperty("m").GetString()!)), k, c);
            Assert.Equal(MlKemSet.Of((ushort)id)!.Value.CiphertextSize, n);
            Assert.Equal(t.GetProperty("cSha256").GetString(), Convert.ToHexString(SHA256.HashData(c.AsSpan(0, n))));
            Assert.Equal(t.GetProperty("k").GetString(), Convert.ToHexString(k));
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Decapsulation_valid_and_implicit_rejection(bool platform)
    {
        var group = Vectors().GetProperty("decapsulation")[0];
        var set = MlKemSet.Of((ushort)SetId(group.GetProperty("parameterSet").GetString()!))!.Value;
        using var key = MlKemKey.FromExpanded(set, H(group.GetProperty("dk").GetString()!), platform);
        foreach (var t in group.GetProperty("tests").EnumerateArray())
        {
            var k = new byte[32];
            Assert.True(_crypto.MlKemDecapsulate(key, H(t.GetProperty("c").GetString()!), k));
            Assert.Equal(t.GetProperty("k").GetString(), Convert.ToHexString(k));
        }
    }

    [Fact]
    public void Encapsulate_then_decapsulate_agree_for_every_set()
    {
        for (var id = TpmMlKemParms.MlKem512; id <= TpmMlKemParms.MlKem1024; id++)
        {
            var seed = RandomNumberGenerator.GetBytes(64);
            using var key = _crypto.MlKemFromSeed(id, seed)!;
            var ek = new byte[1568];
            var (n, _) = key.ExportPublic(ek, []);
            using var pub = _crypto.MlKemImportPublic(id, ek.AsSpan(0, n))!;
            var k1 = new byte[32];
            var c = new byte[1568];
            int cn = _crypto.MlKemEncapsulate(pub, new FixedStream(RandomNumberGenerator.GetBytes(32)), k1, c);
            var k2 = new byte[32];
            Assert.True(_crypto.MlKemDecapsulate(key, c.AsSpan(0, cn), k2));
            Assert.Equal(k1, k2);
            // Wrong length: refused (FIPS 203, 7.3); a public key cannot decapsulate.
            Assert.False(_crypto.MlKemDecapsulate(key, c.AsSpan(0, cn - 1), k2));
            Assert.False(_crypto.MlKemDecapsulate(pub, c.AsSpan(0, cn), k2));
        }
    }

    [Fact]
    public void Bad_inputs_give_no_key()
    {
        Assert.Null(_crypto.MlKemFromSeed((TpmMlKemParms)4, new byte[64]));
        Assert.Null(_crypto.MlKemFromSeed(TpmMlKemParms.None, new byte[64]));
        Assert.Null(_crypto.MlKemFromSeed(TpmMlKemParms.MlKem768, new byte[63]));
        Assert.Null(_crypto.MlKemImportPublic(TpmMlKemParms.MlKem768, new byte[1183]));
        // A coefficient of q = 3329 (0xD01) is out of range (FIPS 203, 7.2 modulus check).
        var ek = new byte[1184];
        ek[0] = 0x01; ek[1] = 0x0D;
        Assert.Null(_crypto.MlKemImportPublic(TpmMlKemParms.MlKem768, ek));
        ek[0] = 0x00; ek[1] = 0x0D;
        Assert.NotNull(_crypto.MlKemImportPublic(TpmMlKemParms.MlKem768, ek));
    }
}
