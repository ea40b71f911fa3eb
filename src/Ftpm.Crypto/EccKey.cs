using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Asn1.X9;
using BcPoint = Org.BouncyCastle.Math.EC.ECPoint;
using Org.BouncyCastle.Math.EC.Multiplier;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>The curves the platform backend implements: .NET's named curve for signing, BouncyCastle's
/// domain parameters for key derivation, point validation and ECDH's full product point.</summary>
internal sealed class EccCurveInfo
{
    public required TpmEccCurve Id { get; init; }
    public required ECCurve DotNetCurve { get; init; }
    public required X9ECParameters Domain { get; init; }
    /// <summary>Octets of a coordinate or of d.</summary>
    public int Size => (Domain.Curve.FieldSize + 7) / 8;
    public int KeyBits => Domain.Curve.FieldSize;

    static readonly EccCurveInfo P256 = Make(TpmEccCurve.NistP256, ECCurve.NamedCurves.nistP256, "P-256");
    static readonly EccCurveInfo P384 = Make(TpmEccCurve.NistP384, ECCurve.NamedCurves.nistP384, "P-384");
    static readonly EccCurveInfo P521 = Make(TpmEccCurve.NistP521, ECCurve.NamedCurves.nistP521, "P-521");

    static EccCurveInfo Make(TpmEccCurve id, ECCurve curve, string name) => new()
    {
        Id = id,
        DotNetCurve = curve,
        Domain = Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName(name) ?? ECNamedCurveTable.GetByName(name),
    };

    public static EccCurveInfo? Of(TpmEccCurve curve) => curve switch
    {
        TpmEccCurve.NistP256 => P256,
        TpmEccCurve.NistP384 => P384,
        TpmEccCurve.NistP521 => P521,
        _ => null,
    };

    /// <summary>The point (x, y) if it is on the curve and not the identity; else null.</summary>
    public BcPoint? Point(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length > Size || y.Length > Size) return null;
        var bx = BigNumbers.FromBytes(x);
        var by = BigNumbers.FromBytes(y);
        var q = Domain.Curve.Field.Characteristic;
        if (bx.CompareTo(q) >= 0 || by.CompareTo(q) >= 0) return null;
        try
        {
            var point = Domain.Curve.ValidatePoint(bx, by);
            return point.IsInfinity ? null : point;
        }
        catch (ArgumentException) { return null; }
    }
}

/// <summary>An ECC key: a .NET <see cref="ECDsa"/> (OpenSSL) for signing, d and the point for ECDH.</summary>
internal sealed class EccKey : IAsymmetricKey
{
    public readonly EccCurveInfo Info;
    public readonly ECDsa Ecdsa;
    readonly byte[] _x, _y;
    readonly byte[]? _d;

    EccKey(EccCurveInfo info, ECDsa ecdsa, byte[] x, byte[] y, byte[]? d)
    {
        Info = info;
        Ecdsa = ecdsa;
        _x = x;
        _y = y;
        _d = d;
    }

    public TpmAlgId Type => TpmAlgId.Ecc;
    public int KeyBits => Info.KeyBits;
    public TpmEccCurve Curve => Info.Id;
    public bool HasPrivate => _d is not null;
    public BigInteger D => BigNumbers.FromBytes(_d ?? throw new InvalidOperationException("public key"));

    public (int First, int Second) ExportPublic(Span<byte> first, Span<byte> second)
    {
        _x.CopyTo(first);
        _y.CopyTo(second);
        return (_x.Length, _y.Length);
    }

    public int ExportPrivate(Span<byte> output)
    {
        if (_d is null) throw new InvalidOperationException("public key");
        _d.CopyTo(output);
        return _d.Length;
    }

    public void Dispose()
    {
        Ecdsa.Dispose();
        if (_d is not null) CryptographicOperations.ZeroMemory(_d);
    }

    /// <summary>d = (c mod (n - 1)) + 1 for c of bitlen(n) + 64 bits from the stream (FIPS 186-5 A.2.1), Q = d·G.</summary>
    public static EccKey? Generate(TpmEccCurve curve, IKeyStream random)
    {
        var info = EccCurveInfo.Of(curve);
        if (info is null) return null;
        var n = info.Domain.N;
        var c = new byte[(n.BitLength + 64 + 7) / 8];
        random.Generate(c);
        var d = new BigInteger(1, c).Mod(n.Subtract(BigInteger.One)).Add(BigInteger.One);
        CryptographicOperations.ZeroMemory(c);
        var q = new FixedPointCombMultiplier().Multiply(info.Domain.G, d).Normalize();
        return Build(info, q, d);
    }

    /// <summary>A key from its point and optionally d; null when the point is not on the curve, d is
    /// outside [1, n-1], or d·G is not the point.</summary>
    public static EccKey? Import(TpmEccCurve curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, ReadOnlySpan<byte> d)
    {
        var info = EccCurveInfo.Of(curve);
        if (info is null) return null;
        var point = info.Point(x, y);
        if (point is null) return null;
        if (d.IsEmpty) return Build(info, point, null);
        if (d.Length > info.Size) return null;
        var bd = BigNumbers.FromBytes(d);
        if (bd.SignValue <= 0 || bd.CompareTo(info.Domain.N) >= 0) return null;
        // The public point must belong to the private value (the reference's TPM_RC_BINDING).
        var expected = new FixedPointCombMultiplier().Multiply(info.Domain.G, bd).Normalize();
        if (!expected.Equals(point)) return null;
        return Build(info, point, bd);
    }

    static EccKey? Build(EccCurveInfo info, BcPoint q, BigInteger? d)
    {
        q = q.Normalize();
        var x = BigNumbers.ToBytes(q.AffineXCoord.ToBigInteger(), info.Size);
        var y = BigNumbers.ToBytes(q.AffineYCoord.ToBigInteger(), info.Size);
        var db = d is null ? null : BigNumbers.ToBytes(d, info.Size);
        var parameters = new ECParameters
        {
            Curve = info.DotNetCurve,
            Q = new System.Security.Cryptography.ECPoint { X = x, Y = y },
            D = db is null ? null : (byte[])db.Clone(),
        };
        var ecdsa = ECDsa.Create();
        try { ecdsa.ImportParameters(parameters); }
        catch (CryptographicException) { ecdsa.Dispose(); return null; }
        finally { if (parameters.D is not null) CryptographicOperations.ZeroMemory(parameters.D); }
        return new EccKey(info, ecdsa, x, y, db);
    }
}
