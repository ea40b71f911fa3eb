using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Crypto;

/// <summary>
/// The prime search behind RSA key generation. Neither .NET nor BouncyCastle has a deterministic
/// prime generator that is fast enough (a BouncyCastle 1024-bit modular exponentiation costs about
/// 3 ms here, and a search needs dozens), so this is a small one: draw a start from the key stream,
/// sieve a window of odd numbers after it by the primes below 2^16, then run Miller-Rabin on the
/// survivors in order with Montgomery arithmetic on 64-bit limbs. The first round uses base 2
/// (squarings and doublings only); a candidate that passes gets <see cref="ExtraRounds"/> more
/// rounds with bases drawn from the stream (FIPS 186-5, B.3.1 and Table B.1). Every step depends
/// only on the stream, so a primary key's seed and template always give the same primes.
/// </summary>
internal static class PrimeSearch
{
    /// <summary>Odd candidates sieved per window (start, start + 2, ...).</summary>
    const int Window = 4096;

    static readonly uint[] SmallPrimes = OddPrimesBelow(1 << 16);

    /// <summary>Per small prime p, ceil(2^64 / p): the multiplier of Lemire's division-free remainder.</summary>
    static readonly ulong[] SmallPrimeMagic = SmallPrimes.Select(p => ulong.MaxValue / p + 1).ToArray();

    /// <summary>Miller-Rabin rounds after base 2, for a prime of <paramref name="bits"/> bits: the
    /// rounds FIPS 186-5 Table B.1 asks for an error below 2^-100 (more for short primes).</summary>
    static int ExtraRounds(int bits) => bits <= 512 ? 7 : bits <= 1024 ? 5 : 4;

    /// <summary>A prime of exactly <paramref name="bits"/> bits (a multiple of 64) whose two top bits
    /// are set, so that the product of two has exactly 2·bits bits, and with gcd(p - 1, e) = 1.
    /// Returned big-endian.</summary>
    public static byte[] Find(int bits, uint e, IKeyStream random)
    {
        int limbs = bits / 64;
        var startBytes = new byte[bits / 8];
        var start = new ulong[limbs];
        var candidate = new ulong[limbs];
        var residues = new uint[SmallPrimes.Length];
        var composite = new bool[Window];
        try
        {
            while (true)
            {
                random.Generate(startBytes);
                startBytes[0] |= 0xC0;
                startBytes[^1] |= 0x01;
                FromBigEndian(startBytes, start);
                Sieve(start, e, residues, composite);
                for (int i = 0; i < Window; i++)
                {
                    if (composite[i]) continue;
                    // candidate = start + 2i; a carry out of the top limb leaves the size: start again.
                    if (!AddSmall(start, 2 * (ulong)i, candidate)) break;
                    if (!CoprimeMinusOne(candidate, e)) continue;
                    if (!IsProbablePrime(candidate, bits, random)) continue;
                    var result = new byte[bits / 8];
                    ToBigEndian(candidate, result);
                    return result;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(startBytes);
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(start.AsSpan()));
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(candidate.AsSpan()));
        }
    }

    /// <summary>Marks start + 2i for every i in the window that a small prime divides, and those with
    /// start + 2i ≡ 1 (mod e) when e is itself one of them or prime beyond them (gcd(p - 1, e) = 1
    /// is checked exactly later; this only saves work for the usual e = 65537).</summary>
    static void Sieve(ReadOnlySpan<ulong> start, uint e, uint[] residues, bool[] composite)
    {
        Array.Clear(composite);
        for (int j = 0; j < SmallPrimes.Length; j++)
        {
            uint p = SmallPrimes[j];
            uint r = ModSmall(start, p, SmallPrimeMagic[j]);
            residues[j] = r;
            // start + 2i ≡ 0 (mod p)  <=>  i ≡ (p - r)·2^-1 (mod p), and 2^-1 = (p + 1) / 2.
            ulong first = (ulong)(r == 0 ? 0 : p - r) * ((p + 1) / 2) % p;
            for (ulong i = first; i < Window; i += p) composite[i] = true;
        }
        if (e > 2 && (e & 1) == 1)
        {
            uint r = Mod(start, e);
            // start + 2i ≡ 1 (mod e)  <=>  i ≡ (1 - r)·2^-1 (mod e).
            ulong first = (ulong)((1 + (ulong)e - r) % e) * ((e + 1) / 2) % e;
            for (ulong i = first; i < Window; i += e) composite[i] = true;
        }
    }

