using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Crypto;

/// <summary>The TPM's key derivation functions (Part 1, 11.4.10), built on the crypto port's hash and HMAC.</summary>
public static class Kdf
{
    /// <summary>
    /// KDFa (Part 1, 11.4.10.2): SP 800-108 counter mode with HMAC.
    /// K(i) = HMAC(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32); the label's
    /// terminating zero is added unless the label already ends with one.
    /// </summary>
    public static void KdfA(ICrypto crypto, TpmAlgId hashAlg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> contextU, ReadOnlySpan<byte> contextV, Span<byte> output, int bits = -1)
    {
        if (bits < 0) bits = output.Length * 8;
        bool hasZero = !label.IsEmpty && label[^1] == 0;
        int length = 4 + label.Length + (hasZero ? 0 : 1) + contextU.Length + contextV.Length + 4;
        byte[] buffer = new byte[length];
        var b = buffer.AsSpan();
        int at = 4;
        label.CopyTo(b[at..]); at += label.Length;
        if (!hasZero) b[at++] = 0;
        contextU.CopyTo(b[at..]); at += contextU.Length;
        contextV.CopyTo(b[at..]); at += contextV.Length;
        BinaryPrimitives.WriteUInt32BigEndian(b[at..], (uint)bits);

        Span<byte> block = stackalloc byte[TpmLimits.MaxDigestSize];
        int bytes = (bits + 7) / 8;
        var result = output[..bytes];
        for (uint counter = 1; !result.IsEmpty; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, counter);
            int n = crypto.Hmac(hashAlg, key, b, block);
            int take = Math.Min(n, result.Length);
            block[..take].CopyTo(result);
            result = result[take..];
        }
        // A bit count that is not a whole number of octets keeps only the low bits of the first octet.
        if (bits % 8 != 0) output[0] &= (byte)((1 << (bits % 8)) - 1);
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>
    /// KDFe (Part 1, 11.4.10.3): the SP 800-56A concatenation KDF used with ECDH.
    /// K(i) = Hash([i]32 || Z || label || 0x00 || partyUInfo || partyVInfo).
    /// </summary>
    public static void KdfE(ICrypto crypto, TpmAlgId hashAlg, ReadOnlySpan<byte> z, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> partyU, ReadOnlySpan<byte> partyV, Span<byte> output)
    {
        bool hasZero = !label.IsEmpty && label[^1] == 0;
        int length = 4 + z.Length + label.Length + (hasZero ? 0 : 1) + partyU.Length + partyV.Length;
        byte[] buffer = new byte[length];
        var b = buffer.AsSpan();
        int at = 4;
        z.CopyTo(b[at..]); at += z.Length;
        label.CopyTo(b[at..]); at += label.Length;
        if (!hasZero) b[at++] = 0;
        partyU.CopyTo(b[at..]); at += partyU.Length;
        partyV.CopyTo(b[at..]);

        Span<byte> block = stackalloc byte[TpmLimits.MaxDigestSize];
        var result = output;
        for (uint counter = 1; !result.IsEmpty; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, counter);
            int n = crypto.Hash(hashAlg, b, block);
            int take = Math.Min(n, result.Length);
            block[..take].CopyTo(result);
            result = result[take..];
        }
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>
    /// KDF2 of IEEE 1363a (the MGF of Part 1's ECC encryption, TPM2_ECC_Encrypt/ECC_Decrypt):
    /// T = H(seed || [1]32) || H(seed || [2]32) || ..., cut to the output's length. It is MGF1 with
    /// the counter starting at 1 instead of 0.
    /// </summary>
    public static void Kdf2(ICrypto crypto, TpmAlgId hashAlg, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        byte[] buffer = new byte[seed.Length + 4];
        seed.CopyTo(buffer);
        Span<byte> block = stackalloc byte[TpmLimits.MaxDigestSize];
        var result = output;
        for (uint counter = 1; !result.IsEmpty; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(seed.Length), counter);
            int n = crypto.Hash(hashAlg, buffer, block);
            int take = Math.Min(n, result.Length);
            block[..take].CopyTo(result);
            result = result[take..];
        }
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(block);
    }
}
