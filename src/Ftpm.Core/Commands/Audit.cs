using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 21 "Command Audit": TPM2_SetCommandCodeAuditStatus. (TPM2_GetCommandAuditDigest signs the
/// digest and comes with attestation.)</summary>
internal static partial class Audit
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<SetCommandCodeAuditStatusIn>(TpmCc.SetCommandCodeAuditStatus, SetCommandCodeAuditStatus)
        {
            RefusedInReadOnlyMode = true,
            Handles = [new(HandleKinds.Provision, AuthRole.User)],
            WritesNv = true,
            PhysicalPresence = true,
        },
    ];

    [TpmParameters]
    internal partial struct SetCommandCodeAuditStatusIn
    {
        [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId AuditAlg;
        public TpmlCc SetList;
        public TpmlCc ClearList;
    }

    /// <summary>TPM2_SetCommandCodeAuditStatus (Part 3, 21.2): either a new audit hash (with both lists empty;
    /// the digest starts over) or commands added to and removed from the audit list. Codes: TPM_RC_HASH (P1);
    /// TPM_RC_SIZE (P2, P3) for more than MAX_CAP_CC codes; TPM_RC_VALUE (P1) for a new hash with a list.</summary>
    static TpmRc SetCommandCodeAuditStatus(Tpm tpm, ref CommandContext c, in SetCommandCodeAuditStatusIn p)
    {
        if (p.AuditAlg != TpmAlgId.Null && p.AuditAlg != tpm.Persistent.AuditHashAlg)
        {
            if (p.SetList.Count != 0 || p.ClearList.Count != 0) return TpmRc.Value.AtParameter(SetCommandCodeAuditStatusIn.Param.AuditAlg);
            tpm.AuditSetHash(p.AuditAlg);
            tpm.StagePersistent();
            return TpmRc.Success;
        }
        bool changed = false;
        for (int i = 0; i < (int)p.SetList.Count; i++) changed |= tpm.AuditSet(p.SetList.CommandCodes[i], audit: true);
        for (int i = 0; i < (int)p.ClearList.Count; i++) changed |= tpm.AuditSet(p.ClearList.CommandCodes[i], audit: false);
        if (changed) tpm.StagePersistent();
        return TpmRc.Success;
    }
}
