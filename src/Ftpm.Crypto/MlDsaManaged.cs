using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Ftpm.Crypto;

/// <summary>The constants of an ML-DSA parameter set (FIPS 204, Table 1), by its TPMI_MLDSA_PARMS value
/// (Part 2 v185, Table 208).</summary>
internal sealed class MlDsaSet
{
    public required TpmMlDsaParms Id { get; init; }
    public required int K { get; init; }
    public required int L { get; init; }
    public required int Eta { get; init; }
    public required int Tau { get; init; }
    public required int Gamma1 { get; init; }
    public required int Gamma2 { get; init; }
    public required int Omega { get; init; }
    /// <summary>λ / 4: the length of the commitment hash c̃.</summary>
    public required int CTildeBytes { get; init; }

    public int Beta => Tau * Eta;
    public int PublicKeySize => 32 + 320 * K;
    /// <summary>Bits per coefficient of s1, s2 in the private key: bitlen(2·η).</summary>
    public int EtaBits => Eta == 2 ? 3 : 4;
    /// <summary>Bits per coefficient of z: 1 + bitlen(γ1 − 1).</summary>
    public int ZBits => Gamma1 == 1 << 17 ? 18 : 20;
    /// <summary>Bits per coefficient of w1: bitlen((q − 1)/(2·γ2) − 1).</summary>
    public int W1Bits => Gamma2 == (MlDsaManaged.Q - 1) / 88 ? 6 : 4;
    public int PrivateKeySize => 32 + 32 + 64 + 32 * EtaBits * (K + L) + 416 * K;
    public int SignatureSize => CTildeBytes + 32 * ZBits * L + Omega + K;

    public static readonly MlDsaSet MlDsa44 = new()
    {
        Id = TpmMlDsaParms.MlDsa44, K = 4, L = 4, Eta = 2, Tau = 39, Gamma1 = 1 << 17,
        Gamma2 = (MlDsaManaged.Q - 1) / 88, Omega = 80, CTildeBytes = 32,
    };
    public static readonly MlDsaSet MlDsa65 = new()
    {
        Id = TpmMlDsaParms.MlDsa65, K = 6, L = 5, Eta = 4, Tau = 49, Gamma1 = 1 << 19,
        Gamma2 = (MlDsaManaged.Q - 1) / 32, Omega = 55, CTildeBytes = 48,
    };
    public static readonly MlDsaSet MlDsa87 = new()
    {
        Id = TpmMlDsaParms.MlDsa87, K = 8, L = 7, Eta = 2, Tau = 60, Gamma1 = 1 << 19,
        Gamma2 = (MlDsaManaged.Q - 1) / 32, Omega = 75, CTildeBytes = 64,
    };

    public static MlDsaSet? Of(TpmMlDsaParms id) => id switch
    {
        TpmMlDsaParms.MlDsa44 => MlDsa44,
        TpmMlDsaParms.MlDsa65 => MlDsa65,
        TpmMlDsaParms.MlDsa87 => MlDsa87,
        _ => null,
    };
}

/// <summary>
/// ML-DSA's internal signing and verification from the message representative μ (FIPS 204,
/// Algorithms 7 and 8 from line 6 on), in managed code. BouncyCastle's ML-DSA signs and verifies only
/// whole messages; the TPM needs μ itself: TPM2_SignDigest and TPM2_VerifyDigestSignature take an
/// external μ (Part 1 v185, "External Mu"), and the sequence commands stream the message into μ
/// (SHAKE256 over tr || M′) so that the message never has to be kept. Keys are expanded by
/// BouncyCastle's ML-DSA.KeyGen_internal (the private key encoding of FIPS 204, Algorithm 24) and
/// decoded here. Coefficients are kept in [0, q) and multiplied as 64-bit integers: no Montgomery form.
/// </summary>
internal static class MlDsaManaged
{
    public const int Q = 8380417;
    const int N = 256;
    const int D = 13;
    /// <summary>256^-1 mod q, the scale of the inverse NTT.</summary>
    const long NInverse = 8347681;

