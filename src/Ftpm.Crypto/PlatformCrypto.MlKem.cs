using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Crypto;

// ML-KEM (FIPS 203): .NET's MLKem where the platform implements it, else BouncyCastle (MlKemKey).
public sealed partial class PlatformCrypto
{
    public IAsymmetricKey? MlKemFromSeed(TpmMlKemParms parameterSet, ReadOnlySpan<byte> seed)
    {
        if (MlKemSet.Of((ushort)parameterSet) is not { } set || seed.Length != MlKemSet.SeedSize) return null;
        return MlKemKey.FromSeed(set, seed, MlKemKey.UsePlatform);
    }

    public IAsymmetricKey? MlKemImportPublic(TpmMlKemParms parameterSet, ReadOnlySpan<byte> encapsulationKey)
    {
        if (MlKemSet.Of((ushort)parameterSet) is not { } set || !set.IsValidEncapsulationKey(encapsulationKey)) return null;
        return MlKemKey.FromPublic(set, encapsulationKey, MlKemKey.UsePlatform);
    }

    public int MlKemEncapsulate(IAsymmetricKey key, IKeyStream random, Span<byte> sharedSecret, Span<byte> ciphertext)
    {
        var k = key as MlKemKey ?? throw new CryptographicException("not an ML-KEM key");
        k.Encapsulate(random, sharedSecret, ciphertext);
        return k.Set.CiphertextSize;
    }

    public bool MlKemDecapsulate(IAsymmetricKey key, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        if (key is not MlKemKey { HasPrivate: true } k || ciphertext.Length != k.Set.CiphertextSize) return false;
        k.Decapsulate(ciphertext, sharedSecret);
        return true;
    }
}
