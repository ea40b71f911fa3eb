using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC.Multiplier;
using BcPoint = Org.BouncyCastle.Math.EC.ECPoint;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

// ECC beyond ECDSA on the NIST curves: curve constants, point checks, the TCG's Schnorr and ECDAA
// signatures, MQV, and everything on BN P-256. BouncyCastle does the point and scalar arithmetic.
public sealed partial class PlatformCrypto
{
    public EccCurveParameters? EccGetCurve(TpmEccCurve curve)
    {
        var info = EccCurveInfo.Of(curve);
        if (info is null) return null;
        var d = info.Domain;
        var g = d.G.Normalize();
        return new EccCurveParameters
        {
            KeySize = (ushort)info.KeyBits,
            P = info.Prime.ToByteArrayUnsigned(),
            A = d.Curve.A.ToBigInteger().ToByteArrayUnsigned(),
            B = d.Curve.B.ToBigInteger().ToByteArrayUnsigned(),
            GX = g.AffineXCoord.ToBigInteger().ToByteArrayUnsigned(),
            GY = g.AffineYCoord.ToBigInteger().ToByteArrayUnsigned(),
            N = d.N.ToByteArrayUnsigned(),
            H = d.H.ToByteArrayUnsigned(),
        };
    }

    public bool EccIsOnCurve(TpmEccCurve curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) =>
        EccCurveInfo.Of(curve)?.Point(x, y) is not null;

    public int EccReduceToField(TpmEccCurve curve, ReadOnlySpan<byte> value, Span<byte> output)
    {
        var info = EccCurveInfo.Of(curve);
        if (info is null) return -1;
        BigNumbers.ToBytes(BigNumbers.FromBytes(value).Mod(info.Prime), output[..info.Size]);
        return info.Size;
    }

    /// <summary>ECDSA on a curve .NET does not implement (BN P-256): BouncyCastle with the nonce of
    /// RFC 6979 (deterministic, so no random source is needed). The digest is used as FIPS 186-5 says:
    /// its leftmost bitlen(n) bits.</summary>
    static int SignEcdsaManaged(EccKey key, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, Span<byte> signature)
    {
        var signer = new ECDsaSigner(new HMacDsaKCalculator(Digest(hashAlg)));
        signer.Init(true, new ECPrivateKeyParameters(key.D, Domain(key.Info)));
        var rs = signer.GenerateSignature(digest.ToArray());
        int size = key.Info.Size;
        BigNumbers.ToBytes(rs[0], signature[..size]);
        BigNumbers.ToBytes(rs[1], signature[size..(2 * size)]);
        return 2 * size;
    }

    static bool VerifyEcdsaManaged(EccKey key, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        int size = key.Info.Size;
        if (signature.Length != 2 * size) return false;
        var verifier = new ECDsaSigner();
        verifier.Init(false, new ECPublicKeyParameters(key.Q, Domain(key.Info)));
        return verifier.VerifySignature(digest.ToArray(), BigNumbers.FromBytes(signature[..size]), BigNumbers.FromBytes(signature[size..]));
    }

    static ECDomainParameters Domain(EccCurveInfo info) => new(info.Domain.Curve, info.Domain.G, info.N, info.Domain.H);

    /// <summary>The TCG's EC-Schnorr digest (the reference's SchnorrEcc): H(x || digest) where x is the
    /// point's x-coordinate padded to the order's octets, truncated to that many octets (leftmost kept).</summary>
    static BigInteger SchnorrChallenge(EccCurveInfo info, TpmAlgId hashAlg, BcPoint point, ReadOnlySpan<byte> digest)
    {
        int size = (info.N.BitLength + 7) / 8;
        var x = BigNumbers.ToBytes(point.AffineXCoord.ToBigInteger(), size);
        using var hash = IncrementalHash.CreateHash(ToName(hashAlg));
        hash.AppendData(x);
        hash.AppendData(digest);
        var e = hash.GetHashAndReset();
        return new BigInteger(1, e, 0, Math.Min(e.Length, size));
    }

    /// <summary>ECSCHNORR sign: k random in [1, n-1], R = k·G, r = SchnorrChallenge(R), s = k + r·d mod n
    /// (a new k when r or s would not verify).</summary>
    static int SignSchnorr(EccKey key, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, Span<byte> signature)
    {
        var info = key.Info;
        var d = key.D;
        int size = info.Size;
        while (true)
        {
            var k = info.Scalar(SystemRandom.Instance);
            var r = SchnorrChallenge(info, hashAlg, info.MultiplyG(k), digest);
            // An r the verifier would refuse (0, or not below n: the reference's ValidateSignature): a new k.
            if (r.SignValue == 0 || r.CompareTo(info.N) >= 0) continue;
            var s = k.Add(r.Multiply(d)).Mod(info.N);
            if (s.SignValue == 0) continue;
            BigNumbers.ToBytes(r, signature[..size]);
            BigNumbers.ToBytes(s, signature[size..(2 * size)]);
            return 2 * size;
        }
    }

