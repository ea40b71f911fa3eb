using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 12.9 TPM2_CreateLoaded.</summary>
internal static partial class ObjectCommands
{
    [TpmParameters]
    internal partial struct CreateLoadedIn
    {
        [Sized] public TpmsSensitiveCreate InSensitive;
        /// <summary>TPM2B_TEMPLATE: a TPMT_PUBLIC (derived objects, whose unique is a TPMS_DERIVE, are not
        /// supported).</summary>
        [Sized] public TpmtPublic InPublic;
    }

    /// <summary>TPM2_CreateLoaded (Part 3, 12.9): an object created and loaded in one command. With a
    /// hierarchy as parent it is that hierarchy's primary object, made exactly as by CreatePrimary (same
    /// derivation, same cache) and outPrivate is empty; under a storage key it is made as by Create from
    /// the DRBG, returned protected by the parent (outPrivate) and loaded. Codes: TPM_RC_TYPE (H1) for an
    /// object parent that is no storage key; those of <see cref="ObjectSupport.ValidatePublic"/> (P2) and
    /// <see cref="ObjectSupport.ValidateSensitiveCreate"/> (P1/P2); TPM_RC_OBJECT_MEMORY when no slot is
    /// free. A derivation parent (Part 1, 27.2.12, a decrypting KEYEDHASH key) cannot be created, so
    /// templates with a TPMS_DERIVE are refused by the public-area checks.</summary>
    static TpmRc CreateLoaded(Tpm tpm, ref CommandContext c)
    {
        uint parentHandle = c.Handles[0];
        bool primary = (parentHandle >> 24) == 0x40;
        TpmKey? parent = null;
        if (!primary)
        {
            var rc0 = GetParent(tpm, parentHandle, 1, out var storage);
            if (rc0 != TpmRc.Success) return rc0;
            parent = storage;
        }
        var rc = c.ReadParameters(out CreateLoadedIn p);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.ValidatePublic(p.InPublic, parent, 2);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.ValidateSensitiveCreate(p.InPublic, p.InSensitive, 1, 2);
        if (rc != TpmRc.Success) return rc;
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;

        TpmKey key;
        byte[] outPrivate = [];
        if (parent is null)
        {
            rc = Primary.Derive(tpm, parentHandle, p.InPublic, p.InSensitive, out key);
            if (rc != TpmRc.Success) return rc;
        }
        else
        {
            rc = ObjectSupport.GenerateObject(tpm, p.InPublic, p.InSensitive, new DrbgStream(tpm.Random), 2, out key);
            if (rc != TpmRc.Success) return rc;
            key.Hierarchy = parent.Hierarchy;
            key.QualifiedName = TpmKey.ComputeQualifiedName(tpm.Crypto, key.NameAlg, parent.QualifiedName, key.Name);
            var sensitive = ObjectSupport.SensitiveArea(key, key.AuthValue);
            outPrivate = ObjectSupport.Wrap(tpm, parent, key.Name, sensitive);
            CryptographicOperations.ZeroMemory(sensitive);
        }

        rc = tpm.Objects.Add(key, out c.ResponseHandle);
        if (rc != TpmRc.Success) { key.Dispose(); return rc; }
        c.Out.WriteSized(outPrivate);
        ObjectSupport.WritePublic(ref c.Out, key);
        c.Out.WriteSized(key.Name);
        return TpmRc.Success;
    }
}
