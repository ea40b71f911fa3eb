using System.Buffers.Binary;
using Ftpm.Ports;

namespace Ftpm.Tests.Commands;

/// <summary>An in-process TPM after Startup(CLEAR), and commands built from hex.</summary>
internal static class CapabilityTestHelpers
{
    public static Tpm StartedTpm()
    {
        var tpm = new Tpm(new TpmOptions
        {
            Crypto = new Ftpm.Crypto.PlatformCrypto(),
            Store = new MemoryNvStore(),
            Platform = new SoftwarePlatform(),
        });
        tpm.PowerOn();
        Assert.Equal("80010000000A00000000", Convert.ToHexString(tpm.Execute(0, Convert.FromHexString("80010000000C000001440000"))));
        return tpm;
    }

    /// <summary>A TPM_ST_NO_SESSIONS command: header, then <paramref name="body"/> (handles and parameters, hex).</summary>
    public static byte[] Command(TpmCc code, string body)
    {
        var bytes = Convert.FromHexString(body.Replace(" ", ""));
        var command = new byte[10 + bytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(command, 0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(command.AsSpan(2), (uint)command.Length);
        BinaryPrimitives.WriteUInt32BigEndian(command.AsSpan(6), (uint)code);
        bytes.CopyTo(command, 10);
        return command;
    }

    /// <summary>Runs a command and returns the whole response as hex.</summary>
    public static string Run(Tpm tpm, TpmCc code, string body) => Convert.ToHexString(tpm.Execute(0, Command(code, body)));

    /// <summary>The response code of a response.</summary>
    public static TpmRc Rc(string response) => (TpmRc)Convert.ToUInt32(response.Substring(12, 8), 16);

    /// <summary>Runs a command that must succeed and returns its response parameters as hex,
    /// after checking the header's size.</summary>
    public static string Parameters(Tpm tpm, TpmCc code, string body)
    {
        var response = Run(tpm, code, body);
        Assert.Equal(TpmRc.Success, Rc(response));
        Assert.Equal(response.Length / 2, Convert.ToInt32(response.Substring(4, 8), 16));
        return response[20..];
    }

    /// <summary>GetCapability's response parameters: moreData, capability, then the list, as hex.</summary>
    public static string GetCapability(Tpm tpm, TpmCap capability, uint property, uint count) =>
        Parameters(tpm, TpmCc.GetCapability, $"{(uint)capability:X8}{property:X8}{count:X8}");
}
