using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using FpCurve = Org.BouncyCastle.Math.EC.FpCurve;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Tests.Crypto;

/// <summary>The ECC operations the split schemes need (curve constants, point checks, ECSCHNORR, ECDAA,
/// MQV) and BN P-256, each checked against independent arithmetic done here with BouncyCastle.</summary>
public sealed class EccOperationTests
{
    readonly PlatformCrypto _crypto = new();

    KdfStream Stream(string seed) => new(_crypto, TpmAlgId.Sha256, System.Text.Encoding.ASCII.GetBytes(seed), "test"u8, [], []);

    static BigInteger N(string hex) => new(hex, 16);

    static (byte[] X, byte[] Y) Public(IAsymmetricKey key)
    {
        var x = new byte[66];
        var y = new byte[66];
        var (n1, n2) = key.ExportPublic(x, y);
        return (x[..n1], y[..n2]);
    }

    static byte[] Private(IAsymmetricKey key)
    {
        var d = new byte[66];
        return d[..key.ExportPrivate(d)];
    }

    /// <summary>The curve as BouncyCastle builds it from the port's constants (checks those constants too).</summary>
    ECDomainParameters Domain(TpmEccCurve curve)
    {
        var c = _crypto.EccGetCurve(curve)!;
        var ec = new FpCurve(new BigInteger(1, c.P), new BigInteger(1, c.A), new BigInteger(1, c.B), new BigInteger(1, c.N), new BigInteger(1, c.H));
        var g = ec.CreatePoint(new BigInteger(1, c.GX), new BigInteger(1, c.GY));
        return new ECDomainParameters(ec, g, ec.Order, ec.Cofactor);
    }

    ECPoint Point(ECDomainParameters domain, IAsymmetricKey key)
    {
        var (x, y) = Public(key);
        return domain.Curve.CreatePoint(new BigInteger(1, x), new BigInteger(1, y));
    }