    /// <summary>ECSCHNORR verify (the reference's ValidateSignatureEcSchnorr): r and s in [1, n-1],
    /// E = s·G - r·Q, valid when SchnorrChallenge(E) equals r.</summary>
    static bool VerifySchnorr(EccKey key, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        var info = key.Info;
        int size = info.Size;
        if (signature.Length != 2 * size) return false;
        var r = BigNumbers.FromBytes(signature[..size]);
        var s = BigNumbers.FromBytes(signature[size..]);
        if (r.SignValue == 0 || s.SignValue == 0 || r.CompareTo(info.N) >= 0 || s.CompareTo(info.N) >= 0) return false;
        var e = Org.BouncyCastle.Math.EC.ECAlgorithms.SumOfTwoMultiplies(info.Domain.G, s, key.Q, info.N.Subtract(r)).Normalize();
        if (e.IsInfinity) return false;
        return SchnorrChallenge(info, hashAlg, e, digest).Equals(r);
    }

    public int SignEcdaa(IAsymmetricKey key, IAsymmetricKey commit, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, Span<byte> signature)
    {
        if (key is not EccKey { HasPrivate: true } ecc || commit is not EccKey { HasPrivate: true } r
            || r.Info != ecc.Info || !TryName(hashAlg, out var name)) return -1;
        var info = ecc.Info;
        int size = info.Size;
        var d = ecc.D;
        var rValue = r.D;
        while (true)
        {
            // nonceK in [1, n-1]; T = H(nonceK || digest) mod n; s = r + T·d mod n.
            var nonceK = info.ToBytes(info.Scalar(SystemRandom.Instance));
            using var hash = IncrementalHash.CreateHash(name);
            hash.AppendData(nonceK);
            hash.AppendData(digest);
            var t = new BigInteger(1, hash.GetHashAndReset()).Mod(info.N);
            if (t.SignValue == 0) continue;
            var s = rValue.Add(t.Multiply(d)).Mod(info.N);
            if (s.SignValue == 0) continue;
            nonceK.CopyTo(signature);
            BigNumbers.ToBytes(s, signature[size..(2 * size)]);
            return 2 * size;
        }
    }

    public bool EccMqv(IAsymmetricKey staticKey, IAsymmetricKey ephemeralKey, ReadOnlySpan<byte> qsBX, ReadOnlySpan<byte> qsBY,
        ReadOnlySpan<byte> qeBX, ReadOnlySpan<byte> qeBY, Span<byte> outX, Span<byte> outY)
    {
        if (staticKey is not EccKey { HasPrivate: true } s || ephemeralKey is not EccKey { HasPrivate: true } e || s.Info != e.Info)
            return false;
        var info = s.Info;
        var qsB = info.Point(qsBX, qsBY);
        var qeB = info.Point(qeBX, qeBY);
        if (qsB is null || qeB is null) return false;
        var n = info.N;
        // SP 800-56A, 5.7.2.2: avf(Q) = (x mod 2^ceil(f/2)) + 2^ceil(f/2), f = ceil(log2 n).
        int half = (n.BitLength + 1) / 2;
        var bit = BigInteger.One.ShiftLeft(half);
        BigInteger Avf(BcPoint q) => q.AffineXCoord.ToBigInteger().Mod(bit).Add(bit);
        var implicitSig = e.D.Add(Avf(e.Q).Multiply(s.D)).Mod(n);
        var p = Org.BouncyCastle.Math.EC.ECAlgorithms.SumOfTwoMultiplies(qeB, implicitSig, qsB, Avf(qeB).Multiply(implicitSig).Mod(n));
        p = p.Multiply(info.Domain.H).Normalize();
        if (p.IsInfinity) return false;
        BigNumbers.ToBytes(p.AffineXCoord.ToBigInteger(), outX[..info.Size]);
        BigNumbers.ToBytes(p.AffineYCoord.ToBigInteger(), outY[..info.Size]);
        return true;
    }

    /// <summary>d·P with BouncyCastle (the window-NAF multiplier; the point's precomputation is not kept).</summary>
    internal static BcPoint Multiply(BcPoint point, BigInteger k) => new WNafL2RMultiplier().Multiply(point, k).Normalize();
}

/// <summary>The operating system's CSPRNG as a key stream: the per-signature nonces of ECSCHNORR and
/// ECDAA (as OpenSSL draws ECDSA's).</summary>
internal sealed class SystemRandom : IKeyStream
{
    public static readonly SystemRandom Instance = new();
    public void Generate(Span<byte> output) => RandomNumberGenerator.Fill(output);
}