    /// <summary>ζ^BitRev8(k) mod q for k = 0..255, ζ = 1753 (FIPS 204, Appendix B).</summary>
    static readonly int[] Zetas = ComputeZetas();

    static int[] ComputeZetas()
    {
        var zetas = new int[N];
        for (int k = 0; k < N; k++)
        {
            int r = 0;
            for (int b = 0; b < 8; b++) r |= ((k >> b) & 1) << (7 - b);
            long z = 1;
            for (int e = 0; e < r; e++) z = z * 1753 % Q;
            zetas[k] = (int)z;
        }
        return zetas;
    }

    /// <summary>An expanded private key (FIPS 204, skDecode, Algorithm 25), kept with the NTT forms the
    /// signer needs.</summary>
    internal sealed class PrivateKey
    {
        public required MlDsaSet Set { get; init; }
        public required byte[] K { get; init; }
        public required int[][][] AHat { get; init; }
        public required int[][] S1Hat { get; init; }
        public required int[][] S2Hat { get; init; }
        public required int[][] T0Hat { get; init; }

        public void Clear()
        {
            CryptographicOperations.ZeroMemory(K);
            foreach (var p in S1Hat) Array.Clear(p);
            foreach (var p in S2Hat) Array.Clear(p);
            foreach (var p in T0Hat) Array.Clear(p);
        }
    }

    /// <summary>A decoded public key (pkDecode, Algorithm 23) with Â and NTT(t1·2^d).</summary>
    internal sealed class PublicKey
    {
        public required MlDsaSet Set { get; init; }
        public required int[][][] AHat { get; init; }
        public required int[][] T1Hat { get; init; }
    }

    public static PrivateKey DecodePrivate(MlDsaSet set, ReadOnlySpan<byte> sk)
    {
        if (sk.Length != set.PrivateKeySize) throw new ArgumentException("private key size", nameof(sk));
        var rho = sk[..32];
        var key = sk.Slice(32, 32).ToArray();
        int offset = 128;
        int etaBytes = 32 * set.EtaBits;
        var s1 = new int[set.L][];
        for (int i = 0; i < set.L; i++, offset += etaBytes) s1[i] = UnpackSigned(sk.Slice(offset, etaBytes), set.EtaBits, set.Eta);
        var s2 = new int[set.K][];
        for (int i = 0; i < set.K; i++, offset += etaBytes) s2[i] = UnpackSigned(sk.Slice(offset, etaBytes), set.EtaBits, set.Eta);
        var t0 = new int[set.K][];
        for (int i = 0; i < set.K; i++, offset += 416) t0[i] = UnpackSigned(sk.Slice(offset, 416), D, 1 << (D - 1));
        foreach (var p in s1) Ntt(p);
        foreach (var p in s2) Ntt(p);
        foreach (var p in t0) Ntt(p);
        return new PrivateKey { Set = set, K = key, AHat = ExpandA(set, rho), S1Hat = s1, S2Hat = s2, T0Hat = t0 };
    }

    public static PublicKey DecodePublic(MlDsaSet set, ReadOnlySpan<byte> pk)
    {
        if (pk.Length != set.PublicKeySize) throw new ArgumentException("public key size", nameof(pk));
        var t1 = new int[set.K][];
        for (int i = 0; i < set.K; i++)
        {
            t1[i] = UnpackUnsigned(pk.Slice(32 + 320 * i, 320), 10);
            for (int j = 0; j < N; j++) t1[i][j] <<= D;
            Ntt(t1[i]);
        }
        return new PublicKey { Set = set, AHat = ExpandA(set, pk[..32]), T1Hat = t1 };
    }

