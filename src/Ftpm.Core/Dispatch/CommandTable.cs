using Ftpm.Commands;

namespace Ftpm.Dispatch;

/// <summary>Every implemented command, found by code in one array lookup. Each command family
/// (one file in Commands/, one Part 3 chapter) lists its own commands; this is the one place
/// that gathers them.</summary>
internal static class CommandTable
{
    const uint First = (uint)TpmCc.First;
    const uint Last = (uint)TpmCc.Last;

    static readonly CommandInfo?[] ByCode = Build(
        Startup.Commands,
        Testing.Commands,
        Commands.Random.Commands,
        Pcr.Commands,
        HashMac.Commands,
        HashMac.SignatureSequenceCommands,
        ClockTimer.Commands,
        Context.Commands,
        Capability.Commands,
        SessionCommands.Commands,
        Hierarchy.Commands,
        DictionaryAttack.Commands,
        EnhancedAuthorization.Commands,
        Audit.Commands,
        Miscellaneous.Commands,
        NvStorage.Commands,
        // keys issue: objects, primaries, signing, asymmetric and symmetric primitives
        Primary.Commands,
        ObjectCommands.Commands,
        Signing.Commands,
        Signing.MessageCommands,
        Asymmetric.Commands,
        Symmetric.Commands,
        // ECC issue: Commit and EC_Ephemeral
        EphemeralEc.Commands,
        // attestation and key movement: attestation, credentials, duplication
        Attestation.Commands,
        ObjectCommands.CredentialCommands,
        Duplication.Commands,
        // the rest of 1.84, each in the partial file of its chapter's family
        Asymmetric.EccEncryptionCommands,
        NvStorage.Public2Commands,
        Hierarchy.ReadOnlyCommands,
        EnhancedAuthorization.TransportSpdmCommands,
        ClockTimer.ActCommands,
        EnhancedAuthorization.AcSendSelectCommands,
        // v185: Encapsulate and Decapsulate (ML-KEM, ECC DHKEM)
        Asymmetric.KemCommands);

    /// <summary>The vendor commands (CC_VEND set), by their low 16 bits (the commandIndex of TPMA_CC).</summary>
    static readonly CommandInfo[] Vendor = Commands.Vendor.Commands;

    static CommandInfo?[] Build(params CommandInfo[][] families)
    {
        var table = new CommandInfo?[Last - First + 1];
        foreach (var family in families)
            foreach (var info in family)
            {
                uint index = (uint)info.Code - First;
                if (table[index] is not null) throw new InvalidOperationException($"command {info.Code} listed twice");
                table[index] = info;
            }
        return table;
    }

    public static CommandInfo? Find(TpmCc code)
    {
        if (((uint)code & (uint)TpmCc.Vend) != 0)
        {
            foreach (var info in Vendor) if (info.Code == code) return info;
            return null;
        }
        uint index = (uint)code - First;
        return index < ByCode.Length ? ByCode[index] : null;
    }

    /// <summary>The implemented commands in code order (GetCapability(TPM_CAP_COMMANDS)): the library's,
    /// then the vendor commands, as the reference lists them.</summary>
    public static IEnumerable<CommandInfo> All()
    {
        foreach (var info in ByCode) if (info is not null) yield return info;
        foreach (var info in Vendor) yield return info;
    }

    /// <summary>The commands read-only mode refuses with TPM_RC_READ_ONLY before anything else is checked
    /// (Part 3, 24.12 TPM2_ReadOnlyControl; the commands with RO_DISALLOW in the reference's
    /// CommandAttributeData.h): those that change hierarchies, persistent objects, NV definitions, policies
    /// and auth values, and that create keys. NV_Write, NV_Extend, NV_SetBits, NV_WriteLock, NV_ReadLock and
    /// PolicySecret make their own, narrower check.</summary>
    public static bool DisallowedInReadOnlyMode(TpmCc code) => code is TpmCc.NvUndefineSpaceSpecial or TpmCc.EvictControl
        or TpmCc.HierarchyControl or TpmCc.NvUndefineSpace or TpmCc.ChangeEPS or TpmCc.ChangePPS or TpmCc.Clear
        or TpmCc.ClearControl or TpmCc.ClockSet or TpmCc.HierarchyChangeAuth or TpmCc.NvDefineSpace or TpmCc.PcrAllocate
        or TpmCc.PcrSetAuthPolicy or TpmCc.PpCommands or TpmCc.SetPrimaryPolicy or TpmCc.FieldUpgradeStart
        or TpmCc.ClockRateAdjust or TpmCc.CreatePrimary or TpmCc.NvGlobalWriteLock or TpmCc.NvIncrement
        or TpmCc.DictionaryAttackParameters or TpmCc.NvChangeAuth or TpmCc.SetAlgorithmSet
        or TpmCc.SetCommandCodeAuditStatus or TpmCc.FieldUpgradeData or TpmCc.ObjectChangeAuth or TpmCc.Create
        or TpmCc.PcrSetAuthValue or TpmCc.CreateLoaded or TpmCc.NvDefineSpace2 or TpmCc.SetCapability;

    /// <summary>Whether a command is a vendor command (TPMA_CC V).</summary>
    public static bool IsVendor(TpmCc code) => ((uint)code & (uint)TpmCc.Vend) != 0;
}
