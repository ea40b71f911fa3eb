using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using static Ftpm.Bench.Wire;

namespace Ftpm.Bench;

/// <summary>
/// Key and cryptographic commands through <see cref="Tpm.Execute(byte, ReadOnlySpan{byte}, Span{byte})"/>:
/// CreatePrimary (ECC P-256 and RSA-2048 answered from the primary key cache),
/// Create, Load, Sign (ECDSA P-256, RSASSA-2048), RSA_Decrypt (OAEP), EncryptDecrypt2 (AES-128-CFB,
/// 1 KiB) and HMAC (1 KiB). Every authorized command carries a password session (tag 0x8002, TPM_RS_PW,
/// empty auth). A TPM holds only three transient objects, so the benchmarks that load an object flush it
/// in the same invocation: their figure is the pair. <c>ContextLoad_PlusFlush</c> (a saved ECC key loaded
/// and flushed again) bounds the FlushContext share from above.
/// The cold RSA-2048 CreatePrimary (a prime search every time) is in <see cref="ColdPrimaryKeyBenchmarks"/>.
/// Raw baselines are the .NET operations the commands wrap; each category's baseline sets Ratio.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class KeyBenchmarks
{
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    Tpm _storage = null!, _asymmetric = null!, _symmetric = null!;

    byte[] _createPrimaryEcc = null!, _createPrimaryRsa = null!, _create = null!, _load = null!;
    byte[] _signEcdsa = null!, _signRsa = null!, _rsaDecrypt = null!, _encryptDecrypt = null!, _hmac = null!;
    byte[] _contextLoad = null!, _loadRsa = null!;

    ECDsa _rawEcdsa = null!;
    RSA _rawRsa = null!;
    byte[] _rawCipherText = null!;
    readonly byte[] _digest = new byte[32];
    readonly byte[] _signature = new byte[512];
    readonly byte[] _plain = new byte[512];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < _digest.Length; i++) _digest[i] = (byte)(0x40 + i);
        var data = new byte[1024];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;

        // TPM 1: an ECC storage primary (SRK) and an ECDSA child; one slot left for the flush pairs.
        _storage = KeyCommands.NewTpm();
        uint srk = Handle(Run(_storage, "CreatePrimary(ECC SRK)", KeyCommands.CreatePrimary(KeyCommands.EccStorage)));
        _createPrimaryEcc = KeyCommands.CreatePrimary(KeyCommands.EccStorage);
        _createPrimaryRsa = KeyCommands.CreatePrimary(KeyCommands.RsaStorage);
        FlushPair(_storage, "CreatePrimary(RSA SRK), first derivation", _createPrimaryRsa);
        _create = KeyCommands.Create(srk, KeyCommands.EccSigning);
        Run(_storage, "Create(ECDSA)", _create);
        var created = KeyCommands.Parameters(_response, handles: 0);
        _load = KeyCommands.Load(srk, created);
        uint ecdsa = Handle(Run(_storage, "Load(ECDSA)", _load));
        _signEcdsa = KeyCommands.Sign(ecdsa, _digest);
        Run(_storage, "Sign(ECDSA)", _signEcdsa);
        Run(_storage, "Create(RSASSA)", KeyCommands.Create(srk, KeyCommands.RsaSigning));
        var createdRsa = KeyCommands.Parameters(_response, handles: 0);
        _loadRsa = KeyCommands.Load(srk, createdRsa);
        FlushPair(_storage, "Load(RSASSA)", _loadRsa);
        int n = Run(_storage, "ContextSave", KeyCommands.ContextSave(ecdsa));
        _contextLoad = KeyCommands.ContextLoad(_response.AsSpan(10, n - 10));
        FlushPair(_storage, "ContextLoad", _contextLoad);

        // TPM 2: RSA-2048 RSASSA and OAEP primaries.
        _asymmetric = KeyCommands.NewTpm();
        uint rsaSign = Handle(Run(_asymmetric, "CreatePrimary(RSASSA)", KeyCommands.CreatePrimary(KeyCommands.RsaSigning)));
        uint rsaDecrypt = Handle(Run(_asymmetric, "CreatePrimary(OAEP)", KeyCommands.CreatePrimary(KeyCommands.RsaOaep)));
        _signRsa = KeyCommands.Sign(rsaSign, _digest);
        Run(_asymmetric, "Sign(RSASSA)", _signRsa);
        n = Run(_asymmetric, "RSA_Encrypt", KeyCommands.RsaEncrypt(rsaDecrypt, _digest));
        var cipherText = _response.AsSpan(12, BinaryPrimitives.ReadUInt16BigEndian(_response.AsSpan(10))).ToArray();
        _rsaDecrypt = KeyCommands.RsaDecrypt(rsaDecrypt, cipherText);
        Run(_asymmetric, "RSA_Decrypt", _rsaDecrypt);

        // TPM 3: AES-128-CFB and HMAC-SHA256 primaries.
        _symmetric = KeyCommands.NewTpm();
        uint aes = Handle(Run(_symmetric, "CreatePrimary(AES)", KeyCommands.CreatePrimary(KeyCommands.Aes128Cfb)));
        uint hmac = Handle(Run(_symmetric, "CreatePrimary(HMAC)", KeyCommands.CreatePrimary(KeyCommands.HmacSha256)));
        _encryptDecrypt = KeyCommands.EncryptDecrypt2(aes, data);
        n = Run(_symmetric, "EncryptDecrypt2", _encryptDecrypt);
        _hmac = KeyCommands.Hmac(hmac, data);
        Run(_symmetric, "HMAC", _hmac);

        _rawEcdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _rawRsa = RSA.Create(2048);
        _rawCipherText = _rawRsa.Encrypt(_digest, RSAEncryptionPadding.OaepSHA256);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawEcdsa.Dispose();
        _rawRsa.Dispose();
    }

    int Run(Tpm tpm, string name, byte[] command) => Commands.ExecuteOk(tpm, command, _response, name);

    /// <summary>The handle at the start of the response that <paramref name="length"/> octets long.</summary>
    uint Handle(int length) => length >= 14
        ? BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10))
        : throw new InvalidOperationException("response has no handle");

    void FlushPair(Tpm tpm, string name, byte[] command)
    {
        uint handle = Handle(Run(tpm, name, command));
        Run(tpm, "FlushContext", KeyCommands.Flush(handle));
    }

    /// <summary>Executes a command that loads an object, then flushes the handle it returned.</summary>
    int ExecuteAndFlush(Tpm tpm, byte[] command)
    {
        tpm.Execute(0, command, _response);
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10));
        Span<byte> flush = stackalloc byte[14];
        KeyCommands.WriteFlush(flush, handle);
        return tpm.Execute(0, flush, _response);
    }

    [Benchmark, BenchmarkCategory("Primary")]
    public int CreatePrimary_EccP256_Cached_PlusFlush() => ExecuteAndFlush(_storage, _createPrimaryEcc);

    [Benchmark, BenchmarkCategory("Primary")]
    public int CreatePrimary_Rsa2048_Cached_PlusFlush() => ExecuteAndFlush(_storage, _createPrimaryRsa);

    [Benchmark, BenchmarkCategory("Primary")]
    public int ContextLoad_PlusFlush() => ExecuteAndFlush(_storage, _contextLoad);

    [Benchmark, BenchmarkCategory("Object")]
    public int Create_EccP256_Child() => _storage.Execute(0, _create, _response);

    [Benchmark, BenchmarkCategory("Object")]
    public int Load_EccP256_PlusFlush() => ExecuteAndFlush(_storage, _load);

    /// <summary>An RSA-2048 child: unwrap, then q = n / p, d and the CRT numbers, and the .NET key.</summary>
    [Benchmark, BenchmarkCategory("Object")]
    public int Load_Rsa2048_PlusFlush() => ExecuteAndFlush(_storage, _loadRsa);

    [Benchmark, BenchmarkCategory("ECDSA")]
    public int Sign_EcdsaP256() => _storage.Execute(0, _signEcdsa, _response);

    [Benchmark(Baseline = true), BenchmarkCategory("ECDSA")]
    public int Raw_ECDsa_SignHash_P256() => _rawEcdsa.SignHash(_digest, _signature);

    [Benchmark, BenchmarkCategory("RSA sign")]
    public int Sign_Rsa2048_RsaSsa() => _asymmetric.Execute(0, _signRsa, _response);

    [Benchmark(Baseline = true), BenchmarkCategory("RSA sign")]
    public int Raw_RSA_SignHash_2048_Pkcs1() =>
        _rawRsa.SignHash(_digest, _signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark, BenchmarkCategory("RSA decrypt")]
    public int RsaDecrypt_2048_Oaep() => _asymmetric.Execute(0, _rsaDecrypt, _response);

    [Benchmark(Baseline = true), BenchmarkCategory("RSA decrypt")]
    public int Raw_RSA_Decrypt_2048_OaepSha256() =>
        _rawRsa.Decrypt(_rawCipherText, _plain, RSAEncryptionPadding.OaepSHA256);

    [Benchmark, BenchmarkCategory("Symmetric")]
    public int EncryptDecrypt2_Aes128Cfb_1KiB() => _symmetric.Execute(0, _encryptDecrypt, _response);

    [Benchmark, BenchmarkCategory("Symmetric")]
    public int Hmac_Sha256_1KiB() => _symmetric.Execute(0, _hmac, _response);
}

