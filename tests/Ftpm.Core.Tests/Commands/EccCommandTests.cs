using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using BigInteger = Org.BouncyCastle.Math.BigInteger;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_ECC_Parameters, EC_Ephemeral, Commit, ZGen_2Phase and the ECSCHNORR / ECDAA schemes of
/// Sign and VerifySignature (Part 3, 14.6, 14.7, 19.2, 19.3, 20): every code with its position, the
/// commit counter (one use, the 128-count window, TPM Reset and Resume), and the points checked with
/// independent arithmetic.</summary>
public sealed class EccCommandTests
{
    TpmTestHost _host = new();
    const uint Owner = 0x40000001;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // TPMT_PUBLIC templates, all fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA (0x472) plus:
    // sign (0x40000) with ECDAA-SHA256 / ECSCHNORR-SHA256 / ECDSA-SHA256 on P-256 or BN P-256; decrypt
    // (0x20000) without a scheme, with ECMQV-SHA256, or with ECDH-SHA256; a restricted decrypt (storage) key.
    const string EcdaaKey = "0023 000B 00040472 0000 0010 001A 000B 0000 0003 0010 0000 0000";
    const string SchnorrKey = "0023 000B 00040472 0000 0010 001C 000B 0003 0010 0000 0000";
    const string EcdsaKey = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";
    const string BnEcdaaKey = "0023 000B 00040472 0000 0010 001A 000B 0000 0010 0010 0000 0000";
    const string ExchangeKey = "0023 000B 00020472 0000 0010 0010 0003 0010 0000 0000";
    const string MqvKey = "0023 000B 00020472 0000 0010 001D 000B 0003 0010 0000 0000";
    const string EcdhKey = "0023 000B 00020472 0000 0010 0019 000B 0003 0010 0000 0000";
    const string StorageKey = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string RsaSigningKey = "0001 000B 00040472 0000 0010 0014 000B 0400 00000000 0000";

    static readonly Org.BouncyCastle.Asn1.X9.X9ECParameters P256 = Org.BouncyCastle.Asn1.Nist.NistNamedCurves.GetByName("P-256");

