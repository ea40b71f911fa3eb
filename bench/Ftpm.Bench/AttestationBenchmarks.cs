using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Ftpm.Bench;

/// <summary>
/// TPM2_Quote (Part 3, 18.4) through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/> with
/// an attestation key as tpm2_createak makes it (restricted signing key, endorsement hierarchy): ECDSA
/// P-256 and RSASSA-2048, both SHA-256, a 32-octet nonce and the SHA-256 bank's PCRs 0-7, password
/// session. The figure covers the PCR digest, filling and marshaling TPMS_ATTEST, hashing it and the
/// signature. Each category's baseline is the raw .NET signature of one digest, so Ratio is the whole
/// command against its signature.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AttestationBenchmarks
{
    const uint Endorsement = 0x4000000B;

    // Restricted signing AK templates: fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|restricted|sign.
    const string EccAk = "0023 000B 00050472 0000 0010 0018 000B 0003 0010 0000 0000";
    const string RsaAk = "0001 000B 00050472 0000 0010 0014 000B 0800 00000000 0000";

    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    readonly byte[] _digest = new byte[32];
    readonly byte[] _signature = new byte[512];
    Tpm _tpm = null!;
    byte[] _quoteEcc = null!, _quoteRsa = null!;
    ECDsa _rawEcdsa = null!;
    RSA _rawRsa = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tpm = KeyCommands.NewTpm();
        uint ecc = Handle(Commands.ExecuteOk(_tpm, KeyCommands.CreatePrimary(EccAk, Endorsement), _response, "CreatePrimary(ECC AK)"));
        uint rsa = Handle(Commands.ExecuteOk(_tpm, KeyCommands.CreatePrimary(RsaAk, Endorsement), _response, "CreatePrimary(RSA AK)"));
        _quoteEcc = Quote(ecc);
        _quoteRsa = Quote(rsa);
        Commands.ExecuteOk(_tpm, _quoteEcc, _response, "Quote(ECC AK)");
        Commands.ExecuteOk(_tpm, _quoteRsa, _response, "Quote(RSA AK)");
        _rawEcdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _rawRsa = RSA.Create(2048);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawEcdsa.Dispose();
        _rawRsa.Dispose();
    }

    uint Handle(int length) => length >= 14
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10))
        : throw new InvalidOperationException("response has no handle");

    /// <summary>TPM2_Quote: qualifyingData (32 octets), the key's scheme (TPM_ALG_NULL), SHA-256 PCRs 0-7.</summary>
    static byte[] Quote(uint key) => KeyCommands.Build(0x158, [key], true, Wire.Cat(
        Wire.Sized(new byte[32]), Wire.U16(0x0010), Wire.H("00000001 000B 03 FF0000")));

    [Benchmark, BenchmarkCategory("Quote ECC")]
    public int Quote_EcdsaP256_Ak_8Pcrs() => _tpm.Execute(0, _quoteEcc, _response);

    [Benchmark(Baseline = true), BenchmarkCategory("Quote ECC")]
    public int Raw_ECDsa_SignHash_P256() => _rawEcdsa.SignHash(_digest, _signature);

    [Benchmark, BenchmarkCategory("Quote RSA")]
    public int Quote_Rsa2048_RsaSsa_Ak_8Pcrs() => _tpm.Execute(0, _quoteRsa, _response);

    [Benchmark(Baseline = true), BenchmarkCategory("Quote RSA")]
    public int Raw_RSA_SignHash_2048_Pkcs1() =>
        _rawRsa.SignHash(_digest, _signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
}
