using System.Security.Cryptography;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Commands;

/// <summary>Part 3, 24 "Hierarchy Commands" (but CreatePrimary, which the keys issue owns):
/// HierarchyControl, SetPrimaryPolicy, ChangePPS, ChangeEPS, Clear, ClearControl, HierarchyChangeAuth.</summary>
internal static partial class Hierarchy
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<HierarchyControlIn>(TpmCc.HierarchyControl, HierarchyControl) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Hierarchy, AuthRole.User)], PhysicalPresence = true, Extensive = true },
        new Command<SetPrimaryPolicyIn>(TpmCc.SetPrimaryPolicy, SetPrimaryPolicy)
        {
            RefusedInReadOnlyMode = true,
            // TPMI_RH_HIERARCHY_POLICY: owner, endorsement, platform, lockout and the ACTs.
            Handles = [new(HandleKinds.Hierarchy | HandleKinds.Lockout | HandleKinds.Act, AuthRole.User)],
            DecryptFirstParameter = true,
            WritesNv = true,
            PhysicalPresence = true,
        },
        new Command(TpmCc.ChangePPS, ChangePps) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true, Extensive = true },
        new Command(TpmCc.ChangeEPS, ChangeEps) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true, Extensive = true },
        new Command(TpmCc.Clear, Clear) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Lockout | HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true, Extensive = true },
        new Command<ClearControlIn>(TpmCc.ClearControl, ClearControl) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Lockout | HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true },
        new Command<HierarchyChangeAuthIn>(TpmCc.HierarchyChangeAuth, HierarchyChangeAuth)
        {
            RefusedInReadOnlyMode = true,
            // TPMI_RH_HIERARCHY_AUTH: owner, endorsement, platform, lockout.
            Handles = [new(HandleKinds.Hierarchy | HandleKinds.Lockout, AuthRole.User)],
            DecryptFirstParameter = true,
            WritesNv = true,
            PhysicalPresence = true,
        },
    ];

    [TpmParameters]
    internal partial struct HierarchyControlIn
    {
        [Check(nameof(TpmCheck.Enables))] public uint Enable;
        [Check(nameof(TpmCheck.YesNo))] public byte State;
    }

    /// <summary>TPM2_HierarchyControl (Part 3, 24.2): enables or disables a hierarchy (phEnable, shEnable,
    /// ehEnable, phEnableNV) until the next TPM Reset or Restart. The platform may change any of them; the
    /// owner and endorsement hierarchies may only disable themselves. Disabling a hierarchy flushes its
    /// transient objects. Codes: TPM_RC_VALUE (P1) for enable, (P2) for state; TPM_RC_AUTH_TYPE when
    /// authHandle may not change that enable.</summary>
    static TpmRc HierarchyControl(Tpm tpm, ref CommandContext c, in HierarchyControlIn p)
    {
        uint auth = c.Handles[0];
        bool select = p.State == 1;
        bool platform = auth == (uint)TpmRh.Platform;

        // Validation: who may change what (Part 3, 24.2 "only the platform may enable").
        switch ((TpmRh)p.Enable)
        {
            case TpmRh.Platform or TpmRh.PlatformNv:
                if (!platform) return TpmRc.AuthType;
                break;
            case TpmRh.Owner:
                if (!platform && auth != (uint)TpmRh.Owner) return TpmRc.AuthType;
                if (!tpm.ShEnable && select && !platform) return TpmRc.AuthType;
                break;
            case TpmRh.Endorsement:
                if (!platform && auth != (uint)TpmRh.Endorsement) return TpmRc.AuthType;
                if (!tpm.EhEnable && select && !platform) return TpmRc.AuthType;
                break;
        }

        // State update
        switch ((TpmRh)p.Enable)
        {
            case TpmRh.Owner: tpm.ShEnable = select; break;
            case TpmRh.Endorsement: tpm.EhEnable = select; break;
            case TpmRh.Platform: tpm.PhEnable = select; break;
            case TpmRh.PlatformNv: tpm.PhEnableNv = select; break;
        }
        if (!select && p.Enable != (uint)TpmRh.PlatformNv) tpm.FlushHierarchyObjects(p.Enable);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct SetPrimaryPolicyIn
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> AuthPolicy;
        [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId HashAlg;
    }

    /// <summary>TPM2_SetPrimaryPolicy (Part 3, 24.3): the authPolicy of a hierarchy or of lockout, and the
    /// hash it was computed with (NULL with an empty policy removes it). Codes: TPM_RC_SIZE (P1) for a
    /// policy whose size is not the digest size of hashAlg; TPM_RC_HASH (P2).</summary>
    static TpmRc SetPrimaryPolicy(Tpm tpm, ref CommandContext c, in SetPrimaryPolicyIn p)
    {
        if (p.AuthPolicy.Length != TpmAlgorithms.DigestSize(p.HashAlg)) return TpmRc.Size.AtParameter(SetPrimaryPolicyIn.Param.AuthPolicy);

        var policy = p.AuthPolicy.ToArray();
        var persistent = tpm.Persistent;
        switch ((TpmRh)c.Handles[0])
        {
            case TpmRh.Owner:
                persistent.OwnerPolicy = new(policy);
                persistent.OwnerPolicyAlg = p.HashAlg;
                break;
            case TpmRh.Endorsement:
                persistent.EndorsementPolicy = new(policy);
                persistent.EndorsementPolicyAlg = p.HashAlg;
                break;
            case TpmRh.Lockout:
                persistent.LockoutPolicy = new(policy);
                persistent.LockoutPolicyAlg = p.HashAlg;
                break;
            case TpmRh.Platform:
                // platformPolicy is volatile, like platformAuth.
                tpm.PlatformPolicy = policy;
                tpm.PlatformPolicyAlg = p.HashAlg;
                return TpmRc.Success;
            default:
                // An ACT's policy is kept with the ACT (orderly data: cleared by a TPM Reset or Restart).
                tpm.ActSetPolicy(c.Handles[0], policy, p.HashAlg);
                return TpmRc.Success;
        }
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    /// <summary>TPM2_ChangePPS (Part 3, 24.4): a new platform primary seed and platform proof; the platform
    /// policy and the PCR group policy are removed and objects of the platform hierarchy are flushed.</summary>
    static TpmRc ChangePps(Tpm tpm, ref CommandContext c)
    {
        var persistent = tpm.Persistent;
        Replace(ref persistent.PlatformSeed, tpm.RandomBytes(persistent.PlatformSeed.Length));
        Replace(ref persistent.PlatformProof, tpm.RandomBytes(persistent.PlatformProof.Length));
        tpm.PlatformPolicy = [];
        tpm.PlatformPolicyAlg = TpmAlgId.Null;
        persistent.PcrPolicy = [];
        persistent.PcrPolicyAlg = TpmAlgId.Null;
        tpm.FlushHierarchyObjects((uint)TpmRh.Platform);
        tpm.FlushHierarchyNv((uint)TpmRh.Platform);
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    /// <summary>TPM2_ChangeEPS (Part 3, 24.5): a new endorsement primary seed and proof; endorsementAuth and
    /// endorsementPolicy are removed, the endorsement hierarchy is enabled, its objects flushed.</summary>
    static TpmRc ChangeEps(Tpm tpm, ref CommandContext c)
    {
        var persistent = tpm.Persistent;
        Replace(ref persistent.EndorsementSeed, tpm.RandomBytes(persistent.EndorsementSeed.Length));
        Replace(ref persistent.EndorsementProof, tpm.RandomBytes(persistent.EndorsementProof.Length));
        tpm.EhEnable = true;
        Replace(ref persistent.EndorsementAuth, []);
        persistent.EndorsementPolicy = default;
        persistent.EndorsementPolicyAlg = TpmAlgId.Null;
        tpm.FlushHierarchyObjects((uint)TpmRh.Endorsement);
        tpm.FlushHierarchyNv((uint)TpmRh.Endorsement);
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    /// <summary>
    /// TPM2_Clear (Part 3, 24.6): a new storage primary seed and new storage and endorsement proofs;
    /// owner, endorsement and lockout authValues and policies removed; the owner and endorsement
    /// hierarchies enabled, their objects and NV indices removed; dictionary-attack state back to its
    /// defaults; Clock, resetCount and restartCount to zero. Codes: TPM_RC_DISABLED when disableClear is set.
    /// </summary>
    static TpmRc Clear(Tpm tpm, ref CommandContext c)
    {
        var persistent = tpm.Persistent;
        if (persistent.DisableClear) return TpmRc.Disabled;

        Replace(ref persistent.StorageSeed, tpm.RandomBytes(persistent.StorageSeed.Length));
        Replace(ref persistent.StorageProof, tpm.RandomBytes(persistent.StorageProof.Length));
        Replace(ref persistent.EndorsementProof, tpm.RandomBytes(persistent.EndorsementProof.Length));
        tpm.ShEnable = tpm.EhEnable = true;
        Replace(ref persistent.OwnerAuth, []);
        Replace(ref persistent.EndorsementAuth, []);
        Replace(ref persistent.LockoutAuth, []);
        persistent.OwnerPolicy = persistent.EndorsementPolicy = persistent.LockoutPolicy = default;
        persistent.OwnerPolicyAlg = persistent.EndorsementPolicyAlg = persistent.LockoutPolicyAlg = TpmAlgId.Null;
        tpm.FlushHierarchyObjects((uint)TpmRh.Owner);
        tpm.FlushHierarchyObjects((uint)TpmRh.Endorsement);
        tpm.FlushHierarchyNv((uint)TpmRh.Owner);
        tpm.FlushHierarchyNv((uint)TpmRh.Endorsement);
        tpm.DaReset();
        tpm.ClockSetValue(0);
        persistent.ResetCount = 0;
        persistent.RestartCount = 0;
        persistent.ClearCount = 0;
        Replace(ref tpm.PcrGroupAuth, []);
        tpm.Pcrs.Changed(0);
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ClearControlIn
    {
        [Check(nameof(TpmCheck.YesNo))] public byte Disable;
    }

    /// <summary>TPM2_ClearControl (Part 3, 24.7): sets or clears disableClear. Only the platform may clear
    /// it: lockout asking for NO gets TPM_RC_AUTH_FAIL (unnumbered, as the reference). Codes: TPM_RC_VALUE (P1).</summary>
    static TpmRc ClearControl(Tpm tpm, ref CommandContext c, in ClearControlIn p)
    {
        if (c.Handles[0] == (uint)TpmRh.Lockout && p.Disable == 0) return TpmRc.AuthFail;
        tpm.Persistent.DisableClear = p.Disable == 1;
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct HierarchyChangeAuthIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> NewAuth;
    }

    /// <summary>TPM2_HierarchyChangeAuth (Part 3, 24.8): a new authValue for owner, endorsement, platform or
    /// lockout, trailing zeros removed. The response HMAC already uses the new value. Codes: TPM_RC_SIZE (P1)
    /// above 64 octets (TPM2B_AUTH). The reference also refuses more than its context hash's digest size
    /// (32 with SHA-256); libtpms takes 64, and so does ftpm.</summary>
    static TpmRc HierarchyChangeAuth(Tpm tpm, ref CommandContext c, in HierarchyChangeAuthIn p)
    {
        var value = Tpm.TrimTrailingZeros(p.NewAuth.Span).ToArray();
        var persistent = tpm.Persistent;
        switch ((TpmRh)c.Handles[0])
        {
            case TpmRh.Owner: Replace(ref persistent.OwnerAuth, value); break;
            case TpmRh.Endorsement: Replace(ref persistent.EndorsementAuth, value); break;
            case TpmRh.Lockout: Replace(ref persistent.LockoutAuth, value); break;
            case TpmRh.Platform:
                // platformAuth is volatile: no NV write.
                Replace(ref tpm.PlatformAuth, value);
                return TpmRc.Success;
        }
        tpm.StagePersistent();
        return TpmRc.Success;
    }

    /// <summary>Puts a new secret in place and wipes the old one.</summary>
    static void Replace(ref byte[] field, byte[] value)
    {
        CryptographicOperations.ZeroMemory(field);
        field = value;
    }
}
