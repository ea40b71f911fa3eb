using Ftpm.Marshal;

namespace Ftpm.State;

/// <summary>
/// The TPM's persistent data (Part 1, "Persistent" vs "Orderly" data): what survives every power
/// cycle. Stored as one NV record (<see cref="Ports.NvKeys.Persistent"/>), rewritten in the same
/// transaction as the command that changed it.
/// </summary>
internal sealed class PersistentData
{
    const uint Magic = 0x4654504D; // "FTPM"
    const ushort Version = 1;

    /// <summary>Primary seeds (Part 1, 14.3): endorsement, storage (owner) and platform.</summary>
    public byte[] EndorsementSeed = [];
    public byte[] StorageSeed = [];
    public byte[] PlatformSeed = [];

    /// <summary>Authorization values and policies of the permanent hierarchies.</summary>
    public byte[] OwnerAuth = [], EndorsementAuth = [], LockoutAuth = [];
    public Tpm2bPolicy OwnerPolicy, EndorsementPolicy, LockoutPolicy;

    /// <summary>Clock (Part 1, 36.3): the NV-backed millisecond count, written at least every
    /// <see cref="ClockState.NvUpdateInterval"/> and at orderly shutdown.</summary>
    public ulong Clock;

    /// <summary>resetCount and the count of TPM Resets ever; restartCount lives with the orderly state.</summary>
    public uint ResetCount;
    public uint RestartCount;
    public ulong TotalResetCount;

    /// <summary>TPM_SU of the last Shutdown, or <see cref="NoOrderlyShutdown"/> when the TPM went down without one.</summary>
    public ushort OrderlyState = NoOrderlyShutdown;
    public const ushort NoOrderlyShutdown = 0xFFFF;
    /// <summary>Added to TPM_SU_STATE by a Shutdown(STATE) after a Startup at locality 3 (the reference's
    /// STARTUP_LOCALITY_3 bit of orderlyState).</summary>
    public const ushort StartupLocality3 = 0x4000;

    /// <summary>The PCR allocation that PCR_Allocate asked for, effective at the next Startup(CLEAR)
    /// (Part 3, 22.5). One bitmap of PCRs per bank of <see cref="TpmAlgorithms.Hashes"/>: all four banks
    /// with all 24 PCRs by default.</summary>
    public uint[] PcrAllocation = [AllPcrs, AllPcrs, AllPcrs, AllPcrs];
    public const uint AllPcrs = (1u << TpmLimits.PcrCount) - 1;

    /// <summary>Hierarchy proofs (Part 1, 14.4): secrets that make tickets of each hierarchy unforgeable.</summary>
    public byte[] PlatformProof = [], StorageProof = [], EndorsementProof = [];

    /// <summary>Set once the seeds and proofs exist (TPM_Manufacture).</summary>
    public bool Manufactured;

    // ---- Authorization: serialized after the fields above; absent in older records ----

    /// <summary>Dictionary-attack state (Part 1, 19.8.x; defaults of the reference's DAPreInstall_Init):
    /// failedTries, maxTries, recoveryTime and lockoutRecovery (seconds), and whether lockoutAuth may be used.</summary>
    public uint FailedTries;
    public uint MaxTries = 3;
    public uint RecoveryTime = 1000;
    public uint LockoutRecovery = 1000;
    public bool LockoutAuthEnabled = true;

    /// <summary>TPMA_PERMANENT disableClear (TPM2_ClearControl).</summary>
    public bool DisableClear;

    /// <summary>The hash algorithms of the hierarchy policies (TPM2_SetPrimaryPolicy); TPM_ALG_NULL with an empty policy.</summary>
    public TpmAlgId OwnerPolicyAlg = TpmAlgId.Null, EndorsementPolicyAlg = TpmAlgId.Null, LockoutPolicyAlg = TpmAlgId.Null;

    /// <summary>Command audit (Part 1, 19.6.x; the reference's CommandAuditPreInstall_Init): the hash of the
    /// audit digest, the audit counter, and the audited commands (SetCommandCodeAuditStatus always is).</summary>
    public TpmAlgId AuditHashAlg = TpmAlgId.Sha256;
    public ulong AuditCounter;
    public List<TpmCc> AuditCommands = [TpmCc.SetCommandCodeAuditStatus];

