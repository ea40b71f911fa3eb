using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Ftpm.Interop.Tests;

/// <summary>
/// ML-DSA (TPM 2.0 Library v185) against a live `ftpm serve` over the mssim protocol. No released TSS speaks
/// v185, so the commands are built here byte by byte from Part 3 v185's tables; every signature is checked with
/// BouncyCastle's ML-DSA (FIPS 204) used directly, an implementation independent of the server's: an ML-DSA-65
/// primary created twice is the same key, a message signed through a sign sequence and an external μ signed
/// with TPM2_SignDigest verify, VerifySequenceComplete refuses one flipped bit and accepts the signature, an
/// ML-DSA attestation key quotes PCRs, and GetCapability lists the algorithms, parameter sets and commands.
/// </summary>
public sealed class MlDsaOverMssimTests : ServerTest
{
    public MlDsaOverMssimTests() : base("ftpm-mldsa-") { }

    const uint Owner = 0x40000001, Endorsement = 0x4000000B, Null = 0x40000007;
    const ushort MlDsa = 0x00A1;

    // ---- Raw commands over the mssim command port ---------------------------------------------------

    static byte[] U16(int v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); return b; }
    static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    static byte[] Sized(byte[] v) => [.. U16(v.Length), .. v];
    static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    sealed record Reply(uint Rc, byte[] Handles, byte[] Parameters);

    /// <summary>Sends a command; <paramref name="passwords"/> empty-password sessions (one per authorized handle),
    /// else TPM_ST_NO_SESSIONS. Returns the code, the response handles and the parameters.</summary>
    Reply Send(uint code, uint[] handles, int passwords, byte[] parameters, int responseHandles = 0)
    {
        var body = new List<byte>();
        foreach (var h in handles) body.AddRange(U32(h));
        if (passwords > 0)
        {
            var area = Enumerable.Range(0, passwords).SelectMany(_ => Cat(U32(0x40000009), U16(0), [0x01], U16(0))).ToArray();
            body.AddRange(U32((uint)area.Length));
            body.AddRange(area);
        }
        body.AddRange(parameters);
        var command = Cat(U16(passwords > 0 ? 0x8002 : 0x8001), U32((uint)(10 + body.Count)), U32(code), body.ToArray());

        using var tcp = new TcpClient { NoDelay = true };
        tcp.Connect(IPAddress.Loopback, _server.Port);
        using var stream = tcp.GetStream();
        stream.ReadTimeout = 60_000;
        stream.Write(Cat(U32(8), [0], U32((uint)command.Length), command));   // TPM_SEND_COMMAND, locality 0
        var length = new byte[4];
        stream.ReadExactly(length);
        var response = new byte[BinaryPrimitives.ReadUInt32BigEndian(length)];
        stream.ReadExactly(response);
        stream.ReadExactly(length);                                              // the trailing 0
        uint rc = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));
        if (rc != 0) return new Reply(rc, [], []);
        var rest = response.AsSpan(10);
        var responseHandleBytes = rest[..(4 * responseHandles)].ToArray();
        rest = rest[(4 * responseHandles)..];
        if (passwords > 0) rest = rest.Slice(4, (int)BinaryPrimitives.ReadUInt32BigEndian(rest));
        return new Reply(rc, responseHandleBytes, rest.ToArray());
    }

    static uint Handle(Reply r) => BinaryPrimitives.ReadUInt32BigEndian(r.Handles);

    /// <summary>TPMT_PUBLIC of an ML-DSA key (Part 2 v185, Table 230): nameAlg SHA-256, fixedTPM, fixedParent,
    /// sensitiveDataOrigin, userWithAuth, sign, and restricted for an AK.</summary>
    static byte[] Template(int parameterSet, bool externalMu, bool restricted) =>
        Cat(U16(MlDsa), U16(0x000B), U32(restricted ? 0x00050072u : 0x00040072u), U16(0), U16(parameterSet), [externalMu ? (byte)1 : (byte)0], U16(0));

    (uint Handle, byte[] PublicKey) CreatePrimary(uint hierarchy, byte[] template)
    {
        var r = Send(0x131, [hierarchy], 1, Cat(Sized(Cat(Sized([]), Sized([]))), Sized(template), Sized([]), U32(0)), responseHandles: 1);
        Assert.Equal(0u, r.Rc);
        // TPM2B_PUBLIC: size, type, nameAlg, attributes, authPolicy, parameterSet, allowExternalMu, unique.
        var p = r.Parameters.AsSpan(2);
        int offset = 2 + 2 + 4 + 2 + BinaryPrimitives.ReadUInt16BigEndian(p[8..]) + 3;
        int size = BinaryPrimitives.ReadUInt16BigEndian(p[offset..]);
        return (Handle(r), p.Slice(offset + 2, size).ToArray());
    }

    static bool BouncyVerify(byte[] publicKey, byte[] message, byte[] context, byte[] signature)
    {
        var parameters = publicKey.Length switch { 1312 => MLDsaParameters.ml_dsa_44, 1952 => MLDsaParameters.ml_dsa_65, _ => MLDsaParameters.ml_dsa_87 };
        var verifier = new MLDsaSigner(parameters, deterministic: false);
        verifier.Init(false, new ParametersWithContext(MLDsaPublicKeyParameters.FromEncoding(parameters, publicKey), context));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature);
    }

    /// <summary>The ML-DSA signature in a TPMT_SIGNATURE (sigAlg TPM_ALG_MLDSA, TPM2B_SIGNATURE_MLDSA).</summary>
    static byte[] MlDsaSignature(ReadOnlySpan<byte> tpmtSignature)
    {
        Assert.Equal(MlDsa, BinaryPrimitives.ReadUInt16BigEndian(tpmtSignature));
        int size = BinaryPrimitives.ReadUInt16BigEndian(tpmtSignature[2..]);
        Assert.Equal(4 + size, tpmtSignature.Length);
        return tpmtSignature.Slice(4, size).ToArray();
    }

    byte[] SignThroughSequence(uint key, byte[] message, byte[] context)
    {
        var start = Send(0x1AA, [key], 0, Cat(Sized([]), Sized(context)), responseHandles: 1);      // SignSequenceStart
        Assert.Equal(0u, start.Rc);
        uint sequence = Handle(start);
        for (int at = 0; at < message.Length - 100; at += 1024)
            Assert.Equal(0u, Send(0x15C, [sequence], 1, Sized(message[at..Math.Min(at + 1024, message.Length - 100)])).Rc);   // SequenceUpdate
        var done = Send(0x1A4, [sequence, key], 2, Sized(message[^100..]));                          // SignSequenceComplete
        Assert.Equal(0u, done.Rc);
        return MlDsaSignature(done.Parameters);
    }

    [Fact]
    public void MlDsa_65_primary_is_deterministic_and_its_sequence_signatures_verify_independently()
    {
        var first = CreatePrimary(Owner, Template(2, externalMu: true, restricted: false));
        Assert.Equal(1952, first.PublicKey.Length);
        Assert.Equal(0u, Send(0x165, [], 0, U32(first.Handle)).Rc);                                  // FlushContext
        var key = CreatePrimary(Owner, Template(2, externalMu: true, restricted: false));
        Assert.Equal(first.PublicKey, key.PublicKey);

        var message = RandomNumberGenerator.GetBytes(3000);
        var context = "ftpm interop"u8.ToArray();
        var signature = SignThroughSequence(key.Handle, message, context);
        Assert.Equal(3309, signature.Length);
        Assert.True(BouncyVerify(key.PublicKey, message, context, signature));

        // SignDigest with an external μ = SHAKE256(SHAKE256(pk, 64) || 0 || |ctx| || ctx || M, 64), made here.
        var tr = new byte[64];
        var shake = new ShakeDigest(256);
        shake.BlockUpdate(key.PublicKey);
        shake.OutputFinal(tr);
        var mu = new byte[64];
        shake = new ShakeDigest(256);
        shake.BlockUpdate(tr);
        shake.BlockUpdate([0, (byte)context.Length]);
        shake.BlockUpdate(context);
        shake.BlockUpdate(message);
        shake.OutputFinal(mu);
        var signed = Send(0x1A6, [key.Handle], 1, Cat(Sized([]), Sized(mu), U16(0x8024), U32(Null), U16(0)));   // SignDigest
        Assert.Equal(0u, signed.Rc);
        Assert.True(BouncyVerify(key.PublicKey, message, context, MlDsaSignature(signed.Parameters)));

        // VerifySequenceComplete: one flipped bit is TPM_RC_SIGNATURE (P1); the signature itself gives a
        // TPM_ST_MESSAGE_VERIFIED ticket.
        var start = Send(0x1A9, [key.Handle], 0, Cat(Sized([]), Sized([]), Sized(context)), responseHandles: 1);   // VerifySequenceStart
        Assert.Equal(0u, start.Rc);
        uint sequence = Handle(start);
        for (int at = 0; at < message.Length; at += 1024)
            Assert.Equal(0u, Send(0x15C, [sequence], 1, Sized(message[at..Math.Min(at + 1024, message.Length)])).Rc);
        var bad = (byte[])signature.Clone();
        bad[2000] ^= 0x04;
        Assert.Equal(0x1DBu, Send(0x1A3, [sequence, key.Handle], 1, Cat(U16(MlDsa), Sized(bad))).Rc);
        var verified = Send(0x1A3, [sequence, key.Handle], 1, Cat(U16(MlDsa), Sized(signature)));
        Assert.Equal(0u, verified.Rc);
        Assert.Equal(0x8026, BinaryPrimitives.ReadUInt16BigEndian(verified.Parameters));
        Assert.Equal(Owner, BinaryPrimitives.ReadUInt32BigEndian(verified.Parameters.AsSpan(2)));
    }

    [Fact]
    public void MlDsa_attestation_key_quotes_PCRs_verifiably()
    {
        var ak = CreatePrimary(Endorsement, Template(2, externalMu: false, restricted: true));
        Assert.Equal(0u, Send(0x182, [16], 1, Cat(U32(1), U16(0x000B), new byte[32].Select((_, i) => (byte)i).ToArray())).Rc);   // PCR_Extend 16
        var nonce = RandomNumberGenerator.GetBytes(20);
        // Quote: qualifyingData, inScheme TPM_ALG_NULL (the key's own), PCRs 0 and 16 of SHA-256.
        var q = Send(0x158, [ak.Handle], 1, Cat(Sized(nonce), U16(0x0010), U32(1), U16(0x000B), [3, 0x01, 0x00, 0x01]));
        Assert.Equal(0u, q.Rc);
        int size = BinaryPrimitives.ReadUInt16BigEndian(q.Parameters);
        var attest = q.Parameters.AsSpan(2, size).ToArray();
        Assert.Equal(0xFF544347u, BinaryPrimitives.ReadUInt32BigEndian(attest));                       // TPM_GENERATED_VALUE
        Assert.Equal(0x8018, BinaryPrimitives.ReadUInt16BigEndian(attest.AsSpan(4)));                  // TPM_ST_ATTEST_QUOTE
        Assert.True(attest.AsSpan().IndexOf(nonce) > 0);
        var signature = MlDsaSignature(q.Parameters.AsSpan(2 + size));
        Assert.True(BouncyVerify(ak.PublicKey, attest, [], signature));
        attest[^1] ^= 1;
        Assert.False(BouncyVerify(ak.PublicKey, attest, [], signature));
        // The restricted AK never takes an external μ.
        Assert.Equal(0x1ABu, Send(0x1A6, [ak.Handle], 1, Cat(Sized([]), Sized(new byte[64]), U16(0x8024), U32(Null), U16(0))).Rc);
    }

    [Fact]
    public void GetCapability_lists_the_algorithms_parameter_sets_and_commands()
    {
        // TPM_CAP_ALGS from TPM_ALG_MLKEM: MLKEM, MLDSA, HASH_MLDSA.
        var algs = Send(0x17A, [], 0, Cat(U32(0), U32(0xA0), U32(3)));
        Assert.Equal(0u, algs.Rc);
        Assert.Equal(H("00 00000000 00000003 00A0 00000209 00A1 00000109 00A2 00000109"), algs.Parameters);
        // TPM_PT_ML_PARAMETER_SETS (PT_FIXED + 49): every ML-KEM and ML-DSA set and extMu.
        var pt = Send(0x17A, [], 0, Cat(U32(6), U32(0x131), U32(1)));
        Assert.Equal(H("00 00000006 00000001 00000131 0000007F"), pt.Parameters);
        // TPM_CAP_COMMANDS: the six v185 signing commands.
        var commands = Send(0x17A, [], 0, Cat(U32(2), U32(0x1A2), U32(16)));
        Assert.Equal(0u, commands.Rc);
        var listed = Enumerable.Range(0, (int)BinaryPrimitives.ReadUInt32BigEndian(commands.Parameters.AsSpan(5)))
            .Select(i => BinaryPrimitives.ReadUInt32BigEndian(commands.Parameters.AsSpan(9 + 4 * i)) & 0xFFFF).ToList();
        foreach (uint code in new uint[] { 0x1A3, 0x1A4, 0x1A5, 0x1A6, 0x1A9, 0x1AA })
            Assert.Contains(code, listed);
        // TPM_PT_MAX_COMMAND_SIZE and TPM_PT_MAX_RESPONSE_SIZE: 8 KiB.
        Assert.Equal(H("01 00000006 00000002 0000011E 00002000 0000011F 00002000"), Send(0x17A, [], 0, Cat(U32(6), U32(0x11E), U32(2))).Parameters);
        // An ML-DSA-87 signature (4627 octets) in one response over the transport.
        var key = CreatePrimary(Owner, Template(3, externalMu: false, restricted: false));
        Assert.Equal(2592, key.PublicKey.Length);
        var message = "large"u8.ToArray();
        var signature = SignThroughSequence(key.Handle, Cat(new byte[200], message), []);
        Assert.Equal(4627, signature.Length);
        Assert.True(BouncyVerify(key.PublicKey, Cat(new byte[200], message), [], signature));
        // An unsupported parameter set: TPM_RC_PARMS at P2 of CreatePrimary.
        Assert.Equal(0x2EAu, Send(0x131, [Owner], 1, Cat(Sized(Cat(Sized([]), Sized([]))), Sized(Template(9, false, false)), Sized([]), U32(0))).Rc);
    }
}