    /// <summary>ML-DSA.Sign_internal from line 6 (FIPS 204, Algorithm 7): signs the 64-octet μ with the
    /// 32-octet randomness rnd (all zeros: the deterministic variant).</summary>
    public static void SignMu(PrivateKey key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> rnd, Span<byte> signature)
    {
        var set = key.Set;
        Span<byte> rhoPrime = stackalloc byte[64];
        var h = new ShakeDigest(256);
        h.BlockUpdate(key.K);
        h.BlockUpdate(rnd);
        h.BlockUpdate(mu);
        h.OutputFinal(rhoPrime);

        var y = NewVector(set.L);
        var w = NewVector(set.K);
        var cs1 = NewVector(set.L);
        var cs2 = NewVector(set.K);
        var ct0 = NewVector(set.K);
        var w1 = NewVector(set.K);
        var hint = NewVector(set.K);
        var cHat = new int[N];
        var cTilde = new byte[set.CTildeBytes];
        var w1Encoded = new byte[32 * set.W1Bits * set.K];
        try
        {
            for (int kappa = 0; ; kappa += set.L)
            {
                ExpandMask(set, rhoPrime, kappa, y);
                // w = NTT^-1(Â ∘ NTT(y))
                var yHat = NewVector(set.L);
                for (int i = 0; i < set.L; i++) { Array.Copy(y[i], yHat[i], N); Ntt(yHat[i]); }
                MatrixMultiply(key.AHat, yHat, w);
                for (int i = 0; i < set.K; i++)
                    for (int j = 0; j < N; j++) w1[i][j] = HighBits(w[i][j], set.Gamma2);
                for (int i = 0; i < set.K; i++) PackUnsigned(w1[i], set.W1Bits, w1Encoded.AsSpan(32 * set.W1Bits * i, 32 * set.W1Bits));
                var hc = new ShakeDigest(256);
                hc.BlockUpdate(mu);
                hc.BlockUpdate(w1Encoded);
                hc.OutputFinal(cTilde);
                SampleInBall(set, cTilde, cHat);
                Ntt(cHat);
                for (int i = 0; i < set.L; i++) { PointwiseMultiply(cHat, key.S1Hat[i], cs1[i]); InverseNtt(cs1[i]); }
                for (int i = 0; i < set.K; i++) { PointwiseMultiply(cHat, key.S2Hat[i], cs2[i]); InverseNtt(cs2[i]); }
                // z = y + c·s1 (kept in y); r0 = LowBits(w − c·s2)
                bool reject = false;
                for (int i = 0; i < set.L && !reject; i++)
                    for (int j = 0; j < N; j++)
                    {
                        y[i][j] = Mod(y[i][j] + cs1[i][j]);
                        if (Abs(y[i][j]) >= set.Gamma1 - set.Beta) { reject = true; break; }
                    }
                if (reject) continue;
                for (int i = 0; i < set.K && !reject; i++)
                    for (int j = 0; j < N; j++)
                    {
                        w[i][j] = Mod(w[i][j] - cs2[i][j]);
                        if (Abs(LowBits(w[i][j], set.Gamma2)) >= set.Gamma2 - set.Beta) { reject = true; break; }
                    }
                if (reject) continue;
                int ones = 0;
                for (int i = 0; i < set.K && !reject; i++)
                {
                    PointwiseMultiply(cHat, key.T0Hat[i], ct0[i]);
                    InverseNtt(ct0[i]);
                    for (int j = 0; j < N; j++)
                    {
                        if (Abs(ct0[i][j]) >= set.Gamma2) { reject = true; break; }
                        // h = MakeHint(−c·t0, w − c·s2 + c·t0)
                        int r = Mod(w[i][j] + ct0[i][j]);
                        int bit = HighBits(r, set.Gamma2) != HighBits(Mod(r - ct0[i][j]), set.Gamma2) ? 1 : 0;
                        hint[i][j] = bit;
                        ones += bit;
                    }
                }
                if (reject || ones > set.Omega) continue;
                EncodeSignature(set, cTilde, y, hint, signature);
                return;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rhoPrime);
            foreach (var v in new[] { y, cs1, cs2, ct0, w }) foreach (var p in v) Array.Clear(p);
        }
    }