    /// <summary>The authPolicy of the PCR policy group and its hash (TPM2_PCR_SetAuthPolicy).</summary>
    public byte[] PcrPolicy = [];
    public TpmAlgId PcrPolicyAlg = TpmAlgId.Null;

    /// <summary>The commands that need physical presence when the platform authorizes them (TPM2_PP_Commands;
    /// a new TPM starts with <see cref="Dispatch.CommandTable.PhysicalPresenceDefaults"/>), and
    /// TPM_PT_ALGORITHM_SET (TPM2_SetAlgorithmSet).</summary>
    public List<TpmCc> PpCommands = [];
    public uint AlgorithmSet;

    /// <summary>The highest value of any deleted NV counter: a new counter's first increment starts
    /// above it, so no counter value repeats (Part 1, "NV Memory": NV counters; the reference's s_maxCounter). Appended
    /// to the record later; a record written before it reads as 0.</summary>
    public ulong NvMaxCounter;

    /// <summary>clearCount (the reference's gr.clearCount): counts the TPM Restarts since the last TPM
    /// Reset. The integrity of an stClear object's saved context includes it, so the context dies at the
    /// next TPM Restart (Part 1, "Context Protection"; Part 2, TPMI_DH_SAVED 0x80000002). Appended after
    /// the algorithm set; a record written before it reads as 0.</summary>
    public uint ClearCount;

    public byte[] Serialize()
    {
        var buffer = new byte[2048]; // seeds, auths, policies and proofs alone can reach 1040 octets
        var w = new TpmWriter(buffer);
        w.WriteUInt32(Magic);
        w.WriteUInt16(Version);
        w.WriteSized(EndorsementSeed);
        w.WriteSized(StorageSeed);
        w.WriteSized(PlatformSeed);
        w.WriteSized(OwnerAuth);
        w.WriteSized(EndorsementAuth);
        w.WriteSized(LockoutAuth);
        w.WriteSized(OwnerPolicy.Span);
        w.WriteSized(EndorsementPolicy.Span);
        w.WriteSized(LockoutPolicy.Span);
        w.WriteUInt64(Clock);
        w.WriteUInt32(ResetCount);
        w.WriteUInt32(RestartCount);
        w.WriteUInt64(TotalResetCount);
        w.WriteUInt16(OrderlyState);
        foreach (uint bank in PcrAllocation) w.WriteUInt32(bank);
        w.WriteSized(PlatformProof);
        w.WriteSized(StorageProof);
        w.WriteSized(EndorsementProof);
        w.WriteUInt8(Manufactured ? (byte)1 : (byte)0);
        // Authorization
        w.WriteUInt32(FailedTries);
        w.WriteUInt32(MaxTries);
        w.WriteUInt32(RecoveryTime);
        w.WriteUInt32(LockoutRecovery);
        w.WriteUInt8(LockoutAuthEnabled ? (byte)1 : (byte)0);
        w.WriteUInt8(DisableClear ? (byte)1 : (byte)0);
        w.WriteUInt16((ushort)OwnerPolicyAlg);
        w.WriteUInt16((ushort)EndorsementPolicyAlg);
        w.WriteUInt16((ushort)LockoutPolicyAlg);
        w.WriteUInt64(NvMaxCounter);
        // Command audit
        w.WriteUInt16((ushort)AuditHashAlg);
        w.WriteUInt64(AuditCounter);
        w.WriteUInt16((ushort)AuditCommands.Count);
        foreach (var cc in AuditCommands) w.WriteUInt32((uint)cc);
        // PCR policy group
        w.WriteSized(PcrPolicy);
        w.WriteUInt16((ushort)PcrPolicyAlg);
        // Physical presence list and algorithm set
        w.WriteUInt16((ushort)PpCommands.Count);
        foreach (var cc in PpCommands) w.WriteUInt32((uint)cc);
        w.WriteUInt32(AlgorithmSet);
        w.WriteUInt32(ClearCount);
        return w.Written.ToArray();
    }

