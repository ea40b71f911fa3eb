using System.Buffers.Binary;
using System.Security.Cryptography;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_ECC_Encrypt and TPM2_ECC_Decrypt (Part 3, 14.8, 14.9; Part 1 annex C ECC encryption): a
/// round trip, a ciphertext made here with independent arithmetic that the TPM decrypts, and every code with
/// its position as the reference returns it.</summary>
public sealed class EccEncryptionTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // TPMT_PUBLIC templates (fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA = 0x472): a P-256
    // decrypt key without a KDF; one whose kdf is KDF2-SHA256; an ECDSA signing key; an ECC storage key; RSA.
    const string DecryptKey = "0023 000B 00020472 0000 0010 0010 0003 0010 0000 0000";
    const string Kdf2Key = "0023 000B 00020472 0000 0010 0010 0003 0021 000B 0000 0000";
    const string SigningKey = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";
    const string StorageKey = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string RsaKey = "0001 000B 00020472 0000 0010 0010 0800 00000000 0000";

    static readonly byte[] Kdf2Sha256 = H("0021 000B");
    static readonly byte[] Kdf2Sha384 = H("0021 000C");
    static readonly byte[] NullScheme = H("0010");
    static readonly Org.BouncyCastle.Asn1.X9.X9ECParameters P256 = Org.BouncyCastle.Asn1.Nist.NistNamedCurves.GetByName("P-256");

    uint Primary(string template)
    {
        var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    void Flush(uint handle) => Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(handle)).Rc);

    Response Encrypt(uint key, byte[] plainText, byte[] scheme) =>
        _host.Run(TpmCc.EccEncrypt, Cmd.Cat(Cmd.Sized(plainText), scheme), [key]);

    Response Decrypt(uint key, byte[] c1, byte[] c2, byte[] c3, byte[] scheme) =>
        _host.RunWithPasswords(TpmCc.EccDecrypt, [key], [[]], Cmd.Cat(c1, Cmd.Sized(c2), Cmd.Sized(c3), scheme));

    /// <summary>C1 (as the TPM2B_ECC_POINT it is on the wire), C2 and C3 of an ECC_Encrypt response.</summary>
    static (byte[] C1, byte[] C2, byte[] C3) Ciphertext(Response r)
    {
        Assert.Equal(TpmRc.Success, r.Rc);
        var b = r.Body;
        int at = 0;
        int size = BinaryPrimitives.ReadUInt16BigEndian(b);
        var c1 = b[..(2 + size)];
        at += 2 + size;
        int n2 = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
        var c2 = b.AsSpan(at + 2, n2).ToArray();
        at += 2 + n2;
        int n3 = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
        var c3 = b.AsSpan(at + 2, n3).ToArray();
        Assert.Equal(b.Length, at + 2 + n3);
        return (c1, c2, c3);
    }

    static byte[] PlainTextOf(Response r)
    {
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        int n = BinaryPrimitives.ReadUInt16BigEndian(p);
        Assert.Equal(p.Length, 2 + n);
        return p[2..];
    }

    (byte[] X, byte[] Y) PublicOf(uint handle)
    {
        var body = _host.Run(TpmCc.ReadPublic, handles: [handle]).Body;
        int size = BinaryPrimitives.ReadUInt16BigEndian(body);
        var unique = body.AsSpan(2, size)[^68..];
        return (unique[2..34].ToArray(), unique[36..].ToArray());
    }

    static byte[] Point(byte[] x, byte[] y) => Cmd.Sized(Cmd.Cat(Cmd.Sized(x), Cmd.Sized(y)));

    static byte[] Fixed(BigInteger v) => v.ToByteArrayUnsigned() is var b && b.Length < 32 ? [.. new byte[32 - b.Length], .. b] : v.ToByteArrayUnsigned();

    [Fact]
    public void RoundTripWithExplicitAndKeySchemes()
    {
        uint key = Primary(DecryptKey);
        var message = "attack at dawn, bring the 40-octet message"u8.ToArray();
        var (c1, c2, c3) = Ciphertext(Encrypt(key, message, Kdf2Sha256));
        Assert.Equal(message.Length, c2.Length);
        Assert.Equal(32, c3.Length);
        Assert.NotEqual(message, c2);
        // C1 is a point of P-256, each coordinate of the curve's size.
        Assert.Equal(2 + 2 + 32 + 2 + 32, c1.Length);
        Assert.True(P256.Curve.CreatePoint(new BigInteger(1, c1[4..36]), new BigInteger(1, c1[38..70])).IsValid());
        Assert.Equal(message, PlainTextOf(Decrypt(key, c1, c2, c3, Kdf2Sha256)));

    }

    /// <summary>An ECC key never carries a KDF of its own, whatever its attributes (the reference's and
    /// libtpms' SchemeChecks; swtpm answers the same): CreatePrimary, Create and LoadExternal of a public
    /// area with one are TPM_RC_KDF + P2 (inPublic).</summary>
    [Fact]
    public void KeyWithKdfIsRefused()
    {
        const string SigningKdf = "0023 000B 00040472 0000 0010 0018 000B 0003 0021 000B 0000 0000";
        const string SignDecryptKdf = "0023 000B 00060472 0000 0010 0010 0003 0021 000B 0000 0000";
        foreach (var template in new[] { Kdf2Key, SigningKdf, SignDecryptKdf })
        {
            var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(
                Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));
            Assert.Equal((TpmRc)0x2CC, r.Rc);
            // The same public area with a point, loaded public-only.
            var external = H(template)[..^4].Concat(Cmd.Sized(new byte[32])).Concat(Cmd.Sized(new byte[32])).ToArray();
            r = _host.Run(TpmCc.LoadExternal, Cmd.Cat(Cmd.Sized([]), Cmd.Sized(external), Cmd.U32(0x40000007)));
            Assert.Equal((TpmRc)0x2CC, r.Rc);
        }
        uint parent = Primary(StorageKey);
        var create = _host.RunWithPasswords(TpmCc.Create, [parent], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(Kdf2Key.Replace("00020472", "00020072"))), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal((TpmRc)0x2CC, create.Rc);
    }

    /// <summary>A ciphertext made here (k chosen here, BouncyCastle point arithmetic, KDF2 and C3 by hand)
    /// decrypts in the TPM; one flipped octet of C3 or C2 is TPM_RC_VALUE.</summary>
    [Fact]
    public void DecryptsIndependentCiphertext()
    {
        uint key = Primary(DecryptKey);
        var (qx, qy) = PublicOf(key);
        var q = P256.Curve.CreatePoint(new BigInteger(1, qx), new BigInteger(1, qy));
        var k = new BigInteger(1, SHA256.HashData("ephemeral"u8));
        var c1 = P256.G.Multiply(k).Normalize();
        var p2 = q.Multiply(k).Normalize();
        byte[] x2 = Fixed(p2.AffineXCoord.ToBigInteger()), y2 = Fixed(p2.AffineYCoord.ToBigInteger());
        var message = new byte[100];
        for (int i = 0; i < message.Length; i++) message[i] = (byte)i;
        // KDF2: H(x2 || y2 || [1]32) || H(x2 || y2 || [2]32) || ...
        var mask = new List<byte>();
        for (uint counter = 1; mask.Count < message.Length; counter++) mask.AddRange(SHA256.HashData(Cmd.Cat(x2, y2, Cmd.U32(counter))));
        var c2 = message.Select((m, i) => (byte)(m ^ mask[i])).ToArray();
        var c3 = SHA256.HashData(Cmd.Cat(x2, message, y2));
        var c1Wire = Point(Fixed(c1.AffineXCoord.ToBigInteger()), Fixed(c1.AffineYCoord.ToBigInteger()));

        Assert.Equal(message, PlainTextOf(Decrypt(key, c1Wire, c2, c3, Kdf2Sha256)));
        var badC3 = (byte[])c3.Clone();
        badC3[5] ^= 1;
        Assert.Equal((TpmRc)0x084, Decrypt(key, c1Wire, c2, badC3, Kdf2Sha256).Rc);       // TPM_RC_VALUE
        var badC2 = (byte[])c2.Clone();
        badC2[0] ^= 1;
        Assert.Equal((TpmRc)0x084, Decrypt(key, c1Wire, badC2, c3, Kdf2Sha256).Rc);
        // C1 off the curve: the reference's point multiply fails unchecked and C3 cannot match.
        var offCurve = Point(Fixed(c1.AffineXCoord.ToBigInteger()), Fixed(c1.AffineYCoord.ToBigInteger().Add(BigInteger.One)));
        Assert.Equal((TpmRc)0x084, Decrypt(key, offCurve, c2, c3, Kdf2Sha256).Rc);
    }

    [Fact]
    public void EncryptCodes()
    {
        uint rsa = Primary(RsaKey);
        Assert.Equal((TpmRc)0x19C, Encrypt(rsa, [1], Kdf2Sha256).Rc);                       // TPM_RC_KEY + H1
        Flush(rsa);
        uint key = Primary(DecryptKey);
        Assert.Equal((TpmRc)0x2D2, Encrypt(key, [1], NullScheme).Rc);                       // TPM_RC_SCHEME + P2: no scheme at all
        Assert.Equal((TpmRc)0x092, Encrypt(key, [1], H("0020 000B")).Rc);                   // TPM_RC_SCHEME: KDF1_SP800_56A is no ECC encryption KDF
        Assert.Equal((TpmRc)0x2C3, Encrypt(key, [1], H("0021 0099")).Rc);                   // TPM_RC_HASH + P2 (unmarshaling)
        Assert.Equal((TpmRc)0x2CC, Encrypt(key, [1], H("0019 000B")).Rc);                   // TPM_RC_KDF + P2: ECDH is no KDF
        Assert.Equal((TpmRc)0x1D5, Encrypt(key, new byte[1025], Kdf2Sha256).Rc);            // TPM_RC_SIZE + P1: over MAX_DIGEST_BUFFER
        Assert.Equal((TpmRc)0x184, Encrypt(0x80FFFFFF, [1], Kdf2Sha256).Rc);                // past MAX_LOADED_OBJECTS: TPM_RC_VALUE + H1 (TPMI_DH_OBJECT)
        // A signing key encrypts too: ECC_Encrypt needs only the public key.
        Assert.Equal(TpmRc.Success, Encrypt(Primary(SigningKey), [1, 2, 3], Kdf2Sha256).Rc);
    }

    [Fact]
    public void DecryptCodes()
    {
        uint key = Primary(DecryptKey);
        var (c1, c2, c3) = Ciphertext(Encrypt(key, [9, 8, 7], Kdf2Sha256));
        uint other = Primary(RsaKey);
        Assert.Equal((TpmRc)0x19C, Decrypt(other, c1, c2, c3, Kdf2Sha256).Rc);              // TPM_RC_KEY + H1
        Flush(other);
        other = Primary(SigningKey);
        Assert.Equal((TpmRc)0x182, Decrypt(other, c1, c2, c3, Kdf2Sha256).Rc);              // TPM_RC_ATTRIBUTES + H1: no decrypt
        Flush(other);
        other = Primary(StorageKey);
        Assert.Equal((TpmRc)0x182, Decrypt(other, c1, c2, c3, Kdf2Sha256).Rc);              // restricted
        Flush(other);
        Assert.Equal((TpmRc)0x4D2, Decrypt(key, c1, c2, c3, NullScheme).Rc);                 // TPM_RC_SCHEME + P4
        Assert.Equal((TpmRc)0x092, Decrypt(key, c1, c2, c3, H("0020 000B")).Rc);             // TPM_RC_SCHEME
        Assert.Equal((TpmRc)0x084, Decrypt(key, c1, c2, c3, Kdf2Sha384).Rc);                 // another hash: C3 cannot match
        Assert.Equal((TpmRc)0x1D5, Decrypt(key, Cmd.U16(0), c2, c3, Kdf2Sha256).Rc);         // TPM_RC_SIZE + P1: empty TPM2B_ECC_POINT
        Assert.Equal((TpmRc)0x3D5, Decrypt(key, c1, c2, new byte[65], Kdf2Sha256).Rc);       // TPM_RC_SIZE + P3: over a digest
        Assert.Equal([9, 8, 7], PlainTextOf(Decrypt(key, c1, c2, c3, Kdf2Sha256)));
    }
}