    /// <summary>ML-DSA.Verify_internal from line 7 (FIPS 204, Algorithm 8): whether
    /// <paramref name="signature"/> is valid for μ.</summary>
    public static bool VerifyMu(PublicKey key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature)
    {
        var set = key.Set;
        if (signature.Length != set.SignatureSize) return false;
        var cTilde = signature[..set.CTildeBytes];
        int zBytes = 32 * set.ZBits;
        var z = NewVector(set.L);
        for (int i = 0; i < set.L; i++)
        {
            z[i] = UnpackSigned(signature.Slice(set.CTildeBytes + zBytes * i, zBytes), set.ZBits, set.Gamma1);
            for (int j = 0; j < N; j++)
                if (Abs(z[i][j]) >= set.Gamma1 - set.Beta) return false;
        }
        var hint = NewVector(set.K);
        if (!HintBitUnpack(set, signature[(set.CTildeBytes + zBytes * set.L)..], hint)) return false;

        var cHat = new int[N];
        SampleInBall(set, cTilde, cHat);
        Ntt(cHat);
        foreach (var p in z) Ntt(p);
        var w = NewVector(set.K);
        MatrixMultiply(key.AHat, z, w, inverse: false);
        var ct1 = new int[N];
        var w1Encoded = new byte[32 * set.W1Bits * set.K];
        var w1 = new int[N];
        for (int i = 0; i < set.K; i++)
        {
            // w′approx = NTT^-1(Â ∘ NTT(z) − NTT(c) ∘ NTT(t1·2^d))
            PointwiseMultiply(cHat, key.T1Hat[i], ct1);
            for (int j = 0; j < N; j++) w[i][j] = Mod((long)w[i][j] - ct1[j]);
            InverseNtt(w[i]);
            for (int j = 0; j < N; j++) w1[j] = UseHint(hint[i][j], w[i][j], set.Gamma2);
            PackUnsigned(w1, set.W1Bits, w1Encoded.AsSpan(32 * set.W1Bits * i, 32 * set.W1Bits));
        }
        Span<byte> expected = stackalloc byte[set.CTildeBytes];
        var hc = new ShakeDigest(256);
        hc.BlockUpdate(mu);
        hc.BlockUpdate(w1Encoded);
        hc.OutputFinal(expected);
        return CryptographicOperations.FixedTimeEquals(expected, cTilde);
    }

    // ---- Sampling (FIPS 204, 7.3) ---------------------------------------------------------------

    /// <summary>ExpandA (Algorithm 32): Â[r][s] = RejNTTPoly(ρ || s || r).</summary>
    static int[][][] ExpandA(MlDsaSet set, ReadOnlySpan<byte> rho)
    {
        var a = new int[set.K][][];
        Span<byte> seed = stackalloc byte[34];
        rho.CopyTo(seed);
        var block = new byte[168];
        for (int r = 0; r < set.K; r++)
        {
            a[r] = new int[set.L][];
            for (int s = 0; s < set.L; s++)
            {
                seed[32] = (byte)s;
                seed[33] = (byte)r;
                var xof = new ShakeDigest(128);
                xof.BlockUpdate(seed);
                var poly = new int[N];
                int j = 0;
                while (j < N)
                {
                    xof.Output(block, 0, block.Length);
                    for (int i = 0; i + 3 <= block.Length && j < N; i += 3)
                    {
                        int c = block[i] | block[i + 1] << 8 | (block[i + 2] & 0x7F) << 16;
                        if (c < Q) poly[j++] = c;
                    }
                }
                a[r][s] = poly;
            }
        }
        return a;
    }

    /// <summary>ExpandMask (Algorithm 34): y[r] = BitUnpack(H(ρ″ || IntegerToBytes(κ + r, 2)), γ1 − 1, γ1).</summary>
    static void ExpandMask(MlDsaSet set, ReadOnlySpan<byte> rhoPrime, int kappa, int[][] y)
    {
        Span<byte> seed = stackalloc byte[66];
        rhoPrime.CopyTo(seed);
        var v = new byte[32 * set.ZBits];
        for (int r = 0; r < set.L; r++)
        {
            seed[64] = (byte)(kappa + r);
            seed[65] = (byte)((kappa + r) >> 8);
            var xof = new ShakeDigest(256);
            xof.BlockUpdate(seed);
            xof.OutputFinal(v, 0, v.Length);
            var unpacked = UnpackSigned(v, set.ZBits, set.Gamma1);
            for (int j = 0; j < N; j++) y[r][j] = Mod(unpacked[j]);
        }
        CryptographicOperations.ZeroMemory(v);
    }

