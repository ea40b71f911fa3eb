using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Ftpm.Interop.Tests;

/// <summary>
/// v185 ML-KEM against a live `ftpm serve`, with raw commands over the mssim command port (no released
/// tpm2-tools speaks v185). The other side is computed here: ML-KEM-768 with BouncyCastle used directly, the
/// Labeled KEM (Part 1 v185, 47.4) and the protocols' KDFa, HMAC and CFB with .NET. Covers: an ML-KEM-768
/// primary created twice has the same public key; TPM2_Encapsulate and TPM2_Decapsulate agree; an independent
/// encapsulation decapsulates in the TPM to the same secret; an ML-KEM-salted HMAC session authorizes
/// TPM2_Create; ActivateCredential with an ML-KEM EK opens a credential made here.
/// </summary>
public sealed class MlKemMssimTests : ServerTest
{
    public MlKemMssimTests() : base("ftpm-mlkem-") { }

    const uint Owner = 0x40000001, Endorsement = 0x4000000B, RhNull = 0x40000007, Pw = 0x40000009;
    const string MlKemStorage = "00A0 000B 00030472 0000 0006 0080 0043 0002 0000";
    const string MlKemDecrypt = "00A0 000B 00020472 0000 0010 0002 0000";
    const string EccSigning = "0023 000B 00040072 0000 0010 0018 000B 0003 0010 0000 0000";

    sealed class Link : IDisposable
    {
        readonly TcpClient _tcp = new() { NoDelay = true };
        readonly NetworkStream _stream;

        public Link(int port)
        {
            _tcp.Connect(IPAddress.Loopback, port);
            _stream = _tcp.GetStream();
            _stream.ReadTimeout = 60_000;
        }

