using System.Security.Cryptography;
using System.Text;

namespace Ftpm.Storage;

/// <summary>Reads the state key for encryption at rest: from a file (`--state-key FILE`: 32 raw octets or
/// 64 hex digits) or from the environment variable <see cref="EnvironmentVariable"/> (64 hex digits).</summary>
public static class StateKey
{
    public const string EnvironmentVariable = "FTPM_STATE_KEY";
    public const int Size = 32;

    /// <summary>The key from <paramref name="file"/> if given, else from the environment, else null.</summary>
    /// <exception cref="InvalidDataException">The file or variable does not hold a 32-octet key.</exception>
    public static byte[]? Load(string? file, Func<string, string?>? environment = null)
    {
        if (file is not null)
        {
            byte[] content = File.ReadAllBytes(file);
            try
            {
                if (content.Length == Size) return (byte[])content.Clone();
                return FromHex(Encoding.ASCII.GetString(content), $"state key file {file}");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(content);
            }
        }
        string? value = (environment ?? Environment.GetEnvironmentVariable)(EnvironmentVariable);
        return string.IsNullOrEmpty(value) ? null : FromHex(value, $"environment variable {EnvironmentVariable}");
    }

    static byte[] FromHex(string text, string source)
    {
        string hex = text.Trim();
        if (hex.Length != 2 * Size || !hex.All(Uri.IsHexDigit))
            throw new InvalidDataException($"{source} must hold a {Size}-octet key: {Size} raw octets or {2 * Size} hex digits");
        return Convert.FromHexString(hex);
    }
}