    /// <summary>gcd(n - 1, e) = 1 (FIPS 186-5 A.1.3 step 4.5), computed on n mod e.</summary>
    static bool CoprimeMinusOne(ReadOnlySpan<ulong> n, uint e)
    {
        uint a = (Mod(n, e) + e - 1) % e, b = e;
        while (a != 0) (a, b) = (b % a, a);
        return b == 1;
    }

    /// <summary>n mod p for a prime p below 2^16, without division: 16 bits at a time, r·2^16 + chunk
    /// stays below 2^32, whose remainder is the high half of (magic·x mod 2^64)·p (Lemire, Kaser and
    /// Kurz, "Faster remainder by direct computation", 2019). The sieve takes 6541 remainders of a
    /// 1024-bit start per window; with hardware division they cost more than the Miller-Rabin rounds.</summary>
    internal static uint ModSmall(ReadOnlySpan<ulong> n, uint p, ulong magic)
    {
        ulong r = 0;
        for (int i = n.Length - 1; i >= 0; i--)
        {
            ulong limb = n[i];
            for (int shift = 48; shift >= 0; shift -= 16)
            {
                ulong x = (r << 16) | ((limb >> shift) & 0xFFFF);
                // The high half of low·p, p < 2^16, in 64-bit products: Math.BigMul falls back to four
                // 32-bit products where the native build may not assume BMI2.
                ulong low = magic * x;
                r = ((low >> 32) * p + (((low & 0xFFFFFFFF) * p) >> 32)) >> 32;
            }
        }
        return (uint)r;
    }

    static uint Mod(ReadOnlySpan<ulong> n, uint m)
    {
        ulong r = 0;
        for (int i = n.Length - 1; i >= 0; i--)
        {
            r = ((r << 32) | (n[i] >> 32)) % m;
            r = ((r << 32) | (n[i] & 0xFFFFFFFF)) % m;
        }
        return (uint)r;
    }

    /// <summary>Miller-Rabin: base 2 first, then <see cref="ExtraRounds"/> bases from the stream in
    /// [2, 2^(bits - 2)), which lies below n - 1 because n's two top bits are set.</summary>
    internal static bool IsProbablePrime(ulong[] n, int bits, IKeyStream random) =>
        OpenSsl.Available ? IsProbablePrimeNative(n, bits, random) : IsProbablePrimeManaged(n, bits, random);

    /// <summary>The same test with OpenSSL's exponentiation (about 5 times faster than <see cref="Montgomery"/>):
    /// the same rounds and bases, so the same outcome.</summary>
    internal static bool IsProbablePrimeNative(ulong[] n, int bits, IKeyStream random)
    {
        var nBytes = new byte[bits / 8];
        ToBigEndian(n, nBytes);
        var baseBytes = new byte[bits / 8];
        var baseLimbs = new ulong[n.Length];
        try
        {
            using var m = new OpenSsl.MillerRabin(nBytes);
            if (!m.RoundBase2()) return false;
            for (int round = ExtraRounds(bits); round > 0;)
            {
                random.Generate(baseBytes);
                baseBytes[0] &= 0x3F;
                FromBigEndian(baseBytes, baseLimbs);
                if (IsBelowTwo(baseLimbs)) continue;
                if (!m.Round(baseBytes)) return false;
                round--;
            }
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(nBytes);
            CryptographicOperations.ZeroMemory(baseBytes);
        }
    }

    internal static bool IsProbablePrimeManaged(ulong[] n, int bits, IKeyStream random)
    {
        var m = new Montgomery(n);
        if (!m.MillerRabinBase2()) return false;
        var baseBytes = new byte[bits / 8];
        var baseLimbs = new ulong[n.Length];
        try
        {
            for (int round = ExtraRounds(bits); round > 0;)
            {
                random.Generate(baseBytes);
                baseBytes[0] &= 0x3F;
                FromBigEndian(baseBytes, baseLimbs);
                if (IsBelowTwo(baseLimbs)) continue;
                if (!m.MillerRabin(baseLimbs)) return false;
                round--;
            }
            return true;
        }
        finally { CryptographicOperations.ZeroMemory(baseBytes); }
    }

