using Ftpm.Ports;

namespace Ftpm.Crypto;

/// <summary>
/// The message representative μ of ML-DSA (FIPS 204, Algorithm 7 line 6: μ = H(tr || M′, 64)) as the
/// engine builds it through <see cref="ICrypto.MlDsaMuSetup"/>: M′ is 0 || |ctx| || ctx || M for ML-DSA
/// (Algorithm 2) and 1 || |ctx| || ctx || OID(PH) || PH(M) for HashML-DSA (Algorithm 4). A sign or verify
/// sequence writes the prefix at its start and streams M after it, so no message is ever buffered.
/// </summary>
internal static class MlDsaMessage
{
    /// <summary>Starts μ of a pure ML-DSA message: tr (absorbed by the port), then 0 || |ctx| || ctx.</summary>
    public static IHashOperation BeginPure(ICrypto crypto, IAsymmetricKey key, ReadOnlySpan<byte> context)
    {
        var mu = crypto.MlDsaMuSetup(key);
        Span<byte> prefix = [0, (byte)context.Length];
        mu.Update(prefix);
        mu.Update(context);
        return mu;
    }

    /// <summary>μ of HashML-DSA for the digest PH(M) under <paramref name="hashAlg"/>.</summary>
    public static void PreHashMu(ICrypto crypto, IAsymmetricKey key, ReadOnlySpan<byte> context, TpmAlgId hashAlg,
        ReadOnlySpan<byte> digest, Span<byte> output)
    {
        using var mu = crypto.MlDsaMuSetup(key);
        Span<byte> prefix = [1, (byte)context.Length];
        mu.Update(prefix);
        mu.Update(context);
        mu.Update(HashOid(hashAlg));
        mu.Update(digest);
        mu.Finish(output);
    }

    /// <summary>The DER encoding (tag 06, length, value) of the hash's object identifier (FIPS 204, 5.4.1;
    /// NIST's CSOR arcs 2.16.840.1.101.3.4.2.x); empty for a hash HashML-DSA cannot name.</summary>
    public static ReadOnlySpan<byte> HashOid(TpmAlgId hashAlg) => hashAlg switch
    {
        TpmAlgId.Sha256 => [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
        TpmAlgId.Sha384 => [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
        TpmAlgId.Sha512 => [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
        TpmAlgId.Sha3_256 => [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08],
        TpmAlgId.Sha3_384 => [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x09],
        TpmAlgId.Sha3_512 => [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0A],
        _ => [],
    };
}
