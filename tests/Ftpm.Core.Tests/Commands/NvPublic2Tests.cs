using System.Buffers.Binary;
using Ftpm.Marshal;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_NV_DefineSpace2 and TPM2_NV_ReadPublic2 (Part 3, 31.16/31.17, 1.84): the TPMT_NV_PUBLIC_2
/// union by handle type, the 64-bit TPMA_NV_EXP of the external arm, and the codes of NV_DefineSpace at the
/// same positions.</summary>
public sealed class NvPublic2Tests
{
    readonly TpmTestHost _host = new();

    /// <summary>TPM2B_NV_PUBLIC_2 over a handle type and its arm.</summary>
    static byte[] Public2(byte handleType, byte[] arm) => Cmd.Sized(Cmd.Cat([handleType], arm));

    Response Define2(byte[] publicInfo, byte[]? auth = null, uint authHandle = Nv.Owner) =>
        _host.RunWithPasswords(TpmCc.NvDefineSpace2, [authHandle], [[]], Cmd.Cat(Cmd.Sized(auth ?? []), publicInfo));

    [Fact]
    public void DefinesAnIndexThatReadsBackInBothForms()
    {
        var pub = Nv.Public(Nv.Idx, Nv.AuthRw, 16);
        Assert.Equal(TpmRc.Success, Define2(Public2(0x01, pub), "pw"u8.ToArray()).Rc);
        // NV_ReadPublic sees the index NV_DefineSpace would have made, with the same Name.
        var (legacy, name) = Nv.ReadPublic(_host, Nv.Idx);
        Assert.Equal(pub, legacy);
        Assert.Equal(TpmRc.Success, Nv.Write(_host, Nv.Idx, [1, 2, 3], authHandle: Nv.Idx, password: "pw"u8.ToArray()).Rc);
        (legacy, name) = Nv.ReadPublic(_host, Nv.Idx);

        var r = _host.Run(TpmCc.NvReadPublic2, null, [Nv.Idx]);
        Assert.Equal(TpmRc.Success, r.Rc);
        // TPM2B_NV_PUBLIC_2 { TPM_HT_NV_INDEX, TPMS_NV_PUBLIC } then TPM2B_NAME.
        Assert.Equal(Cmd.Cat(Cmd.Sized(Cmd.Cat([0x01], legacy)), Cmd.Sized(name)), r.Body);
        Assert.Equal((uint)(Nv.AuthRw | TpmaNv.Written), BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(3 + 6)));
    }

    [Fact]
    public void Codes()
    {
        var pub = Nv.Public(Nv.Idx, Nv.OwnerRw, 8);
        // Unmarshaling: TPM_RC_SIZE + P2 for an empty TPM2B; TPM_RC_SELECTOR + P2 for a handle type with no
        // arm; TPM_RC_VALUE + P2 for an NV_INDEX arm whose handle is not an NV index (TPMI_RH_NV_LEGACY_INDEX).
        Assert.Equal((TpmRc)0x2D5, Define2(Cmd.U16(0)).Rc);
        Assert.Equal((TpmRc)0x2D8, Define2(Public2(0x02, pub)).Rc);
        Assert.Equal((TpmRc)0x2C4, Define2(Public2(0x01, Nv.Public(0x81000001, Nv.OwnerRw, 8))).Rc);
        // TPMA_NV_EXP reserved bits (bit 35 and up, and TPMA_NV's own): TPM_RC_RESERVED_BITS + P2.
        var external = Cmd.Cat(Cmd.U32(0x11000001), Cmd.U16(0x000B), Cmd.U64(0x0000_0008_0002_0002), Cmd.Sized([]), Cmd.U16(8));
        Assert.Equal((TpmRc)0x2E1, Define2(Public2(0x11, external)).Rc);
        // A well-formed external or permanent NV public area: TPM_RC_HANDLE + P2 (no external NV here; a
        // permanent NV index is the TPM's own).
        external = Cmd.Cat(Cmd.U32(0x11000001), Cmd.U16(0x000B), Cmd.U64(0x0000_0001_0002_0002), Cmd.Sized([]), Cmd.U16(8));
        Assert.Equal((TpmRc)0x2CB, Define2(Public2(0x11, external)).Rc);
        Assert.Equal((TpmRc)0x2CB, Define2(Public2(0x12, pub)).Rc);
        // NV_DefineSpace's own checks at the same positions: auth longer than the nameAlg digest (P1), a
        // counter of the wrong size (P2), PLATFORMCREATE from the owner (H1); trailing bytes are TPM_RC_SIZE.
        Assert.Equal((TpmRc)0x1D5, Define2(Public2(0x01, pub), Enumerable.Repeat((byte)7, 33).ToArray()).Rc);
        Assert.Equal((TpmRc)0x2D5, Define2(Public2(0x01, Nv.Public(Nv.Idx, Nv.OwnerRw | (TpmaNv)0x10, 4))).Rc);
        Assert.Equal((TpmRc)0x182, Define2(Public2(0x01, Nv.Public(Nv.Idx, Nv.OwnerRw | TpmaNv.PlatformCreate, 8))).Rc);
        Assert.Equal(TpmRc.Size, _host.RunWithPasswords(TpmCc.NvDefineSpace2, [Nv.Owner], [[]], Cmd.Cat(Cmd.Sized([]), Public2(0x01, pub), [0])).Rc);
        Assert.Equal(TpmRc.Success, Define2(Public2(0x01, pub)).Rc);
        Assert.Equal((TpmRc)0x14C, Define2(Public2(0x01, pub)).Rc);                           // TPM_RC_NV_DEFINED

        // NV_ReadPublic2: an undefined index is TPM_RC_HANDLE + H1; parameters are TPM_RC_SIZE.
        Assert.Equal((TpmRc)0x18B, _host.Run(TpmCc.NvReadPublic2, null, [Nv.Idx + 1]).Rc);
        Assert.Equal(TpmRc.Size, _host.Run(TpmCc.NvReadPublic2, [0], [Nv.Idx]).Rc);
    }
}