    static bool IsBelowTwo(ReadOnlySpan<ulong> a)
    {
        for (int i = 1; i < a.Length; i++) if (a[i] != 0) return false;
        return a[0] < 2;
    }

    /// <summary>result = a + small; false when that carries out of the top limb.</summary>
    static bool AddSmall(ReadOnlySpan<ulong> a, ulong small, Span<ulong> result)
    {
        ulong carry = small;
        for (int i = 0; i < a.Length; i++)
        {
            ulong s = a[i] + carry;
            carry = s < carry ? 1UL : 0UL;
            result[i] = s;
        }
        return carry == 0;
    }

    internal static void FromBigEndian(ReadOnlySpan<byte> bytes, Span<ulong> limbs)
    {
        for (int i = 0; i < limbs.Length; i++)
            limbs[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(bytes.Length - 8 * (i + 1), 8));
    }

    internal static void ToBigEndian(ReadOnlySpan<ulong> limbs, Span<byte> bytes)
    {
        for (int i = 0; i < limbs.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.Slice(bytes.Length - 8 * (i + 1), 8), limbs[i]);
    }

    static uint[] OddPrimesBelow(int limit)
    {
        var isComposite = new bool[limit];
        var primes = new List<uint>();
        for (int i = 3; i < limit; i += 2)
        {
            if (isComposite[i]) continue;
            primes.Add((uint)i);
            for (long j = (long)i * i; j < limit; j += 2 * i) isComposite[j] = true;
        }
        return [.. primes];
    }

    /// <summary>Arithmetic modulo an odd n in Montgomery form (x·R mod n, R = 2^(64·limbs)), with the
    /// CIOS multiplication (Koç, Acar and Kaliski, "Analyzing and Comparing Montgomery
    /// Multiplication Algorithms", 1996).</summary>
    internal sealed class Montgomery
    {
        readonly ulong[] _n;
        readonly ulong _nInv;      // -n^-1 mod 2^64
        readonly ulong[] _one;     // R mod n
        readonly ulong[] _minusOne;// (n - 1)·R mod n = n - (R mod n)
        readonly ulong[] _r2;      // R^2 mod n
        readonly int _k;

        public Montgomery(ulong[] n)
        {
            _n = n;
            _k = n.Length;
            ulong x = n[0];                       // n·n ≡ 1 (mod 8): 3 correct bits, doubled per step
            for (int i = 0; i < 5; i++) x *= 2 - n[0] * x;
            _nInv = 0 - x;
            var modulus = ToBig(n);
            _one = FromBig((BigInteger.One << (64 * _k)) % modulus, _k);
            _r2 = FromBig(BigInteger.ModPow(BigInteger.One << (64 * _k), 2, modulus), _k);
            _minusOne = new ulong[_k];
            Subtract(n, _one, _minusOne);
        }

        /// <summary>The strong probable-prime test to base 2, whose multiplications by the base are doublings.</summary>
        public bool MillerRabinBase2() => MillerRabin([]);

        /// <summary>The strong probable-prime test to base <paramref name="a"/> (1 &lt; a &lt; n - 1; empty for 2):
        /// x = a^d with d odd and n - 1 = d·2^s, then up to s - 1 squarings.</summary>
        public bool MillerRabin(ReadOnlySpan<ulong> a)
        {
            int s = TrailingZerosOfNMinusOne();
            int top = 64 * _k - 1;
            while (!Bit(_n, top)) top--;
            Span<ulong> am = stackalloc ulong[_k];
            Span<ulong> x = stackalloc ulong[_k];
            Span<ulong> t = stackalloc ulong[_k];
            if (!a.IsEmpty) Multiply(a, _r2, am);   // a·R mod n
            _one.CopyTo(x);
            for (int b = top; b >= s; b--)
            {
                Multiply(x, x, t);
                if (!BitOfNMinusOne(b)) t.CopyTo(x);
                else if (a.IsEmpty) DoubleMod(t, x);
                else Multiply(t, am, x);
            }
            if (x.SequenceEqual(_one) || x.SequenceEqual(_minusOne)) return true;
            for (int r = 1; r < s; r++)
            {
                Multiply(x, x, t);
                t.CopyTo(x);
                if (x.SequenceEqual(_minusOne)) return true;
                if (x.SequenceEqual(_one)) return false;
            }
            return false;
        }