    /// <summary>After a failed commit brought this copy back from NV: takes from <paramref name="memory"/> the
    /// values that may only move one way (Part 1, 19.8 dictionary-attack state: failedTries up and
    /// lockoutAuth disabled; the highest deleted NV counter; Clock, which never goes back). True when one
    /// of them differs from NV, so memory must be saved again.</summary>
    public bool KeepMonotonic(PersistentData memory)
    {
        bool newer = false;
        if (memory.FailedTries > FailedTries) { FailedTries = memory.FailedTries; newer = true; }
        if (!memory.LockoutAuthEnabled && LockoutAuthEnabled) { LockoutAuthEnabled = false; newer = true; }
        if (memory.NvMaxCounter > NvMaxCounter) { NvMaxCounter = memory.NvMaxCounter; newer = true; }
        if (memory.Clock > Clock) { Clock = memory.Clock; newer = true; }
        return newer;
    }

    public static PersistentData Deserialize(byte[] data)
    {
        var r = new TpmReader(data);
        var p = new PersistentData();
        Check(r.ReadUInt32(out uint magic));
        Check(r.ReadUInt16(out ushort version));
        if (magic != Magic || version != Version) throw new InvalidDataException("persistent data: unknown format");
        p.EndorsementSeed = ReadArray(ref r);
        p.StorageSeed = ReadArray(ref r);
        p.PlatformSeed = ReadArray(ref r);
        // An authValue or a policy no command could have set is damage: found here, not by the HMAC that
        // would key on it (found by fuzzing the stored state).
        p.OwnerAuth = CheckAuth(ReadArray(ref r), "persistent data: ownerAuth");
        p.EndorsementAuth = CheckAuth(ReadArray(ref r), "persistent data: endorsementAuth");
        p.LockoutAuth = CheckAuth(ReadArray(ref r), "persistent data: lockoutAuth");
        p.OwnerPolicy = new(ReadArray(ref r));
        p.EndorsementPolicy = new(ReadArray(ref r));
        p.LockoutPolicy = new(ReadArray(ref r));
        Check(r.ReadUInt64(out p.Clock));
        Check(r.ReadUInt32(out p.ResetCount));
        Check(r.ReadUInt32(out p.RestartCount));
        Check(r.ReadUInt64(out p.TotalResetCount));
        Check(r.ReadUInt16(out p.OrderlyState));
        for (int i = 0; i < p.PcrAllocation.Length; i++)
        {
            Check(r.ReadUInt32(out p.PcrAllocation[i]));
            if ((p.PcrAllocation[i] & ~AllPcrs) != 0)
                throw new InvalidDataException($"persistent data: PCR allocation 0x{p.PcrAllocation[i]:X8} names PCRs that do not exist");
        }
        p.PlatformProof = ReadArray(ref r);
        p.StorageProof = ReadArray(ref r);
        p.EndorsementProof = ReadArray(ref r);
        Check(r.ReadUInt8(out byte manufactured));
        p.Manufactured = manufactured != 0;
        // Authorization: a record written before these fields keeps their defaults.
        if (r.HasData)
        {
            Check(r.ReadUInt32(out p.FailedTries));
            Check(r.ReadUInt32(out p.MaxTries));
            Check(r.ReadUInt32(out p.RecoveryTime));
            Check(r.ReadUInt32(out p.LockoutRecovery));
            Check(r.ReadUInt8(out byte lockoutAuthEnabled));
            p.LockoutAuthEnabled = lockoutAuthEnabled != 0;
            Check(r.ReadUInt8(out byte disableClear));
            p.DisableClear = disableClear != 0;
            Check(r.ReadUInt16(out ushort ownerPolicyAlg));
            Check(r.ReadUInt16(out ushort endorsementPolicyAlg));
            Check(r.ReadUInt16(out ushort lockoutPolicyAlg));
            p.OwnerPolicyAlg = (TpmAlgId)ownerPolicyAlg;
            p.EndorsementPolicyAlg = (TpmAlgId)endorsementPolicyAlg;
            p.LockoutPolicyAlg = (TpmAlgId)lockoutPolicyAlg;
            CheckPolicy(p.OwnerPolicyAlg, p.OwnerPolicy.Span, "persistent data: ownerPolicy");
            CheckPolicy(p.EndorsementPolicyAlg, p.EndorsementPolicy.Span, "persistent data: endorsementPolicy");
            CheckPolicy(p.LockoutPolicyAlg, p.LockoutPolicy.Span, "persistent data: lockoutPolicy");
        }
        if (r.HasData) Check(r.ReadUInt64(out p.NvMaxCounter));
        // Command audit
        if (r.HasData)
        {
            Check(r.ReadUInt16(out ushort auditHashAlg));
            p.AuditHashAlg = (TpmAlgId)auditHashAlg;
            // Every audited command hashes with it: a value no command could have set is damage (found by fuzzing).
            if (!TpmAlgorithms.IsHash(p.AuditHashAlg))
                throw new InvalidDataException($"persistent data: audit hash algorithm 0x{auditHashAlg:X4} is not a hash");
            Check(r.ReadUInt64(out p.AuditCounter));
            Check(r.ReadUInt16(out ushort auditCount));
            p.AuditCommands = new List<TpmCc>(auditCount);
            for (int i = 0; i < auditCount; i++)
            {
                Check(r.ReadUInt32(out uint cc));
                p.AuditCommands.Add((TpmCc)cc);
            }
        }
        // PCR policy group
        if (r.HasData)
        {
            p.PcrPolicy = ReadArray(ref r);
            Check(r.ReadUInt16(out ushort pcrPolicyAlg));
            p.PcrPolicyAlg = (TpmAlgId)pcrPolicyAlg;
            CheckPolicy(p.PcrPolicyAlg, p.PcrPolicy, "persistent data: PCR group policy");
        }
        // Physical presence list and algorithm set
        if (r.HasData)
        {
            Check(r.ReadUInt16(out ushort ppCount));
            p.PpCommands = new List<TpmCc>(ppCount);
            for (int i = 0; i < ppCount; i++)
            {
                Check(r.ReadUInt32(out uint cc));
                p.PpCommands.Add((TpmCc)cc);
            }
            Check(r.ReadUInt32(out p.AlgorithmSet));
        }
        else
        {
            // A record from before the list was kept: the list a new TPM starts with.
            p.PpCommands = Dispatch.CommandTable.PhysicalPresenceDefaults();
        }
        if (r.HasData) Check(r.ReadUInt32(out p.ClearCount));
        return p;
    }

