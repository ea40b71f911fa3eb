using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Ftpm.Crypto;

/// <summary>The sizes of an ML-KEM parameter set (FIPS 203, Table 3; Part 2 v185, Table 205), by its
/// TPMI_MLKEM_PARMS value.</summary>
internal readonly record struct MlKemSet(ushort Id, int K, int Bits, int EncapsulationKeySize, int CiphertextSize)
{
    public const int SeedSize = 64;
    public const int SharedSecretSize = 32;
    const int Q = 3329;

    public static MlKemSet? Of(ushort id) => id switch
    {
        1 => new MlKemSet(1, 2, 512, 800, 768),
        2 => new MlKemSet(2, 3, 768, 1184, 1088),
        3 => new MlKemSet(3, 4, 1024, 1568, 1568),
        _ => null,
    };

    public MLKemParameters Bouncy => K switch { 2 => MLKemParameters.ml_kem_512, 3 => MLKemParameters.ml_kem_768, _ => MLKemParameters.ml_kem_1024 };

    public MLKemAlgorithm DotNet => K switch { 2 => MLKemAlgorithm.MLKem512, 3 => MLKemAlgorithm.MLKem768, _ => MLKemAlgorithm.MLKem1024 };

    /// <summary>The encapsulation-key check of FIPS 203, 7.2: the right length, and ByteEncode12(ByteDecode12(t))
    /// equal to t, that is every 12-bit coefficient of t (the first 384·k octets) below q.</summary>
    public bool IsValidEncapsulationKey(ReadOnlySpan<byte> ek)
    {
        if (ek.Length != EncapsulationKeySize) return false;
        for (int i = 0; i < 384 * K; i += 3)
        {
            int a = ek[i] | (ek[i + 1] & 0x0F) << 8;
            int b = ek[i + 1] >> 4 | ek[i + 2] << 4;
            if (a >= Q || b >= Q) return false;
        }
        return true;
    }
}

/// <summary>An ML-KEM key in the platform backend: .NET's <see cref="MLKem"/> where the platform has it
/// (<see cref="MLKem.IsSupported"/>: OpenSSL 3.5 or Windows CNG), else BouncyCastle's managed FIPS 203. The
/// private key is kept as the seed d || z (Part 1 v185, 47.2).</summary>
internal abstract class MlKemKey : IAsymmetricKey
{
    /// <summary>Whether new keys use .NET's MLKem (the platform's implementation) rather than the managed one.</summary>
    internal static readonly bool UsePlatform = MLKem.IsSupported;

    protected MlKemKey(MlKemSet set) => Set = set;

    public MlKemSet Set { get; }
    public TpmAlgId Type => TpmAlgId.MlKem;
    public int KeyBits => Set.Bits;
    public TpmEccCurve Curve => TpmEccCurve.None;
    public abstract bool HasPrivate { get; }

    public (int First, int Second) ExportPublic(Span<byte> first, Span<byte> second) => (WritePublic(first), 0);

    protected abstract int WritePublic(Span<byte> output);
    public abstract int ExportPrivate(Span<byte> output);
    public abstract void Encapsulate(IKeyStream random, Span<byte> sharedSecret, Span<byte> ciphertext);
    public abstract void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret);
    public abstract void Dispose();

    public static MlKemKey FromSeed(MlKemSet set, ReadOnlySpan<byte> seed, bool platform) =>
        platform ? new PlatformMlKemKey(set, MLKem.ImportPrivateSeed(set.DotNet, seed), true)
            : ManagedMlKemKey.FromSeed(set, seed);

    public static MlKemKey FromPublic(MlKemSet set, ReadOnlySpan<byte> ek, bool platform) =>
        platform ? new PlatformMlKemKey(set, MLKem.ImportEncapsulationKey(set.DotNet, ek), false)
            : new ManagedMlKemKey(set, null, MLKemPublicKeyParameters.FromEncoding(set.Bouncy, ek.ToArray()));

    /// <summary>A key from the expanded decapsulation key dk of FIPS 203 (no seed): only the known-answer tests
    /// use it, since ACVP's decapsulation vectors give dk, while the TPM stores and accepts seeds only.</summary>
    internal static MlKemKey FromExpanded(MlKemSet set, ReadOnlySpan<byte> dk, bool platform) =>
        platform ? new PlatformMlKemKey(set, MLKem.ImportDecapsulationKey(set.DotNet, dk), true)
            : ManagedMlKemKey.FromExpanded(set, dk);
}

/// <summary>ML-KEM on .NET's <see cref="MLKem"/>. Its encapsulation draws m from the platform's RNG.</summary>
internal sealed class PlatformMlKemKey(MlKemSet set, MLKem key, bool hasPrivate) : MlKemKey(set)
{
    public override bool HasPrivate => hasPrivate;

