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

    public IHashOperation HashSetup(TpmAlgId hashAlg) => PooledHash.Rent(hashAlg);

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

    /// <summary>
    /// A hash operation on a reused <see cref="IncrementalHash"/>. Creating one costs an OpenSSL digest
    /// context, a fetch of the digest's implementation and a finalizable handle, which in a policy
    /// command was half of the engine's time (perf, PolicyPCR); a finished operation resets its context
    /// (GetHashAndReset) and goes back to a small per-thread pool for the next one.
    /// </summary>
    sealed class PooledHash : IHashOperation
    {
        const int PoolSize = 4;
        [ThreadStatic] static Stack<IncrementalHash>?[]? t_pools;

        IncrementalHash? _hash;
        bool _dirty;

        PooledHash(TpmAlgId algorithm, IncrementalHash hash)
        {
            Algorithm = algorithm;
            _hash = hash;
        }

        public TpmAlgId Algorithm { get; }

        static int Slot(TpmAlgId alg) => alg switch
        {
            TpmAlgId.Sha1 => 0,
            TpmAlgId.Sha256 => 1,
            TpmAlgId.Sha384 => 2,
            TpmAlgId.Sha512 => 3,
            _ => -1,
        };

        /// <summary>A new operation (a new wrapper each time, so a stale reference to a disposed one
        /// cannot reach the context it gave back) on a pooled or new context.</summary>
        public static PooledHash Rent(TpmAlgId alg)
        {
            int slot = Slot(alg);
            if (slot >= 0 && t_pools?[slot] is { Count: > 0 } pool) return new PooledHash(alg, pool.Pop());
            return new PooledHash(alg, IncrementalHash.CreateHash(ToName(alg)));
        }

        IncrementalHash Hash => _hash ?? throw new ObjectDisposedException(nameof(PooledHash));

        public void Update(ReadOnlySpan<byte> data)
        {
            Hash.AppendData(data);
            _dirty = true;
        }

        public int Finish(Span<byte> digest)
        {
            int n = Hash.GetHashAndReset(digest);
            _dirty = false;
            return n;
        }

        public IHashOperation Clone() => new PooledHash(Algorithm, Hash.Clone()) { _dirty = _dirty };

        public void Dispose()
        {
            if (_hash is not { } hash) return;
            _hash = null;
            if (_dirty)
            {
                // Drop what was hashed since the last Finish before the context is reused.
                Span<byte> scratch = stackalloc byte[64];
                hash.GetHashAndReset(scratch);
                CryptographicOperations.ZeroMemory(scratch);
            }
            var pools = t_pools ??= new Stack<IncrementalHash>?[4];
            var pool = pools[Slot(Algorithm)] ??= new Stack<IncrementalHash>(PoolSize);
            if (pool.Count < PoolSize) pool.Push(hash);
            else hash.Dispose();
        }
    }

    sealed class HashOperation(TpmAlgId algorithm, IncrementalHash hash) : IHashOperation
    {
        public TpmAlgId Algorithm { get; } = algorithm;
        public void Update(ReadOnlySpan<byte> data) => hash.AppendData(data);
        public int Finish(Span<byte> digest) => hash.GetHashAndReset(digest);
        public IHashOperation Clone() => new HashOperation(Algorithm, hash.Clone());
        public void Dispose() => hash.Dispose();
    }
}
