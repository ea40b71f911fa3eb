using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Crypto;

/// <summary>
/// AES-CMAC (NIST SP 800-38B; RFC 4493) as a multi-part MAC over .NET's AES-ECB. Written here rather
/// than taken from BouncyCastle because a MAC sequence must be cloneable (TPM2_ContextSave of a
/// TPM2_MAC_Start sequence): the whole state is the chaining value and the last, possibly partial,
/// block, which is held back until Finish decides which subkey it takes (SP 800-38B, 6.2).
/// </summary>
internal sealed class Cmac : IHashOperation
{
    const int BlockSize = 16;

    readonly Aes _aes;
    readonly byte[] _k1 = new byte[BlockSize], _k2 = new byte[BlockSize];
    readonly byte[] _x = new byte[BlockSize];
    readonly byte[] _last = new byte[BlockSize];
    int _lastLength;

    Cmac(Aes aes)
    {
        _aes = aes;
    }

    /// <summary>A CMAC operation under an AES key of 128, 192 or 256 bits.</summary>
    public static Cmac Create(ReadOnlySpan<byte> key)
    {
        var cmac = new Cmac(NewAes(key.ToArray()));
        var aes = cmac._aes;
        // SP 800-38B, 6.1: L = CIPH_K(0^128); K1 = dbl(L), K2 = dbl(K1), with Rb = 0x87.
        Span<byte> l = stackalloc byte[BlockSize];
        l.Clear();
        aes.EncryptEcb(l, l, PaddingMode.None);
        Double(l, cmac._k1);
        Double(cmac._k1, cmac._k2);
        CryptographicOperations.ZeroMemory(l);
        return cmac;
    }

    /// <summary>An AES object holding <paramref name="key"/>; the array is wiped (Aes keeps its own copy).</summary>
    static Aes NewAes(byte[] key)
    {
        var aes = Aes.Create();
        aes.Key = key;
        CryptographicOperations.ZeroMemory(key);
        return aes;
    }

    /// <summary>Multiplication by x in GF(2^128): a left shift by one bit, and XOR of 0x87 into the
    /// last octet when the bit shifted out was 1.</summary>
    static void Double(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int carry = 0;
        for (int i = BlockSize - 1; i >= 0; i--)
        {
            int b = input[i];
            output[i] = (byte)((b << 1) | carry);
            carry = b >> 7;
        }
        // Constant time: the mask is 0x87 or 0 without a branch on the secret bit.
        output[BlockSize - 1] ^= (byte)(0x87 & -carry);
    }

    public TpmAlgId Algorithm => TpmAlgId.Cmac;

    public void Update(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            // A full held-back block is processed only once more data shows it is not the last.
            if (_lastLength == BlockSize)
            {
                Chain(_last);
                _lastLength = 0;
            }
            int n = Math.Min(BlockSize - _lastLength, data.Length);
            data[..n].CopyTo(_last.AsSpan(_lastLength));
            _lastLength += n;
            data = data[n..];
        }
    }

    void Chain(ReadOnlySpan<byte> block)
    {
        for (int i = 0; i < BlockSize; i++) _x[i] ^= block[i];
        _aes.EncryptEcb(_x, _x, PaddingMode.None);
    }

    /// <summary>Writes the 16-octet tag and resets nothing: the operation is finished.</summary>
    public int Finish(Span<byte> mac)
    {
        Span<byte> block = stackalloc byte[BlockSize];
        block.Clear();
        _last.AsSpan(0, _lastLength).CopyTo(block);
        if (_lastLength == BlockSize)
        {
            for (int i = 0; i < BlockSize; i++) block[i] ^= _k1[i];
        }
        else
        {
            // SP 800-38B, 6.2 step 3: an incomplete (or empty) last block is padded with 10* and takes K2.
            block[_lastLength] = 0x80;
            for (int i = 0; i < BlockSize; i++) block[i] ^= _k2[i];
        }
        Chain(block);
        _x.CopyTo(mac);
        CryptographicOperations.ZeroMemory(block);
        return BlockSize;
    }

    public IHashOperation Clone()
    {
        var copy = new Cmac(NewAes(_aes.Key)) { _lastLength = _lastLength };
        _k1.CopyTo(copy._k1, 0);
        _k2.CopyTo(copy._k2, 0);
        _x.CopyTo(copy._x, 0);
        _last.CopyTo(copy._last, 0);
        return copy;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_k1);
        CryptographicOperations.ZeroMemory(_k2);
        CryptographicOperations.ZeroMemory(_x);
        CryptographicOperations.ZeroMemory(_last);
        _aes.Dispose();
    }
}
