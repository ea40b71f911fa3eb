using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 9 "Start-up": TPM2_Startup and TPM2_Shutdown.</summary>
internal static partial class Startup
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<StartupIn>(TpmCc.Startup, TpmStartup) { WritesNv = true, NoSessions = true },
        new Command<ShutdownIn>(TpmCc.Shutdown, TpmShutdown) { WritesNv = true },
    ];

    [TpmParameters]
    internal partial struct StartupIn
    {
        [Check(nameof(TpmCheck.StartupType))] public TpmSu StartupType;
    }

    /// <summary>
    /// TPM2_Startup (Part 3, 9.3). After Shutdown(STATE), Startup(STATE) is a TPM Resume (saved
    /// PCRs come back) and Startup(CLEAR) a TPM Restart; otherwise Startup(CLEAR) is a TPM Reset
    /// (Part 1, 36.2-36.4); a second Startup is TPM_RC_INITIALIZE from the dispatcher. Codes:
    /// TPM_RC_LOCALITY from a locality other than 0 or 3 (the PC Client startup localities; the
    /// reference's TPM2_Startup); TPM_RC_VALUE (P1) for Startup(STATE) without a saved state;
    /// TPM_RC_LOCALITY for Startup(STATE) after an H-CRTM or from another startup locality than the one
    /// Shutdown(STATE) saved. Startup(CLEAR) at locality 3 starts PCR 0 at 3 in its last octet in every
    /// bank (PC Client "Startup Locality"; an H-CRTM's 4 takes precedence).
    /// </summary>
    static TpmRc TpmStartup(Tpm tpm, ref CommandContext c, in StartupIn p)
    {
        // Validation (a second Startup is refused by the dispatcher)
        if (c.Locality is not (0 or 3)) return TpmRc.Locality;
        // After an H-CRTM the startup locality counts as 0: PCR 0 belongs to the H-CRTM.
        bool locality3 = c.Locality == 3 && !tpm.HcrtmSeen;
        var persistent = tpm.Persistent;
        bool wasStateSaved = (persistent.OrderlyState & ~PersistentData.StartupLocality3) == (ushort)TpmSu.State
            && tpm.SavedState is not null;
        bool savedLocality3 = wasStateSaved && (persistent.OrderlyState & PersistentData.StartupLocality3) != 0;
        if (p.StartupType == TpmSu.State && !wasStateSaved) return TpmRc.Value.AtParameter(StartupIn.Param.StartupType);
        if (p.StartupType == TpmSu.State && tpm.HcrtmSeen) return TpmRc.Locality;
        if (p.StartupType == TpmSu.State && locality3 != savedLocality3) return TpmRc.Locality;

        // State update
        if (!wasStateSaved)
        {
            // TPM Reset: a new resetCount epoch and a new null hierarchy.
            persistent.ResetCount++;
            persistent.TotalResetCount++;
            persistent.RestartCount = 0;
            persistent.ClearCount = 0;
            tpm.NullProof = tpm.RandomBytes(64);
            // A new null seed: primaries cached from the old one are wiped, not left to age out.
            tpm.PrimaryCache.Clear();
            tpm.SavedKeys.Clear();
            // Saved sequence copies (an HMAC sequence holds its key): no blob of the old epoch loads now.
            tpm.SavedSequences.Clear();
        }
        else
        {
            persistent.RestartCount++;
            // A TPM Restart (Startup(CLEAR) after Shutdown(STATE)) ends the stClear objects' contexts.
            if (p.StartupType == TpmSu.Clear) persistent.ClearCount++;
        }
        tpm.Pcrs.Initialize(persistent.PcrAllocation);
        if (p.StartupType == TpmSu.State)
        {
            var r = new TpmReader(tpm.SavedState!);
            tpm.Pcrs.Restore(ref r);
        }
        else
        {
            tpm.PlatformAuth = [];
            if (locality3) tpm.Pcrs.SetStartupLocality(3);
        }
        tpm.StartupLocality3 = locality3;
        tpm.ApplyHcrtmAtStartup();
        // The commit nonce and counter of TPM2_Commit / EC_Ephemeral: new at a TPM Reset (Part 3, 19.1).
        tpm.CommitStartup(reset: !wasStateSaved);
        // Sessions, hierarchy enables, platform policy and DA.
        tpm.AuthStartup(resume: p.StartupType == TpmSu.State, restart: wasStateSaved && p.StartupType == TpmSu.Clear,
            previousShutdownWasOrderly: persistent.OrderlyState != PersistentData.NoOrderlyShutdown);
        // NV indices: locks, CLEAR_STCLEAR and orderly counters (Part 1, "NV Memory"; the reference's NvEntityStartup).
        tpm.Nv.Startup(tpm, p.StartupType == TpmSu.State ? NvStartupType.Resume : wasStateSaved ? NvStartupType.Restart : NvStartupType.Reset,
            previousShutdownOrderly: persistent.OrderlyState != PersistentData.NoOrderlyShutdown);

        // Until the next orderly Shutdown, a power loss is an unorderly shutdown.
        persistent.OrderlyState = PersistentData.NoOrderlyShutdown;
        tpm.StagePersistent();
        tpm.StageRecord(NvKeys.SavedState, null);
        tpm.SavedState = null;
        tpm.MarkStarted();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ShutdownIn
    {
        [Check(nameof(TpmCheck.StartupType))] public TpmSu ShutdownType;
    }

    /// <summary>
    /// TPM2_Shutdown (Part 3, 9.4): an orderly shutdown. STATE saves the PCRs that survive a TPM
    /// Resume; both kinds write Clock to NV so that it is "safe" at the next startup.
    /// Codes: TPM_RC_VALUE (P1) for a type that is neither CLEAR nor STATE.
    /// </summary>
    static TpmRc TpmShutdown(Tpm tpm, ref CommandContext c, in ShutdownIn p)
    {
        var persistent = tpm.Persistent;
        if (p.ShutdownType == TpmSu.State)
        {
            var buffer = new byte[TpmAlgorithms.Hashes.Length * (4 + TpmLimits.PcrCount * TpmLimits.MaxDigestSize) + 4];
            var w = new TpmWriter(buffer);
            tpm.Pcrs.Save(ref w);
            tpm.StageRecord(NvKeys.SavedState, w.Written.ToArray());
            tpm.AuthShutdownState();
            tpm.CommitShutdownState();
        }
        else
        {
            tpm.StageRecord(NvKeys.SavedState, null);
        }
        tpm.Nv.Shutdown(tpm); // NV indices: orderly indices' RAM data to NV
        persistent.OrderlyState = (ushort)p.ShutdownType;
        if (p.ShutdownType == TpmSu.State && tpm.StartupLocality3) persistent.OrderlyState |= PersistentData.StartupLocality3;
        persistent.Clock = tpm.Clock;
        tpm.StagePersistent();
        return TpmRc.Success;
    }
}
