using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Ftpm.Crypto;

/// <summary>
/// The few OpenSSL calls that .NET's cryptography (itself OpenSSL on Linux) does not expose, made on the
/// same libcrypto: modular exponentiation for the prime search's Miller-Rabin rounds, and the RSA private
/// operation with OAEP and a label (or no padding), which <see cref="RSA"/> has no call for. Both were
/// managed code before (our Montgomery multiplication, BouncyCastle's integers), 5 to 100 times slower
/// than OpenSSL's assembly. Linux with OpenSSL 3 only; elsewhere, or when the library cannot be loaded,
/// <see cref="Available"/> is false and callers keep their managed path.
/// </summary>
internal static class OpenSsl
{
    const string Lib = "libcrypto.so.3";
    const int RsaNoPadding = 3;
    const int RsaPkcs1OaepPadding = 4;

    /// <summary>True when libcrypto.so.3 loads and answers (probed once).</summary>
    public static readonly bool Available = Probe();

    static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("FTPM_NO_NATIVE_BIGNUM") is "1") return false;
        try
        {
            var ctx = BN_CTX_new();
            if (ctx == 0) return false;
            BN_CTX_free(ctx);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Miller-Rabin rounds on one odd candidate n > 3 (FIPS 186-5 B.3.1): n - 1 = d·2^s, and per base a,
    /// x = a^d mod n followed by up to s - 1 squarings. The bases come from the caller, so the outcome
    /// (and the prime a search finds) is the same as the managed test's: it depends only on n and the
    /// bases. The candidate is secret (a prime of a key), so exponentiation is the constant-time one.
    /// </summary>
    public sealed class MillerRabin : IDisposable
    {
        readonly nint _ctx, _mont, _n, _nMinusOne, _d, _a, _x;
        readonly int _s;

        public MillerRabin(ReadOnlySpan<byte> candidate)
        {
            _ctx = BN_CTX_new();
            _mont = BN_MONT_CTX_new();
            _n = BN_new();
            _nMinusOne = BN_new();
            _d = BN_new();
            _a = BN_new();
            _x = BN_new();
            if (_ctx == 0 || _mont == 0 || _n == 0 || _nMinusOne == 0 || _d == 0 || _a == 0 || _x == 0)
            {
                Dispose();
                throw new CryptographicException("OpenSSL: out of memory");
            }
            var bytes = candidate.ToArray();
            try
            {
                Check(BN_bin2bn(bytes, bytes.Length, _n) != 0);
            }
            finally { CryptographicOperations.ZeroMemory(bytes); }
            Check(BN_copy(_nMinusOne, _n) != 0);
            Check(BN_sub_word(_nMinusOne, 1) == 1);
            _s = 1;
            while (BN_is_bit_set(_nMinusOne, _s) == 0) _s++;
            Check(BN_rshift(_d, _nMinusOne, _s) == 1);
            Check(BN_MONT_CTX_set(_mont, _n, _ctx) == 1);
        }

        /// <summary>One round to base <paramref name="a"/> (big-endian, 1 &lt; a &lt; n - 1): true when n is a
        /// strong probable prime to that base.</summary>
        public bool Round(byte[] a)
        {
            Check(BN_bin2bn(a, a.Length, _a) != 0);
            Check(BN_mod_exp_mont_consttime(_x, _a, _d, _n, _ctx, _mont) == 1);
            return Squarings();
        }

        /// <summary>The round to base 2 that every sieved candidate gets (nearly all composites end here):
        /// OpenSSL's word-base exponentiation, whose multiplications by the base are shifts, as the managed
        /// test's doublings are; like those, its timing follows the exponent's bits.</summary>
        public bool RoundBase2()
        {
            Check(BN_mod_exp_mont_word(_x, 2, _d, _n, _ctx, _mont) == 1);
            return Squarings();
        }

        bool Squarings()
        {
            if (BN_is_one(_x) == 1 || BN_cmp(_x, _nMinusOne) == 0) return true;
            for (int r = 1; r < _s; r++)
            {
                Check(BN_mod_sqr(_x, _x, _n, _ctx) == 1);
                if (BN_cmp(_x, _nMinusOne) == 0) return true;
                if (BN_is_one(_x) == 1) return false;
            }
            return false;
        }

        public void Dispose()
        {
            if (_x != 0) BN_clear_free(_x);
            if (_a != 0) BN_clear_free(_a);
            if (_d != 0) BN_clear_free(_d);
            if (_nMinusOne != 0) BN_clear_free(_nMinusOne);
            if (_n != 0) BN_clear_free(_n);
            if (_mont != 0) BN_MONT_CTX_free(_mont);
            if (_ctx != 0) BN_CTX_free(_ctx);
        }
    }

    /// <summary>
    /// The RSA private operation of <paramref name="key"/> on <paramref name="ciphertext"/> (k octets) with
    /// OAEP (<paramref name="digest"/>, for label and MGF1, and <paramref name="label"/>) or, with a null
    /// digest, no padding (raw RSA). OpenSSL blinds the operation and checks its CRT result. Returns the
    /// message length written to <paramref name="output"/>, -1 when the ciphertext does not decrypt
    /// (not below n, bad padding, wrong label), or null when this path cannot serve the key.
    /// </summary>
    public static int? RsaDecrypt(RSA key, HashAlgorithmName? digest, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        if (!Available || !OperatingSystem.IsLinux() || key is not RSAOpenSsl openSsl) return null;
        string? mdName = digest?.Name switch
        {
            null => null,
            "SHA1" => "SHA1",
            "SHA256" => "SHA256",
            "SHA384" => "SHA384",
            "SHA512" => "SHA512",
            _ => "",
        };
        if (mdName == "") return null;
        using var handle = openSsl.DuplicateKeyHandle();
        nint ctx = EVP_PKEY_CTX_new(handle.DangerousGetHandle(), 0);
        if (ctx == 0) return null;
        var input = ciphertext.ToArray();
        var plain = new byte[input.Length];
        try
        {
            if (EVP_PKEY_decrypt_init(ctx) != 1) return Failed();
            if (mdName is null)
            {
                if (EVP_PKEY_CTX_set_rsa_padding(ctx, RsaNoPadding) != 1) return Failed();
            }
            else
            {
                nint md = EVP_get_digestbyname(mdName);
                if (md == 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RsaPkcs1OaepPadding) != 1 ||
                    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1)
                    return Failed();
                if (!label.IsEmpty)
                {
                    // set0: the context takes the buffer and frees it with OPENSSL_free.
                    nint copy = CRYPTO_malloc((nuint)label.Length, null, 0);
                    if (copy == 0) return Failed();
                    System.Runtime.InteropServices.Marshal.Copy(label.ToArray(), 0, copy, label.Length);
                    if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, copy, label.Length) != 1)
                    {
                        CRYPTO_free(copy, null, 0);
                        return Failed();
                    }
                }
            }
            nuint length = (nuint)plain.Length;
            if (EVP_PKEY_decrypt(ctx, plain, ref length, input, (nuint)input.Length) != 1) return Failed();
            if ((int)length > output.Length) return Failed();
            plain.AsSpan(0, (int)length).CopyTo(output);
            return (int)length;
        }
        finally
        {
            EVP_PKEY_CTX_free(ctx);
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>A failed decryption: -1, and OpenSSL's error queue emptied (it is per thread and shared with .NET).</summary>
    static int Failed()
    {
        ERR_clear_error();
        return -1;
    }

    static void Check(bool ok)
    {
        if (!ok)
        {
            ERR_clear_error();
            throw new CryptographicException("OpenSSL big-number operation failed");
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code; these signatures are blittable.
    [DllImport(Lib)] static extern nint BN_CTX_new();
    [DllImport(Lib)] static extern void BN_CTX_free(nint ctx);
    [DllImport(Lib)] static extern nint BN_new();
    [DllImport(Lib)] static extern void BN_clear_free(nint a);
    [DllImport(Lib)] static extern nint BN_bin2bn(byte[] s, int len, nint ret);
    [DllImport(Lib)] static extern nint BN_copy(nint to, nint from);
    [DllImport(Lib)] static extern int BN_sub_word(nint a, ulong w);
    [DllImport(Lib)] static extern int BN_is_bit_set(nint a, int n);
    [DllImport(Lib)] static extern int BN_rshift(nint r, nint a, int n);
    [DllImport(Lib)] static extern int BN_is_one(nint a);
    [DllImport(Lib)] static extern int BN_cmp(nint a, nint b);
    [DllImport(Lib)] static extern int BN_mod_sqr(nint r, nint a, nint m, nint ctx);
    [DllImport(Lib)] static extern nint BN_MONT_CTX_new();
    [DllImport(Lib)] static extern void BN_MONT_CTX_free(nint mont);
    [DllImport(Lib)] static extern int BN_MONT_CTX_set(nint mont, nint mod, nint ctx);
    [DllImport(Lib)] static extern int BN_mod_exp_mont_word(nint r, ulong a, nint p, nint m, nint ctx, nint mont);
    [DllImport(Lib)] static extern int BN_mod_exp_mont_consttime(nint r, nint a, nint p, nint m, nint ctx, nint mont);
    [DllImport(Lib)] static extern nint EVP_PKEY_CTX_new(nint pkey, nint engine);
    [DllImport(Lib)] static extern void EVP_PKEY_CTX_free(nint ctx);
    [DllImport(Lib)] static extern int EVP_PKEY_decrypt_init(nint ctx);
    [DllImport(Lib)] static extern int EVP_PKEY_decrypt(nint ctx, byte[] output, ref nuint outputLength, byte[] input, nuint inputLength);
    [DllImport(Lib)] static extern int EVP_PKEY_CTX_set_rsa_padding(nint ctx, int padding);
    [DllImport(Lib)] static extern int EVP_PKEY_CTX_set_rsa_oaep_md(nint ctx, nint md);
    [DllImport(Lib)] static extern int EVP_PKEY_CTX_set_rsa_mgf1_md(nint ctx, nint md);
    [DllImport(Lib)] static extern int EVP_PKEY_CTX_set0_rsa_oaep_label(nint ctx, nint label, int length);
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false)] static extern nint EVP_get_digestbyname(string name);
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false)] static extern nint CRYPTO_malloc(nuint size, string? file, int line);
    [DllImport(Lib, CharSet = CharSet.Ansi, BestFitMapping = false)] static extern void CRYPTO_free(nint pointer, string? file, int line);
    [DllImport(Lib)] static extern void ERR_clear_error();
#pragma warning restore SYSLIB1054
}
