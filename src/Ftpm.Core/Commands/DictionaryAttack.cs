using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 25 "Dictionary Attack Functions": DictionaryAttackLockReset and DictionaryAttackParameters.</summary>
internal static partial class DictionaryAttack
{
    public static readonly CommandInfo[] Commands =
    [
        new Command(TpmCc.DictionaryAttackLockReset, DictionaryAttackLockReset) { Handles = [new(HandleKinds.Lockout, AuthRole.User)], WritesNv = true },
        new Command<DictionaryAttackParametersIn>(TpmCc.DictionaryAttackParameters, DictionaryAttackParameters) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Lockout, AuthRole.User)], WritesNv = true },
    ];

    /// <summary>TPM2_DictionaryAttackLockReset (Part 3, 25.2): failedTries back to zero. Needs lockoutAuth
    /// (or the lockout policy), which itself is refused while lockoutAuth is locked out.</summary>
    static TpmRc DictionaryAttackLockReset(Tpm tpm, ref CommandContext c)
    {
        tpm.DaLockReset();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct DictionaryAttackParametersIn
    {
        public uint NewMaxTries;
        /// <summary>Seconds per forgotten failure; 0 turns DA protection off.</summary>
        public uint NewRecoveryTime;
        /// <summary>Seconds lockoutAuth stays unusable after a failure; 0: until the next startup.</summary>
        public uint LockoutRecovery;
    }

    /// <summary>TPM2_DictionaryAttackParameters (Part 3, 25.3): maxTries, recoveryTime and lockoutRecovery;
    /// failedTries starts over at zero.</summary>
    static TpmRc DictionaryAttackParameters(Tpm tpm, ref CommandContext c, in DictionaryAttackParametersIn p)
    {
        tpm.DaSetParameters(p.NewMaxTries, p.NewRecoveryTime, p.LockoutRecovery);
        return TpmRc.Success;
    }
}
