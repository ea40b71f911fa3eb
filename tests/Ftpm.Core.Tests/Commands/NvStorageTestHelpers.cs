using System.Buffers.Binary;
using Ftpm.Marshal;

namespace Ftpm.Tests.Commands;

/// <summary>Building NV commands and reading their answers for the NV storage tests.</summary>
internal static class Nv
{
    public const uint Owner = (uint)TpmRh.Owner;
    public const uint Platform = (uint)TpmRh.Platform;
    public const uint Idx = 0x01500010;
    public const TpmaNv OwnerRw = TpmaNv.OwnerRead | TpmaNv.OwnerWrite;
    public const TpmaNv AuthRw = TpmaNv.AuthRead | TpmaNv.AuthWrite;

    /// <summary>TPMS_NV_PUBLIC.</summary>
    public static byte[] Public(uint handle, TpmaNv attributes, ushort size, TpmAlgId nameAlg = TpmAlgId.Sha256, byte[]? policy = null) =>
        Cmd.Cat(Cmd.U32(handle), Cmd.U16((ushort)nameAlg), Cmd.U32((uint)attributes), Cmd.Sized(policy ?? []), Cmd.U16(size));

    public static Response Define(TpmTestHost host, uint handle, TpmaNv attributes, ushort size, byte[]? auth = null,
        TpmAlgId nameAlg = TpmAlgId.Sha256, byte[]? policy = null, uint authHandle = Owner) =>
        host.RunWithPasswords(TpmCc.NvDefineSpace, [authHandle], [[]],
            Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized(Public(handle, attributes, size, nameAlg, policy))));

    public static void DefineOk(TpmTestHost host, uint handle, TpmaNv attributes, ushort size, byte[]? auth = null,
        TpmAlgId nameAlg = TpmAlgId.Sha256, uint authHandle = Owner) =>
        Assert.Equal(TpmRc.Success, Define(host, handle, attributes, size, auth, nameAlg, null, authHandle).Rc);

    public static Response Undefine(TpmTestHost host, uint handle, uint authHandle = Owner) =>
        host.RunWithPasswords(TpmCc.NvUndefineSpace, [authHandle, handle], [[]]);

    public static Response Write(TpmTestHost host, uint handle, byte[] data, ushort offset = 0, uint? authHandle = null, byte[]? password = null) =>
        host.RunWithPasswords(TpmCc.NvWrite, [authHandle ?? Owner, handle], [password ?? []], Cmd.Cat(Cmd.Sized(data), Cmd.U16(offset)));

    public static Response Read(TpmTestHost host, uint handle, ushort size, ushort offset = 0, uint? authHandle = null, byte[]? password = null) =>
        host.RunWithPasswords(TpmCc.NvRead, [authHandle ?? Owner, handle], [password ?? []], Cmd.Cat(Cmd.U16(size), Cmd.U16(offset)));

    /// <summary>NV_Read's data (asserting success).</summary>
    public static byte[] ReadOk(TpmTestHost host, uint handle, ushort size, ushort offset = 0, uint? authHandle = null, byte[]? password = null)
    {
        var r = Read(host, handle, size, offset, authHandle, password);
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        Assert.Equal(size, BinaryPrimitives.ReadUInt16BigEndian(p));
        return p[2..];
    }

    public static Response Increment(TpmTestHost host, uint handle, uint? authHandle = null, byte[]? password = null) =>
        host.RunWithPasswords(TpmCc.NvIncrement, [authHandle ?? Owner, handle], [password ?? []]);

    public static ulong ReadCounter(TpmTestHost host, uint handle) => BinaryPrimitives.ReadUInt64BigEndian(ReadOk(host, handle, 8));

    /// <summary>NV_ReadPublic: the public area's bytes (without the TPM2B size) and the Name.</summary>
    public static (byte[] Public, byte[] Name) ReadPublic(TpmTestHost host, uint handle)
    {
        var r = host.Run(TpmCc.NvReadPublic, null, [handle]);
        Assert.Equal(TpmRc.Success, r.Rc);
        var b = r.Body;
        int size = BinaryPrimitives.ReadUInt16BigEndian(b);
        var pub = b.AsSpan(2, size).ToArray();
        int nameSize = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(2 + size));
        Assert.Equal(4 + size + nameSize, b.Length);
        return (pub, b.AsSpan(4 + size, nameSize).ToArray());
    }

    public static TpmaNv Attributes(TpmTestHost host, uint handle) =>
        (TpmaNv)BinaryPrimitives.ReadUInt32BigEndian(ReadPublic(host, handle).Public.AsSpan(6));

    /// <summary>A power cycle without Shutdown (unorderly), then Startup(CLEAR): a TPM Reset.</summary>
    public static TpmTestHost PowerLoss(TpmTestHost host)
    {
        host.Tpm.PowerOff();
        return new TpmTestHost(host.Store);
    }

    /// <summary>Shutdown(type), power cycle, Startup(startup).</summary>
    public static TpmTestHost Cycle(TpmTestHost host, TpmSu shutdown, TpmSu startup)
    {
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16((ushort)shutdown)).Rc);
        host.Tpm.PowerOff();
        var next = new TpmTestHost(host.Store, startup: false);
        Assert.Equal(TpmRc.Success, next.Run(TpmCc.Startup, Cmd.U16((ushort)startup)).Rc);
        return next;
    }
}
