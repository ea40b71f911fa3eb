namespace Ftpm.Tests.Commands;

/// <summary>TPM2_Vendor_TCG_Test (CC_VEND + 0, the reference's vendor command): an echo of a TPM2B_DATA.</summary>
public sealed class VendorTests
{
    readonly TpmTestHost _host = new();

    [Fact]
    public void EchoesInputData()
    {
        var r = _host.Run(TpmCc.VendorTcgTest, Cmd.Sized([1, 2, 3]));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(Cmd.Sized([1, 2, 3]), r.Body);
        var empty = _host.Run(TpmCc.VendorTcgTest, Cmd.Sized([]));
        Assert.Equal(TpmRc.Success, empty.Rc);
        Assert.Equal(Cmd.U16(0), empty.Body);
    }

    [Fact]
    public void Codes()
    {
        Assert.Equal((TpmRc)0x1D5, _host.Run(TpmCc.VendorTcgTest, Cmd.Sized(new byte[67])).Rc);   // TPM_RC_SIZE + P1: over TPM2B_DATA
        Assert.Equal((TpmRc)0x1DA, _host.Run(TpmCc.VendorTcgTest, [0]).Rc);                         // TPM_RC_INSUFFICIENT + P1
        Assert.Equal(TpmRc.Size, _host.Run(TpmCc.VendorTcgTest, [.. Cmd.Sized([]), 0]).Rc);
    }
}
