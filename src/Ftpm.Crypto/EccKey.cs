using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Asn1.X9;
using FpCurve = Org.BouncyCastle.Math.EC.FpCurve;
using Org.BouncyCastle.Math.EC.Multiplier;
using BcPoint = Org.BouncyCastle.Math.EC.ECPoint;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>The curves the platform backend implements: .NET's named curve (OpenSSL) for ECDSA and for
/// d·G on the NIST curves; BouncyCastle's domain parameters for point validation, point arithmetic and
/// every operation on the BN curve, which OpenSSL does not name.</summary>
internal sealed class EccCurveInfo
{
    public required TpmEccCurve Id { get; init; }
    /// <summary>Null for a curve .NET does not implement (BN P-256): BouncyCastle does all of it.</summary>
    public required ECCurve? DotNetCurve { get; init; }
    public required X9ECParameters Domain { get; init; }
    /// <summary>Octets of a coordinate, of d and of a signature half (every implemented curve has
    /// an order as long as its prime).</summary>
    public int Size { get; private init; }
    public int KeyBits => Domain.Curve.FieldSize;
    public BigInteger N => Domain.N;
    public BigInteger Prime => Domain.Curve.Field.Characteristic;

    static readonly EccCurveInfo P256 = Named(TpmEccCurve.NistP256, ECCurve.NamedCurves.nistP256, "P-256");
    static readonly EccCurveInfo P384 = Named(TpmEccCurve.NistP384, ECCurve.NamedCurves.nistP384, "P-384");
    static readonly EccCurveInfo P521 = Named(TpmEccCurve.NistP521, ECCurve.NamedCurves.nistP521, "P-521");
    static readonly EccCurveInfo BnP256 = BarretoNaehrig256();

    static EccCurveInfo Named(TpmEccCurve id, ECCurve curve, string name)
    {
        var domain = Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName(name) ?? ECNamedCurveTable.GetByName(name);
        return new() { Id = id, DotNetCurve = curve, Domain = domain, Size = (domain.Curve.FieldSize + 7) / 8 };
    }

    /// <summary>TPM_ECC_BN_P256 (TCG Algorithm Registry; ISO/IEC 15946-5 "BN256"): y^2 = x^3 + 3 over
    /// the 256-bit prime p, generator (1, 2), prime order n, cofactor 1.</summary>
    static EccCurveInfo BarretoNaehrig256()
    {
        var p = new BigInteger("FFFFFFFFFFFCF0CD46E5F25EEE71A49F0CDC65FB12980A82D3292DDBAED33013", 16);
        var n = new BigInteger("FFFFFFFFFFFCF0CD46E5F25EEE71A49E0CDC65FB1299921AF62D536CD10B500D", 16);
        var curve = new FpCurve(p, BigInteger.Zero, BigInteger.Three, n, BigInteger.One);
        var g = curve.CreatePoint(BigInteger.One, BigInteger.Two);
        return new()
        {
            Id = TpmEccCurve.BnP256,
            DotNetCurve = null,
            Domain = new X9ECParameters(curve, new X9ECPoint(g, false), n, BigInteger.One),
            Size = 32,
        };
    }

    public static EccCurveInfo? Of(TpmEccCurve curve) => curve switch
    {
        TpmEccCurve.NistP256 => P256,
        TpmEccCurve.NistP384 => P384,
        TpmEccCurve.NistP521 => P521,
        TpmEccCurve.BnP256 => BnP256,
        _ => null,
    };

    /// <summary>The point (x, y) if it is on the curve and not the identity; else null.</summary>
    public BcPoint? Point(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length > Size || y.Length > Size) return null;
        var bx = BigNumbers.FromBytes(x);
        var by = BigNumbers.FromBytes(y);
        var q = Prime;
        if (bx.CompareTo(q) >= 0 || by.CompareTo(q) >= 0) return null;
        try
        {
            var point = Domain.Curve.ValidatePoint(bx, by);
            return point.IsInfinity ? null : point;
        }
        catch (ArgumentException) { return null; }
    }

    /// <summary>k·G (fixed-base comb: the generator's precomputation is kept by the curve).</summary>
    public BcPoint MultiplyG(BigInteger k) => new FixedPointCombMultiplier().Multiply(Domain.G, k).Normalize();

    /// <summary>A scalar in [1, n - 1]: (c mod (n - 1)) + 1 for c of bitlen(n) + 64 bits of
    /// <paramref name="fill"/> (FIPS 186-5 A.2.1, "extra random bits").</summary>
    public BigInteger Scalar(IKeyStream fill)
    {
        var c = new byte[(N.BitLength + 64 + 7) / 8];
        fill.Generate(c);
        var d = new BigInteger(1, c).Mod(N.Subtract(BigInteger.One)).Add(BigInteger.One);
        CryptographicOperations.ZeroMemory(c);
        return d;
    }

    public byte[] ToBytes(BigInteger value) => BigNumbers.ToBytes(value, Size);
}

/// <summary>An ECC key: (x, y) and d as the TPM stores them. The objects that operate on them, .NET's
/// <see cref="ECDsa"/> (OpenSSL) and BouncyCastle's point and scalar, are made on first use: loading
/// a key costs only the check that d and the point belong together.</summary>
internal sealed class EccKey : IAsymmetricKey
{
    public readonly EccCurveInfo Info;
    readonly byte[] _x, _y;
    readonly byte[]? _d;
    ECDsa? _ecdsa;
    BcPoint? _q;

