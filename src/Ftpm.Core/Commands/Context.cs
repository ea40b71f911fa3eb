using System.Security.Cryptography;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 28 "Context Management". TPM2_FlushContext for transient objects (sequences now,
/// keys with the keys issue); ContextSave/ContextLoad and sessions come with those issues.</summary>
internal static partial class Context
{
    public static readonly CommandInfo[] Commands =
    [
        new(TpmCc.FlushContext, FlushContext),
        new(TpmCc.EvictControl, EvictControl)
        {
            Handles = [new(HandleKinds.Provision, AuthRole.User), new(HandleKinds.Object)],
            WritesNv = true,
        },
    ];

    [TpmParameters]
    internal partial struct FlushContextIn
    {
        /// <summary>TPMI_DH_CONTEXT: a transient object or a session. It is a parameter, not a handle, of this command.</summary>
        public uint FlushHandle;
    }

    /// <summary>TPM2_FlushContext (Part 3, 28.4). Codes: TPM_RC_VALUE (P1) for a handle that is no
    /// transient object or session, TPM_RC_HANDLE (P1) for one that is not loaded.</summary>
    static TpmRc FlushContext(Tpm tpm, ref CommandContext c)
    {
        var rc = c.ReadParameters(out FlushContextIn p);
        if (rc != TpmRc.Success) return rc;
        var kind = Tpm.KindOf(p.FlushHandle);
        if ((kind & (HandleKinds.Transient | HandleKinds.HmacSession | HandleKinds.PolicySession)) == 0)
            return TpmRc.Value.AtParameter(1);
        if (kind != HandleKinds.Transient || tpm.Objects.Get(p.FlushHandle) is null)
            return TpmRc.Handle.AtParameter(1);
        tpm.Objects.Remove(p.FlushHandle);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct EvictControlIn
    {
        /// <summary>TPMI_DH_PERSISTENT.</summary>
        public uint PersistentHandle;
    }

    /// <summary>
    /// TPM2_EvictControl (Part 3, 28.5): makes a transient object persistent at persistentHandle, or
    /// removes a persistent object. Codes: TPM_RC_VALUE (P1) for a handle that is no persistent handle;
    /// TPM_RC_RANGE (P1) for a handle outside the authorizing hierarchy's range (owner 0x81000000-
    /// 0x817FFFFF, platform 0x81800000-0x81FFFFFF); TPM_RC_HANDLE (P1) when removing with a handle other
    /// than the object's; TPM_RC_ATTRIBUTES (H2) for a sequence, a public-only or stClear object;
    /// TPM_RC_HIERARCHY (H2) for an object of another hierarchy; TPM_RC_NV_DEFINED when the handle is
    /// taken; TPM_RC_NV_SPACE when <see cref="PersistentObjects.Capacity"/> objects exist.
    /// </summary>
    static TpmRc EvictControl(Tpm tpm, ref CommandContext c)
    {
        var rc = c.ReadParameters(out EvictControlIn p);
        if (rc != TpmRc.Success) return rc;
        uint auth = c.Handles[0];
        uint objectHandle = c.Handles[1];
        if (Tpm.KindOf(p.PersistentHandle) != HandleKinds.Persistent) return TpmRc.Value.AtParameter(1);
        bool ownerRange = p.PersistentHandle < PersistentObjects.PlatformFirst;
        if (ownerRange != (auth == (uint)TpmRh.Owner)) return TpmRc.Range.AtParameter(1);

        var key = tpm.KeyOf(objectHandle);
        if (key is null || !key.HasSensitive || key.Has(TpmaObject.StClear)) return TpmRc.Attributes.AtHandle(2);
        bool ownerObject = key.Hierarchy is (uint)TpmRh.Owner or (uint)TpmRh.Endorsement;
        if (auth == (uint)TpmRh.Owner ? !ownerObject : key.Hierarchy != (uint)TpmRh.Platform) return TpmRc.Hierarchy.AtHandle(2);

        if (Tpm.KindOf(objectHandle) == HandleKinds.Persistent)
        {
            if (p.PersistentHandle != objectHandle) return TpmRc.Handle.AtParameter(1);
            tpm.Persistents.Remove(tpm, objectHandle);
            return TpmRc.Success;
        }
        if (tpm.Persistents.Contains(tpm, p.PersistentHandle)) return TpmRc.NvDefined;
        if (tpm.Persistents.Count(tpm) >= PersistentObjects.Capacity) return TpmRc.NvSpace;
        var sensitive = ObjectSupport.SensitiveArea(key, key.AuthValue);
        tpm.Persistents.Add(tpm, p.PersistentHandle, key, sensitive);
        CryptographicOperations.ZeroMemory(sensitive);
        return TpmRc.Success;
    }
}
