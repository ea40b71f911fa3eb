using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>
/// HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, 10.1.2): the TPM's random number generator
/// (Part 1, 11.4.10), seeded from the platform's entropy source. Security strength 256 bits;
/// reseeded from fresh entropy after <see cref="ReseedInterval"/> requests (90A allows 2^48).
/// </summary>
internal sealed class Drbg
{
    const int OutLength = 32;                 // SHA-256 output, 10.1 Table 2
    const int SeedLength = 48;                // entropy input: 256 bits plus a nonce of half that
    public const long ReseedInterval = 1L << 20;
    const int MaxRequest = 1 << 16;           // max bytes per generate call (90A allows 2^19 bits)

    readonly ICrypto _crypto;
    readonly IPlatform _platform;
    readonly byte[] _key = new byte[OutLength];
    readonly byte[] _v = new byte[OutLength];
    long _reseedCounter;

    public Drbg(ICrypto crypto, IPlatform platform, ReadOnlySpan<byte> personalization)
    {
        _crypto = crypto;
        _platform = platform;
        Instantiate(personalization);
    }

    /// <summary>10.1.2.3: Key = 0x00.., V = 0x01.., then Update(entropy || nonce || personalization).</summary>
    void Instantiate(ReadOnlySpan<byte> personalization)
    {
        _key.AsSpan().Clear();
        _v.AsSpan().Fill(0x01);
        Reseed(personalization);
    }

    /// <summary>10.1.2.4: Update(entropy || additional input), counter back to 1.</summary>
    public void Reseed(ReadOnlySpan<byte> additional)
    {
        Span<byte> seed = stackalloc byte[SeedLength + 256];
        if (additional.Length > 256) additional = additional[..256];
        _platform.GetEntropy(seed[..SeedLength]);
        additional.CopyTo(seed[SeedLength..]);
        Update(seed[..(SeedLength + additional.Length)]);
        CryptographicOperations.ZeroMemory(seed);
        _reseedCounter = 1;
    }

    /// <summary>Mixes caller data into the state (TPM2_StirRandom: additional input, Part 3, 16.2).</summary>
    public void Stir(ReadOnlySpan<byte> input) => Update(input);

    /// <summary>10.1.2.5: fills <paramref name="output"/> with random bytes.</summary>
    public void Generate(Span<byte> output)
    {
        while (output.Length > MaxRequest)
        {
            Generate(output[..MaxRequest]);
            output = output[MaxRequest..];
        }
        if (_reseedCounter > ReseedInterval) Reseed([]);
        while (!output.IsEmpty)
        {
            _crypto.Hmac(TpmAlgId.Sha256, _key, _v, _v);
            int n = Math.Min(output.Length, OutLength);
            _v.AsSpan(0, n).CopyTo(output);
            output = output[n..];
        }
        Update([]);
        _reseedCounter++;
    }

    /// <summary>10.1.2.2 HMAC_DRBG_Update.</summary>
    void Update(ReadOnlySpan<byte> provided)
    {
        Span<byte> buffer = stackalloc byte[OutLength + 1 + 512];
        if (provided.Length > 512) provided = provided[..512];
        int length = OutLength + 1 + provided.Length;
        for (byte round = 0; round <= 1; round++)
        {
            // K = HMAC(K, V || round || provided); V = HMAC(K, V)
            _v.CopyTo(buffer);
            buffer[OutLength] = round;
            provided.CopyTo(buffer[(OutLength + 1)..]);
            _crypto.Hmac(TpmAlgId.Sha256, _key, buffer[..length], _key);
            _crypto.Hmac(TpmAlgId.Sha256, _key, _v, _v);
            if (provided.IsEmpty) break;
        }
        CryptographicOperations.ZeroMemory(buffer);
    }
}
