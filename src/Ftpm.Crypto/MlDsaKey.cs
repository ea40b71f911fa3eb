using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;

namespace Ftpm.Crypto;

/// <summary>An ML-DSA key in the platform backend: .NET's <see cref="MLDsa"/> where the platform has it
/// (<see cref="MLDsa.IsSupported"/>: OpenSSL 3.5 or Windows CNG), else the managed signer
/// (<see cref="MlDsaManaged"/>, with BouncyCastle's key generation). The private key is kept as the seed ξ
/// (Part 2 v185, Table 211); tr = H(pk, 64) is kept for μ.</summary>
internal sealed class MlDsaKey : IAsymmetricKey
{
    /// <summary>Whether keys use .NET's MLDsa (the platform's implementation) rather than the managed one.</summary>
    internal static readonly bool UsePlatform = MLDsa.IsSupported;

    readonly byte[]? _seed;
    readonly MLDsa? _platform;
    MlDsaManaged.PrivateKey? _private;
    MlDsaManaged.PublicKey? _public;

    MlDsaKey(MlDsaSet set, byte[] publicKey, byte[]? seed, MLDsa? platform)
    {
        Set = set;
        PublicKey = publicKey;
        _seed = seed;
        _platform = platform;
        Tr = new byte[64];
        var h = new ShakeDigest(256);
        h.BlockUpdate(publicKey);
        h.OutputFinal(Tr);
    }

    public MlDsaSet Set { get; }
    public byte[] PublicKey { get; }
    /// <summary>tr = H(pk, 64) (FIPS 204, Algorithm 7 line 6).</summary>
    public byte[] Tr { get; }
    public TpmAlgId Type => TpmAlgId.MlDsa;
    public int KeyBits => 0;
    public TpmEccCurve Curve => TpmEccCurve.None;
    public bool HasPrivate => _seed is not null;

    static MLDsaAlgorithm DotNet(MlDsaSet set) => set.Id switch
    {
        TpmMlDsaParms.MlDsa44 => MLDsaAlgorithm.MLDsa44,
        TpmMlDsaParms.MlDsa65 => MLDsaAlgorithm.MLDsa65,
        _ => MLDsaAlgorithm.MLDsa87,
    };

    static MLDsaParameters Bouncy(MlDsaSet set) => set.Id switch
    {
        TpmMlDsaParms.MlDsa44 => MLDsaParameters.ml_dsa_44,
        TpmMlDsaParms.MlDsa65 => MLDsaParameters.ml_dsa_65,
        _ => MLDsaParameters.ml_dsa_87,
    };

    /// <summary>KeyGen_internal from ξ (FIPS 204, Algorithm 6).</summary>
    public static MlDsaKey FromSeed(MlDsaSet set, ReadOnlySpan<byte> seed, bool platform)
    {
        if (platform)
        {
            var key = MLDsa.ImportMLDsaPrivateSeed(DotNet(set), seed);
            return new MlDsaKey(set, key.ExportMLDsaPublicKey(), seed.ToArray(), key);
        }
        var bouncy = MLDsaPrivateKeyParameters.FromSeed(Bouncy(set), seed.ToArray());
        var expanded = bouncy.GetEncoded();
        var result = new MlDsaKey(set, bouncy.GetPublicKeyEncoded(), seed.ToArray(), null)
        {
            _private = MlDsaManaged.DecodePrivate(set, expanded),
        };
        CryptographicOperations.ZeroMemory(expanded);
        return result;
    }

    public static MlDsaKey FromPublic(MlDsaSet set, ReadOnlySpan<byte> publicKey, bool platform) =>
        new(set, publicKey.ToArray(), null, platform ? MLDsa.ImportMLDsaPublicKey(DotNet(set), publicKey) : null);

    /// <summary>A key from the expanded private key encoding of FIPS 204 (skEncode, no seed): only the
    /// known-answer tests use it. Signs with the managed signer.</summary>
    internal static MlDsaKey FromExpanded(MlDsaSet set, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> expanded) =>
        new(set, publicKey.ToArray(), [], null) { _private = MlDsaManaged.DecodePrivate(set, expanded) };

    public (int First, int Second) ExportPublic(Span<byte> first, Span<byte> second)
    {
        PublicKey.CopyTo(first);
        return (PublicKey.Length, 0);
    }

    /// <summary>The seed ξ.</summary>
    public int ExportPrivate(Span<byte> output)
    {
        if (_seed is null) return 0;
        _seed.CopyTo(output);
        return _seed.Length;
    }

    public int SignMu(ReadOnlySpan<byte> mu, ReadOnlySpan<byte> random, Span<byte> signature)
    {
        if (!HasPrivate || signature.Length < Set.SignatureSize) return -1;
        if (_platform is { } platform)
        {
            // .NET's external-μ signing is hedged with its own randomness. SignMu/VerifyMu are marked
            // experimental (SYSLIB5006) in .NET 10: the API may still change, the algorithm will not.
#pragma warning disable SYSLIB5006
            platform.SignMu(mu, signature[..Set.SignatureSize]);
#pragma warning restore SYSLIB5006
            return Set.SignatureSize;
        }
        MlDsaManaged.SignMu(_private!, mu, random, signature);
        return Set.SignatureSize;
    }

    public bool VerifyMu(ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Set.SignatureSize) return false;
#pragma warning disable SYSLIB5006
        if (_platform is { } platform) return platform.VerifyMu(mu, signature);
#pragma warning restore SYSLIB5006
        _public ??= MlDsaManaged.DecodePublic(Set, PublicKey);
        return MlDsaManaged.VerifyMu(_public, mu, signature);
    }

    public void Dispose()
    {
        if (_seed is not null) CryptographicOperations.ZeroMemory(_seed);
        _private?.Clear();
        _platform?.Dispose();
    }
}
