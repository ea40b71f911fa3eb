using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 24.1 TPM2_CreatePrimary: a primary object derived from a hierarchy's seed.</summary>
internal static partial class Primary
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<CreatePrimaryIn, CreatePrimaryOut>(TpmCc.CreatePrimary, CreatePrimary)
        {
            RefusedInReadOnlyMode = true,
            Handles = [new(HandleKinds.Hierarchy | HandleKinds.Null, AuthRole.User)],
            ReturnsHandle = true,
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
            PhysicalPresence = true,
        },
    ];

    /// <summary>The KDFa label of primary key derivation (the reference's PRIMARY_OBJECT_CREATION).</summary>
    static ReadOnlySpan<byte> Label => "Primary Object Creation"u8;

    [TpmParameters]
    internal partial struct CreatePrimaryIn
    {
        [Sized] public TpmsSensitiveCreate InSensitive;
        [Sized] public TpmtPublic InPublic;
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> OutsideInfo;
        public TpmlPcrSelection CreationPcr;
    }

    /// <summary>
    /// TPM2_CreatePrimary (Part 3, 24.1). The object is a function of the hierarchy's seed and the
    /// template (Part 1, 27.1): its secret comes from a KDFa stream keyed with the seed, labelled
    /// "Primary Object Creation", with contextU = nameAlg || H_nameAlg(template). A repeated request is
    /// answered from <see cref="PrimaryKeyCache"/>. Codes: TPM_RC_OBJECT_MEMORY when no slot is free, then
    /// those of <see cref="ObjectSupport.CreateChecks"/> (P1/P2).
    /// </summary>
    static TpmRc CreatePrimary(Tpm tpm, ref CommandContext c, in CreatePrimaryIn p, out CreatePrimaryOut o)
    {
        o = default;
        // Validation
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;
        var rc = ObjectSupport.CreateChecks(p.InPublic, p.InSensitive, null, CreatePrimaryIn.Param.InSensitive, CreatePrimaryIn.Param.InPublic);
        if (rc != TpmRc.Success) return rc;

        uint hierarchy = c.Handles[0];
        rc = Derive(tpm, hierarchy, p.InPublic, p.InSensitive, out var key);
        if (rc != TpmRc.Success) return rc;

        // State update
        rc = tpm.Objects.Add(key, out c.ResponseHandle);
        if (rc != TpmRc.Success) { key.Dispose(); return rc; }

        // Output
        var hierarchyName = Tpm.HandleName(hierarchy);
        o.OutPublic = key.PublicArea;
        ObjectSupport.CreationOutputs(tpm, key, p.CreationPcr, p.OutsideInfo, TpmAlgId.Null, hierarchyName, hierarchyName,
            c.Locality, out o.CreationData, out o.CreationHash, out o.CreationTicket);
        o.Name = key.Name;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct CreatePrimaryOut
    {
        /// <summary>TPM2B_PUBLIC: the object's public area as it is stored.</summary>
        [Sized(TpmLimits.MaxPublicSize)] public ReadOnlyMemory<byte> OutPublic;
        [Sized] public TpmsCreationData CreationData;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CreationHash;
        public TpmtTkCreation CreationTicket;
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> Name;
    }

    /// <summary>The primary object of <paramref name="hierarchy"/> for a validated template (Part 1, 27.1;
    /// CreatePrimary, and CreateLoaded with a hierarchy as its parent): derived from the seed, or the
    /// cached result of an earlier derivation. Sets the hierarchy and the Qualified Name. Codes: those of
    /// <see cref="ObjectSupport.GenerateObject"/> (P2).</summary>
    internal static TpmRc Derive(Tpm tpm, uint hierarchy, in TpmtPublic inPublic, in TpmsSensitiveCreate inSensitive, out TpmKey key)
    {
        TpmRc rc;
        var crypto = tpm.Crypto;
        var template = TpmKey.Marshal(inPublic);
        var templateName = TpmKey.ComputeName(crypto, inPublic.NameAlg, template);
        var seed = tpm.SeedOf(hierarchy);
        byte[] id = CacheId(tpm, hierarchy, seed, template, inSensitive.Data.Span);
        var entry = tpm.PrimaryCache.Find(id);
        if (entry is null)
        {
            // With sensitiveDataOrigin SET, inSensitive.data is extra input to the derivation, so one
            // template gives different primaries for different data (Part 3, 24.1; the reference's
            // DRBG_InstantiateSeeded with the data as additional input).
            bool origin = (inPublic.ObjectAttributes & TpmaObject.SensitiveDataOrigin) != 0;
            using var stream = new KdfStream(crypto, inPublic.NameAlg, seed, Label, templateName, origin ? inSensitive.Data.Span : []);
            rc = ObjectSupport.GenerateObject(tpm, inPublic, inSensitive, stream, CreatePrimaryIn.Param.InPublic, out key); // P2 in CreateLoaded too
            if (rc != TpmRc.Success) return rc;
            var shared = key.Asymmetric is null ? null : new SharedAsymmetricKey(key.Asymmetric);
            key.SharedAsymmetric = shared?.Acquire();
            tpm.PrimaryCache.Add(new PrimaryKeyCache.Entry(id, key.PublicArea, key.SeedValue.ToArray(), key.SensitiveData.ToArray(), shared));
        }
        else
        {
            // The reference has no cache and generates the key again, so a cancel stops it here too.
            if (inPublic.Type == TpmAlgId.Rsa && ObjectSupport.RsaGenerationCancelled(tpm))
            {
                key = null!;
                return TpmRc.Canceled;
            }
            rc = TpmKey.FromPublicArea(crypto, entry.PublicArea, out key);
            if (rc != TpmRc.Success) return rc;
            key.HasSensitive = true;
            key.AuthValue = inSensitive.UserAuth.ToArray();
            key.SeedValue = entry.SeedValue.ToArray();
            key.SensitiveData = entry.SensitiveData.ToArray();
            key.Asymmetric = entry.Asymmetric?.Key;
            key.SharedAsymmetric = entry.Asymmetric?.Acquire();
        }
        key.Hierarchy = hierarchy;
        var hierarchyName = Tpm.HandleName(hierarchy);
        key.QualifiedName = TpmKey.ComputeQualifiedName(crypto, key.NameAlg, hierarchyName, key.Name);
        return TpmRc.Success;
    }

    /// <summary>SHA-256 of everything a primary object depends on: hierarchy, seed, template and any
    /// caller-supplied secret.</summary>
    static byte[] CacheId(Tpm tpm, uint hierarchy, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> template, ReadOnlySpan<byte> data)
    {
        using var op = tpm.Crypto.HashSetup(TpmAlgId.Sha256);
        op.Update(Tpm.HandleName(hierarchy));
        op.Update(seed);
        Span<byte> size = stackalloc byte[2];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(size, (ushort)template.Length);
        op.Update(size);
        op.Update(template);
        op.Update(data);
        var id = new byte[32];
        op.Finish(id);
        return id;
    }
}
