using System.Security.Cryptography;
using Ftpm.Ports;
using Org.BouncyCastle.Crypto.Digests;

namespace Ftpm.Crypto;

// ML-DSA (FIPS 204): .NET's MLDsa where the platform implements it, else the managed signer (MlDsaKey).
public sealed partial class PlatformCrypto
{
    public IAsymmetricKey? MlDsaGenerate(TpmMlDsaParms parameterSet, ReadOnlySpan<byte> seed)
    {
        if (MlDsaSet.Of(parameterSet) is not { } set || seed.Length != MlParameterSets.MlDsaPrivateSeedSize) return null;
        return MlDsaKey.FromSeed(set, seed, MlDsaKey.UsePlatform);
    }

    public IAsymmetricKey? MlDsaImport(TpmMlDsaParms parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> seed)
    {
        if (MlDsaSet.Of(parameterSet) is not { } set || publicKey.Length != set.PublicKeySize) return null;
        try
        {
            if (seed.IsEmpty) return MlDsaKey.FromPublic(set, publicKey, MlDsaKey.UsePlatform);
            if (seed.Length != MlParameterSets.MlDsaPrivateSeedSize) return null;
            var key = MlDsaKey.FromSeed(set, seed, MlDsaKey.UsePlatform);
            if (CryptographicOperations.FixedTimeEquals(key.PublicKey, publicKey)) return key;
            key.Dispose();
            return null;
        }
        catch (CryptographicException) { return null; }
    }

    public IHashOperation MlDsaMuSetup(IAsymmetricKey key)
    {
        var op = new ShakeOperation(TpmAlgId.Shake256, MlParameterSets.MuSize);
        op.Update(((MlDsaKey)key).Tr);
        return op;
    }

    public int MlDsaSignMu(IAsymmetricKey key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> random, Span<byte> signature) =>
        key is MlDsaKey k && mu.Length == MlParameterSets.MuSize ? k.SignMu(mu, random, signature) : -1;

    public bool MlDsaVerifyMu(IAsymmetricKey key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature) =>
        key is MlDsaKey k && mu.Length == MlParameterSets.MuSize && k.VerifyMu(mu, signature);

    /// <summary>A SHAKE XOF as an <see cref="IHashOperation"/> with a fixed output length (the μ of ML-DSA).</summary>
    sealed class ShakeOperation(TpmAlgId algorithm, int outputLength) : IHashOperation
    {
        ShakeDigest _digest = new(algorithm == TpmAlgId.Shake128 ? 128 : 256);

        public TpmAlgId Algorithm => algorithm;
        public void Update(ReadOnlySpan<byte> data) => _digest.BlockUpdate(data);
        public int Finish(Span<byte> digest)
        {
            _digest.OutputFinal(digest[..outputLength]);
            return outputLength;
        }
        public IHashOperation Clone() => new ShakeOperation(algorithm, outputLength) { _digest = new ShakeDigest(_digest) };
        public void Dispose() => _digest.Reset();
    }
}