        int TrailingZerosOfNMinusOne()
        {
            // n is odd, so n - 1 differs from n only in bit 0.
            int s = 1;
            while (!Bit(_n, s)) s++;
            return s;
        }

        bool BitOfNMinusOne(int b) => b != 0 && Bit(_n, b);

        static bool Bit(ReadOnlySpan<ulong> v, int b) => ((v[b >> 6] >> (b & 63)) & 1) != 0;

        /// <summary>result = a·b·R^-1 mod n: CIOS with the multiplication and reduction loops merged,
        /// so each step reads and writes the accumulator once. The 128-bit sums are UInt128, which the
        /// JIT compiles to add-with-carry: about 1.5x faster here than Math.BigMul with compared
        /// carries. <paramref name="result"/> may alias a or b.</summary>
        public void Multiply(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> result)
        {
            var n = _n;
            int k = n.Length;
            Span<ulong> t = stackalloc ulong[k + 1];
            t.Clear();
            a = a[..k];
            for (int i = 0; i < k; i++)
            {
                ulong bi = b[i];
                UInt128 p = (UInt128)a[0] * bi + t[0];
                ulong u = (ulong)p, c1 = (ulong)(p >> 64);
                ulong m = u * _nInv;                // makes u + m·n[0] ≡ 0 (mod 2^64)
                UInt128 q = (UInt128)m * n[0] + u;
                ulong c2 = (ulong)(q >> 64);
                for (int j = 1; j < k; j++)
                {
                    p = (UInt128)a[j] * bi + t[j] + c1;
                    c1 = (ulong)(p >> 64);
                    q = (UInt128)m * n[j] + (ulong)p + c2;
                    c2 = (ulong)(q >> 64);
                    t[j - 1] = (ulong)q;
                }
                UInt128 s = (UInt128)t[k] + c1 + c2;
                t[k - 1] = (ulong)s;
                t[k] = (ulong)(s >> 64);
            }
            if (t[k] != 0 || !IsLess(t[..k], n)) Subtract(t[..k], n, result);
            else t[..k].CopyTo(result);
        }

        /// <summary>result = 2·a mod n, for a &lt; n.</summary>
        void DoubleMod(ReadOnlySpan<ulong> a, Span<ulong> result)
        {
            ulong carry = 0;
            for (int i = 0; i < _k; i++)
            {
                ulong v = a[i];
                result[i] = (v << 1) | carry;
                carry = v >> 63;
            }
            if (carry != 0 || !IsLess(result, _n)) Subtract(result, _n, result);
        }

        static bool IsLess(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
        {
            for (int i = a.Length - 1; i >= 0; i--)
                if (a[i] != b[i]) return a[i] < b[i];
            return false;
        }

        /// <summary>result = a - b (mod 2^(64·limbs)); result may alias a.</summary>
        static void Subtract(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> result)
        {
            ulong borrow = 0;
            for (int i = 0; i < result.Length; i++)
            {
                ulong ai = a[i], d = ai - b[i] - borrow;
                borrow = (ai < b[i] || (ai == b[i] && borrow != 0)) ? 1UL : 0UL;
                result[i] = d;
            }
        }

        static BigInteger ToBig(ReadOnlySpan<ulong> limbs)
        {
            var bytes = new byte[limbs.Length * 8];
            for (int i = 0; i < limbs.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * i), limbs[i]);
            return new BigInteger(bytes, isUnsigned: true, isBigEndian: false);
        }

        static ulong[] FromBig(BigInteger value, int k)
        {
            var bytes = new byte[k * 8];
            value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
            var limbs = new ulong[k];
            for (int i = 0; i < k; i++) limbs[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8 * i));
            return limbs;
        }
    }
}
