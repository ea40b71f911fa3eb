using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Vendor commands (CC_VEND set, TPMA_CC V): TPM2_Vendor_TCG_Test, the one the TCG reference
/// builds by default (its VendorCommandList.h).</summary>
internal static partial class Vendor
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<VendorTcgTestIn, VendorTcgTestOut>(TpmCc.VendorTcgTest, VendorTcgTest) { DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
    ];

    [TpmParameters]
    internal partial struct VendorTcgTestIn
    {
        /// <summary>TPM2B_DATA.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> InputData;
    }

    [TpmParameters]
    internal partial struct VendorTcgTestOut
    {
        /// <summary>TPM2B_DATA.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> OutputData;
    }

    /// <summary>TPM2_Vendor_TCG_Test: returns inputData unchanged (the reference's TPM2_Vendor_TCG_Test), so
    /// a client can check that vendor commands reach the TPM, with sessions and parameter encryption.
    /// Codes: TPM_RC_SIZE (P1) for more than a TPM2B_DATA holds.</summary>
    static TpmRc VendorTcgTest(Tpm tpm, ref CommandContext c, in VendorTcgTestIn p, out VendorTcgTestOut o)
    {
        o = new VendorTcgTestOut { OutputData = p.InputData };
        return TpmRc.Success;
    }
}