/// <summary>
/// RSA-2048 CreatePrimary that misses the primary key cache: each invocation changes the template's
/// authPolicy, so the key is a new prime search driven by KDFa (Part 1, 27.1). Seconds per operation, so
/// few iterations.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3, invocationCount: 1)]
public class ColdPrimaryKeyBenchmarks
{
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    Tpm _tpm = null!;
    byte[] _command = null!;
    int _policyAt;
    uint _counter;

    [GlobalSetup]
    public void Setup()
    {
        _tpm = KeyCommands.NewTpm();
        _command = KeyCommands.CreatePrimary(KeyCommands.RsaStorageWithPolicy);
        _policyAt = _command.AsSpan().IndexOf(KeyCommands.PolicyMarker);
        if (_policyAt < 0) throw new InvalidOperationException("policy marker not found");
    }

    [Benchmark]
    public int CreatePrimary_Rsa2048_Cold_PlusFlush()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_command.AsSpan(_policyAt), ++_counter);
        int n = _tpm.Execute(0, _command, _response);
        if (Commands.ResponseCode(_response, n) != 0) throw new InvalidOperationException("CreatePrimary failed");
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10));
        Span<byte> flush = stackalloc byte[14];
        KeyCommands.WriteFlush(flush, handle);
        return _tpm.Execute(0, flush, _response);
    }
}

