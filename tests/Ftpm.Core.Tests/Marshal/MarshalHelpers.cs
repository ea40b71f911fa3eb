using Ftpm.Marshal;

namespace Ftpm.Tests.Marshal;

/// <summary>Reads and writes any generated type from and to hex.</summary>
internal static class Wire
{
    public static TpmRc Read<T>(string hex, out T value) where T : struct, ITpmMarshal<T>
    {
        var reader = new TpmReader(Convert.FromHexString(Strip(hex)));
        return T.Read(ref reader, out value);
    }

    /// <summary>Reads <paramref name="hex"/>, which must hold exactly one <typeparamref name="T"/>.</summary>
    public static T ReadAll<T>(string hex) where T : struct, ITpmMarshal<T>
    {
        var reader = new TpmReader(Convert.FromHexString(Strip(hex)));
        Assert.Equal(TpmRc.Success, T.Read(ref reader, out var value));
        Assert.Equal(0, reader.Remaining);
        return value;
    }

    public static string Write<T>(in T value) where T : struct, ITpmMarshal<T>
    {
        var buffer = new byte[TpmLimits.MaxResponseSize];
        var writer = new TpmWriter(buffer);
        value.Write(ref writer);
        return Convert.ToHexString(writer.Written);
    }

    /// <summary>Reads then writes <paramref name="hex"/> and checks the same octets come back.</summary>
    public static T RoundTrip<T>(string hex) where T : struct, ITpmMarshal<T>
    {
        var value = ReadAll<T>(hex);
        Assert.Equal(Strip(hex), Write(value));
        return value;
    }

    public static string Strip(string hex) => hex.Replace(" ", "").ToUpperInvariant();

    public static string Hex(ReadOnlyMemory<byte> bytes) => Convert.ToHexString(bytes.Span);
}
