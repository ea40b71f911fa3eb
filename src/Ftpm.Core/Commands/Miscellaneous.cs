using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 26 "Miscellaneous Management Functions": TPM2_PP_Commands and TPM2_SetAlgorithmSet.</summary>
internal static partial class Miscellaneous
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<PpCommandsIn>(TpmCc.PpCommands, PpCommands) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true, PhysicalPresenceRequired = true },
        new Command<SetAlgorithmSetIn>(TpmCc.SetAlgorithmSet, SetAlgorithmSet) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Platform, AuthRole.User)], WritesNv = true },
    ];

    [TpmParameters]
    internal partial struct PpCommandsIn
    {
        public TpmlCc SetList;
        public TpmlCc ClearList;
    }

    /// <summary>TPM2_PP_Commands (Part 3, 26.2): which commands need physical presence when the platform
    /// authorizes them. Codes not implemented or without the PP_COMMAND attribute are not set, and a
    /// command that always needs physical presence (<see cref="CommandInfo.PhysicalPresenceRequired"/>) is not
    /// cleared. Codes: TPM_RC_PP when physical presence is not asserted (the
    /// authorization flow); TPM_RC_SIZE (P1, P2) for more than MAX_CAP_CC codes.</summary>
    static TpmRc PpCommands(Tpm tpm, ref CommandContext c, in PpCommandsIn p)
    {
        var list = tpm.Persistent.PpCommands;
        for (int i = 0; i < (int)p.SetList.Count; i++)
        {
            var code = p.SetList.CommandCodes[i];
            if (CommandTable.Find(code) is { PhysicalPresence: true } && !list.Contains(code)) list.Add(code);
        }
        for (int i = 0; i < (int)p.ClearList.Count; i++)
        {
            var code = p.ClearList.CommandCodes[i];
            if (CommandTable.Find(code) is not { PhysicalPresenceRequired: true }) list.Remove(code);
        }
        list.Sort();
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct SetAlgorithmSetIn
    {
        public uint AlgorithmSet;
    }

    /// <summary>TPM2_SetAlgorithmSet (Part 3, 26.3): a vendor-defined algorithm set number, kept in NV and
    /// reported as TPM_PT_ALGORITHM_SET; this TPM has one set and changes nothing else.</summary>
    static TpmRc SetAlgorithmSet(Tpm tpm, ref CommandContext c, in SetAlgorithmSetIn p)
    {
        tpm.Persistent.AlgorithmSet = p.AlgorithmSet;
        tpm.StagePersistent();
        return TpmRc.Success;
    }
}
