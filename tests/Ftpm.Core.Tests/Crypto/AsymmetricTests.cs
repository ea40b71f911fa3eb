using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;

namespace Ftpm.Tests.Crypto;

/// <summary>The platform backend's RSA and ECC: deterministic generation, import, and each operation
/// cross-checked against an independent implementation (.NET/OpenSSL directly, or BouncyCastle).</summary>
public sealed class AsymmetricTests
{
    readonly PlatformCrypto _crypto = new();

    KdfStream Stream(string seed) => new(_crypto, TpmAlgId.Sha256, System.Text.Encoding.ASCII.GetBytes(seed), "test"u8, [], []);

    static byte[] Public(IAsymmetricKey key, out byte[] y)
    {
        var a = new byte[512];
        var b = new byte[132];
        var (n1, n2) = key.ExportPublic(a, b);
        y = b[..n2];
        return a[..n1];
    }

    [Theory]
    [InlineData(TpmEccCurve.NistP256, 32)]
    [InlineData(TpmEccCurve.NistP384, 48)]
    [InlineData(TpmEccCurve.NistP521, 66)]
    public void Ecc_generation_is_deterministic_and_signs(TpmEccCurve curve, int size)
    {
        using var k1 = _crypto.EccGenerate(curve, Stream("a"))!;
        using var k2 = _crypto.EccGenerate(curve, Stream("a"))!;
        using var k3 = _crypto.EccGenerate(curve, Stream("b"))!;
        var x1 = Public(k1, out var y1);
        Assert.Equal(size, x1.Length);
        Assert.Equal(x1, Public(k2, out _));
        Assert.NotEqual(x1, Public(k3, out _));

        // Re-import from (x, y, d) and verify a signature with plain .NET.
        var d = new byte[size];
        Assert.Equal(size, k1.ExportPrivate(d));
        using var imported = _crypto.EccImport(curve, x1, y1, d)!;
        var digest = SHA256.HashData("message"u8);
        var sig = new byte[2 * size];
        Assert.Equal(2 * size, _crypto.Sign(imported, TpmAlgId.EcDsa, TpmAlgId.Sha256, digest, sig));
        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = curve switch { TpmEccCurve.NistP256 => ECCurve.NamedCurves.nistP256, TpmEccCurve.NistP384 => ECCurve.NamedCurves.nistP384, _ => ECCurve.NamedCurves.nistP521 },
            Q = new ECPoint { X = x1, Y = y1 },
        });
        Assert.True(verifier.VerifyHash(digest, sig));
        Assert.True(_crypto.Verify(k1, TpmAlgId.EcDsa, TpmAlgId.Sha256, digest, sig));
        sig[5] ^= 1;
        Assert.False(_crypto.Verify(k1, TpmAlgId.EcDsa, TpmAlgId.Sha256, digest, sig));
    }

    [Fact]
    public void Ecc_import_refuses_point_off_curve_and_mismatched_private()
    {
        using var k = _crypto.EccGenerate(TpmEccCurve.NistP256, Stream("a"))!;
        var x = Public(k, out var y);
        var bad = (byte[])y.Clone();
        bad[31] ^= 1;
        Assert.Null(_crypto.EccImport(TpmEccCurve.NistP256, x, bad, []));
        using var other = _crypto.EccGenerate(TpmEccCurve.NistP256, Stream("b"))!;
        var d = new byte[32];
        other.ExportPrivate(d);
        Assert.Null(_crypto.EccImport(TpmEccCurve.NistP256, x, y, d));
    }

    [Fact]
    public void Ecdh_full_point_agrees_and_x_matches_dotnet()
    {
        using var a = _crypto.EccGenerate(TpmEccCurve.NistP256, Stream("a"))!;
        using var b = _crypto.EccGenerate(TpmEccCurve.NistP256, Stream("b"))!;
        var ax = Public(a, out var ay);
        var bx = Public(b, out var by);
        var z1x = new byte[32]; var z1y = new byte[32];
        var z2x = new byte[32]; var z2y = new byte[32];
        Assert.True(_crypto.EccMultiply(a, bx, by, z1x, z1y));
        Assert.True(_crypto.EccMultiply(b, ax, ay, z2x, z2y));
        Assert.Equal(z1x, z2x);
        Assert.Equal(z1y, z2y);

        var da = new byte[32];
        a.ExportPrivate(da);
        using var ecdhA = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = da, Q = new ECPoint { X = ax, Y = ay } });
        using var ecdhB = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = bx, Y = by } });
        Assert.Equal(z1x, ecdhA.DeriveRawSecretAgreement(ecdhB.PublicKey));
        Assert.False(_crypto.EccMultiply(a, bx, [.. by[..31], (byte)(by[31] ^ 1)], z1x, z1y));
    }

    [Fact]
    public void Rsa_generation_is_deterministic_and_imports_from_one_prime()
    {
        using var k1 = _crypto.RsaGenerate(2048, 0, Stream("rsa"))!;
        using var k2 = _crypto.RsaGenerate(2048, 0, Stream("rsa"))!;
        var n = Public(k1, out _);
        Assert.Equal(256, n.Length);
        Assert.Equal(n, Public(k2, out _));
        var p = new byte[128];
        Assert.Equal(128, k1.ExportPrivate(p));
        using var imported = _crypto.RsaImport(n, 0, p)!;
        Assert.True(imported.HasPrivate);
        var wrong = (byte[])p.Clone();
        wrong[^1] ^= 2;
        Assert.Null(_crypto.RsaImport(n, 0, wrong));
    }

    [Theory]
    [InlineData(TpmAlgId.RsaSsa)]
    [InlineData(TpmAlgId.RsaPss)]
    public void Rsa_signatures_verify_with_dotnet(TpmAlgId scheme)
    {
        using var k = _crypto.RsaGenerate(1024, 0, Stream("sig"))!;
        var n = Public(k, out _);
        var digest = SHA256.HashData("message"u8);
        var sig = new byte[128];
        Assert.Equal(128, _crypto.Sign(k, scheme, TpmAlgId.Sha256, digest, sig));
        using var rsa = RSA.Create(new RSAParameters { Modulus = n, Exponent = [1, 0, 1] });
        Assert.True(rsa.VerifyHash(digest, sig, HashAlgorithmName.SHA256, scheme == TpmAlgId.RsaSsa ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss));
        Assert.True(_crypto.Verify(k, scheme, TpmAlgId.Sha256, digest, sig));
        Assert.Equal(-1, _crypto.Sign(k, scheme, TpmAlgId.Sha256, digest[..31], sig));
    }

    [Theory]
    [InlineData(TpmAlgId.RsaEs, "")]
    [InlineData(TpmAlgId.Oaep, "")]
    [InlineData(TpmAlgId.Oaep, "label\0")]
    [InlineData(TpmAlgId.Null, "")]
    public void Rsa_encrypt_decrypt_round_trip(TpmAlgId scheme, string label)
    {
        using var k = _crypto.RsaGenerate(2048, 0, Stream("enc"))!;
        var l = System.Text.Encoding.ASCII.GetBytes(label);
        var message = scheme == TpmAlgId.Null ? [0, .. RandomNumberGenerator.GetBytes(255)] : RandomNumberGenerator.GetBytes(40);
        var c = new byte[256];
        Assert.Equal(256, _crypto.RsaEncrypt(k, scheme, TpmAlgId.Sha256, l, message, c));
        var m = new byte[256];
        int len = _crypto.RsaDecrypt(k, scheme, TpmAlgId.Sha256, l, c, m);
        Assert.Equal(message, m[..len]);
        c[100] ^= 1;
        if (scheme != TpmAlgId.Null) Assert.Equal(-1, _crypto.RsaDecrypt(k, scheme, TpmAlgId.Sha256, l, c, m));
    }

    [Fact]
    public void Oaep_with_label_decrypts_what_bouncycastle_encrypts_and_refuses_another_label()
    {
        using var k = _crypto.RsaGenerate(2048, 0, Stream("oaep"))!;
        var n = Public(k, out _);
        var pub = new Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters(false, new Org.BouncyCastle.Math.BigInteger(1, n), Org.BouncyCastle.Math.BigInteger.ValueOf(65537));
        var enc = new Org.BouncyCastle.Crypto.Encodings.OaepEncoding(new Org.BouncyCastle.Crypto.Engines.RsaEngine(),
            new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), "DUPLICATE\0"u8.ToArray());
        enc.Init(true, pub);
        var c = enc.ProcessBlock("secret"u8.ToArray(), 0, 6);
        var padded = new byte[256];
        c.CopyTo(padded, 256 - c.Length);
        var m = new byte[256];
        Assert.Equal(6, _crypto.RsaDecrypt(k, TpmAlgId.Oaep, TpmAlgId.Sha256, "DUPLICATE\0"u8, padded, m));
        Assert.Equal("secret"u8.ToArray(), m[..6]);
        Assert.Equal(-1, _crypto.RsaDecrypt(k, TpmAlgId.Oaep, TpmAlgId.Sha256, "OTHER\0"u8, padded, m));
    }

    [Fact]
    public void Oaep_with_label_encrypts_what_bouncycastle_decrypts_and_raw_rsa_matches_modpow()
    {
        using var k = _crypto.RsaGenerate(2048, 0, Stream("oaep-enc"))!;
        var n = new Org.BouncyCastle.Math.BigInteger(1, Public(k, out _));
        var p = new byte[128];
        k.ExportPrivate(p);
        var bp = new Org.BouncyCastle.Math.BigInteger(1, p);
        var bq = n.Divide(bp);
        var e = Org.BouncyCastle.Math.BigInteger.ValueOf(65537);
        var d = e.ModInverse(bp.Subtract(Org.BouncyCastle.Math.BigInteger.One).Multiply(bq.Subtract(Org.BouncyCastle.Math.BigInteger.One)));
        var priv = new Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters(true, n, d);

        // Our OAEP encoding with a label, undone by BouncyCastle's.
        var c = new byte[256];
        Assert.Equal(256, _crypto.RsaEncrypt(k, TpmAlgId.Oaep, TpmAlgId.Sha256, "SECRET\0"u8, "salt"u8, c));
        var dec = new Org.BouncyCastle.Crypto.Encodings.OaepEncoding(new Org.BouncyCastle.Crypto.Engines.RsaEngine(),
            new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), "SECRET\0"u8.ToArray());
        dec.Init(false, priv);
        Assert.Equal("salt"u8.ToArray(), dec.ProcessBlock(c, 0, c.Length));

        // Raw RSA both ways equals plain modular exponentiation (the private side is blinded and CRT).
        var m = new byte[256];
        m[1] = 0x42;
        m[255] = 7;
        Assert.Equal(256, _crypto.RsaEncrypt(k, TpmAlgId.Null, TpmAlgId.Null, [], m, c));
        Assert.Equal(new Org.BouncyCastle.Math.BigInteger(1, m).ModPow(e, n), new Org.BouncyCastle.Math.BigInteger(1, c));
        var back = new byte[256];
        Assert.Equal(256, _crypto.RsaDecrypt(k, TpmAlgId.Null, TpmAlgId.Null, [], c, back));
        Assert.Equal(m, back);
        // A value not below the modulus is refused both ways.
        var big = Enumerable.Repeat((byte)0xFF, 256).ToArray();
        Assert.Equal(-1, _crypto.RsaEncrypt(k, TpmAlgId.Null, TpmAlgId.Null, [], big, c));
        Assert.Equal(-1, _crypto.RsaDecrypt(k, TpmAlgId.Null, TpmAlgId.Null, [], big, back));
    }
}
