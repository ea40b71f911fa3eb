using System.Security.Cryptography;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

// Part 3, 28.2 and 28.3 for transient objects: a key, sealed data or a sequence. The blob is protected
// like a session's (Part 1, 30.3 "Context Protection": key and IV from KDFa of the hierarchy's proof,
// HMAC with the proof), under the object's hierarchy, so it dies with the hierarchy's proof (null
// hierarchy: at every TPM Reset) and with totalResetCount. The object stays loaded after ContextSave,
// and an object context may be loaded any number of times, each time under a new handle.
internal static partial class Context
{
    /// <summary>TPMI_DH_SAVED values for objects (Part 2, 9.x): an ordinary object, a sequence object,
    /// an object with stClear SET.</summary>
    internal const uint SavedObject = 0x80000000, SavedSequence = 0x80000001, SavedStClear = 0x80000002;

    const byte StateKey = 1, StateSequence = 2;

    /// <summary>ContextSave of a transient object. Codes: TPM_RC_TOO_MANY_CONTEXTS when the context
    /// counter is exhausted.</summary>
    static TpmRc SaveObject(Tpm tpm, uint handle, out ContextSaveOut o)
    {
        o = default;
        var obj = tpm.Objects.Get(handle);
        if (obj is null) return TpmRc.Handle.AtHandle(1);
        // One contextCounter numbers the contexts of sessions and objects (Part 1, 30.4).
        if (tpm.Sessions.ContextCounter == ulong.MaxValue) return TpmRc.TooManyContexts;
        ulong sequence = tpm.Sessions.ContextCounter++;

        byte[] state;
        uint savedHandle, hierarchy;
        if (obj is TpmKey key)
        {
            savedHandle = key.IsStClear ? SavedStClear : SavedObject;
            hierarchy = key.Hierarchy;
            byte[] sensitive = key.HasSensitive ? ObjectSupport.SensitiveArea(key, key.AuthValue) : [];
            state = new byte[1 + 4 + 2 + key.PublicArea.Length + 2 + sensitive.Length + 2 + key.QualifiedName.Length];
            var w = new TpmWriter(state);
            w.WriteUInt8(StateKey);
            w.WriteUInt32(key.Hierarchy);
            w.WriteSized(key.PublicArea);
            w.WriteSized(sensitive);
            w.WriteSized(key.QualifiedName);
            CryptographicOperations.ZeroMemory(sensitive);
            if (key.HasSensitive && key.Asymmetric is { } asymmetric)
            {
                // ContextLoad of this blob can then share the backend key instead of importing it again.
                key.SharedAsymmetric ??= new SharedAsymmetricKey(asymmetric);
                tpm.SavedKeys.Put(sequence, key.PublicArea, key.SharedAsymmetric);
            }
        }
        else
        {
            // A sequence: the state stays in the TPM (see SavedSequences); the blob names it.
            savedHandle = SavedSequence;
            hierarchy = (uint)TpmRh.Null;
            state = new byte[1 + SavedSequences.TagSize];
            state[0] = StateSequence;
            tpm.Random.Generate(state.AsSpan(1));
            tpm.SavedSequences.Put(sequence, state.AsSpan(1), (HashSequence)obj);
        }
        o.Context = new TpmsContext
        {
            Sequence = sequence,
            SavedHandle = savedHandle,
            Hierarchy = hierarchy,
            ContextBlob = tpm.ContextBlob(hierarchy, savedHandle, sequence, state),
        };
        CryptographicOperations.ZeroMemory(state);
        return TpmRc.Success;
    }

    /// <summary>ContextLoad of an object context. Codes (numbered with the one parameter): TPM_RC_SIZE,
    /// TPM_RC_INTEGRITY for a blob this TPM did not write under that sequence, handle and hierarchy (or
    /// written before the last TPM Reset, or for an stClear object before the last TPM Restart);
    /// TPM_RC_HIERARCHY for an object of a disabled hierarchy; TPM_RC_HANDLE for a sequence context whose saved copy was
    /// dropped; TPM_RC_OBJECT_MEMORY when no slot is free.</summary>
    static TpmRc LoadObject(Tpm tpm, ref CommandContext c, in TpmsContext p)
    {
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;
        var rc = tpm.OpenContextBlob(p.ContextBlob.Span, p.Hierarchy, p.SavedHandle, p.Sequence, out var state);
        if (rc != TpmRc.Success) return rc.AtParameter(ContextLoadIn.Param.Context);
        // An object of a disabled hierarchy cannot be loaded (Part 3, 28.3: TPM_RC_HIERARCHY), checked,
        // as the reference does, once the blob has proved to be this TPM's.
        if (!tpm.IsHierarchyEnabled(p.Hierarchy))
        {
            CryptographicOperations.ZeroMemory(state);
            return TpmRc.Hierarchy.AtParameter(ContextLoadIn.Param.Context);
        }
        try
        {
            TpmObject obj;
            var r = new TpmReader(state);
            // The HMAC held, so the state is what SaveObject wrote: a parse failure is a bug.
            if (r.ReadUInt8(out byte kind) != TpmRc.Success) throw new InvalidOperationException("empty object context");
            if (kind == StateSequence && p.SavedHandle == SavedSequence)
            {
                var copy = tpm.SavedSequences.Get(p.Sequence, state.AsSpan(1));
                if (copy is null) return TpmRc.Handle.AtParameter(ContextLoadIn.Param.Context);
                obj = copy;
            }
            else if (kind == StateKey && p.SavedHandle != SavedSequence)
            {
                if (r.ReadUInt32(out uint hierarchy) != TpmRc.Success ||
                    r.ReadSized(ushort.MaxValue, out var publicArea) != TpmRc.Success ||
                    r.ReadSized(ushort.MaxValue, out var sensitive) != TpmRc.Success ||
                    r.ReadSized(ushort.MaxValue, out var qn) != TpmRc.Success)
                    throw new InvalidOperationException("object context does not parse");
                TpmKey key;
                rc = sensitive.Length == 0
                    ? ObjectSupport.LoadPublicKey(tpm, publicArea.ToArray(), out key)
                    : ObjectSupport.LoadKey(tpm, publicArea.ToArray(), sensitive.Span, out key, tpm.SavedKeys.Get(p.Sequence, publicArea.Span));
                if (rc != TpmRc.Success) throw new InvalidOperationException($"object context does not load: {rc.Describe()}");
                key.Hierarchy = hierarchy;
                key.QualifiedName = qn.ToArray();
                key.ParentStClear = p.SavedHandle == SavedStClear;
                obj = key;
            }
            else
            {
                throw new InvalidOperationException("object context of the wrong kind");
            }
            rc = tpm.Objects.Add(obj, out c.ResponseHandle);
            if (rc != TpmRc.Success) obj.Dispose();
            return rc;
        }
        finally { CryptographicOperations.ZeroMemory(state); }
    }
}