    EccKey(EccCurveInfo info, byte[] x, byte[] y, byte[]? d, ECDsa? ecdsa, BcPoint? q)
    {
        Info = info;
        _x = x;
        _y = y;
        _d = d;
        _ecdsa = ecdsa;
        _q = q;
    }

    public TpmAlgId Type => TpmAlgId.Ecc;
    public int KeyBits => Info.KeyBits;
    public TpmEccCurve Curve => Info.Id;
    public bool HasPrivate => _d is not null;
    public BigInteger D => BigNumbers.FromBytes(_d ?? throw new InvalidOperationException("public key"));

    /// <summary>The public point as BouncyCastle's (validated when the key was made).</summary>
    public BcPoint Q => _q ??= Info.Domain.Curve.CreatePoint(BigNumbers.FromBytes(_x), BigNumbers.FromBytes(_y)).Normalize();

    /// <summary>.NET's ECDSA over OpenSSL, for the NIST curves only (null for BN P-256).</summary>
    public ECDsa? Ecdsa
    {
        get
        {
            if (_ecdsa is not null || Info.DotNetCurve is not { } curve) return _ecdsa;
            var parameters = new ECParameters
            {
                Curve = curve,
                Q = new System.Security.Cryptography.ECPoint { X = _x, Y = _y },
                D = _d is null ? null : (byte[])_d.Clone(),
            };
            try { _ecdsa = ECDsa.Create(parameters); }
            finally { if (parameters.D is not null) CryptographicOperations.ZeroMemory(parameters.D); }
            return _ecdsa;
        }
    }

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
        _ecdsa?.Dispose();
        if (_d is not null) CryptographicOperations.ZeroMemory(_d);
    }

    /// <summary>d = (c mod (n - 1)) + 1 for c of bitlen(n) + 64 bits from the stream (FIPS 186-5 A.2.1), Q = d·G.</summary>
    public static EccKey? Generate(TpmEccCurve curve, IKeyStream random)
    {
        var info = EccCurveInfo.Of(curve);
        if (info is null) return null;
        var d = info.Scalar(random);
        var db = info.ToBytes(d);
        return FromPrivate(info, db, null, null);
    }

    /// <summary>A key from its point and optionally d; null when the point is not on the curve, d is
    /// outside [1, n-1], or d·G is not the point (the reference's TPM_RC_BINDING).</summary>
    public static EccKey? Import(TpmEccCurve curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, ReadOnlySpan<byte> d)
    {
        var info = EccCurveInfo.Of(curve);
        if (info is null || x.Length > info.Size || y.Length > info.Size) return null;
        if (d.IsEmpty)
        {
            var point = info.Point(x, y);
            return point is null ? null : new EccKey(info, Pad(info, x), Pad(info, y), null, null, point);
        }
        if (d.Length > info.Size) return null;
        var bd = BigNumbers.FromBytes(d);
        if (bd.SignValue <= 0 || bd.CompareTo(info.N) >= 0) return null;
        // A point computed from d is on the curve: comparing it with (x, y) checks both.
        return FromPrivate(info, Pad(info, d), Pad(info, x), Pad(info, y));
    }

    /// <summary>The key of d (curve-sized), its public point computed as d·G: by OpenSSL (one import of d
    /// alone, which derives Q) on the NIST curves, by BouncyCastle on BN P-256. With an expected point,
    /// null when d·G differs from it.</summary>
    static EccKey? FromPrivate(EccCurveInfo info, byte[] d, byte[]? x, byte[]? y)
    {
        byte[] qx, qy;
        ECDsa? ecdsa = null;
        BcPoint? q = null;
        if (info.DotNetCurve is { } curve)
        {
            var parameters = new ECParameters { Curve = curve, D = (byte[])d.Clone() };
            try
            {
                ecdsa = ECDsa.Create(parameters);
                var exported = ecdsa.ExportParameters(includePrivateParameters: false);
                qx = exported.Q.X!;
                qy = exported.Q.Y!;
            }
            catch (CryptographicException) { ecdsa?.Dispose(); CryptographicOperations.ZeroMemory(d); return null; }
            finally { CryptographicOperations.ZeroMemory(parameters.D); }
        }
        else
        {
            q = info.MultiplyG(BigNumbers.FromBytes(d));
            qx = info.ToBytes(q.AffineXCoord.ToBigInteger());
            qy = info.ToBytes(q.AffineYCoord.ToBigInteger());
        }
        if (x is not null && (!CryptographicOperations.FixedTimeEquals(qx, x) || !CryptographicOperations.FixedTimeEquals(qy, y)))
        {
            ecdsa?.Dispose();
            CryptographicOperations.ZeroMemory(d);
            return null;
        }
        return new EccKey(info, qx, qy, d, ecdsa, q);
    }

    static byte[] Pad(EccCurveInfo info, ReadOnlySpan<byte> value)
    {
        var b = new byte[info.Size];
        value.CopyTo(b.AsSpan(info.Size - value.Length));
        return b;
    }
}
