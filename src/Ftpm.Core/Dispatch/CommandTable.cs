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
    /// then the vendor commands, as the reference lists them. Declared after <see cref="ByCode"/> and
    /// <see cref="Vendor"/>: static fields of one file initialize in text order.</summary>
    static readonly CommandInfo[] Implemented = [.. ByCode.OfType<CommandInfo>(), .. Vendor];

    /// <summary>The implemented commands in code order (a span, so walking it allocates nothing).</summary>
    public static ReadOnlySpan<CommandInfo> All() => Implemented;

    /// <summary>The commands whose platform authorization needs physical presence on a new TPM: those that
    /// always need it (the reference's PhysicalPresencePreInstall_Init), in code order.</summary>
    public static List<TpmCc> PhysicalPresenceDefaults()
    {
        var list = new List<TpmCc>();
        foreach (var info in All()) if (info.PhysicalPresenceRequired) list.Add(info.Code);
        return list;
    }

    /// <summary>Whether a command is a vendor command (TPMA_CC V).</summary>
    public static bool IsVendor(TpmCc code) => ((uint)code & (uint)TpmCc.Vend) != 0;
}
