using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Ftpm.Bench;

/// <summary>
/// What an HMAC session with parameter encryption adds to a command, in process. The session is
/// bound to the owner hierarchy, so its sessionKey is a full SHA-256 digest, as a salted session's
/// is (salting changes only StartAuthSession, not the per-command work): the TPM checks the command
/// HMAC over cpHash, decrypts the first parameter (KDFa + AES-128-CFB), draws a new nonceTPM,
/// encrypts the first response parameter, and answers with an HMAC over rpHash.
///
/// Nonces roll, so every command needs a fresh HMAC: the session benchmarks include the caller's
/// share (one HMAC-SHA256 over cpHash || nonces || attributes, cpHash being constant here), which
/// <c>Client_CommandHmac</c> measures alone. The TPM's cost of the session is therefore
/// (session benchmark - Client_CommandHmac) - baseline. Parameters are sent as if encrypted
/// (any bytes will do: the TPM decrypts and hashes whatever arrives), so the caller does no AES.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SessionBenchmarks
{
    const ushort StNoSessions = 0x8001, StSessions = 0x8002;
    const uint CcHash = 0x17D, CcPcrEvent = 0x13C, CcStartAuthSession = 0x176;
    const uint RhOwner = 0x40000001, RhNull = 0x40000007, RsPw = 0x40000009;
    const byte ContinueDecryptEncrypt = 0x61, ContinueDecrypt = 0x21;

    Tpm _tpm = null!;
    readonly byte[] _response = new byte[TpmLimits.MaxResponseSize];
    readonly byte[] _nonceCaller = new byte[32];
    readonly byte[] _nonceTpm = new byte[32];
    byte[] _sessionKey = [];
    uint _session;

    byte[] _hashPlain = null!, _hashSession = null!, _eventPassword = null!, _eventSession = null!;
    byte[] _hashCpHash = null!, _eventCpHash = null!;
    int _hashHmacAt, _eventHmacAt;
    readonly byte[] _hmacInput = new byte[32 + 32 + 32 + 1];

    [GlobalSetup]
    public void Setup()
    {
        _tpm = new Tpm(new TpmOptions
        {
            Crypto = new Ftpm.Crypto.PlatformCrypto(),
            Store = new Ftpm.Ports.MemoryNvStore(),
            Platform = new Ftpm.Ports.SoftwarePlatform(),
        });
        _tpm.PowerOn();
        Run(Commands.StartupClear, "Startup");

        // StartAuthSession(tpmKey NULL, bind owner, HMAC, AES-128-CFB, SHA-256).
        RandomNumberGenerator.Fill(_nonceCaller);
        var start = Build(StNoSessions, CcStartAuthSession, [.. U32(RhNull), .. U32(RhOwner)], null,
            [.. Sized(_nonceCaller), .. U16(0), 0x00, .. U16(0x0006), .. U16(128), .. U16(0x0043), .. U16(0x000B)]);
        int n = Run(start, "StartAuthSession");
        _session = BinaryPrimitives.ReadUInt32BigEndian(_response.AsSpan(10));
        _response.AsSpan(16, 32).CopyTo(_nonceTpm);
        // sessionKey = KDFa(SHA-256, ownerAuth (empty) || salt (none), "ATH", nonceTPM, nonceCaller, 256).
        _sessionKey = new byte[32];
        Ftpm.Crypto.Kdf.KdfA(new Ftpm.Crypto.PlatformCrypto(), TpmAlgId.Sha256, [], "ATH"u8, _nonceTpm, _nonceCaller, _sessionKey);
        _ = n;

        var data = new byte[256];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
        byte[] hashParameters = [.. Sized(data), .. U16(0x000B), .. U32(RhNull)];
        byte[] eventParameters = [.. Sized(data[..64])];

        _hashPlain = Build(StNoSessions, CcHash, [], null, hashParameters);
        _hashSession = Build(StSessions, CcHash, [], SessionArea(ContinueDecryptEncrypt), hashParameters);
        _hashHmacAt = _hashSession.Length - hashParameters.Length - 32;
        _hashCpHash = SHA256.HashData([.. U32(CcHash), .. hashParameters]);

        _eventPassword = Build(StSessions, CcPcrEvent, U32(16), [.. U32(RsPw), .. U16(0), 0x01, .. U16(0)], eventParameters);
        _eventSession = Build(StSessions, CcPcrEvent, U32(16), SessionArea(ContinueDecrypt), eventParameters);
        _eventHmacAt = _eventSession.Length - eventParameters.Length - 32;
        _eventCpHash = SHA256.HashData([.. U32(CcPcrEvent), .. U32(16), .. eventParameters]);

        Run(_hashPlain, "Hash");
        Run(_eventPassword, "PCR_Event (password)");
        Hash_HmacSession_DecryptEncrypt();
        PcrEvent_HmacSession_Decrypt();
    }

    /// <summary>One TPMS_AUTH_COMMAND of the session, its HMAC to be filled in per command.</summary>
    byte[] SessionArea(byte attributes) =>
        [.. U32(_session), .. Sized(_nonceCaller), attributes, .. U16(32), .. new byte[32]];

    /// <summary>The caller's share: HMAC(sessionKey || ownerAuth(empty), cpHash || nonceCaller || nonceTPM ||
    /// attributes) into the command; then, after the command, the new nonceTPM from the response.</summary>
    void SignCommand(byte[] command, int hmacAt, byte[] cpHash, byte attributes)
    {
        cpHash.CopyTo(_hmacInput, 0);
        _nonceCaller.CopyTo(_hmacInput, 32);
        _nonceTpm.CopyTo(_hmacInput, 64);
        _hmacInput[96] = attributes;
        HMACSHA256.HashData(_sessionKey, _hmacInput, command.AsSpan(hmacAt, 32));
    }

    void Roll(int n)
    {
        // The response ends with the session: nonceTPM (2 + 32), attributes (1), hmac (2 + 32).
        _response.AsSpan(n - 69 + 2, 32).CopyTo(_nonceTpm);
    }

    int Run(byte[] command, string name) => Commands.ExecuteOk(_tpm, command, _response, name);

    [Benchmark(Baseline = true), BenchmarkCategory("Hash 256 B")]
    public int Hash_NoSession() => _tpm.Execute(0, _hashPlain, _response);

    [Benchmark, BenchmarkCategory("Hash 256 B")]
    public int Hash_HmacSession_DecryptEncrypt()
    {
        SignCommand(_hashSession, _hashHmacAt, _hashCpHash, ContinueDecryptEncrypt);
        int n = Run(_hashSession, "Hash (session)");
        Roll(n);
        return n;
    }

    [Benchmark, BenchmarkCategory("Hash 256 B")]
    public void Client_CommandHmac() => SignCommand(_hashSession, _hashHmacAt, _hashCpHash, ContinueDecryptEncrypt);

    [Benchmark(Baseline = true), BenchmarkCategory("PCR_Event 64 B")]
    public int PcrEvent_PasswordSession() => _tpm.Execute(0, _eventPassword, _response);

    [Benchmark, BenchmarkCategory("PCR_Event 64 B")]
    public int PcrEvent_HmacSession_Decrypt()
    {
        SignCommand(_eventSession, _eventHmacAt, _eventCpHash, ContinueDecrypt);
        int n = Run(_eventSession, "PCR_Event (session)");
        Roll(n);
        return n;
    }

    // ---- The primitives a session command uses, through the crypto port ----

    readonly Ftpm.Crypto.PlatformCrypto _crypto = new();
    readonly byte[] _aesKey = new byte[16], _iv = new byte[16], _block = new byte[256], _out = new byte[256], _mac = new byte[32];

    [Benchmark, BenchmarkCategory("Primitives")]
    public void Raw_Port_AesCfb_256B() => _crypto.Cipher(TpmAlgId.Aes, TpmAlgId.Cfb, true, _aesKey, _iv, _block, _out);

    [Benchmark, BenchmarkCategory("Primitives")]
    public int Raw_Port_HmacSha256_OneShot_97B() => _crypto.Hmac(TpmAlgId.Sha256, _sessionKey, _hmacInput, _mac);

    [Benchmark, BenchmarkCategory("Primitives")]
    public int Raw_Port_HmacSha256_Incremental_97B()
    {
        using var h = _crypto.HmacSetup(TpmAlgId.Sha256, _sessionKey);
        h.Update(_hmacInput);
        return h.Finish(_mac);
    }

    [Benchmark, BenchmarkCategory("Primitives")]
    public int Raw_Port_Sha256_Incremental_256B()
    {
        using var h = _crypto.HashSetup(TpmAlgId.Sha256);
        h.Update(_block);
        return h.Finish(_mac);
    }

    static byte[] U16(ushort v) => [(byte)(v >> 8), (byte)v];
    static byte[] U32(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
    static byte[] Sized(byte[] v) => [.. U16((ushort)v.Length), .. v];

    static byte[] Build(ushort tag, uint cc, byte[] handles, byte[]? authArea, byte[] parameters)
    {
        byte[] body = [.. handles, .. (authArea is null ? [] : (byte[])[.. U32((uint)authArea.Length), .. authArea]), .. parameters];
        return [.. U16(tag), .. U32((uint)(10 + body.Length)), .. U32(cc), .. body];
    }
}
