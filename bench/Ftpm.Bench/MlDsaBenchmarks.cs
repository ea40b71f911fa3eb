using static Ftpm.Bench.Wire;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Ftpm.Crypto;
using Ftpm.Ports;

namespace Ftpm.Bench;

/// <summary>
/// ML-DSA-65 (TPM 2.0 Library v185, FIPS 204) through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>:
/// TPM2_SignDigest of an external μ (hedged: rnd from the DRBG), TPM2_VerifyDigestSignature of that signature
/// (with its TPM_ST_DIGEST_VERIFIED ticket), and a whole sign sequence (SignSequenceStart plus
/// SignSequenceComplete of a 1 KiB message: the pair is the figure, since the sequence is flushed). The
/// baselines are the crypto port's MlDsaSignMu and MlDsaVerifyMu on the same key: on this machine the
/// managed signer (OpenSSL 3.0 has no ML-DSA, so .NET's MLDsa is not supported).
/// </summary>
[MemoryDiagnoser]
public class MlDsaBenchmarks
{
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    Tpm _tpm = null!;
    byte[] _signDigest = null!, _verifyDigest = null!, _signStart = null!, _signComplete = null!;
    readonly PlatformCrypto _crypto = new();
    IAsymmetricKey _key = null!;
    readonly byte[] _mu = new byte[64], _rnd = new byte[32], _signature = new byte[3309];
    uint _keyHandle;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < _mu.Length; i++) _mu[i] = (byte)(0x11 * i);
        _tpm = KeyCommands.NewTpm();
        // TPMT_PUBLIC: ML-DSA-65, SHA-256 nameAlg, fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|sign,
        // allowExternalMu YES.
        var template = Cat(U16(0x00A1), U16(0x000B), U32(0x00040072), U16(0), U16(0x0002), [1], U16(0));
        _keyHandle = Handle(Run("CreatePrimary(ML-DSA-65)", Build(0x131, [0x40000001], 1,
            Cat(Sized(Cat(Sized([]), Sized([]))), Sized(template), Sized([]), U32(0)))));
        _signDigest = Build(0x1A6, [_keyHandle], 1, Cat(Sized([]), Sized(_mu), U16(0x8024), U32(0x40000007), U16(0)));
        int n = Run("SignDigest", _signDigest);
        // Password-session response: handles none, parameterSize, TPMT_SIGNATURE.
        var signature = _response.AsSpan(14, n - 14 - 5).ToArray();
        _verifyDigest = Build(0x1A5, [_keyHandle], 0, Cat(Sized([]), Sized(_mu), signature));
        Run("VerifyDigestSignature", _verifyDigest);
        _signStart = Build(0x1AA, [_keyHandle], 0, Cat(Sized([]), Sized([])));
        uint sequence = Handle(Run("SignSequenceStart", _signStart));
        var message = new byte[1024];
        for (int i = 0; i < message.Length; i++) message[i] = (byte)i;
        _signComplete = Build(0x1A4, [sequence, _keyHandle], 2, Sized(message));
        Run("SignSequenceComplete", _signComplete);

        // The port alone, on a key from the same kind of seed.
        _key = _crypto.MlDsaGenerate(TpmMlDsaParms.MlDsa65, new byte[32])!;
        _crypto.MlDsaSignMu(_key, _mu, _rnd, _signature);
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    int Run(string name, byte[] command) => Commands.ExecuteOk(_tpm, command, _response, name);

    uint Handle(int length) => length >= 14
        ? BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10))
        : throw new InvalidOperationException("response has no handle");


    [Benchmark]
    public int SignDigest_MlDsa65() => _tpm.Execute(0, _signDigest, _response);

    [Benchmark]
    public int VerifyDigestSignature_MlDsa65() => _tpm.Execute(0, _verifyDigest, _response);

    /// <summary>SignSequenceStart then SignSequenceComplete of 1 KiB (the sequence lands in the same slot each time).</summary>
    [Benchmark]
    public int SignSequence_MlDsa65_1KiB()
    {
        _tpm.Execute(0, _signStart, _response);
        return _tpm.Execute(0, _signComplete, _response);
    }

    [Benchmark]
    public int Port_SignMu_MlDsa65() => _crypto.MlDsaSignMu(_key, _mu, _rnd, _signature);

    [Benchmark]
    public bool Port_VerifyMu_MlDsa65() => _crypto.MlDsaVerifyMu(_key, _mu, _signature);
}
