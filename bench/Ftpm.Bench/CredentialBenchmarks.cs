using static Ftpm.Bench.Wire;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;

namespace Ftpm.Bench;

/// <summary>
/// TPM2_ActivateCredential and TPM2_MakeCredential through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>
/// with an ECC P-256 and an RSA-2048 restricted decryption key (storage primaries, EK-shaped but
/// authorized by password instead of the EK's PolicySecret, so that each invocation is one command).
/// ActivateCredential is the secret's recovery (ECDH + KDFe, or RSA-OAEP decryption), KDFa for the wrapper
/// keys, the integrity HMAC and the CFB decryption; MakeCredential the other side with a fresh ephemeral key
/// or OAEP encryption. Both handles of ActivateCredential carry a password session.
/// </summary>
[MemoryDiagnoser]
public class CredentialBenchmarks
{
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    Tpm _tpm = null!;
    byte[] _activateEcc = null!, _activateRsa = null!, _makeEcc = null!, _makeRsa = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tpm = KeyCommands.NewTpm();
        uint ecc = Handle(Run("CreatePrimary(ECC)", KeyCommands.CreatePrimary(KeyCommands.EccStorage)));
        uint rsa = Handle(Run("CreatePrimary(RSA)", KeyCommands.CreatePrimary(KeyCommands.RsaStorage)));
        int n = Run("ReadPublic", Build(0x173, [ecc], 0, []));
        var parameters = _response.AsSpan(10, n - 10);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(parameters);
        var name = parameters.Slice(2 + publicSize + 2, BinaryPrimitives.ReadUInt16BigEndian(parameters[(2 + publicSize)..])).ToArray();
        var credential = new byte[32];
        for (int i = 0; i < credential.Length; i++) credential[i] = (byte)(0x30 + i);

        _makeEcc = Build(0x168, [ecc], 0, Cat(Sized(credential), Sized(name)));
        _makeRsa = Build(0x168, [rsa], 0, Cat(Sized(credential), Sized(name)));
        _activateEcc = Activate(ecc, ecc, _makeEcc);
        _activateRsa = Activate(ecc, rsa, _makeRsa);
        Run("ActivateCredential(ECC)", _activateEcc);
        Run("ActivateCredential(RSA)", _activateRsa);
    }

    /// <summary>TPM2_ActivateCredential of what <paramref name="make"/> returns (credentialBlob, secret).</summary>
    byte[] Activate(uint activated, uint protector, byte[] make)
    {
        int n = Run("MakeCredential", make);
        return Build(0x147, [activated, protector], 2, _response.AsSpan(10, n - 10).ToArray());
    }

    int Run(string name, byte[] command) => Commands.ExecuteOk(_tpm, command, _response, name);

    uint Handle(int length) => length >= 14
        ? BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10))
        : throw new InvalidOperationException("response has no handle");


    [Benchmark]
    public int ActivateCredential_EccP256() => _tpm.Execute(0, _activateEcc, _response);

    [Benchmark]
    public int ActivateCredential_Rsa2048() => _tpm.Execute(0, _activateRsa, _response);

    [Benchmark]
    public int MakeCredential_EccP256() => _tpm.Execute(0, _makeEcc, _response);

    [Benchmark]
    public int MakeCredential_Rsa2048() => _tpm.Execute(0, _makeRsa, _response);
}