    [Fact]
    public void Curve_constants_are_the_published_ones()
    {
        // TCG Algorithm Registry, TPM_ECC_BN_P256 (ISO/IEC 15946-5): y^2 = x^3 + 3, G = (1, 2).
        var bn = _crypto.EccGetCurve(TpmEccCurve.BnP256)!;
        Assert.Equal(256, bn.KeySize);
        Assert.Equal(N("FFFFFFFFFFFCF0CD46E5F25EEE71A49F0CDC65FB12980A82D3292DDBAED33013"), new BigInteger(1, bn.P));
        Assert.Equal(N("FFFFFFFFFFFCF0CD46E5F25EEE71A49E0CDC65FB1299921AF62D536CD10B500D"), new BigInteger(1, bn.N));
        Assert.Empty(bn.A);
        Assert.Equal([3], bn.B);
        Assert.Equal([1], bn.GX);
        Assert.Equal([2], bn.GY);
        Assert.Equal([1], bn.H);
        // NIST P-256 (FIPS 186-5 / SP 800-186 3.2.1.3).
        var p256 = _crypto.EccGetCurve(TpmEccCurve.NistP256)!;
        Assert.Equal(N("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"), new BigInteger(1, p256.P));
        Assert.Equal(N("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), new BigInteger(1, p256.N));
        Assert.Equal(N("5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B"), new BigInteger(1, p256.B));
        Assert.Equal(N("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"), new BigInteger(1, p256.GX));
        Assert.Null(_crypto.EccGetCurve(TpmEccCurve.BnP638));

        // n·G is the identity on each curve: the order belongs to the generator.
        foreach (var curve in (TpmEccCurve[])[TpmEccCurve.NistP256, TpmEccCurve.NistP384, TpmEccCurve.NistP521, TpmEccCurve.BnP256])
        {
            var d = Domain(curve);
            Assert.True(d.G.IsValid());
            Assert.True(d.G.Multiply(d.N).IsInfinity);
        }
    }

    [Fact]
    public void Point_checks_and_reduction_to_the_field()
    {
        Assert.True(_crypto.EccIsOnCurve(TpmEccCurve.BnP256, [1], [2]));
        Assert.False(_crypto.EccIsOnCurve(TpmEccCurve.BnP256, [1], [3]));
        Assert.False(_crypto.EccIsOnCurve(TpmEccCurve.NistP256, [1], [2]));
        Assert.False(_crypto.EccIsOnCurve(TpmEccCurve.NistP256, [], []));
        var p = _crypto.EccGetCurve(TpmEccCurve.NistP256)!.P;
        var output = new byte[32];
        // p + 5 reduces to 5; a 64-octet value reduces modulo p as a number.
        var pPlus5 = new BigInteger(1, p).Add(BigInteger.ValueOf(5)).ToByteArrayUnsigned();
        Assert.Equal(32, _crypto.EccReduceToField(TpmEccCurve.NistP256, pPlus5, output));
        Assert.Equal([.. new byte[31], 5], output);
        var big = RandomNumberGenerator.GetBytes(64);
        _crypto.EccReduceToField(TpmEccCurve.NistP256, big, output);
        Assert.Equal(new BigInteger(1, big).Mod(new BigInteger(1, p)), new BigInteger(1, output));
        Assert.Equal(-1, _crypto.EccReduceToField(TpmEccCurve.BnP638, big, output));
    }

    [Fact]
    public void Bn_p256_keys_sign_ecdsa_derive_ecdh_and_refuse_a_mismatched_private_value()
    {
        using var key = _crypto.EccGenerate(TpmEccCurve.BnP256, Stream("bn"))!;
        var (x, y) = Public(key);
        Assert.Equal(32, x.Length);
        var domain = Domain(TpmEccCurve.BnP256);
        var q = Point(domain, key);
        Assert.Equal(domain.G.Multiply(new BigInteger(1, Private(key))).Normalize(), q.Normalize());

        // ECDSA, verified by BouncyCastle's own signer over the curve built from the constants.
        var digest = SHA256.HashData("bn message"u8);
        var signature = new byte[64];
        Assert.Equal(64, _crypto.Sign(key, TpmAlgId.EcDsa, TpmAlgId.Sha256, digest, signature));
        var verifier = new Org.BouncyCastle.Crypto.Signers.ECDsaSigner();
        verifier.Init(false, new ECPublicKeyParameters(q, domain));
        Assert.True(verifier.VerifySignature(digest, new BigInteger(1, signature[..32]), new BigInteger(1, signature[32..])));
        Assert.True(_crypto.Verify(key, TpmAlgId.EcDsa, TpmAlgId.Sha256, digest, signature));
        signature[40] ^= 1;
        Assert.False(_crypto.Verify(key, TpmAlgId.EcDsa, TpmAlgId.Sha256, digest, signature));

        // ECDH: d_a·Q_b = d_b·Q_a.
        using var other = _crypto.EccGenerate(TpmEccCurve.BnP256, Stream("bn2"))!;
        var (ox, oy) = Public(other);
        var z1 = new byte[64];
        var z2 = new byte[64];
        Assert.True(_crypto.EccMultiply(key, ox, oy, z1.AsSpan(0, 32), z1.AsSpan(32)));
        Assert.True(_crypto.EccMultiply(other, x, y, z2.AsSpan(0, 32), z2.AsSpan(32)));
        Assert.Equal(z1, z2);

        // Import: the pair comes back; another private value for the point is refused.
        using var imported = _crypto.EccImport(TpmEccCurve.BnP256, x, y, Private(key));
        Assert.NotNull(imported);
        Assert.Null(_crypto.EccImport(TpmEccCurve.BnP256, x, y, Private(other)));
        Assert.Null(_crypto.EccImport(TpmEccCurve.BnP256, x, [.. y[..31], (byte)(y[31] ^ 1)], []));
    }

    [Theory]
    [InlineData(TpmEccCurve.NistP256, TpmAlgId.Sha256)]
    [InlineData(TpmEccCurve.NistP256, TpmAlgId.Sha384)]
    [InlineData(TpmEccCurve.NistP384, TpmAlgId.Sha1)]
    [InlineData(TpmEccCurve.NistP521, TpmAlgId.Sha512)]
    [InlineData(TpmEccCurve.BnP256, TpmAlgId.Sha256)]
    public void Schnorr_signatures_satisfy_the_tcg_equation(TpmEccCurve curve, TpmAlgId hashAlg)
    {
        using var key = _crypto.EccGenerate(curve, Stream("schnorr"))!;
        var domain = Domain(curve);
        int size = (domain.N.BitLength + 7) / 8;
        var digest = new byte[TpmAlgorithms.DigestSize(hashAlg)];
        RandomNumberGenerator.Fill(digest);
        var signature = new byte[2 * size];
        Assert.Equal(2 * size, _crypto.Sign(key, TpmAlgId.EcSchnorr, hashAlg, digest, signature));

        // Independently: E = s·G - r·Q; r = H(x(E) padded to the order's octets || digest), its leftmost
        // octets up to the order's size (the reference's SchnorrEcc / ValidateSignatureEcSchnorr).
        var r = new BigInteger(1, signature[..size]);
        var s = new BigInteger(1, signature[size..]);
        var e = domain.G.Multiply(s).Add(Point(domain, key).Multiply(r).Negate()).Normalize();
        var x = e.AffineXCoord.ToBigInteger().ToByteArrayUnsigned();
        var input = new byte[size + digest.Length];
        x.CopyTo(input, size - x.Length);
        digest.CopyTo(input, size);
        var h = hashAlg switch
        {
            TpmAlgId.Sha1 => SHA1.HashData(input),
            TpmAlgId.Sha256 => SHA256.HashData(input),
            TpmAlgId.Sha384 => SHA384.HashData(input),
            _ => SHA512.HashData(input),
        };
        Assert.Equal(new BigInteger(1, h, 0, Math.Min(h.Length, size)), r);

        Assert.True(_crypto.Verify(key, TpmAlgId.EcSchnorr, hashAlg, digest, signature));
        digest[0] ^= 1;
        Assert.False(_crypto.Verify(key, TpmAlgId.EcSchnorr, hashAlg, digest, signature));
        digest[0] ^= 1;
        // r or s not below n is refused before any arithmetic.
        var bad = (byte[])signature.Clone();
        domain.N.ToByteArrayUnsigned().CopyTo(bad, size - domain.N.ToByteArrayUnsigned().Length);
        Assert.False(_crypto.Verify(key, TpmAlgId.EcSchnorr, hashAlg, digest, bad));
    }

    [Theory]
    [InlineData(TpmEccCurve.NistP256)]
    [InlineData(TpmEccCurve.BnP256)]
    public void Ecdaa_signature_is_r_plus_t_d(TpmEccCurve curve)
    {
        using var key = _crypto.EccGenerate(curve, Stream("daa"))!;
        using var commit = _crypto.EccGenerate(curve, Stream("commit"))!;
        var domain = Domain(curve);
        var digest = SHA256.HashData("daa message"u8);
        var signature = new byte[64];
        Assert.Equal(64, _crypto.SignEcdaa(key, commit, TpmAlgId.Sha256, digest, signature));
        // s·G = E + T·Q with E = r·G (the commit's point), T = H(nonceK || digest) mod n.
        var t = new BigInteger(1, SHA256.HashData([.. signature[..32], .. digest])).Mod(domain.N);
        var s = new BigInteger(1, signature[32..]);
        var left = domain.G.Multiply(s).Normalize();
        var right = Point(domain, commit).Add(Point(domain, key).Multiply(t)).Normalize();
        Assert.Equal(right, left);
        // Keys on different curves, or a public key, cannot sign.
        using var p384 = _crypto.EccGenerate(TpmEccCurve.NistP384, Stream("x"))!;
        Assert.Equal(-1, _crypto.SignEcdaa(key, p384, TpmAlgId.Sha256, digest, signature));
    }

    [Theory]
    [InlineData(TpmEccCurve.NistP256)]
    [InlineData(TpmEccCurve.NistP384)]
    [InlineData(TpmEccCurve.BnP256)]
    public void Mqv_agrees_between_parties_and_with_bouncycastle(TpmEccCurve curve)
    {
        using var sa = _crypto.EccGenerate(curve, Stream("sa"))!;
        using var ea = _crypto.EccGenerate(curve, Stream("ea"))!;
        using var sb = _crypto.EccGenerate(curve, Stream("sb"))!;
        using var eb = _crypto.EccGenerate(curve, Stream("eb"))!;
        var (sax, say) = Public(sa);
        var (eax, eay) = Public(ea);
        var (sbx, sby) = Public(sb);
        var (ebx, eby) = Public(eb);
        int size = sax.Length;
        var za = new byte[2 * size];
        var zb = new byte[2 * size];
        Assert.True(_crypto.EccMqv(sa, ea, sbx, sby, ebx, eby, za.AsSpan(0, size), za.AsSpan(size)));
        Assert.True(_crypto.EccMqv(sb, eb, sax, say, eax, eay, zb.AsSpan(0, size), zb.AsSpan(size)));
        Assert.Equal(za, zb);

        // BouncyCastle's ECMQV (SP 800-56A / SEC 1) gives the same Z (the x-coordinate).
        var domain = Domain(curve);
        var agreement = new ECMqvBasicAgreement();
        agreement.Init(new MqvPrivateParameters(
            new ECPrivateKeyParameters(new BigInteger(1, Private(sa)), domain),
            new ECPrivateKeyParameters(new BigInteger(1, Private(ea)), domain)));
        var z = agreement.CalculateAgreement(new MqvPublicParameters(
            new ECPublicKeyParameters(Point(domain, sb), domain), new ECPublicKeyParameters(Point(domain, eb), domain)));
        Assert.Equal(z, new BigInteger(1, za[..size]));

        Assert.False(_crypto.EccMqv(sa, ea, sbx, [.. sby[..^1], (byte)(sby[^1] ^ 1)], ebx, eby, za.AsSpan(0, size), za.AsSpan(size)));
    }
}