/// <summary>Command bytes for the key benchmarks (Part 3 wire format).</summary>
internal static class KeyCommands
{
    const uint Owner = 0x40000001, RhNull = 0x40000007;

    // TPMT_PUBLIC templates (Part 2, 12.2.4). Attributes: fixedTPM|fixedParent|sensitiveDataOrigin|
    // userWithAuth|noDA (0x472) plus restricted|decrypt (storage), sign, or decrypt.
    public const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    public const string EccSigning = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";
    public const string RsaStorage = "0001 000B 00030472 0000 0006 0080 0043 0010 0800 00000000 0000";
    public const string RsaSigning = "0001 000B 00040472 0000 0010 0014 000B 0800 00000000 0000";
    public const string RsaOaep = "0001 000B 00020472 0000 0010 0017 000B 0800 00000000 0000";
    public const string Aes128Cfb = "0025 000B 00060472 0000 0006 0080 0043 0000";
    public const string HmacSha256 = "0008 000B 00040472 0000 0005 000B 0000";
    public static readonly byte[] PolicyMarker = Convert.FromHexString("A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5");
    public static readonly string RsaStorageWithPolicy =
        "0001 000B 00030472 0020 " + Convert.ToHexString(PolicyMarker) + " 0006 0080 0043 0010 0800 00000000 0000";

