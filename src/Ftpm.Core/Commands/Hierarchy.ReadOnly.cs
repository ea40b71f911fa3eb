using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

// Part 3, 24.12 (1.84): ReadOnlyControl. In read-only mode the TPM refuses, with TPM_RC_READ_ONLY, the
// commands that would change what it holds in NV (CommandInfo.RefusedInReadOnlyMode, checked by the
// dispatcher before the TPM is even started), NV writes and locks of any index that is not both ORDERLY
// and CLEAR_STCLEAR, and PolicySecret with a PIN index (whose use would count). Reads, sessions, signing
// with loaded keys and PCR updates go on. The mode is state-clear data: a TPM Reset or Restart leaves it.
internal static partial class Hierarchy
{
    internal static readonly CommandInfo[] ReadOnlyCommands =
    [
        new Command<ReadOnlyControlIn>(TpmCc.ReadOnlyControl, ReadOnlyControl) { Handles = [new(HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true },
    ];

    [TpmParameters]
    internal partial struct ReadOnlyControlIn
    {
        /// <summary>TPMI_YES_NO: YES enters read-only mode, NO leaves it.</summary>
        [Check(nameof(TpmCheck.YesNo))] public byte State;
    }

    /// <summary>TPM2_ReadOnlyControl (Part 3, 24.12): sets or clears TPMA_STARTUP_CLEAR readOnly under
    /// platform authorization. Codes: TPM_RC_VALUE (P1) for a state other than YES or NO. It is itself
    /// allowed in read-only mode (how else would the mode end before the next TPM Reset).</summary>
    static TpmRc ReadOnlyControl(Tpm tpm, ref CommandContext c, in ReadOnlyControlIn p)
    {
        tpm.ReadOnlyMode = p.State != 0;
        return TpmRc.Success;
    }

    /// <summary>Whether read-only mode refuses PolicySecret with <paramref name="authHandle"/>: a PIN Pass or
    /// PIN Fail index, whose use changes its pinCount (the reference's TPM2_PolicySecret).</summary>
    internal static bool RefusedInReadOnlyMode(Tpm tpm, uint authHandle) =>
        tpm.ReadOnlyMode && tpm.Nv.Get(authHandle) is { Type: TpmNt.PinFail or TpmNt.PinPass };
}

internal static partial class NvStorage
{
    /// <summary>The read-only check of NV_Write, NV_Extend, NV_SetBits, NV_WriteLock and NV_ReadLock (the
    /// reference's NvReadOnlyModeChecks): only an index that is both ORDERLY and CLEAR_STCLEAR, whose data
    /// never reaches NV between orderly shutdowns, may change in read-only mode.</summary>
    static bool RefusedInReadOnlyMode(Tpm tpm, State.NvIndex index) =>
        tpm.ReadOnlyMode && !(index.Attributes.Has(TpmaNv.Orderly) && index.Attributes.Has(TpmaNv.ClearStClear));
}
