using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>
/// Hash_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, 10.1.1): the TPM's random number generator
/// (Part 1, 11.4.10), seeded from the platform's entropy source. Security strength 256 bits,
/// seedlen 440 bits. Chosen over HMAC_DRBG because a 32-octet request costs two hash
/// computations instead of six HMAC passes. Reseeded from fresh entropy after
/// <see cref="ReseedInterval"/> requests (90A allows 2^48).
/// </summary>
internal sealed class Drbg
{
    const int OutLength = 32;                 // SHA-256 outlen, 10.1 Table 2
    const int SeedLength = 55;                // seedlen = 440 bits
    const int EntropyLength = 48;             // 256 bits of entropy plus a 128-bit nonce
    public const long ReseedInterval = 1L << 20;
    const int MaxRequest = 1 << 16;           // 90A allows 2^19 bits per request

    readonly ICrypto _crypto;
    readonly IPlatform _platform;
    readonly byte[] _v = new byte[SeedLength];
    readonly byte[] _c = new byte[SeedLength];
    long _reseedCounter;

    public Drbg(ICrypto crypto, IPlatform platform, ReadOnlySpan<byte> personalization)
    {
        _crypto = crypto;
        _platform = platform;
        // 10.1.1.2: seed_material = entropy_input || nonce || personalization_string
        Span<byte> material = stackalloc byte[EntropyLength + 64];
        if (personalization.Length > 64) personalization = personalization[..64];
        _platform.GetEntropy(material[..EntropyLength]);
        personalization.CopyTo(material[EntropyLength..]);
        Seed(material[..(EntropyLength + personalization.Length)]);
        CryptographicOperations.ZeroMemory(material);
    }

    Drbg(ICrypto crypto, IPlatform platform)
    {
        _crypto = crypto;
        _platform = platform;
    }

    /// <summary>Deterministic instance for known-answer tests: seed_material given whole.</summary>
    internal static Drbg ForKnownAnswer(ICrypto crypto, IPlatform platform, ReadOnlySpan<byte> entropyNoncePersonalization)
    {
        var drbg = new Drbg(crypto, platform);
        drbg.Seed(entropyNoncePersonalization);
        return drbg;
    }

    /// <summary>V = Hash_df(seed_material); C = Hash_df(0x00 || V); reseed_counter = 1.</summary>
    void Seed(ReadOnlySpan<byte> material)
    {
        HashDf(material, _v);
        Span<byte> prefixed = stackalloc byte[1 + SeedLength];
        prefixed[0] = 0x00;
        _v.CopyTo(prefixed[1..]);
        HashDf(prefixed, _c);
        _reseedCounter = 1;
    }

    /// <summary>10.1.1.3: seed_material = 0x01 || V || entropy_input || additional_input.</summary>
    public void Reseed(ReadOnlySpan<byte> additional)
    {
        Span<byte> entropy = stackalloc byte[EntropyLength];
        _platform.GetEntropy(entropy);
        ReseedWith(entropy, additional);
        CryptographicOperations.ZeroMemory(entropy);
    }

    internal void ReseedWith(ReadOnlySpan<byte> entropy, ReadOnlySpan<byte> additional)
    {
        if (additional.Length > 256) additional = additional[..256];
        if (entropy.Length > EntropyLength) entropy = entropy[..EntropyLength];
        Span<byte> material = stackalloc byte[1 + SeedLength + EntropyLength + 256];
        material[0] = 0x01;
        _v.CopyTo(material[1..]);
        entropy.CopyTo(material[(1 + SeedLength)..]);
        additional.CopyTo(material[(1 + SeedLength + entropy.Length)..]);
        Seed(material[..(1 + SeedLength + entropy.Length + additional.Length)]);
        CryptographicOperations.ZeroMemory(material);
    }

    /// <summary>Mixes caller data into the state as additional input does (10.1.1.4 step 2):
    /// V = V + Hash(0x02 || V || input). TPM2_StirRandom (Part 3, 16.2).</summary>
    public void Stir(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        Span<byte> material = stackalloc byte[1 + SeedLength + 256];
        if (input.Length > 256) input = input[..256];
        material[0] = 0x02;
        _v.CopyTo(material[1..]);
        input.CopyTo(material[(1 + SeedLength)..]);
        Span<byte> w = stackalloc byte[OutLength];
        _crypto.Hash(TpmAlgId.Sha256, material[..(1 + SeedLength + input.Length)], w);
        AddInto(_v, w);
        CryptographicOperations.ZeroMemory(material);
    }

    /// <summary>10.1.1.4: fills <paramref name="output"/> with random bytes.</summary>
    public void Generate(Span<byte> output)
    {
        while (output.Length > MaxRequest)
        {
            Generate(output[..MaxRequest]);
            output = output[MaxRequest..];
        }
        if (_reseedCounter > ReseedInterval) Reseed([]);

        // Hashgen (10.1.1.4): data = V; W = Hash(data) || Hash(data + 1) || ...
        Span<byte> data = stackalloc byte[SeedLength];
        Span<byte> block = stackalloc byte[OutLength];
        _v.CopyTo(data);
        while (!output.IsEmpty)
        {
            int n = Math.Min(output.Length, OutLength);
            if (n == OutLength)
            {
                _crypto.Hash(TpmAlgId.Sha256, data, output);
            }
            else
            {
                _crypto.Hash(TpmAlgId.Sha256, data, block);
                block[..n].CopyTo(output);
            }
            output = output[n..];
            AddInto(data, [1]);
        }

        // H = Hash(0x03 || V); V = (V + H + C + reseed_counter) mod 2^seedlen
        Span<byte> prefixed = stackalloc byte[1 + SeedLength];
        prefixed[0] = 0x03;
        _v.CopyTo(prefixed[1..]);
        _crypto.Hash(TpmAlgId.Sha256, prefixed, block);
        AddInto(_v, block);
        AddInto(_v, _c);
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(counter, (ulong)_reseedCounter);
        AddInto(_v, counter);
        _reseedCounter++;
        CryptographicOperations.ZeroMemory(data);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>10.3.1 Hash_df: Hash(counter || no_of_bits_to_return || input) for counter = 1, 2, ...</summary>
    void HashDf(ReadOnlySpan<byte> input, Span<byte> result)
    {
        Span<byte> buffer = stackalloc byte[5 + 1 + SeedLength + EntropyLength + 256];
        Span<byte> block = stackalloc byte[OutLength];
        BinaryPrimitives.WriteUInt32BigEndian(buffer[1..], (uint)result.Length * 8);
        input.CopyTo(buffer[5..]);
        var material = buffer[..(5 + input.Length)];
        for (byte counter = 1; !result.IsEmpty; counter++)
        {
            material[0] = counter;
            _crypto.Hash(TpmAlgId.Sha256, material, block);
            int n = Math.Min(result.Length, OutLength);
            block[..n].CopyTo(result);
            result = result[n..];
        }
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>value = (value + addend) mod 2^(8·value.Length), both big-endian, addend right-aligned.</summary>
    static void AddInto(Span<byte> value, ReadOnlySpan<byte> addend)
    {
        int carry = 0;
        for (int i = value.Length - 1, j = addend.Length - 1; i >= 0; i--, j--)
        {
            int sum = value[i] + (j >= 0 ? addend[j] : 0) + carry;
            value[i] = (byte)sum;
            carry = sum >> 8;
            if (j < 0 && carry == 0) break;
        }
    }
}