        /// <summary>One TPM command in mssim framing (SEND_COMMAND, locality 0); the response.</summary>
        public byte[] Send(byte[] command)
        {
            var frame = new byte[9 + command.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame, 8);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)command.Length);
            command.CopyTo(frame, 9);
            _stream.Write(frame);
            var response = new byte[ReadU32()];
            _stream.ReadExactly(response);
            ReadU32();
            return response;
        }

        uint ReadU32()
        {
            var b = new byte[4];
            _stream.ReadExactly(b);
            return BinaryPrimitives.ReadUInt32BigEndian(b);
        }

        public void Dispose() => _tcp.Dispose();
    }

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    static byte[] U16(int v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); return b; }
    static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    static byte[] Sized(byte[] v) => [.. U16(v.Length), .. v];
    static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    static uint Rc(byte[] r) => BinaryPrimitives.ReadUInt32BigEndian(r.AsSpan(6));
    static uint U32At(byte[] r, int at) => BinaryPrimitives.ReadUInt32BigEndian(r.AsSpan(at));

    static byte[] Command(uint cc, uint[] handles, byte[]? auth, byte[] parameters)
    {
        var body = Cat(Cat(handles.Select(U32).ToArray()), auth is null ? [] : Cat(U32((uint)auth.Length), auth), parameters);
        return Cat(U16(auth is null ? 0x8001 : 0x8002), U32((uint)(10 + body.Length)), U32(cc), body);
    }

    static byte[] Password(int count) => Cat(Enumerable.Repeat(Cat(U32(Pw), U16(0), [0x01], U16(0)), count).ToArray());

    /// <summary>The response parameters of a TPM_ST_SESSIONS response with <paramref name="handles"/> handles.</summary>
    static byte[] Parameters(byte[] r, int handles = 0) => r.AsSpan(14 + 4 * handles, (int)U32At(r, 10 + 4 * handles)).ToArray();

    static byte[][] Fields(byte[] parameters, int count)
    {
        var fields = new byte[count][];
        for (int i = 0, at = 0; i < count; i++)
        {
            int size = BinaryPrimitives.ReadUInt16BigEndian(parameters.AsSpan(at));
            fields[i] = parameters.AsSpan(at + 2, size).ToArray();
            at += 2 + size;
        }
        return fields;
    }

    static byte[] CreateParameters(string template) => Cat(Sized(Cat(U16(0), U16(0))), Sized(H(template)), U16(0), U32(0));

    /// <summary>KDFa (Part 1, 11.4.10.2) with SHA-256.</summary>
    static byte[] KdfA(byte[] key, string label, byte[] u, byte[] v, int bits)
    {
        var result = new List<byte>();
        for (uint i = 1; result.Count < bits / 8; i++)
            result.AddRange(HMACSHA256.HashData(key, Cat(U32(i), System.Text.Encoding.ASCII.GetBytes(label), [0], u, v, U32((uint)bits))));
        return result.Take(bits / 8).ToArray();
    }

    static (byte[] K, byte[] Ciphertext) BcEncapsulate(byte[] ek)
    {
        var encapsulator = new MLKemEncapsulator(MLKemParameters.ml_kem_768);
        encapsulator.Init(new ParametersWithRandom(MLKemPublicKeyParameters.FromEncoding(MLKemParameters.ml_kem_768, ek), new SecureRandom()));
        var c = new byte[encapsulator.EncapsulationLength];
        var k = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(c, 0, c.Length, k, 0, k.Length);
        return (k, c);
    }

    sealed record Key(uint Handle, byte[] Public, byte[] Name)
    {
        public byte[] Ek => Public[^1184..];
    }

    Key Primary(Link tpm, string template, uint hierarchy)
    {
        var r = tpm.Send(Command(0x131, [hierarchy], Password(1), CreateParameters(template)));
        Assert.Equal(0u, Rc(r));
        var p = Parameters(r, 1);
        var outPublic = p[2..(2 + BinaryPrimitives.ReadUInt16BigEndian(p))];
        Assert.Equal(1184, BinaryPrimitives.ReadUInt16BigEndian(outPublic.AsSpan(outPublic.Length - 1186)));
        return new Key(U32At(r, 10), outPublic, p[^34..]);
    }

    [Fact]
    public void Ml_kem_768_keys_encapsulation_salted_session_and_credential_over_mssim()
    {
        using var tpm = new Link(_server.Port);

        // The same primary twice (flushed in between): the same public key.
        var first = Primary(tpm, MlKemDecrypt, Owner);
        Assert.Equal(0u, Rc(tpm.Send(Command(0x165, [], null, U32(first.Handle)))));
        var key = Primary(tpm, MlKemDecrypt, Owner);
        Assert.Equal(Convert.ToHexString(first.Public), Convert.ToHexString(key.Public));

        // Encapsulate (no authorization) and Decapsulate agree.
        var r = tpm.Send(Command(0x1A7, [key.Handle], null, []));
        Assert.Equal(0u, Rc(r));
        var encapsulated = Fields(r[10..], 2);
        Assert.Equal(1088, encapsulated[1].Length);
        r = tpm.Send(Command(0x1A8, [key.Handle], Password(1), Sized(encapsulated[1])));
        Assert.Equal(0u, Rc(r));
        Assert.Equal(encapsulated[0], Fields(Parameters(r), 1)[0]);

        // An encapsulation made here decapsulates in ftpm to the same secret.
        var (k, c) = BcEncapsulate(key.Ek);
        r = tpm.Send(Command(0x1A8, [key.Handle], Password(1), Sized(c)));
        Assert.Equal(0u, Rc(r));
        Assert.Equal(Convert.ToHexString(k), Convert.ToHexString(Fields(Parameters(r), 1)[0]));
        // A ciphertext of the wrong size: TPM_RC_SIZE + P1.
        Assert.Equal(0x1D5u, Rc(tpm.Send(Command(0x1A8, [key.Handle], Password(1), Sized(c[..^1])))));

        // An ML-KEM-salted HMAC session: salt = KDFa(SHA-256, K, "SECRET", ciphertext, ek, 256) (Part 1 v185,
        // 16.6.13 and 47.4); sessionKey = KDFa(SHA-256, salt, "ATH", nonceTPM, nonceCaller, 256).
        var srk = Primary(tpm, MlKemStorage, Owner);
        (k, c) = BcEncapsulate(srk.Ek);
        var salt = KdfA(k, "SECRET", c, srk.Ek, 256);
        var nonceCaller = RandomNumberGenerator.GetBytes(32);
        r = tpm.Send(Command(0x176, [srk.Handle, RhNull], null, Cat(Sized(nonceCaller), Sized(c), [0x00], U16(0x0010), U16(0x000B))));
        Assert.Equal(0u, Rc(r));
        uint session = U32At(r, 10);
        var nonceTpm = Fields(r[14..], 1)[0];
        var sessionKey = KdfA(salt, "ATH", nonceTpm, nonceCaller, 256);
        // TPM2_Create under the SRK (empty authValue: only the session key makes the HMAC).
        var parameters = CreateParameters(EccSigning);
        var cpHash = SHA256.HashData(Cat(U32(0x153), srk.Name, parameters));
        var callerNonce = RandomNumberGenerator.GetBytes(32);
        var hmac = HMACSHA256.HashData(sessionKey, Cat(cpHash, callerNonce, nonceTpm, [0x01]));
        r = tpm.Send(Command(0x153, [srk.Handle], Cat(U32(session), Sized(callerNonce), [0x01], Sized(hmac)), parameters));
        Assert.Equal(0u, Rc(r));
        // The response HMAC, with the session key and the TPM's new nonce.
        int paramSize = (int)U32At(r, 10);
        var responseParameters = r.AsSpan(14, paramSize).ToArray();
        var authResponse = r.AsSpan(14 + paramSize).ToArray();
        var newNonce = Fields(authResponse, 1)[0];
        var rpHash = SHA256.HashData(Cat(U32(0), U32(0x153), responseParameters));
        var expected = HMACSHA256.HashData(sessionKey, Cat(rpHash, newNonce, callerNonce, [authResponse[2 + newNonce.Length]]));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Fields(authResponse[(3 + newNonce.Length)..], 1)[0]));

        // Three object slots: make room.
        foreach (uint handle in new[] { key.Handle, srk.Handle, session }) Assert.Equal(0u, Rc(tpm.Send(Command(0x165, [], null, U32(handle)))));

        // ActivateCredential with an ML-KEM EK: the AK is a child of the EK; the credential is made here.
        var ek = Primary(tpm, MlKemStorage, Endorsement);
        r = tpm.Send(Command(0x153, [ek.Handle], Password(1), CreateParameters(EccSigning)));
        Assert.Equal(0u, Rc(r));
        var created = Parameters(r);
        int privateSize = BinaryPrimitives.ReadUInt16BigEndian(created);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(created.AsSpan(2 + privateSize));
        r = tpm.Send(Command(0x157, [ek.Handle], Password(1), created[..(4 + privateSize + publicSize)]));
        Assert.Equal(0u, Rc(r));
        uint ak = U32At(r, 10);
        var akName = Fields(Parameters(r, 1), 1)[0];
        var credential = "mssim ML-KEM credential"u8.ToArray();
        (k, c) = BcEncapsulate(ek.Ek);
        var seed = KdfA(k, "IDENTITY", c, ek.Ek, 256);
        var symKey = KdfA(seed, "STORAGE", akName, [], 128);
        var hmacKey = KdfA(seed, "INTEGRITY", [], [], 256);
        var encIdentity = Cfb(symKey, Sized(credential));
        var blob = Cat(Sized(HMACSHA256.HashData(hmacKey, Cat(encIdentity, akName))), encIdentity);
        r = tpm.Send(Command(0x147, [ak, ek.Handle], Password(2), Cat(Sized(blob), Sized(c))));
        Assert.Equal(0u, Rc(r));
        Assert.Equal(Sized(credential), Parameters(r));
    }

    /// <summary>AES-128-CFB with a zero IV (the credential's encIdentity): CFB is a stream mode, so the
    /// ciphertext of the data zero-padded to whole blocks, cut to the data's length.</summary>
    static byte[] Cfb(byte[] key, byte[] data)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var padded = new byte[(data.Length + 15) / 16 * 16];
        data.CopyTo(padded, 0);
        return aes.EncryptCfb(padded, new byte[16], PaddingMode.None, 128)[..data.Length];
    }
}
