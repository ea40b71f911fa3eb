using System.Security.Cryptography;

namespace Ftpm.Crypto;

/// <summary>
/// EME-OAEP decoding (RFC 8017, 7.1.2 step 3) for labels .NET's OAEP cannot take, in constant time:
/// every octet of the block is visited whatever it holds, and the checks (Y = 0, lHash, the 0x01
/// separator, only zeros before it) are combined into one mask, so a failure looks the same whichever
/// check failed (Manger's attack distinguishes them; CVE-2026-6727 was that leak in the reference).
/// </summary>
internal static class Oaep
{
    /// <summary>Decodes the k-octet block <paramref name="em"/>. Returns the message length (the message is
    /// copied to <paramref name="output"/>) or -1.</summary>
    public static int Decode(HashAlgorithmName hash, int hLen, ReadOnlySpan<byte> label, ReadOnlySpan<byte> em, Span<byte> output)
    {
        int k = em.Length;
        if (k < 2 * hLen + 2) return -1;
        int dbLen = k - hLen - 1;
        var seed = new byte[hLen];
        var db = new byte[dbLen];
        try
        {
            var maskedSeed = em.Slice(1, hLen);
            var maskedDb = em.Slice(1 + hLen, dbLen);
            Mgf1(hash, hLen, maskedDb, seed);
            for (int i = 0; i < hLen; i++) seed[i] ^= maskedSeed[i];
            Mgf1(hash, hLen, seed, db);
            for (int i = 0; i < dbLen; i++) db[i] ^= maskedDb[i];

            Span<byte> lHash = stackalloc byte[64];
            CryptographicOperations.HashData(hash, label, lHash);

            // bad: all ones once any check fails. FixedTimeEquals is constant time for equal lengths.
            int bad = ~IsZero(em[0]) ;
            bad |= CryptographicOperations.FixedTimeEquals(db.AsSpan(0, hLen), lHash[..hLen]) ? 0 : -1;
            int looking = -1, index = 0;
            for (int i = hLen; i < dbLen; i++)
            {
                int isOne = IsZero(db[i] ^ 1);
                int isZero = IsZero(db[i]);
                index |= looking & isOne & i;
                bad |= looking & ~isOne & ~isZero;
                looking &= ~isOne;
            }
            bad |= looking;
            int length = dbLen - index - 1;
            // The length is revealed by the result anyway; only success or failure is decided here.
            if (bad != 0 || length > output.Length) return -1;
            db.AsSpan(index + 1, length).CopyTo(output);
            return length;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(db);
        }
    }

    /// <summary>EME-OAEP encoding (RFC 8017, 7.1.1 step 2) of <paramref name="message"/> into the k-octet
    /// block <paramref name="em"/> with a random seed; false when the message is too long.</summary>
    public static bool Encode(HashAlgorithmName hash, int hLen, ReadOnlySpan<byte> label, ReadOnlySpan<byte> message, Span<byte> em)
    {
        int k = em.Length;
        if (message.Length > k - 2 * hLen - 2) return false;
        int dbLen = k - hLen - 1;
        var seed = new byte[hLen];
        var db = new byte[dbLen];
        var mask = new byte[Math.Max(dbLen, hLen)];
        try
        {
            CryptographicOperations.HashData(hash, label, db.AsSpan(0, hLen));
            db[dbLen - message.Length - 1] = 0x01;
            message.CopyTo(db.AsSpan(dbLen - message.Length));
            RandomNumberGenerator.Fill(seed);
            Mgf1(hash, hLen, seed, mask.AsSpan(0, dbLen));
            for (int i = 0; i < dbLen; i++) db[i] ^= mask[i];
            Mgf1(hash, hLen, db, mask.AsSpan(0, hLen));
            for (int i = 0; i < hLen; i++) seed[i] ^= mask[i];
            em[0] = 0;
            seed.CopyTo(em[1..]);
            db.CopyTo(em[(1 + hLen)..]);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(db);
            CryptographicOperations.ZeroMemory(mask);
        }
    }

    /// <summary>-1 when <paramref name="v"/> (an octet value) is zero, else 0, without branching.</summary>
    static int IsZero(int v) => (int)(((uint)v - 1) >> 31) * -1;

    /// <summary>MGF1 (RFC 8017, B.2.1): mask = Hash(seed || [0]32) || Hash(seed || [1]32) ...</summary>
    public static void Mgf1(HashAlgorithmName hash, int hLen, ReadOnlySpan<byte> seed, Span<byte> mask)
    {
        var input = new byte[seed.Length + 4];
        seed.CopyTo(input);
        Span<byte> block = stackalloc byte[64];
        for (uint counter = 0, at = 0; at < mask.Length; counter++, at += (uint)hLen)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(seed.Length), counter);
            CryptographicOperations.HashData(hash, input, block);
            int n = Math.Min(hLen, mask.Length - (int)at);
            block[..n].CopyTo(mask[(int)at..]);
        }
        CryptographicOperations.ZeroMemory(input);
        CryptographicOperations.ZeroMemory(block);
    }
}