    /// <summary>SampleInBall (Algorithm 29): the polynomial c with τ coefficients ±1, from c̃.</summary>
    static void SampleInBall(MlDsaSet set, ReadOnlySpan<byte> cTilde, int[] c)
    {
        Array.Clear(c);
        var xof = new ShakeDigest(256);
        xof.BlockUpdate(cTilde);
        var s = new byte[8];
        xof.Output(s, 0, 8);
        ulong signs = BitConverter.ToUInt64(s);
        if (!BitConverter.IsLittleEndian) signs = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(signs);
        var one = new byte[1];
        for (int i = N - set.Tau; i < N; i++)
        {
            int j;
            do { xof.Output(one, 0, 1); j = one[0]; } while (j > i);
            c[i] = c[j];
            c[j] = (signs & 1) == 0 ? 1 : Q - 1;
            signs >>= 1;
        }
    }

    // ---- Arithmetic (FIPS 204, 7.4 and 7.5) -----------------------------------------------------

    static int Mod(long a)
    {
        long r = a % Q;
        return (int)(r < 0 ? r + Q : r);
    }

    /// <summary>|a mod± q| for a in [0, q).</summary>
    static int Abs(int a) => a > (Q - 1) / 2 ? Q - a : a;

    /// <summary>Decompose (Algorithm 36): r = r1·2γ2 + r0 with r0 in (−γ2, γ2], except at the wrap.</summary>
    static void Decompose(int r, int gamma2, out int r1, out int r0)
    {
        int rPlus = r;
        r0 = rPlus % (2 * gamma2);
        if (r0 > gamma2) r0 -= 2 * gamma2;
        if (rPlus - r0 == Q - 1)
        {
            r1 = 0;
            r0--;
        }
        else
        {
            r1 = (rPlus - r0) / (2 * gamma2);
        }
    }

    static int HighBits(int r, int gamma2)
    {
        Decompose(r, gamma2, out int r1, out _);
        return r1;
    }

    /// <summary>LowBits, as a signed value.</summary>
    static int LowBits(int r, int gamma2)
    {
        Decompose(r, gamma2, out _, out int r0);
        return r0 < 0 ? r0 + Q : r0;
    }

    /// <summary>UseHint (Algorithm 40).</summary>
    static int UseHint(int h, int r, int gamma2)
    {
        int m = (Q - 1) / (2 * gamma2);
        Decompose(r, gamma2, out int r1, out int r0);
        if (h == 0) return r1;
        return r0 > 0 ? (r1 + 1) % m : (r1 - 1 + m) % m;
    }

    /// <summary>NTT (Algorithm 41), in place.</summary>
    static void Ntt(int[] w)
    {
        int m = 0;
        for (int len = 128; len >= 1; len >>= 1)
            for (int start = 0; start < N; start += 2 * len)
            {
                long z = Zetas[++m];
                for (int j = start; j < start + len; j++)
                {
                    int t = (int)(z * w[j + len] % Q);
                    w[j + len] = Mod((long)w[j] - t);
                    w[j] = Mod((long)w[j] + t);
                }
            }
    }

    /// <summary>NTT^-1 (Algorithm 42), in place.</summary>
    static void InverseNtt(int[] w)
    {
        int m = N;
        for (int len = 1; len < N; len <<= 1)
            for (int start = 0; start < N; start += 2 * len)
            {
                long z = Q - Zetas[--m];
                for (int j = start; j < start + len; j++)
                {
                    int t = w[j];
                    w[j] = Mod((long)t + w[j + len]);
                    w[j + len] = (int)(z * Mod((long)t - w[j + len]) % Q);
                }
            }
        for (int j = 0; j < N; j++) w[j] = (int)(NInverse * w[j] % Q);
    }

    static void PointwiseMultiply(int[] a, int[] b, int[] result)
    {
        for (int j = 0; j < N; j++) result[j] = (int)((long)a[j] * b[j] % Q);
    }

