using System.Security.Cryptography;

namespace Ftpm.Crypto;

/// <summary>AES in the TPM's modes (Part 1, 11.4.6 / SP 800-38A). Whole blocks go through .NET's
/// one-shot APIs; a trailing partial block of the stream modes is done with one ECB block.</summary>
internal static class SymmetricCipher
{
    const int Block = 16;

    public static void Run(TpmAlgId mode, bool encrypt, ReadOnlySpan<byte> key, Span<byte> iv,
        ReadOnlySpan<byte> input, Span<byte> output)
    {
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        switch (mode)
        {
            case TpmAlgId.Ecb:
                RequireWholeBlocks(input);
                if (encrypt) aes.EncryptEcb(input, output, PaddingMode.None);
                else aes.DecryptEcb(input, output, PaddingMode.None);
                break;
            case TpmAlgId.Cbc:
                RequireWholeBlocks(input);
                if (input.IsEmpty) break;
                if (encrypt)
                {
                    aes.EncryptCbc(input, iv, output, PaddingMode.None);
                    output.Slice(input.Length - Block, Block).CopyTo(iv);
                }
                else
                {
                    Span<byte> next = stackalloc byte[Block];
                    input.Slice(input.Length - Block, Block).CopyTo(next);
                    aes.DecryptCbc(input, iv, output, PaddingMode.None);
                    next.CopyTo(iv);
                }
                break;
            case TpmAlgId.Cfb:
                Cfb(aes, encrypt, iv, input, output);
                break;
            case TpmAlgId.Ofb:
            case TpmAlgId.Ctr:
                Keystream(aes, mode, iv, input, output);
                break;
            default:
                throw new CryptographicException($"mode {mode} not implemented");
        }
    }

    static void RequireWholeBlocks(ReadOnlySpan<byte> input)
    {
        if (input.Length % Block != 0) throw new CryptographicException("input is not a whole number of blocks");
    }

    /// <summary>CFB-128: C = P xor E(previous C), the IV being the first "previous C".</summary>
    static void Cfb(Aes aes, bool encrypt, Span<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int whole = input.Length / Block * Block;
        if (whole > 0)
        {
            if (encrypt)
            {
                aes.EncryptCfb(input[..whole], iv, output, PaddingMode.None, 128);
                output.Slice(whole - Block, Block).CopyTo(iv);
            }
            else
            {
                Span<byte> next = stackalloc byte[Block];
                input.Slice(whole - Block, Block).CopyTo(next);
                aes.DecryptCfb(input[..whole], iv, output, PaddingMode.None, 128);
                next.CopyTo(iv);
            }
        }
        int rest = input.Length - whole;
        if (rest == 0) return;
        Span<byte> pad = stackalloc byte[Block];
        aes.EncryptEcb(iv, pad, PaddingMode.None);
        // The chaining value after a partial block is E(IV) with its first octets replaced by
        // that block's ciphertext, as the reference's CFB loop leaves it.
        pad.CopyTo(iv);
        for (int i = 0; i < rest; i++)
        {
            byte c = encrypt ? (byte)(input[whole + i] ^ pad[i]) : input[whole + i];
            output[whole + i] = (byte)(input[whole + i] ^ pad[i]);
            iv[i] = c;
        }
    }

    /// <summary>OFB (keystream E(E(...(IV)))) and CTR (keystream E(IV), E(IV+1), ...; IV is the counter block).</summary>
    static void Keystream(Aes aes, TpmAlgId mode, Span<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> stream = stackalloc byte[Block];
        for (int at = 0; at < input.Length; at += Block)
        {
            aes.EncryptEcb(iv, stream, PaddingMode.None);
            if (mode == TpmAlgId.Ofb) stream.CopyTo(iv);
            else Increment(iv);
            int n = Math.Min(Block, input.Length - at);
            for (int i = 0; i < n; i++) output[at + i] = (byte)(input[at + i] ^ stream[i]);
        }
    }

    static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
            if (++counter[i] != 0) break;
    }
}
