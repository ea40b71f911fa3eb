using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Crypto;

/// <summary>The platform crypto backend: System.Security.Cryptography (OpenSSL on Linux).</summary>
public sealed partial class PlatformCrypto : ICrypto
{
    public int Hash(TpmAlgId hashAlg, ReadOnlySpan<byte> data, Span<byte> digest) => hashAlg switch
    {
        TpmAlgId.Sha1 => SHA1.HashData(data, digest),
        TpmAlgId.Sha256 => SHA256.HashData(data, digest),
        TpmAlgId.Sha384 => SHA384.HashData(data, digest),
        TpmAlgId.Sha512 => SHA512.HashData(data, digest),
        _ => throw new CryptographicException($"hash {hashAlg} not implemented"),
    };

    public IHashOperation HashSetup(TpmAlgId hashAlg) =>
        new HashOperation(hashAlg, IncrementalHash.CreateHash(ToName(hashAlg)));

    public int Hmac(TpmAlgId hashAlg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) => hashAlg switch
    {
        TpmAlgId.Sha1 => HMACSHA1.HashData(key, data, mac),
        TpmAlgId.Sha256 => HMACSHA256.HashData(key, data, mac),
        TpmAlgId.Sha384 => HMACSHA384.HashData(key, data, mac),
        TpmAlgId.Sha512 => HMACSHA512.HashData(key, data, mac),
        _ => throw new CryptographicException($"hash {hashAlg} not implemented"),
    };

    public IHashOperation HmacSetup(TpmAlgId hashAlg, ReadOnlySpan<byte> key) =>
        new HashOperation(hashAlg, IncrementalHash.CreateHMAC(ToName(hashAlg), key));

    public IHashOperation MacSetup(TpmAlgId macAlg, TpmAlgId cipher, ReadOnlySpan<byte> key)
    {
        if (macAlg != TpmAlgId.Cmac || cipher != TpmAlgId.Aes || key.Length is not (16 or 24 or 32))
            throw new CryptographicException($"MAC {macAlg} with {cipher} and a {key.Length}-octet key not implemented");
        return Cmac.Create(key);
    }

    public void Cipher(TpmAlgId alg, TpmAlgId mode, bool encrypt, ReadOnlySpan<byte> key, Span<byte> iv,
        ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (alg != TpmAlgId.Aes) throw new CryptographicException($"cipher {alg} not implemented");
        SymmetricCipher.Run(mode, encrypt, key, iv, input, output);
    }

    internal static HashAlgorithmName ToName(TpmAlgId hashAlg) => hashAlg switch
    {
        TpmAlgId.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgId.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgId.Sha384 => HashAlgorithmName.SHA384,
        TpmAlgId.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new CryptographicException($"hash {hashAlg} not implemented"),
    };

    sealed class HashOperation(TpmAlgId algorithm, IncrementalHash hash) : IHashOperation
    {
        public TpmAlgId Algorithm { get; } = algorithm;
        public void Update(ReadOnlySpan<byte> data) => hash.AppendData(data);
        public int Finish(Span<byte> digest) => hash.GetHashAndReset(digest);
        public IHashOperation Clone() => new HashOperation(Algorithm, hash.Clone());
        public void Dispose() => hash.Dispose();
    }
}
