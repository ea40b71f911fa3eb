using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using static Ftpm.Bench.KeyCommands;
using static Ftpm.Bench.Wire;

namespace Ftpm.Bench;

/// <summary>
/// v185 ML-KEM-768 through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>: TPM2_Encapsulate
/// (ML-KEM.Encaps with m from the DRBG, no authorization) and TPM2_Decapsulate (ML-KEM.Decaps, a password
/// session) with an unrestricted ML-KEM-768 decryption primary, and TPM2_ActivateCredential with an ML-KEM-768
/// restricted decryption key (the Labeled KEM: Decaps + KDFa, then the wrapper's KDFa, HMAC and CFB). Which
/// ML-KEM implementation runs is what the crypto port selects: .NET's MLKem where the platform has it, else
/// BouncyCastle's managed FIPS 203 (the case on OpenSSL 3.0).
/// </summary>
[MemoryDiagnoser]
public class KemBenchmarks
{
    const string MlKem768Decrypt = "00A0 000B 00020472 0000 0010 0002 0000";
    const string MlKem768Storage = "00A0 000B 00030472 0000 0006 0080 0043 0002 0000";

    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    Tpm _tpm = null!;
    byte[] _encapsulate = null!, _decapsulate = null!, _activate = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tpm = NewTpm();
        uint key = Handle(Run("CreatePrimary(ML-KEM-768)", CreatePrimary(MlKem768Decrypt)));
        _encapsulate = Build(0x1A7, [key], false, []);
        int n = Run("Encapsulate", _encapsulate);
        // sharedSecret, then ciphertext.
        var parameters = _response.AsSpan(10, n - 10);
        int secretSize = BinaryPrimitives.ReadUInt16BigEndian(parameters);
        var ciphertext = parameters[(2 + secretSize)..].ToArray();
        _decapsulate = Build(0x1A8, [key], true, ciphertext);
        Run("Decapsulate", _decapsulate);

        uint ek = Handle(Run("CreatePrimary(ML-KEM-768 storage)", CreatePrimary(MlKem768Storage)));
        n = Run("ReadPublic", Build(0x173, [ek], false, []));
        parameters = _response.AsSpan(10, n - 10);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(parameters);
        var name = parameters.Slice(2 + publicSize + 2, BinaryPrimitives.ReadUInt16BigEndian(parameters[(2 + publicSize)..])).ToArray();
        n = Run("MakeCredential", Build(0x168, [ek], false, Cat(Sized(new byte[32]), Sized(name))));
        // ActivateCredential(activateHandle = the EK itself, keyHandle = the EK), two password sessions.
        var made = _response.AsSpan(10, n - 10).ToArray();
        _activate = Activate(ek, made);
        Run("ActivateCredential", _activate);
    }

    static byte[] Activate(uint ek, byte[] made)
    {
        var body = new List<byte>();
        body.AddRange(U32(ek));
        body.AddRange(U32(ek));
        body.AddRange(U32(18));
        for (int i = 0; i < 2; i++) body.AddRange(Cat(U32(0x40000009), U16(0), [0x01], U16(0)));
        body.AddRange(made);
        return Cat(U16(0x8002), U32((uint)(10 + body.Count)), U32(0x147), body.ToArray());
    }

    static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }

    int Run(string name, byte[] command) => Commands.ExecuteOk(_tpm, command, _response, name);

    uint Handle(int length) => length >= 14
        ? BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10))
        : throw new InvalidOperationException("response has no handle");

    [Benchmark]
    public int Encapsulate_MlKem768() => _tpm.Execute(0, _encapsulate, _response);

    [Benchmark]
    public int Decapsulate_MlKem768() => _tpm.Execute(0, _decapsulate, _response);

    [Benchmark]
    public int ActivateCredential_MlKem768() => _tpm.Execute(0, _activate, _response);
}