    internal static byte[] ReadArray(ref TpmReader r)
    {
        Check(r.ReadSized(ushort.MaxValue, out var m));
        return m.ToArray();
    }

    internal static void Check(TpmRc rc)
    {
        if (rc != TpmRc.Success) throw new InvalidDataException($"stored state is truncated or malformed ({rc.Describe()})");
    }

    /// <summary>A stored authorization policy is one TPM2_SetPrimaryPolicy or TPM2_PCR_SetAuthPolicy could
    /// have set (Part 3, 24.7: the digest's size is the hash's): TPM_ALG_NULL with an empty digest, or a
    /// hash and a digest of its size. Anything else is damage.</summary>
    /// <exception cref="InvalidDataException">It is not.</exception>
    internal static void CheckPolicy(TpmAlgId alg, ReadOnlySpan<byte> policy, string what)
    {
        bool ok = alg == TpmAlgId.Null ? policy.IsEmpty : TpmAlgorithms.IsHash(alg) && policy.Length == TpmAlgorithms.DigestSize(alg);
        if (!ok) throw new InvalidDataException($"{what}: {policy.Length} octets with algorithm 0x{(ushort)alg:X4}");
    }

    /// <summary>A stored authValue fits a TPM2B_AUTH (Part 2, 10.4.5: at most the largest digest); every
    /// HMAC key and comparison is sized by that bound.</summary>
    /// <exception cref="InvalidDataException">It does not.</exception>
    internal static byte[] CheckAuth(byte[] auth, string what) => auth.Length <= TpmLimits.MaxDigestSize ? auth
        : throw new InvalidDataException($"{what}: an authValue of {auth.Length} octets (at most {TpmLimits.MaxDigestSize})");
}

/// <summary>An authorization policy digest (TPM2B_DIGEST content) kept in state.</summary>
internal readonly record struct Tpm2bPolicy(byte[]? Value)
{
    public ReadOnlySpan<byte> Span => Value ?? [];
}
