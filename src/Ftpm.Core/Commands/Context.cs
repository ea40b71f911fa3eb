using System.Security.Cryptography;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 28 "Context Management": ContextSave, ContextLoad and FlushContext. Sessions are
/// saved and loaded here, transient objects in Context.Objects.cs.</summary>
internal static partial class Context
{
    public static readonly CommandInfo[] Commands =
    [
        new CommandOut<ContextSaveOut>(TpmCc.ContextSave, ContextSave)
        {
            // TPMI_DH_CONTEXT: a transient object or a session; no authorization.
            Handles = [new(HandleKinds.Transient | HandleKinds.HmacSession | HandleKinds.PolicySession)],
            NoSessions = true,
        },
        new Command<ContextLoadIn>(TpmCc.ContextLoad, ContextLoad) { ReturnsHandle = true, NoSessions = true },
        new Command<FlushContextIn>(TpmCc.FlushContext, FlushContext) { NoSessions = true },
        new Command<EvictControlIn>(TpmCc.EvictControl, EvictControl)
        {
            RefusedInReadOnlyMode = true,
            Handles = [new(HandleKinds.Provision, AuthRole.User), new(HandleKinds.Object)],
            WritesNv = true,
            PhysicalPresence = true,
        },
    ];

    /// <summary>MAX_CONTEXT_SIZE: the largest contextBlob (TPM_PT_MAX_SESSION_CONTEXT, _OBJECT_CONTEXT).</summary>
    internal const int MaxContextSize = TpmLimits.MaxContextSize;

