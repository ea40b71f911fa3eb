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
        /// <summary>TPM2B_TEMPLATE: a TPMT_PUBLIC whose unique field is a TPMS_DERIVE when the parent is a
        /// derivation parent, so it is read once the parent is known (<see cref="ReadTemplate"/>).</summary>
        [Sized(TpmLimits.MaxPublicSize)] public ReadOnlyMemory<byte> InPublic;
    }

    /// <summary>TPM2_CreateLoaded (Part 3, 12.9): an object created and loaded in one command. With a
    /// hierarchy as parent it is that hierarchy's primary object, made exactly as by CreatePrimary (same
    /// derivation, same cache) and outPrivate is empty; under a storage key it is made as by Create from
    /// the DRBG, returned protected by the parent (outPrivate) and loaded; under a derivation parent it
    /// is derived (<see cref="CreateDerived"/>). Codes: TPM_RC_TYPE (H1) for an object parent that is
    /// neither a storage key nor a derivation parent; the unmarshal codes of the template (P2), TPM_RC_SIZE
    /// (P2) for bytes left after it; those of <see cref="ObjectSupport.ValidatePublic"/> (P2) and
    /// <see cref="ObjectSupport.ValidateSensitiveCreate"/> (P1/P2); TPM_RC_OBJECT_MEMORY when no slot is
    /// free.</summary>
    static TpmRc CreateLoaded(Tpm tpm, ref CommandContext c, in CreateLoadedIn p, out CreateLoadedOut o)
    {
        o = default;
        uint parentHandle = c.Handles[0];
        bool primary = (parentHandle >> 24) == 0x40;
        TpmKey? parent = null;
        if (!primary)
        {
            parent = tpm.KeyOf(parentHandle);
            if (parent is not ({ IsStorageParent: true } or { IsDerivationParent: true })) return TpmRc.Type.AtHandle(1);
        }
        bool derivation = parent is { IsDerivationParent: true };
        var rc = ReadTemplate(p.InPublic, derivation, out var inPublic, out var derive);
        if (rc != TpmRc.Success) return rc.AtParameter(CreateLoadedIn.Param.InPublic);
        if (derivation) return CreateDerived(tpm, ref c, parent!, inPublic, derive, p.InSensitive, out o);

        rc = ObjectSupport.ValidatePublic(inPublic, parent, CreateLoadedIn.Param.InPublic);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.ValidateSensitiveCreate(inPublic, p.InSensitive, CreateLoadedIn.Param.InSensitive, CreateLoadedIn.Param.InPublic);
        if (rc != TpmRc.Success) return rc;
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;

        TpmKey key;
        byte[] outPrivate = [];
        if (parent is null)
        {
            rc = Primary.Derive(tpm, parentHandle, inPublic, p.InSensitive, out key);
            if (rc != TpmRc.Success) return rc;
        }
        else
        {
            rc = ObjectSupport.GenerateObject(tpm, inPublic, p.InSensitive, new DrbgStream(tpm.Random), CreateLoadedIn.Param.InPublic, out key);
            if (rc != TpmRc.Success) return rc;
            key.SetParent(tpm.Crypto, parent);
            var sensitive = ObjectSupport.SensitiveArea(key, key.AuthValue);
            outPrivate = ObjectSupport.Wrap(tpm, parent, key.Name, sensitive);
            CryptographicOperations.ZeroMemory(sensitive);
        }
        return AddCreated(tpm, ref c, key, outPrivate, out o);
    }

    /// <summary>Reads a TPM2B_TEMPLATE's contents: a TPMT_PUBLIC, or under a derivation parent the same
    /// fields with a TPMS_DERIVE in place of unique (Part 3, 12.9; the template's unique is then empty).
    /// Unnumbered unmarshal codes; TPM_RC_SIZE for bytes left over.</summary>
    static TpmRc ReadTemplate(ReadOnlyMemory<byte> bytes, bool derivation, out TpmtPublic template, out TpmsDerive derive)
    {
        template = default;
        derive = default;
        var reader = new TpmReader(bytes);
        TpmRc rc;
        if (derivation)
        {
            rc = TpmtDeriveTemplate.Read(ref reader, out var t);
            if (rc == TpmRc.Success)
            {
                template = new TpmtPublic
                {
                    Type = t.Type,
                    NameAlg = t.NameAlg,
                    ObjectAttributes = t.ObjectAttributes,
                    AuthPolicy = t.AuthPolicy,
                    Parameters = t.Parameters,
                };
                derive = t.Derive;
            }
        }
        else
        {
            rc = TpmtPublic.Read(ref reader, out template);
        }
        if (rc != TpmRc.Success) return rc;
        return reader.HasData ? TpmRc.Size : TpmRc.Success;
    }

    /// <summary>
    /// A derived object (Part 1, "Derived Objects"; Part 3, 12.9): its secret, and its seedValue, come from
    /// KDFa(hashAlg, parent's secret, label, context, TPM_MAX_DERIVATION_BITS) read as one stream, where
    /// hashAlg is the derivation parent's XOR scheme hash and label and context come from the template's
    /// TPMS_DERIVE, each empty one taken from a TPMS_DERIVE in inSensitive.data. The same parent, template,
    /// label and context always give the same key. It has no protected form (outPrivate is empty): it is
    /// derived again when needed. Codes: TPM_RC_SIZE (P1) for a userAuth longer than nameAlg's digest;
    /// TPM_RC_TYPE (P2) for an RSA template (RSA keys are not derived: prime search over a stream is
    /// not reproducible in bounded time); TPM_RC_ATTRIBUTES (unnumbered, as the reference) for
    /// sensitiveDataOrigin SET; those of <see cref="ObjectSupport.ValidatePublic"/> (P2); the unmarshal
    /// codes of the TPMS_DERIVE in inSensitive.data (unnumbered, as the reference); TPM_RC_OBJECT_MEMORY.
    /// </summary>
    static TpmRc CreateDerived(Tpm tpm, ref CommandContext c, TpmKey parent, in TpmtPublic inPublic, in TpmsDerive derive,
        in TpmsSensitiveCreate inSensitive, out CreateLoadedOut o)
    {
        o = default;
        // Validation
        if (inSensitive.UserAuth.Length > TpmAlgorithms.DigestSize(inPublic.NameAlg)) return TpmRc.Size.AtParameter(CreateLoadedIn.Param.InSensitive);
        if (inPublic.Type == TpmAlgId.Rsa) return TpmRc.Type.AtParameter(CreateLoadedIn.Param.InPublic);
        if ((inPublic.ObjectAttributes & TpmaObject.SensitiveDataOrigin) != 0) return TpmRc.Attributes;
        var rc = ObjectSupport.ValidatePublic(inPublic, parent, CreateLoadedIn.Param.InPublic);
        if (rc != TpmRc.Success) return rc;
        var label = derive.Label;
        var context = derive.Context;
        if (inSensitive.Data.Length != 0)
        {
            // The template's values take precedence; the sensitive data fills in what it leaves empty.
            var reader = new TpmReader(inSensitive.Data);
            rc = TpmsDerive.Read(ref reader, out var fromSensitive);
            if (rc != TpmRc.Success) return rc;
            if (label.IsEmpty) label = fromSensitive.Label;
            if (context.IsEmpty) context = fromSensitive.Context;
        }
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;

        // State update: the object, from the parent's KDF.
        var xor = parent.Public.Parameters.KeyedHashDetail.Scheme.Details.Xor;
        var create = new TpmsSensitiveCreate { UserAuth = inSensitive.UserAuth };
        TpmKey key;
        using (var stream = new KdfStream(tpm.Crypto, xor.HashAlg, parent.SensitiveData, label.Span, context.Span, [],
            TpmLimits.MaxDerivationBits))
        {
            rc = ObjectSupport.GenerateObject(tpm, inPublic, create, stream, CreateLoadedIn.Param.InPublic, out key, seedAfterSecret: true);
        }
        if (rc != TpmRc.Success) return rc;
        key.SetParent(tpm.Crypto, parent);
        return AddCreated(tpm, ref c, key, [], out o);
    }

    /// <summary>Loads a newly made object and gives CreateLoaded's outputs: outPrivate, outPublic, name.</summary>
    static TpmRc AddCreated(Tpm tpm, ref CommandContext c, TpmKey key, byte[] outPrivate, out CreateLoadedOut o)
    {
        o = default;
        var rc = tpm.Objects.Add(key, out c.ResponseHandle);
        if (rc != TpmRc.Success) { key.Dispose(); return rc; }
        o = new CreateLoadedOut { OutPrivate = outPrivate, OutPublic = key.PublicArea, Name = key.Name };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct CreateLoadedOut
    {
        /// <summary>TPM2B_PRIVATE (empty for a primary or derived object).</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> OutPrivate;
        /// <summary>TPM2B_PUBLIC: the object's public area as it is stored.</summary>
        [Sized(TpmLimits.MaxPublicSize)] public ReadOnlyMemory<byte> OutPublic;
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> Name;
    }
}
