using System.Buffers.Binary;

namespace Ftpm.Bench;

/// <summary>Builds raw TPM commands for the in-process benchmarks (Part 1, 18: header, handles, the
/// authorization area, parameters).</summary>
internal static class Wire
{
    internal static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    internal static byte[] U16(int v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); return b; }
    internal static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    internal static byte[] Sized(byte[] v) => [.. U16(v.Length), .. v];
    internal static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A command with <paramref name="passwords"/> empty password sessions (TPM_RS_PW, empty nonce,
    /// continueSession, empty password), one per authorized handle.</summary>
    internal static byte[] Build(uint cc, uint[] handles, int passwords, byte[] parameters)
    {
        var body = new List<byte>();
        foreach (var h in handles) body.AddRange(U32(h));
        if (passwords > 0)
        {
            body.AddRange(U32((uint)(9 * passwords)));
            for (int i = 0; i < passwords; i++) body.AddRange(Cat(U32(0x40000009), U16(0), [0x01], U16(0)));
        }
        body.AddRange(parameters);
        return Cat(U16(passwords > 0 ? 0x8002 : 0x8001), U32((uint)(10 + body.Count)), U32(cc), body.ToArray());
    }
}