    uint Primary(string template)
    {
        var r = _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    void Flush(uint handle) => Assert.Equal(TpmRc.Success, _host.Run(TpmCc.FlushContext, Cmd.U32(handle)).Rc);

    /// <summary>The public point of a 256-bit ECC key (the last 68 octets of its public area).</summary>
    (byte[] X, byte[] Y) PublicOf(uint handle)
    {
        var body = _host.Run(TpmCc.ReadPublic, handles: [handle]).Body;
        int size = BinaryPrimitives.ReadUInt16BigEndian(body);
        var area = body.AsSpan(2, size);
        var unique = area[^68..];
        Assert.Equal(32, BinaryPrimitives.ReadUInt16BigEndian(unique));
        return (unique[2..34].ToArray(), unique[36..].ToArray());
    }

    static ECPoint Point(byte[] x, byte[] y) => P256.Curve.CreatePoint(new BigInteger(1, x), new BigInteger(1, y));

    static byte[] EccPoint(byte[] x, byte[] y) => Cmd.Sized(Cmd.Cat(Cmd.Sized(x), Cmd.Sized(y)));
    static readonly byte[] NoPoint = EccPoint([], []);

    /// <summary>Reads a TPM2B_ECC_POINT at <paramref name="at"/>.</summary>
    static (byte[] X, byte[] Y) ReadPoint(byte[] b, ref int at)
    {
        int size = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
        int xs = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at + 2));
        var x = b.AsSpan(at + 4, xs).ToArray();
        int ys = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at + 4 + xs));
        var y = b.AsSpan(at + 6 + xs, ys).ToArray();
        Assert.Equal(size, 4 + xs + ys);
        at += 2 + size;
        return (x, y);
    }

    Response Commit(uint key, byte[] p1, byte[] s2, byte[] y2) =>
        _host.RunWithPasswords(TpmCc.Commit, [key], [[]], Cmd.Cat(p1, Cmd.Sized(s2), Cmd.Sized(y2)));

    /// <summary>K, L, E and the counter of a successful Commit.</summary>
    static ((byte[] X, byte[] Y) K, (byte[] X, byte[] Y) L, (byte[] X, byte[] Y) E, ushort Counter) CommitResult(Response r)
    {
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        int at = 0;
        var k = ReadPoint(p, ref at);
        var l = ReadPoint(p, ref at);
        var e = ReadPoint(p, ref at);
        ushort counter = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at));
        Assert.Equal(p.Length, at + 2);
        return (k, l, e, counter);
    }

    static readonly byte[] NullTicket = H("8024 40000007 0000");

    Response Sign(uint key, byte[] digest, byte[] scheme) =>
        _host.RunWithPasswords(TpmCc.Sign, [key], [[]], Cmd.Cat(Cmd.Sized(digest), scheme, NullTicket));

    static byte[] Ecdaa(ushort count) => Cmd.Cat(H("001A 000B"), Cmd.U16(count));

    Response EcEphemeral(ushort curve) => _host.Run(TpmCc.EcEphemeral, Cmd.U16(curve));

    ((byte[] X, byte[] Y) Q, ushort Counter) Ephemeral()
    {
        var r = EcEphemeral(0x0003);
        Assert.Equal(TpmRc.Success, r.Rc);
        int at = 0;
        var q = ReadPoint(r.Body, ref at);
        return (q, BinaryPrimitives.ReadUInt16BigEndian(r.Body.AsSpan(at)));
    }

    Response ZGen(uint key, (byte[] X, byte[] Y) qsB, (byte[] X, byte[] Y) qeB, ushort scheme, ushort counter) =>
        _host.RunWithPasswords(TpmCc.ZGen2Phase, [key], [[]],
            Cmd.Cat(EccPoint(qsB.X, qsB.Y), EccPoint(qeB.X, qeB.Y), Cmd.U16(scheme), Cmd.U16(counter)));

    // ---- TPM2_ECC_Parameters ----------------------------------------------------------------

    [Fact]
    public void EccParameters_of_p256_are_the_nist_constants_as_libtpms_writes_them()
    {
        // Captured from swtpm (libtpms) for TPM_ECC_NIST_P256: kdf KDF1_SP800_56A/SHA256, sign NULL, p, a,
        // b, gX, gY, n padded to 32 octets, h = 01.
        var r = _host.Run(TpmCc.EccParameters, Cmd.U16(0x0003));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(H("0003 0100 0020 000B 0010" +
            "0020 FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF" +
            "0020 FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC" +
            "0020 5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B" +
            "0020 6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296" +
            "0020 4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5" +
            "0020 FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551" +
            "0001 01"), r.Body);
    }

    [Fact]
    public void EccParameters_of_bn_p256_pad_a_b_and_g()
    {
        var r = _host.Run(TpmCc.EccParameters, Cmd.U16(0x0010));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(H("0010 0100 0010 0010" +
            "0020 FFFFFFFFFFFCF0CD46E5F25EEE71A49F0CDC65FB12980A82D3292DDBAED33013" +
            "0020" + new string('0', 64) +
            "0020" + new string('0', 63) + "3" +
            "0020" + new string('0', 63) + "1" +
            "0020" + new string('0', 63) + "2" +
            "0020 FFFFFFFFFFFCF0CD46E5F25EEE71A49E0CDC65FB1299921AF62D536CD10B500D" +
            "0001 01"), r.Body);
    }

    [Theory]
    [InlineData(0x0004, 48, 0x000C)]
    [InlineData(0x0005, 66, 0x000D)]
    public void EccParameters_of_p384_and_p521(ushort curve, int size, ushort kdfHash)
    {
        var b = _host.Run(TpmCc.EccParameters, Cmd.U16(curve)).Body;
        Assert.Equal(Cmd.Cat(Cmd.U16(curve), Cmd.U16((ushort)(curve == 4 ? 384 : 521)), H("0020"), Cmd.U16(kdfHash), H("0010")), b[..10]);
        // Six coordinates of the curve's size, then h.
        Assert.Equal(10 + 6 * (2 + size) + 3, b.Length);
        Assert.Equal(H("0001 01"), b[^3..]);
    }

    [Theory]
    [InlineData(0x0001)]   // NIST P-192: not implemented
    [InlineData(0x0011)]   // BN P-638
    [InlineData(0x0099)]
    [InlineData(0x0000)]
    public void EccParameters_of_an_unimplemented_curve_is_curve_at_p1(ushort curve) =>
        Assert.Equal((TpmRc)0x1E6, _host.Run(TpmCc.EccParameters, Cmd.U16(curve)).Rc);

    // ---- TPM2_EC_Ephemeral and TPM2_ZGen_2Phase ---------------------------------------------

    [Fact]
    public void EcEphemeral_counts_and_gives_points_on_the_curve()
    {
        var (q0, c0) = Ephemeral();
        var (q1, c1) = Ephemeral();
        Assert.Equal(0, c0);
        Assert.Equal(1, c1);
        Assert.True(Point(q0.X, q0.Y).IsValid());
        Assert.NotEqual(q0.X, q1.X);
        Assert.Equal((TpmRc)0x1E6, EcEphemeral(0x0011).Rc);
        Assert.Equal((TpmRc)0x1E6, EcEphemeral(0x0000).Rc);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(EcEphemeral(0x0010).Body.AsSpan(70)));
    }

    [Theory]
    [InlineData(ExchangeKey, 0x0019)]
    [InlineData(EcdhKey, 0x0019)]
    public void ZGen2Phase_ecdh_agrees_between_two_parties(string template, ushort scheme)
    {
        uint a = Primary(template);
        uint b = Primary(ExchangeKey);
        var qsA = PublicOf(a);
        var qsB = PublicOf(b);
        var (qeA, ca) = Ephemeral();
        var (qeB, cb) = Ephemeral();
        var ra = ZGen(a, qsB, qeB, scheme, ca);
        var rb = ZGen(b, qsA, qeA, scheme, cb);
        Assert.Equal(TpmRc.Success, ra.Rc);
        Assert.Equal(TpmRc.Success, rb.Rc);
        // Z1 = dsA·QsB = dsB·QsA, Z2 = deA·QeB = deB·QeA: both sides hold the same pair.
        var pa = ra.SessionParameters();
        Assert.Equal(pa, rb.SessionParameters());
        int at = 0;
        var z1 = ReadPoint(pa, ref at);
        var z2 = ReadPoint(pa, ref at);
        Assert.Equal(pa.Length, at);
        Assert.True(Point(z1.X, z1.Y).IsValid());
        Assert.NotEqual(z1.X, z2.X);
        // The counter was consumed: a second use is TPM_RC_VALUE + P4.
        Assert.Equal((TpmRc)0x4C4, ZGen(a, qsB, qeB, scheme, ca).Rc);
    }

    [Fact]
    public void ZGen2Phase_ecmqv_agrees_between_two_parties_and_leaves_z2_empty()
    {
        uint a = Primary(MqvKey);
        uint b = Primary(ExchangeKey);
        var (qeA, ca) = Ephemeral();
        var (qeB, cb) = Ephemeral();
        var ra = ZGen(a, PublicOf(b), qeB, 0x001D, ca);
        var rb = ZGen(b, PublicOf(a), qeA, 0x001D, cb);
        Assert.Equal(TpmRc.Success, ra.Rc);
        Assert.Equal(TpmRc.Success, rb.Rc);
        var pa = ra.SessionParameters();
        Assert.Equal(pa, rb.SessionParameters());
        Assert.Equal(2 + 4 + 64 + 6, pa.Length);
        Assert.Equal(NoPoint, pa[^6..]);
    }

    [Fact]
    public void ZGen2Phase_codes()
    {
        // Three transient objects at most: each refused key is flushed after its check.
        var (qe, counter) = Ephemeral();
        uint signing = Primary(EcdsaKey);
        var q = PublicOf(signing);
        var off = (q.X, (byte[])[.. q.Y[..31], (byte)(q.Y[31] ^ 1)]);
        Assert.Equal((TpmRc)0x182, ZGen(signing, q, qe, 0x0019, counter).Rc);    // no decrypt: TPM_RC_ATTRIBUTES + H1
        Flush(signing);
        uint rsa = Primary(RsaSigningKey);
        Assert.Equal((TpmRc)0x19C, ZGen(rsa, q, qe, 0x0019, counter).Rc);        // not ECC: TPM_RC_KEY + H1
        Flush(rsa);
        uint storage = Primary(StorageKey);
        Assert.Equal((TpmRc)0x182, ZGen(storage, q, qe, 0x0019, counter).Rc);    // restricted
        Flush(storage);
        uint ecdh = Primary(EcdhKey);
        Assert.Equal((TpmRc)0x3D2, ZGen(ecdh, q, qe, 0x001D, counter).Rc);       // not the key's scheme: TPM_RC_SCHEME + P3
        Flush(ecdh);
        uint exchange = Primary(ExchangeKey);
        Assert.Equal((TpmRc)0x3D2, ZGen(exchange, q, qe, 0x0010, counter).Rc);   // NULL: TPM_RC_SCHEME + P3
        Assert.Equal((TpmRc)0x3D2, ZGen(exchange, q, qe, 0x001B, counter).Rc);   // SM2: not implemented
        Assert.Equal((TpmRc)0x1E7, ZGen(exchange, off, qe, 0x0019, counter).Rc); // inQsB off the curve: TPM_RC_ECC_POINT + P1
        Assert.Equal((TpmRc)0x2E7, ZGen(exchange, q, off, 0x0019, counter).Rc);  // inQeB: + P2
        Assert.Equal((TpmRc)0x4C4, ZGen(exchange, q, qe, 0x0019, (ushort)(counter + 1)).Rc); // never committed: TPM_RC_VALUE + P4
        // None of the failures consumed the counter.
        Assert.Equal(TpmRc.Success, ZGen(exchange, q, qe, 0x0019, counter).Rc);
        // An empty TPM2B_ECC_POINT fails to unmarshal: TPM_RC_SIZE + P1.
        Assert.Equal((TpmRc)0x1D5, _host.RunWithPasswords(TpmCc.ZGen2Phase, [exchange], [[]],
            Cmd.Cat(Cmd.U16(0), EccPoint(qe.X, qe.Y), Cmd.U16(0x0019), Cmd.U16(counter))).Rc);
    }

    // ---- TPM2_Commit and ECDAA signing ------------------------------------------------------

    [Fact]
    public void Commit_then_ecdaa_sign_works_once()
    {
        uint key = Primary(EcdaaKey);
        var (k, l, e, counter) = CommitResult(Commit(key, NoPoint, [], []));
        // Neither P1 nor P2: K and L empty, E = r·G.
        Assert.Empty(k.X);
        Assert.Empty(l.X);
        Assert.Equal(0, counter);

        var digest = SHA256.HashData("attest"u8);
        var r = Sign(key, digest, Ecdaa(counter));
        Assert.Equal(TpmRc.Success, r.Rc);
        var sig = r.SessionParameters();
        Assert.Equal(H("001A 000B 0020"), sig[..6]);
        var nonceK = sig[6..38];
        var s = new BigInteger(1, sig[40..72]);
        // s·G = E + T·Q, T = H(nonceK || digest) mod n: the signature used the committed r.
        var (qx, qy) = PublicOf(key);
        var t = new BigInteger(1, SHA256.HashData([.. nonceK, .. digest])).Mod(P256.N);
        Assert.Equal(Point(e.X, e.Y).Add(Point(qx, qy).Multiply(t)).Normalize(), P256.G.Multiply(s).Normalize());

        // The count is consumed: TPM_RC_VALUE (unnumbered, as the reference's CryptSign).
        Assert.Equal((TpmRc)0x084, Sign(key, digest, Ecdaa(counter)).Rc);
        // A count never committed is the same.
        Assert.Equal((TpmRc)0x084, Sign(key, digest, Ecdaa(7)).Rc);
        // An ECDAA key needs the caller's scheme (the count): NULL is TPM_RC_SCHEME + P2.
        Assert.Equal((TpmRc)0x2D2, Sign(key, digest, H("0010")).Rc);
        // Another hash than the key's: TPM_RC_SCHEME + P2.
        Assert.Equal((TpmRc)0x2D2, Sign(key, digest, Cmd.Cat(H("001A 000C"), Cmd.U16(1))).Rc);
    }

    [Fact]
    public void Commit_with_p1_and_s2_computes_k_l_and_e()
    {
        uint key = Primary(EcdaaKey);
        var (s2, p2) = BaseNamePoint();
        var y2 = p2.AffineYCoord.GetEncoded();
        var p1 = P256.G.Multiply(BigInteger.ValueOf(12345)).Normalize();
        var (k, l, e, counter) = CommitResult(Commit(key,
            EccPoint(p1.AffineXCoord.GetEncoded(), p1.AffineYCoord.GetEncoded()), s2, y2));

        // K = d·P2, L = r·P2, E = r·P1: then the ECDAA signature's s satisfies s·P1 = E + T·(d·P1) and
        // s·P2 = L + T·K, which ties K, L and E to d and one r.
        var digest = SHA256.HashData("with basename"u8);
        var sig = Sign(key, digest, Ecdaa(counter)).SessionParameters();
        var t = new BigInteger(1, SHA256.HashData([.. sig[6..38], .. digest])).Mod(P256.N);
        var s = new BigInteger(1, sig[40..72]);
        Assert.Equal(Point(l.X, l.Y).Add(Point(k.X, k.Y).Multiply(t)).Normalize(), p2.Multiply(s).Normalize());
        var (qx, qy) = PublicOf(key);
        // d·P1 = 12345·Q (P1 = 12345·G).
        var dP1 = Point(qx, qy).Multiply(BigInteger.ValueOf(12345));
        Assert.Equal(Point(e.X, e.Y).Add(dP1.Multiply(t)).Normalize(), p1.Multiply(s).Normalize());

        // s2 and y2 only: E is empty.
        var only = CommitResult(Commit(key, NoPoint, s2, y2));
        Assert.Empty(only.E.X);
        Assert.Equal(32, only.K.X.Length);
        Assert.Equal(counter + 1, only.Counter);
    }

    /// <summary>An s2 whose P2 = (SHA256(s2) mod p, y) is on P-256 for some y (a hash is an x-coordinate
    /// about half the time), and that point.</summary>
    static (byte[] S2, ECPoint P2) BaseNamePoint()
    {
        var p = P256.Curve.Field.Characteristic;
        for (int i = 0; ; i++)
        {
            byte[] s2 = [.. "basename"u8, (byte)i];
            var x = new BigInteger(1, SHA256.HashData(s2)).Mod(p);
            var rhs = x.ModPow(BigInteger.Three, p).Add(P256.Curve.A.ToBigInteger().Multiply(x)).Add(P256.Curve.B.ToBigInteger()).Mod(p);
            var y = P256.Curve.FromBigInteger(rhs).Sqrt();
            if (y is not null) return (s2, P256.Curve.CreatePoint(x, y.ToBigInteger()));
        }
    }

    [Fact]
    public void Commit_codes()
    {
        uint ecdaa = Primary(EcdaaKey);
        uint ecdsa = Primary(EcdsaKey);
        uint rsa = Primary(RsaSigningKey);
        var g = P256.G;
        var p1 = EccPoint(g.AffineXCoord.GetEncoded(), g.AffineYCoord.GetEncoded());
        var offCurve = EccPoint(g.AffineXCoord.GetEncoded(), [.. g.AffineYCoord.GetEncoded()[..31], 0]);
        Assert.Equal((TpmRc)0x19C, Commit(rsa, NoPoint, [], []).Rc);              // not ECC: TPM_RC_KEY + H1
        Assert.Equal((TpmRc)0x192, Commit(ecdsa, NoPoint, [], []).Rc);            // not ECDAA: TPM_RC_SCHEME + H1
        Assert.Equal((TpmRc)0x3D5, Commit(ecdaa, NoPoint, [1], []).Rc);           // s2 without y2: TPM_RC_SIZE + P3
        Assert.Equal((TpmRc)0x3D5, Commit(ecdaa, NoPoint, [], [1]).Rc);           // y2 without s2
        Assert.Equal((TpmRc)0x2E7, Commit(ecdaa, NoPoint, [1], [1]).Rc);          // P2 off the curve: TPM_RC_ECC_POINT + P2
        Assert.Equal((TpmRc)0x1E7, Commit(ecdaa, offCurve, [], []).Rc);           // P1 off the curve: + P1
        Assert.Equal((TpmRc)0x1D5, Commit(ecdaa, Cmd.U16(0), [], []).Rc);         // empty TPM2B_ECC_POINT: TPM_RC_SIZE + P1
        // None of them used a count.
        Assert.Equal(0, CommitResult(Commit(ecdaa, p1, [], [])).Counter);
    }

    [Fact]
    public void Sign_refuses_a_count_older_than_the_commit_window()
    {
        uint key = Primary(EcdaaKey);
        var digest = SHA256.HashData("old"u8);
        // 128 outstanding commits (counts 0..127) fill the bitmap; count 0 is the oldest still usable.
        for (int i = 0; i < 128; i++) Assert.Equal(i, CommitResult(Commit(key, NoPoint, [], [])).Counter);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(0)).Rc);
        // Count 128 takes the bit count 0 freed; count 129 takes count 1's bit while 1 is outstanding
        // (a collision): count 1 is refused from then on, 128 and 129 work.
        Assert.Equal(128, CommitResult(Commit(key, NoPoint, [], [])).Counter);
        Assert.Equal(129, CommitResult(Commit(key, NoPoint, [], [])).Counter);
        Assert.Equal((TpmRc)0x084, Sign(key, digest, Ecdaa(1)).Rc);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(129)).Rc);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(128)).Rc);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(2)).Rc);
    }

    [Fact]
    public void Commit_counter_wraps_at_16_bits()
    {
        uint key = Primary(EcdaaKey);
        var digest = SHA256.HashData("wrap"u8);
        // Move the counter close to 2^16 with EC_Ephemeral (cheaper than Commit).
        for (int i = 0; i < 65534; i++) _host.Run(TpmCc.EcEphemeral, Cmd.U16(0x0003));
        ushort a = CommitResult(Commit(key, NoPoint, [], [])).Counter;
        ushort b = CommitResult(Commit(key, NoPoint, [], [])).Counter;
        ushort c = CommitResult(Commit(key, NoPoint, [], [])).Counter;
        Assert.Equal((ushort)0xFFFE, a);
        Assert.Equal((ushort)0xFFFF, b);
        Assert.Equal((ushort)0x0000, c);
        Assert.Equal(65537UL, _host.Tpm.CommitCounter);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(a)).Rc);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(c)).Rc);
        Assert.Equal(TpmRc.Success, Sign(key, digest, Ecdaa(b)).Rc);
    }

    static TpmTestHost PowerCycle(TpmTestHost old, TpmSu shutdown, TpmSu startup)
    {
        Assert.Equal(TpmRc.Success, old.Run(TpmCc.Shutdown, Cmd.U16((ushort)shutdown)).Rc);
        old.Tpm.PowerOff();
        var host = new TpmTestHost(old.Store, startup: false);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)startup)).Rc);
        return host;
    }

    [Theory]
    [InlineData(TpmSu.State, TpmSu.State)]   // TPM Resume
    [InlineData(TpmSu.State, TpmSu.Clear)]   // TPM Restart
    public void Outstanding_commits_survive_a_restart_or_resume(TpmSu shutdown, TpmSu startup)
    {
        uint key = Primary(EcdaaKey);
        var (_, _, e, counter) = CommitResult(Commit(key, NoPoint, [], []));
        _host = PowerCycle(_host, shutdown, startup);
        key = Primary(EcdaaKey);   // the same primary key: the same Name, so the same r
        var digest = SHA256.HashData("resume"u8);
        var sig = Sign(key, digest, Ecdaa(counter)).SessionParameters();
        var t = new BigInteger(1, SHA256.HashData([.. sig[6..38], .. digest])).Mod(P256.N);
        var (qx, qy) = PublicOf(key);
        Assert.Equal(Point(e.X, e.Y).Add(Point(qx, qy).Multiply(t)).Normalize(), P256.G.Multiply(new BigInteger(1, sig[40..72])).Normalize());
        // The counter went on from where it was.
        Assert.Equal(counter + 1, CommitResult(Commit(key, NoPoint, [], [])).Counter);
    }

    [Fact]
    public void A_tpm_reset_starts_the_counter_again_and_forgets_outstanding_commits()
    {
        uint key = Primary(EcdaaKey);
        var first = CommitResult(Commit(key, NoPoint, [], []));
        CommitResult(Commit(key, NoPoint, [], []));
        _host = PowerCycle(_host, TpmSu.Clear, TpmSu.Clear);
        key = Primary(EcdaaKey);
        Assert.Equal((TpmRc)0x084, Sign(key, SHA256.HashData("x"u8), Ecdaa(1)).Rc);
        var again = CommitResult(Commit(key, NoPoint, [], []));
        Assert.Equal(0, again.Counter);
        // A new commit nonce: the same count and key give another r.
        Assert.NotEqual(first.E.X, again.E.X);
    }

    // ---- ECSCHNORR and ECDAA through Sign / VerifySignature ---------------------------------

    [Fact]
    public void Schnorr_signature_verifies_with_a_ticket()
    {
        uint key = Primary(SchnorrKey);
        var digest = SHA256.HashData("schnorr"u8);
        var r = Sign(key, digest, H("0010"));
        Assert.Equal(TpmRc.Success, r.Rc);
        var sig = r.SessionParameters();
        Assert.Equal(H("001C 000B 0020"), sig[..6]);
        var v = _host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(digest), sig), [key]);
        Assert.Equal(TpmRc.Success, v.Rc);
        Assert.Equal(H("8022 40000001 0020"), v.Body[..8]);   // TPM_ST_VERIFIED, owner hierarchy, a digest
        sig[10] ^= 1;
        Assert.Equal((TpmRc)0x2DB, _host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(digest), sig), [key]).Rc); // TPM_RC_SIGNATURE + P2
        // An ECDSA key with an explicit ECSCHNORR scheme is TPM_RC_SCHEME + P2.
        Assert.Equal((TpmRc)0x2D2, Sign(Primary(EcdsaKey), digest, H("001C 000B")).Rc);
    }

    [Fact]
    public void PolicySigned_accepts_a_schnorr_signature()
    {
        uint key = Primary(SchnorrKey);
        // A policy session (no salt, no bind, SHA-256), its nonceTPM, and aHash = SHA256(nonceTPM || expiration 0).
        var started = _host.Run(TpmCc.StartAuthSession, Cmd.Cat(Cmd.Sized(new byte[16]), Cmd.Sized([]), Cmd.U8(1), H("0010 000B")),
            [0x40000007, 0x40000007]);
        Assert.Equal(TpmRc.Success, started.Rc);
        uint session = BinaryPrimitives.ReadUInt32BigEndian(started.Body);
        var nonceTpm = started.Body[6..(6 + BinaryPrimitives.ReadUInt16BigEndian(started.Body.AsSpan(4)))];
        var aHash = SHA256.HashData([.. nonceTpm, 0, 0, 0, 0]);
        var sig = Sign(key, aHash, H("0010")).SessionParameters();
        Assert.Equal(H("001C"), sig[..2]);
        byte[] PolicySigned(byte[] signature) => Cmd.Cat(Cmd.Sized(nonceTpm), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0), signature);
        var bad = (byte[])sig.Clone();
        bad[^1] ^= 1;
        Assert.Equal((TpmRc)0x5DB, _host.Run(TpmCc.PolicySigned, PolicySigned(bad), [key, session]).Rc);   // TPM_RC_SIGNATURE + P5
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.PolicySigned, PolicySigned(sig), [key, session]).Rc);
    }

    [Fact]
    public void VerifySignature_does_not_verify_ecdaa()
    {
        uint key = Primary(EcdaaKey);
        var digest = SHA256.HashData("daa"u8);
        var counter = CommitResult(Commit(key, NoPoint, [], [])).Counter;
        var sig = Sign(key, digest, Ecdaa(counter)).SessionParameters();
        Assert.Equal((TpmRc)0x2D2, _host.Run(TpmCc.VerifySignature, Cmd.Cat(Cmd.Sized(digest), sig), [key]).Rc);
    }

    [Fact]
    public void Bn_p256_ecdaa_key_commits_and_signs()
    {
        uint key = Primary(BnEcdaaKey);
        var (_, _, e, counter) = CommitResult(Commit(key, NoPoint, [], []));
        var digest = SHA256.HashData("bn"u8);
        var sig = Sign(key, digest, Ecdaa(counter)).SessionParameters();
        var bn = new PlatformCrypto().EccGetCurve(TpmEccCurve.BnP256)!;
        var curve = new Org.BouncyCastle.Math.EC.FpCurve(new BigInteger(1, bn.P), BigInteger.Zero, BigInteger.Three, new BigInteger(1, bn.N), BigInteger.One);
        var g = curve.CreatePoint(BigInteger.One, BigInteger.Two);
        var (qx, qy) = PublicOf(key);
        var t = new BigInteger(1, SHA256.HashData([.. sig[6..38], .. digest])).Mod(curve.Order);
        var expected = curve.CreatePoint(new BigInteger(1, e.X), new BigInteger(1, e.Y))
            .Add(curve.CreatePoint(new BigInteger(1, qx), new BigInteger(1, qy)).Multiply(t)).Normalize();
        Assert.Equal(expected, g.Multiply(new BigInteger(1, sig[40..72])).Normalize());
    }
}
