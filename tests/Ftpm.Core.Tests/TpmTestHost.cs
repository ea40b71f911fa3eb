using System.Buffers.Binary;
using Ftpm.Crypto;
using Ftpm.Ports;

namespace Ftpm.Tests;

/// <summary>An in-process TPM and helpers to build commands and read responses.</summary>
internal sealed class TpmTestHost
{
    public readonly SoftwarePlatform Platform = new();
    public readonly INvStore Store;
    public readonly Tpm Tpm;

    public TpmTestHost(INvStore? store = null, bool startup = true)
    {
        Store = store ?? new MemoryNvStore();
        Tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = Store, Platform = Platform });
        Tpm.PowerOn();
        if (startup) Assert.Equal(TpmRc.Success, Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
    }

    /// <summary>Sends raw bytes.</summary>
    public Response Send(byte[] command, byte locality = 0) => new(Tpm.Execute(locality, command));

    /// <summary>A TPM_ST_NO_SESSIONS command with the given handles and parameters.</summary>
    public Response Run(TpmCc code, byte[]? parameters = null, uint[]? handles = null, byte locality = 0) =>
        Send(Cmd.Build(TpmSt.NoSessions, code, handles ?? [], null, parameters ?? []), locality);

    /// <summary>A TPM_ST_SESSIONS command authorizing each handle with a password session.</summary>
    public Response RunWithPasswords(TpmCc code, uint[] handles, byte[][] passwords, byte[]? parameters = null, byte locality = 0)
    {
        var area = new List<byte>();
        foreach (var p in passwords) area.AddRange(Cmd.PasswordSession(p));
        return Send(Cmd.Build(TpmSt.Sessions, code, handles, area.ToArray(), parameters ?? []), locality);
    }
}

/// <summary>A parsed response: tag, size, code and everything after the header.</summary>
internal sealed class Response(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;
    public TpmSt Tag => (TpmSt)BinaryPrimitives.ReadUInt16BigEndian(Bytes);
    public uint Size => BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(2));
    public TpmRc Rc => (TpmRc)BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(6));
    public byte[] Body => Bytes[10..];

    /// <summary>The response parameters of a TPM_ST_SESSIONS response (after handles and parameterSize).</summary>
    public byte[] SessionParameters(int handles = 0)
    {
        int at = 10 + 4 * handles;
        int size = (int)BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(at));
        return Bytes.AsSpan(at + 4, size).ToArray();
    }
}

/// <summary>Command building.</summary>
internal static class Cmd
{
    public static byte[] U8(byte v) => [v];
    public static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return b; }
    public static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    public static byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); return b; }
    public static byte[] Sized(byte[] v) => [.. U16((ushort)v.Length), .. v];
    public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] PasswordSession(byte[] password) =>
        Cat(U32(0x40000009), U16(0), U8(0x01), Sized(password));

    public static byte[] Build(TpmSt tag, TpmCc code, uint[] handles, byte[]? authArea, byte[] parameters)
    {
        var body = new List<byte>();
        foreach (var h in handles) body.AddRange(U32(h));
        if (authArea is not null) { body.AddRange(U32((uint)authArea.Length)); body.AddRange(authArea); }
        body.AddRange(parameters);
        return Cat(U16((ushort)tag), U32((uint)(10 + body.Count)), U32((uint)code), body.ToArray());
    }

    /// <summary>TPML_PCR_SELECTION with one bank selecting the given PCRs.</summary>
    public static byte[] PcrSelection(TpmAlgId bank, params int[] pcrs)
    {
        var bits = new byte[3];
        foreach (var p in pcrs) bits[p / 8] |= (byte)(1 << (p % 8));
        return Cat(U32(1), U16((ushort)bank), U8(3), bits);
    }
}