    protected override int WritePublic(Span<byte> output)
    {
        key.ExportEncapsulationKey(output[..Set.EncapsulationKeySize]);
        return Set.EncapsulationKeySize;
    }

    public override int ExportPrivate(Span<byte> output)
    {
        key.ExportPrivateSeed(output[..MlKemSet.SeedSize]);
        return MlKemSet.SeedSize;
    }

    public override void Encapsulate(IKeyStream random, Span<byte> sharedSecret, Span<byte> ciphertext) =>
        key.Encapsulate(ciphertext[..Set.CiphertextSize], sharedSecret[..MlKemSet.SharedSecretSize]);

    public override void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret) =>
        key.Decapsulate(ciphertext, sharedSecret[..MlKemSet.SharedSecretSize]);

    public override void Dispose() => key.Dispose();
}

/// <summary>ML-KEM on BouncyCastle's managed FIPS 203. Encapsulation takes m from the caller's stream.</summary>
internal sealed class ManagedMlKemKey : MlKemKey
{
    readonly MLKemPrivateKeyParameters? _private;
    readonly MLKemPublicKeyParameters _public;
    readonly byte[] _seed;

    internal ManagedMlKemKey(MlKemSet set, MLKemPrivateKeyParameters? privateKey, MLKemPublicKeyParameters publicKey, byte[]? seed = null)
        : base(set)
    {
        _private = privateKey;
        _public = publicKey;
        _seed = seed ?? [];
    }

    public static ManagedMlKemKey FromSeed(MlKemSet set, ReadOnlySpan<byte> seed)
    {
        var copy = seed.ToArray();
        var privateKey = MLKemPrivateKeyParameters.FromSeed(set.Bouncy, copy);
        return new ManagedMlKemKey(set, privateKey, privateKey.GetPublicKey(), copy);
    }

    public static ManagedMlKemKey FromExpanded(MlKemSet set, ReadOnlySpan<byte> dk)
    {
        var privateKey = MLKemPrivateKeyParameters.FromEncoding(set.Bouncy, dk.ToArray());
        return new ManagedMlKemKey(set, privateKey, privateKey.GetPublicKey());
    }

    public override bool HasPrivate => _private is not null;

    protected override int WritePublic(Span<byte> output)
    {
        var ek = _public.GetEncoded();
        ek.CopyTo(output);
        return ek.Length;
    }

    public override int ExportPrivate(Span<byte> output)
    {
        if (_seed.Length == 0) throw new CryptographicException("ML-KEM key without a seed");
        _seed.CopyTo(output);
        return _seed.Length;
    }

    public override void Encapsulate(IKeyStream random, Span<byte> sharedSecret, Span<byte> ciphertext)
    {
        var encapsulator = new MLKemEncapsulator(Set.Bouncy);
        encapsulator.Init(new ParametersWithRandom(_public, new SecureRandom(new KeyStreamGenerator(random))));
        var c = new byte[Set.CiphertextSize];
        var k = new byte[MlKemSet.SharedSecretSize];
        encapsulator.Encapsulate(c, 0, c.Length, k, 0, k.Length);
        c.CopyTo(ciphertext);
        k.CopyTo(sharedSecret);
        CryptographicOperations.ZeroMemory(k);
    }

    public override void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        var decapsulator = new MLKemDecapsulator(Set.Bouncy);
        decapsulator.Init(_private ?? throw new CryptographicException("ML-KEM public key cannot decapsulate"));
        var c = ciphertext.ToArray();
        var k = new byte[MlKemSet.SharedSecretSize];
        decapsulator.Decapsulate(c, 0, c.Length, k, 0, k.Length);
        k.CopyTo(sharedSecret);
        CryptographicOperations.ZeroMemory(k);
    }

    public override void Dispose() => CryptographicOperations.ZeroMemory(_seed);

    /// <summary>BouncyCastle's random source over the port's key stream (the TPM's DRBG, or a test's m).</summary>
    sealed class KeyStreamGenerator(IKeyStream stream) : Org.BouncyCastle.Crypto.Prng.IRandomGenerator
    {
        public void AddSeedMaterial(byte[] seed) { }
        public void AddSeedMaterial(ReadOnlySpan<byte> seed) { }
        public void AddSeedMaterial(long seed) { }
        public void NextBytes(byte[] bytes) => stream.Generate(bytes);
        public void NextBytes(byte[] bytes, int start, int len) => stream.Generate(bytes.AsSpan(start, len));
        public void NextBytes(Span<byte> bytes) => stream.Generate(bytes);
    }
}
