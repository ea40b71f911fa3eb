using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

// Part 3, 31.16 and 31.17 (1.84): NV_DefineSpace2 and NV_ReadPublic2, the forms of NV_DefineSpace and
// NV_ReadPublic whose public area is a TPM2B_NV_PUBLIC_2, a union by handle type that carries 64-bit
// attributes (TPMA_NV_EXP) for external NV indices.
internal static partial class NvStorage
{
    internal static readonly CommandInfo[] Public2Commands =
    [
        new Command<NvDefineSpace2In>(TpmCc.NvDefineSpace2, NvDefineSpace2) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Provision, AuthRole.User)], DecryptFirstParameter = true, WritesNv = true, PhysicalPresence = true },
        new CommandOut<NvReadPublic2Out>(TpmCc.NvReadPublic2, NvReadPublic2) { Handles = [new(HandleKinds.NvIndexAny)], EncryptFirstResponseParameter = true },
    ];

    [TpmParameters]
    internal partial struct NvDefineSpace2In
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> Auth;
        public Tpm2bNvPublic2 PublicInfo;
    }

    /// <summary>TPM2_NV_DefineSpace2 (Part 3, 31.16): NV_DefineSpace with the public area as a
    /// TPMT_NV_PUBLIC_2. An ordinary NV index (TPM_HT_NV_INDEX) is defined exactly as NV_DefineSpace
    /// defines it, with the same codes at the same positions. Codes of its own: TPM_RC_SELECTOR (P2) for a
    /// handle type with no arm (unmarshaling); TPM_RC_HANDLE (P2) for any other handle type: a permanent NV
    /// index is the TPM's own, and this TPM keeps no external NV (the reference's answer when EXTERNAL_NV is
    /// NO).</summary>
    static TpmRc NvDefineSpace2(Tpm tpm, ref CommandContext c, in NvDefineSpace2In p)
    {
        ref readonly var pub = ref p.PublicInfo.NvPublic2;
        if (pub.HandleType != TpmHt.NvIndex) return TpmRc.Handle.AtParameter(NvDefineSpace2In.Param.PublicInfo);
        return DefineIndex(tpm, c.Handles[0], p.Auth.Span, in pub.NvPublic2.NvIndex);
    }

    [TpmParameters]
    internal partial struct NvReadPublic2Out
    {
        public Tpm2bNvPublic2 NvPublic;
        /// <summary>TPM2B_NAME.</summary>
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> NvName;
    }

    /// <summary>TPM2_NV_ReadPublic2 (Part 3, 31.17): the public area in the TPMT_NV_PUBLIC_2 form (for an
    /// NV index, handle type TPM_HT_NV_INDEX and its TPMS_NV_PUBLIC) and the Name, which is that of
    /// NV_ReadPublic. No authorization; no codes beyond the handle check.</summary>
    static TpmRc NvReadPublic2(Tpm tpm, ref CommandContext c, out NvReadPublic2Out o)
    {
        var index = tpm.Nv.Get(c.Handles[0])!;
        o = new NvReadPublic2Out
        {
            NvPublic = new Tpm2bNvPublic2
            {
                NvPublic2 = new TpmtNvPublic2 { HandleType = TpmHt.NvIndex, NvPublic2 = new TpmuNvPublic2 { NvIndex = index.Public } },
            },
            NvName = index.Name(tpm.Crypto),
        };
        return TpmRc.Success;
    }
}