    /// <summary>TPM2_ContextSave (Part 3, 28.2): a session becomes saved (its handle stays in use, its
    /// state goes to the caller in a blob only this TPM can open, until the next TPM Reset).
    /// Codes: TPM_RC_CONTEXT_GAP when the oldest saved session must be loaded and saved again first,
    /// TPM_RC_TOO_MANY_CONTEXTS when the counter is exhausted.</summary>
    static TpmRc ContextSave(Tpm tpm, ref CommandContext c, out ContextSaveOut o)
    {
        o = default;
        uint handle = c.Handles[0];
        if (Tpm.KindOf(handle) == HandleKinds.Transient) return SaveObject(tpm, handle, out o);

        var session = tpm.Sessions.Get(handle)!;
        byte[] state = session.Serialize();
        var rc = tpm.Sessions.Save(handle, out ulong sequence);
        if (rc != TpmRc.Success) return rc;
        // A session's context is in the null hierarchy.
        o.Context = new TpmsContext
        {
            Sequence = sequence,
            SavedHandle = handle,
            Hierarchy = (uint)TpmRh.Null,
            ContextBlob = tpm.ContextBlob((uint)TpmRh.Null, handle, sequence, state),
        };
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(state);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ContextSaveOut
    {
        public TpmsContext Context;
    }

    /// <summary>TPMS_CONTEXT (Part 2, 14.5).</summary>
    [TpmStruct("TPMS_CONTEXT")]
    internal partial struct TpmsContext
    {
        public ulong Sequence;
        /// <summary>TPMI_DH_SAVED: a session handle or 0x80000000..0x80000002; checked by the handler.</summary>
        public uint SavedHandle;
        [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
        [Sized(MaxContextSize)] public ReadOnlyMemory<byte> ContextBlob;
    }

    /// <summary>TPMS_CONTEXT is the one parameter: an error anywhere inside it is numbered P1.</summary>
    [TpmParameters]
    internal partial struct ContextLoadIn
    {
        public TpmsContext Context;
    }

    /// <summary>TPM2_ContextLoad (Part 3, 28.3) of a saved session: it is loaded again under its handle.
    /// Codes (all for the one parameter, context): TPM_RC_VALUE (P1) for a savedHandle that is no
    /// TPMI_DH_SAVED; TPM_RC_SIZE or TPM_RC_INTEGRITY (P1) for a blob this TPM did not write or that was
    /// changed (another TPM Reset, another sequence or handle); TPM_RC_HANDLE (P1) for a context that is not
    /// the session's current one (flushed, or replayed after a later save); TPM_RC_SESSION_MEMORY,
    /// TPM_RC_CONTEXT_GAP when it cannot be loaded now.</summary>
    static TpmRc ContextLoad(Tpm tpm, ref CommandContext c, in ContextLoadIn parameters)
    {
        ref readonly var p = ref parameters.Context;
        var kind = Tpm.KindOf(p.SavedHandle);
        bool isSession = kind is HandleKinds.HmacSession or HandleKinds.PolicySession;
        if (!isSession && p.SavedHandle is not (0x80000000 or 0x80000001 or 0x80000002))
            return TpmRc.Value.AtParameter(ContextLoadIn.Param.Context);
        if (!isSession) return LoadObject(tpm, ref c, in p);

        var rc = tpm.OpenContextBlob(p.ContextBlob.Span, p.Hierarchy, p.SavedHandle, p.Sequence, out var state);
        if (rc != TpmRc.Success) return rc.AtParameter(ContextLoadIn.Param.Context);
        if (!tpm.Sessions.IsCurrentContext(p.SavedHandle, p.Sequence)) return TpmRc.Handle.AtParameter(ContextLoadIn.Param.Context);
        var session = Auth.Session.Deserialize(state);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(state);
        if (session is null || session.Handle != p.SavedHandle)
            throw new InvalidOperationException("a context blob that passed its integrity check does not parse");
        rc = tpm.Sessions.Load(session);
        if (rc != TpmRc.Success) return rc;
        c.ResponseHandle = p.SavedHandle;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct FlushContextIn
    {
        /// <summary>TPMI_DH_CONTEXT: a transient object or a session. It is a parameter, not a handle, of this command.</summary>
        [Check(nameof(TpmCheck.ContextHandle))] public uint FlushHandle;
    }

    /// <summary>TPM2_FlushContext (Part 3, 28.4): a transient object, or a loaded or saved session.
    /// Codes: TPM_RC_VALUE (P1) for a handle that is no transient object or session, TPM_RC_HANDLE (P1)
    /// for one that is not loaded (or, for a session, neither loaded nor saved).</summary>
    static TpmRc FlushContext(Tpm tpm, ref CommandContext c, in FlushContextIn p)
    {
        uint handle = p.FlushHandle;
        var kind = Tpm.KindOf(handle);
        switch (kind)
        {
            case HandleKinds.Transient:
                if (tpm.Objects.Get(handle) is null) return TpmRc.Handle.AtParameter(FlushContextIn.Param.FlushHandle);
                tpm.Objects.Remove(handle);
                return TpmRc.Success;
            case HandleKinds.HmacSession or HandleKinds.PolicySession:
                if (tpm.Sessions.Get(handle) is null && !tpm.Sessions.IsSaved(handle)) return TpmRc.Handle.AtParameter(FlushContextIn.Param.FlushHandle);
                if (tpm.ExclusiveAuditSession == handle) tpm.ExclusiveAuditSession = (uint)TpmRh.Unassigned;
                tpm.Sessions.Flush(handle);
                return TpmRc.Success;
            default:
                return TpmRc.Value.AtParameter(FlushContextIn.Param.FlushHandle);
        }
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
    static TpmRc EvictControl(Tpm tpm, ref CommandContext c, in EvictControlIn p)
    {
        uint auth = c.Handles[0];
        uint objectHandle = c.Handles[1];
        if (Tpm.KindOf(p.PersistentHandle) != HandleKinds.Persistent) return TpmRc.Value.AtParameter(EvictControlIn.Param.PersistentHandle);
        bool ownerRange = p.PersistentHandle < PersistentObjects.PlatformFirst;
        if (ownerRange != (auth == (uint)TpmRh.Owner)) return TpmRc.Range.AtParameter(EvictControlIn.Param.PersistentHandle);

        var key = tpm.KeyOf(objectHandle);
        if (key is null || !key.HasSensitive || key.Has(TpmaObject.StClear)) return TpmRc.Attributes.AtHandle(2);
        bool ownerObject = key.Hierarchy is (uint)TpmRh.Owner or (uint)TpmRh.Endorsement;
        if (auth == (uint)TpmRh.Owner ? !ownerObject : key.Hierarchy != (uint)TpmRh.Platform) return TpmRc.Hierarchy.AtHandle(2);

        if (Tpm.KindOf(objectHandle) == HandleKinds.Persistent)
        {
            if (p.PersistentHandle != objectHandle) return TpmRc.Handle.AtParameter(EvictControlIn.Param.PersistentHandle);
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
