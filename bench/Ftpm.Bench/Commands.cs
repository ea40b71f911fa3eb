using System.Buffers.Binary;

namespace Ftpm.Bench;

/// <summary>Pre-built TPM 2.0 command byte strings (Part 3 wire format, big-endian).</summary>
internal static class Commands
{
    const ushort StNoSessions = 0x8001;
    const ushort StSessions = 0x8002;
    const uint CcHash = 0x17D, CcPcrRead = 0x17E, CcGetRandom = 0x17B;
    const uint CcReadClock = 0x181, CcPcrExtend = 0x182;
    const ushort AlgSha256 = 0x000B;
    const uint RhOwner = 0x40000001, RhNull = 0x40000007, RsPw = 0x40000009;

    public static readonly byte[] StartupClear = [0x80, 0x01, 0x00, 0x00, 0x00, 0x0C, 0x00, 0x00, 0x01, 0x44, 0x00, 0x00];

    /// <summary>TPM2_GetRandom(bytesRequested).</summary>
    public static byte[] GetRandom(ushort bytes) =>
        Build(StNoSessions, CcGetRandom, w => w.U16(bytes));

    /// <summary>TPM2_PCR_Extend(pcr, password session with empty auth, TPML_DIGEST_VALUES{SHA-256 digest}).</summary>
    public static byte[] PcrExtendSha256(uint pcr, ReadOnlySpan<byte> digest)
    {
        var d = digest.ToArray();
        return Build(StSessions, CcPcrExtend, w =>
        {
            w.U32(pcr);
            w.U32(9);            // authorizationSize
            w.U32(RsPw);         // sessionHandle
            w.U16(0);            // nonce: empty
            w.U8(0x01);          // continueSession
            w.U16(0);            // hmac (password): empty
            w.U32(1);            // TPML_DIGEST_VALUES.count
            w.U16(AlgSha256);
            w.Bytes(d);
        });
    }

    /// <summary>TPM2_PCR_Read of one SHA-256 PCR.</summary>
    public static byte[] PcrReadSha256(int pcr) =>
        Build(StNoSessions, CcPcrRead, w =>
        {
            w.U32(1);            // TPML_PCR_SELECTION.count
            w.U16(AlgSha256);
            w.U8(3);             // sizeofSelect
            for (int o = 0; o < 3; o++) w.U8(pcr / 8 == o ? (byte)(1 << (pcr % 8)) : (byte)0);
        });

    /// <summary>TPM2_Hash(data, SHA-256, hierarchy).</summary>
    public static byte[] HashSha256(ReadOnlySpan<byte> data, bool ownerHierarchy)
    {
        var d = data.ToArray();
        return Build(StNoSessions, CcHash, w =>
        {
            w.U16((ushort)d.Length);
            w.Bytes(d);
            w.U16(AlgSha256);
            w.U32(ownerHierarchy ? RhOwner : RhNull);
        });
    }

    /// <summary>TPM2_ReadClock.</summary>
    public static byte[] ReadClock() => Build(StNoSessions, CcReadClock, _ => { });

    static byte[] Build(ushort tag, uint cc, Action<Writer> body)
    {
        var w = new Writer();
        w.U16(tag);
        w.U32(0);                // commandSize, patched below
        w.U32(cc);
        body(w);
        var bytes = w.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), (uint)bytes.Length);
        return bytes;
    }

    sealed class Writer
    {
        readonly List<byte> _bytes = [];
        public void U8(byte v) => _bytes.Add(v);
        public void U16(ushort v) { _bytes.Add((byte)(v >> 8)); _bytes.Add((byte)v); }
        public void U32(uint v) { U16((ushort)(v >> 16)); U16((ushort)v); }
        public void Bytes(byte[] v) => _bytes.AddRange(v);
        public byte[] ToArray() => [.. _bytes];
    }

    /// <summary>Runs <paramref name="command"/> (a set-up step) and throws unless the TPM answers
    /// TPM_RC_SUCCESS; the response length.</summary>
    public static int ExecuteOk(Tpm tpm, byte[] command, byte[] response, string name)
    {
        int n = tpm.Execute(0, command, response);
        uint rc = ResponseCode(response, n);
        if (rc != 0) throw new InvalidOperationException($"{name}: TPM returned 0x{rc:X3}, expected TPM_RC_SUCCESS");
        return n;
    }

    /// <summary>The response code (bytes 6..9), or throws if the response is shorter than a header.</summary>
    public static uint ResponseCode(ReadOnlySpan<byte> response, int length)
    {
        if (length < 10) throw new InvalidOperationException($"response of {length} bytes is shorter than a header");
        return BinaryPrimitives.ReadUInt32BigEndian(response[6..]);
    }
}
