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
        Asymmetric.Commands,
        Symmetric.Commands,
        // ECC issue: Commit and EC_Ephemeral
        EphemeralEc.Commands,
        // the rest of 1.84, each in the partial file of its chapter's family
        Asymmetric.EccEncryptionCommands,
        NvStorage.Public2Commands);

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
        uint index = (uint)code - First;
        return index < ByCode.Length ? ByCode[index] : null;
    }

    /// <summary>The implemented commands in code order (GetCapability(TPM_CAP_COMMANDS)).</summary>
    public static IEnumerable<CommandInfo> All()
    {
        foreach (var info in ByCode) if (info is not null) yield return info;
    }
}
