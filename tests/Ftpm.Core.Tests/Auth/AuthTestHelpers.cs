using System.Buffers.Binary;

namespace Ftpm.Tests.Auth;

/// <summary>Reading authorization-related TPM properties (GetCapability TPM_CAP_TPM_PROPERTIES).</summary>
internal static class AuthTestHelpers
{
    /// <summary>The value of one TPM_PT property.</summary>
    public static uint Property(TpmTestHost host, TpmPt property)
    {
        var r = host.Run(TpmCc.GetCapability, Cmd.Cat(Cmd.U32((uint)TpmCap.TpmProperties), Cmd.U32((uint)property), Cmd.U32(1)));
        Assert.Equal(TpmRc.Success, r.Rc);
        // moreData, capability, count, then TPMS_TAGGED_PROPERTY.
        Assert.Equal((uint)property, BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(9)));
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(13));
    }

    public static uint Permanent(TpmTestHost host) => Property(host, TpmPt.Permanent);
    public static uint StartupClear(TpmTestHost host) => Property(host, TpmPt.StartupClear);
}