    /// <summary>w = NTT^-1(Â ∘ v̂) (Algorithm 48 and, unless <paramref name="inverse"/> is false, the inverse
    /// NTT of each row).</summary>
    static void MatrixMultiply(int[][][] aHat, int[][] vHat, int[][] w, bool inverse = true)
    {
        for (int i = 0; i < aHat.Length; i++)
        {
            var row = w[i];
            Array.Clear(row);
            for (int s = 0; s < vHat.Length; s++)
            {
                var a = aHat[i][s];
                var v = vHat[s];
                for (int j = 0; j < N; j++) row[j] = (int)((row[j] + (long)a[j] * v[j]) % Q);
            }
            if (inverse) InverseNtt(row);
        }
    }

    static int[][] NewVector(int length)
    {
        var v = new int[length][];
        for (int i = 0; i < length; i++) v[i] = new int[N];
        return v;
    }

    // ---- Encodings (FIPS 204, 7.1 and 7.2) ------------------------------------------------------

    /// <summary>SimpleBitPack (Algorithm 16): coefficients in [0, 2^bits), little-endian bit order.</summary>
    static void PackUnsigned(int[] w, int bits, Span<byte> output)
    {
        output.Clear();
        int bit = 0;
        for (int j = 0; j < N; j++)
            for (int b = 0; b < bits; b++, bit++)
                if ((w[j] >> b & 1) != 0) output[bit >> 3] |= (byte)(1 << (bit & 7));
    }

    /// <summary>SimpleBitUnpack (Algorithm 18).</summary>
    static int[] UnpackUnsigned(ReadOnlySpan<byte> v, int bits)
    {
        var w = new int[N];
        int bit = 0;
        for (int j = 0; j < N; j++)
            for (int b = 0; b < bits; b++, bit++)
                w[j] |= (v[bit >> 3] >> (bit & 7) & 1) << b;
        return w;
    }

    /// <summary>BitUnpack (Algorithm 19) with b = <paramref name="b"/>: each field holds b − w; the result is
    /// the coefficient mod q in [0, q).</summary>
    static int[] UnpackSigned(ReadOnlySpan<byte> v, int bits, int b)
    {
        var w = UnpackUnsigned(v, bits);
        for (int j = 0; j < N; j++) w[j] = Mod((long)b - w[j]);
        return w;
    }

    /// <summary>sigEncode (Algorithm 26): c̃ || BitPack(z, γ1 − 1, γ1) || HintBitPack(h).</summary>
    static void EncodeSignature(MlDsaSet set, ReadOnlySpan<byte> cTilde, int[][] z, int[][] h, Span<byte> signature)
    {
        cTilde.CopyTo(signature);
        int zBytes = 32 * set.ZBits;
        var field = new int[N];
        for (int i = 0; i < set.L; i++)
        {
            for (int j = 0; j < N; j++)
            {
                int centered = z[i][j] > (Q - 1) / 2 ? z[i][j] - Q : z[i][j];
                field[j] = set.Gamma1 - centered;
            }
            PackUnsigned(field, set.ZBits, signature.Slice(set.CTildeBytes + zBytes * i, zBytes));
        }
        // HintBitPack (Algorithm 20)
        var y = signature.Slice(set.CTildeBytes + zBytes * set.L, set.Omega + set.K);
        y.Clear();
        int index = 0;
        for (int i = 0; i < set.K; i++)
        {
            for (int j = 0; j < N; j++)
                if (h[i][j] != 0) y[index++] = (byte)j;
            y[set.Omega + i] = (byte)index;
        }
    }

    /// <summary>HintBitUnpack (Algorithm 21): false for a malformed hint.</summary>
    static bool HintBitUnpack(MlDsaSet set, ReadOnlySpan<byte> y, int[][] h)
    {
        int index = 0;
        for (int i = 0; i < set.K; i++)
        {
            int end = y[set.Omega + i];
            if (end < index || end > set.Omega) return false;
            int first = index;
            while (index < end)
            {
                if (index > first && y[index - 1] >= y[index]) return false;
                h[i][y[index]] = 1;
                index++;
            }
        }
        for (int i = index; i < set.Omega; i++)
            if (y[i] != 0) return false;
        return true;
    }
}
