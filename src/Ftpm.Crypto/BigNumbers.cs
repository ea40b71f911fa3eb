using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Ftpm.Crypto;

/// <summary>Conversions between TPM big-endian octet strings and BouncyCastle numbers.</summary>
internal static class BigNumbers
{
    public static BigInteger FromBytes(ReadOnlySpan<byte> value) => new(1, value.ToArray());

    /// <summary>Writes <paramref name="value"/> big-endian, left-padded with zeros to <paramref name="output"/>'s length.</summary>
    public static void ToBytes(BigInteger value, Span<byte> output)
    {
        var bytes = value.ToByteArrayUnsigned();
        if (bytes.Length > output.Length) throw new ArgumentException("number does not fit");
        output[..(output.Length - bytes.Length)].Clear();
        bytes.CopyTo(output[(output.Length - bytes.Length)..]);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
    }

    public static byte[] ToBytes(BigInteger value, int length)
    {
        var b = new byte[length];
        ToBytes(value, b);
        return b;
    }
}