    public static Tpm NewTpm()
    {
        var tpm = new Tpm(new TpmOptions
        {
            Crypto = new Ftpm.Crypto.PlatformCrypto(),
            Store = new Ftpm.Ports.MemoryNvStore(),
            Platform = new Ftpm.Ports.SoftwarePlatform(),
        });
        tpm.PowerOn();
        var response = new byte[TpmLimits.MaxResponseSize];
        int n = tpm.Execute(0, Commands.StartupClear, response);
        if (Commands.ResponseCode(response, n) != 0) throw new InvalidOperationException("Startup failed");
        return tpm;
    }

    /// <summary>A command with the given handles; with <paramref name="authorized"/> a password session for
    /// the first handle.</summary>
    internal static byte[] Build(uint cc, uint[] handles, bool authorized, byte[] parameters) =>
        Wire.Build(cc, handles, authorized ? 1 : 0, parameters);

    static byte[] CreateParameters(string template) =>
        Cat(Sized(Cat(U16(0), U16(0))), Sized(H(template)), U16(0), U32(0));

    public static byte[] CreatePrimary(string template, uint hierarchy = Owner) => Build(0x131, [hierarchy], true, CreateParameters(template));
    public static byte[] Create(uint parent, string template) => Build(0x153, [parent], true, CreateParameters(template));

    /// <summary>TPM2_Load from a Create response's parameters (outPrivate, outPublic at their start).</summary>
    public static byte[] Load(uint parent, ReadOnlySpan<byte> created)
    {
        int privateSize = BinaryPrimitives.ReadUInt16BigEndian(created);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(created[(2 + privateSize)..]);
        return Build(0x157, [parent], true, created[..(2 + privateSize + 2 + publicSize)].ToArray());
    }

    /// <summary>TPM2_Sign with the key's own scheme (inScheme NULL) and a NULL hash-check ticket.</summary>
    public static byte[] Sign(uint key, byte[] digest) =>
        Build(0x15D, [key], true, Cat(Sized(digest), U16(0x0010), U16(0x8024), U32(RhNull), U16(0)));

    /// <summary>TPM2_RSA_Encrypt with the key's scheme (OAEP-SHA256) and no label.</summary>
    public static byte[] RsaEncrypt(uint key, byte[] message) =>
        Build(0x174, [key], false, Cat(Sized(message), U16(0x0010), U16(0)));

    public static byte[] RsaDecrypt(uint key, byte[] cipherText) =>
        Build(0x159, [key], true, Cat(Sized(cipherText), U16(0x0017), U16(0x000B), U16(0)));

    /// <summary>TPM2_EncryptDecrypt2: encrypt, CFB, zero IV.</summary>
    public static byte[] EncryptDecrypt2(uint key, byte[] data) =>
        Build(0x193, [key], true, Cat(Sized(data), [0x00], U16(0x0043), Sized(new byte[16])));

    public static byte[] Hmac(uint key, byte[] data) => Build(0x155, [key], true, Cat(Sized(data), U16(0x000B)));

    public static byte[] ContextSave(uint handle) => Build(0x162, [handle], false, []);
    public static byte[] ContextLoad(ReadOnlySpan<byte> context) => Build(0x161, [], false, context.ToArray());
    public static byte[] Flush(uint handle) => Build(0x165, [], false, U32(handle));

    public static void WriteFlush(Span<byte> command, uint handle)
    {
        BinaryPrimitives.WriteUInt16BigEndian(command, 0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(command[2..], 14);
        BinaryPrimitives.WriteUInt32BigEndian(command[6..], 0x165);
        BinaryPrimitives.WriteUInt32BigEndian(command[10..], handle);
    }

    /// <summary>The parameters of a TPM_ST_SESSIONS response (after the handles and parameterSize).</summary>
    public static byte[] Parameters(byte[] response, int handles)
    {
        int at = 10 + 4 * handles;
        int size = (int)BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(at));
        return response.AsSpan(at + 4, size).ToArray();
    }
}
