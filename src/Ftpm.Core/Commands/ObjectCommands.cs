using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 12 "Object Commands": Create, Load, LoadExternal, CreateLoaded (ObjectCommands.CreateLoaded.cs), ReadPublic, ObjectChangeAuth, Unseal.</summary>
internal static partial class ObjectCommands
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<CreateIn, CreateOut>(TpmCc.Create, Create)
        {
            RefusedInReadOnlyMode = true,
            Handles = [new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<LoadIn, LoadOut>(TpmCc.Load, Load)
        {
            Handles = [new(HandleKinds.Object, AuthRole.User)],
            ReturnsHandle = true,
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<LoadExternalIn, LoadOut>(TpmCc.LoadExternal, LoadExternal)
        {
            ReturnsHandle = true,
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<CreateLoadedIn, CreateLoadedOut>(TpmCc.CreateLoaded, CreateLoaded)
        {
            RefusedInReadOnlyMode = true,
            Handles = [new(HandleKinds.Hierarchy | HandleKinds.Null | HandleKinds.Object, AuthRole.User)],
            ReturnsHandle = true,
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
            PhysicalPresence = true,
        },
        new CommandOut<ReadPublicOut>(TpmCc.ReadPublic, ReadPublic) { Handles = [new(HandleKinds.Object)], EncryptFirstResponseParameter = true },
        new Command<ObjectChangeAuthIn, ObjectChangeAuthOut>(TpmCc.ObjectChangeAuth, ObjectChangeAuth)
        {
            RefusedInReadOnlyMode = true,
            Handles = [new(HandleKinds.Object, AuthRole.Admin), new(HandleKinds.Object)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new CommandOut<UnsealOut>(TpmCc.Unseal, Unseal) { Handles = [new(HandleKinds.Object, AuthRole.User)], EncryptFirstResponseParameter = true },
    ];

    /// <summary>The storage key behind a parent handle, or TPM_RC_TYPE for an object that is not one
    /// (Part 3, 12.1: "parentHandle is not a storage key").</summary>
    static TpmRc GetParent(Tpm tpm, uint handle, int handleNumber, out TpmKey parent)
    {
        parent = tpm.KeyOf(handle)!;
        return parent is { IsStorageParent: true } ? TpmRc.Success : TpmRc.Type.AtHandle(handleNumber);
    }

    [TpmParameters]
    internal partial struct CreateIn
    {
        [Sized] public TpmsSensitiveCreate InSensitive;
        [Sized] public TpmtPublic InPublic;
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> OutsideInfo;
        public TpmlPcrSelection CreationPcr;
    }

    /// <summary>TPM2_Create (Part 3, 12.1): a new object under a storage key, returned as its public area
    /// and its sensitive area protected by the parent (TPM2B_PRIVATE). The secret comes from the DRBG.
    /// Codes: TPM_RC_TYPE (H1) for a parent that is no storage key, and those of
    /// <see cref="ObjectSupport.CreateChecks"/> (P1/P2).</summary>
    static TpmRc Create(Tpm tpm, ref CommandContext c, in CreateIn p, out CreateOut o)
    {
        o = default;
        var rc = GetParent(tpm, c.Handles[0], 1, out var parent);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.CreateChecks(p.InPublic, p.InSensitive, parent, CreateIn.Param.InSensitive, CreateIn.Param.InPublic);
        if (rc != TpmRc.Success) return rc;

        rc = ObjectSupport.GenerateObject(tpm, p.InPublic, p.InSensitive, new DrbgStream(tpm.Random), CreateIn.Param.InPublic, out var key);
        if (rc != TpmRc.Success) return rc;
        try
        {
            key.Hierarchy = parent.Hierarchy;
            var sensitive = ObjectSupport.SensitiveArea(key, key.AuthValue);
            var outPrivate = ObjectSupport.Wrap(tpm, parent, key.Name, sensitive);
            CryptographicOperations.ZeroMemory(sensitive);

            o.OutPrivate = outPrivate;
            o.OutPublic = key.PublicArea;
            ObjectSupport.CreationOutputs(tpm, key, p.CreationPcr, p.OutsideInfo, parent.NameAlg, parent.Name, parent.QualifiedName,
                c.Locality, out o.CreationData, out o.CreationHash, out o.CreationTicket);
            return TpmRc.Success;
        }
        finally { key.Dispose(); }
    }

    [TpmParameters]
    internal partial struct CreateOut
    {
        /// <summary>TPM2B_PRIVATE.</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> OutPrivate;
        /// <summary>TPM2B_PUBLIC: the object's public area as it is stored.</summary>
        [Sized(TpmLimits.MaxPublicSize)] public ReadOnlyMemory<byte> OutPublic;
        [Sized] public TpmsCreationData CreationData;
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CreationHash;
        public TpmtTkCreation CreationTicket;
    }

    [TpmParameters]
    internal partial struct LoadIn
    {
        /// <summary>TPM2B_PRIVATE.</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> InPrivate;
        [Sized] public TpmtPublic InPublic;
    }

    /// <summary>TPM2_Load (Part 3, 12.2). Codes: TPM_RC_TYPE (H1) for a parent that is no storage key;
    /// those of <see cref="ObjectSupport.ValidatePublic"/> (P2); TPM_RC_INTEGRITY (P1) for a private area
    /// this parent did not make for this public area (tampered, or another parent's);
    /// TPM_RC_TYPE/SIZE/KEY/BINDING (P2) when the sensitive area does not match the public area;
    /// TPM_RC_OBJECT_MEMORY when no slot is free.</summary>
    static TpmRc Load(Tpm tpm, ref CommandContext c, in LoadIn p, out LoadOut o)
    {
        o = default;
        var rc = GetParent(tpm, c.Handles[0], 1, out var parent);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.ValidatePublic(p.InPublic, parent, LoadIn.Param.InPublic);
        if (rc != TpmRc.Success) return rc;
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;

        var publicArea = TpmKey.Marshal(p.InPublic);
        var name = TpmKey.ComputeName(tpm.Crypto, p.InPublic.NameAlg, publicArea);
        rc = ObjectSupport.Unwrap(tpm, parent, name, p.InPrivate.Span, out var sensitive);
        if (rc != TpmRc.Success) return rc.AtParameter(LoadIn.Param.InPrivate);
        rc = ObjectSupport.LoadKey(tpm, publicArea, sensitive, out var key);
        CryptographicOperations.ZeroMemory(sensitive);
        // As the reference's CryptValidateKeys blames them: the public key's codes on inPublic, the
        // sensitive area's on inPrivate, a secret that is not the public key's unnumbered.
        if (rc != TpmRc.Success) return PositionLoadError(rc, LoadIn.Param.InPrivate, LoadIn.Param.InPublic);
        key.SetParent(tpm.Crypto, parent);

        rc = tpm.Objects.Add(key, out c.ResponseHandle);
        if (rc != TpmRc.Success) { key.Dispose(); return rc; }
        o.Name = key.Name;
        return TpmRc.Success;
    }

    /// <summary>Numbers a code of <see cref="ObjectSupport.LoadKey"/> for Load and LoadExternal: the public
    /// key's codes on the public area, the sensitive area's on the private one, TPM_RC_BINDING and
    /// TPM_RC_SENSITIVE unnumbered.</summary>
    static TpmRc PositionLoadError(TpmRc rc, int privateParam, int publicParam) =>
        rc == TpmRc.Key || rc == TpmRc.EccPoint || rc == TpmRc.Value ? rc.AtParameter(publicParam)
        : rc == TpmRc.Binding || rc == TpmRc.Sensitive ? rc : rc.AtParameter(privateParam);

    /// <summary>The response of Load and LoadExternal (after the handle).</summary>
    [TpmParameters]
    internal partial struct LoadOut
    {
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> Name;
    }

    [TpmParameters]
    internal partial struct LoadExternalIn
    {
        /// <summary>TPM2B_SENSITIVE: empty when only the public area is loaded, else a TPMT_SENSITIVE.</summary>
        [Sized(TpmLimits.MaxPrivateSize, Holds = typeof(TpmtSensitive))] public ReadOnlyMemory<byte> InPrivate;
        [Sized] public TpmtPublic InPublic;
        [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    }

    /// <summary>TPM2_LoadExternal (Part 3, 12.3): an object that is not protected by this TPM, loaded
    /// with its public area alone (any enabled hierarchy) or with its sensitive area in the clear (only
    /// TPM_RH_NULL, and then it must not look like a key of this TPM's hierarchies: fixedTPM, fixedParent
    /// and restricted CLEAR). Its Qualified Name derives from the hierarchy's handle (Part 1, 16 "Names").
    /// With nameAlg TPM_ALG_NULL the object has no Name: Name and Qualified Name are the Empty Buffer,
    /// and its tickets are NULL tickets. Codes: TPM_RC_VALUE (P3) for a hierarchy that is not one;
    /// TPM_RC_HIERARCHY (P3) for a disabled hierarchy or a sensitive area outside TPM_RH_NULL;
    /// TPM_RC_ATTRIBUTES (P2) for fixedTPM, fixedParent or restricted with a sensitive area; those of
    /// <see cref="ObjectSupport.ValidatePublic"/> (P2; scheme checks only without a sensitive area or a
    /// Name); TPM_RC_VALUE (P2) for an RSA exponent below 7 (<see cref="ObjectSupport.CheckRsaExponent"/>);
    /// TPM_RC_KEY (P2) for a public key of the wrong size; TPM_RC_ECC_POINT (P2) for a point not on the
    /// curve; TPM_RC_TYPE/SIZE/KEY_SIZE (P1) when the sensitive area does not fit the public area,
    /// TPM_RC_BINDING (unnumbered) when its secret is not the public key's; TPM_RC_SENSITIVE (unnumbered)
    /// when it does not unmarshal; TPM_RC_OBJECT_MEMORY when no slot is free.</summary>
    static TpmRc LoadExternal(Tpm tpm, ref CommandContext c, in LoadExternalIn p, out LoadOut o)
    {
        o = default;
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;
        if (!tpm.IsHierarchyEnabled(p.Hierarchy)) return TpmRc.Hierarchy.AtParameter(LoadExternalIn.Param.Hierarchy);
        bool withPrivate = p.InPrivate.Length != 0;
        if (withPrivate)
        {
            if (p.Hierarchy != (uint)TpmRh.Null) return TpmRc.Hierarchy.AtParameter(LoadExternalIn.Param.Hierarchy);
            if ((p.InPublic.ObjectAttributes & (TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.Restricted)) != 0)
                return TpmRc.Attributes.AtParameter(LoadExternalIn.Param.InPublic);
        }
        // A public area alone, or an object without a Name (nameAlg TPM_ALG_NULL), gets the scheme checks
        // only (the reference's ObjectLoad); a key with its secret and a Name gets all of them.
        bool noName = p.InPublic.NameAlg == TpmAlgId.Null;
        var rc = ObjectSupport.ValidatePublic(p.InPublic, null, LoadExternalIn.Param.InPublic, schemesOnly: !withPrivate || noName);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.CheckRsaExponent(p.InPublic);
        if (rc != TpmRc.Success) return rc.AtParameter(LoadExternalIn.Param.InPublic);

        var publicArea = TpmKey.Marshal(p.InPublic);
        TpmKey key;
        if (withPrivate)
        {
            // TPM2B_SENSITIVE: its size prefix was read above; the TPMT_SENSITIVE is the rest. Codes about
            // the public key are the public area's (P2), a secret that does not belong to it is unnumbered
            // (the reference's CryptValidateKeys), the rest the sensitive area's (P1).
            rc = ObjectSupport.LoadKey(tpm, publicArea, p.InPrivate.Span, out key);
            if (rc != TpmRc.Success)
                return PositionLoadError(rc, LoadExternalIn.Param.InPrivate, LoadExternalIn.Param.InPublic);
        }
        else
        {
            rc = ObjectSupport.LoadPublicKey(tpm, publicArea, out key);
            if (rc != TpmRc.Success) return rc.AtParameter(LoadExternalIn.Param.InPublic);
        }
        key.Hierarchy = p.Hierarchy;
        key.QualifiedName = TpmKey.ComputeQualifiedName(tpm.Crypto, key.NameAlg, Tpm.HandleName(p.Hierarchy), key.Name);

        rc = tpm.Objects.Add(key, out c.ResponseHandle);
        if (rc != TpmRc.Success) { key.Dispose(); return rc; }
        o.Name = key.Name;
        return TpmRc.Success;
    }

    /// <summary>TPM2_ReadPublic (Part 3, 12.4): public area, Name and Qualified Name. Codes:
    /// TPM_RC_SEQUENCE for a hash or HMAC sequence, which has no public area.</summary>
    static TpmRc ReadPublic(Tpm tpm, ref CommandContext c, out ReadPublicOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null) return TpmRc.Sequence;
        o = new ReadPublicOut { OutPublic = key.PublicArea, Name = key.Name, QualifiedName = key.QualifiedName };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ReadPublicOut
    {
        /// <summary>TPM2B_PUBLIC: the object's public area as it is stored.</summary>
        [Sized(TpmLimits.MaxPublicSize)] public ReadOnlyMemory<byte> OutPublic;
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> Name;
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> QualifiedName;
    }

    [TpmParameters]
    internal partial struct ObjectChangeAuthIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> NewAuth;
    }

    /// <summary>TPM2_ObjectChangeAuth (Part 3, 12.6): the object's sensitive area with a new authValue,
    /// protected by its parent; the loaded object is unchanged. Codes: TPM_RC_TYPE (H1) for a sequence,
    /// TPM_RC_TYPE (H2) when parentHandle is not the object's parent (its Qualified Name does not derive
    /// from the parent's), TPM_RC_SIZE (P1) for a newAuth longer than nameAlg's digest.</summary>
    static TpmRc ObjectChangeAuth(Tpm tpm, ref CommandContext c, in ObjectChangeAuthIn p, out ObjectChangeAuthOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.HasSensitive) return TpmRc.Type.AtHandle(1);
        var parent = tpm.KeyOf(c.Handles[1]);
        if (parent is null || !parent.IsStorageParent) return TpmRc.Type.AtHandle(2);
        var expected = TpmKey.ComputeQualifiedName(tpm.Crypto, key.NameAlg, parent.QualifiedName, key.Name);
        if (!expected.AsSpan().SequenceEqual(key.QualifiedName)) return TpmRc.Type.AtHandle(2);
        var newAuth = Tpm.TrimTrailingZeros(p.NewAuth.Span);
        if (newAuth.Length > TpmAlgorithms.DigestSize(key.NameAlg)) return TpmRc.Size.AtParameter(ObjectChangeAuthIn.Param.NewAuth);

        var sensitive = ObjectSupport.SensitiveArea(key, newAuth);
        var outPrivate = ObjectSupport.Wrap(tpm, parent, key.Name, sensitive);
        CryptographicOperations.ZeroMemory(sensitive);
        o.OutPrivate = outPrivate;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ObjectChangeAuthOut
    {
        /// <summary>TPM2B_PRIVATE.</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> OutPrivate;
    }

    /// <summary>TPM2_Unseal (Part 3, 12.7): the data of a sealed data object. Codes: TPM_RC_TYPE (H1) for
    /// an object that is not KEYEDHASH, TPM_RC_ATTRIBUTES (H1) for a KEYEDHASH key (sign, decrypt or
    /// restricted SET).</summary>
    static TpmRc Unseal(Tpm tpm, ref CommandContext c, out UnsealOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || key.Type != TpmAlgId.KeyedHash || !key.HasSensitive) return TpmRc.Type.AtHandle(1);
        if ((key.Attributes & (TpmaObject.Sign | TpmaObject.Decrypt | TpmaObject.Restricted)) != 0) return TpmRc.Attributes.AtHandle(1);
        o.OutData = key.SensitiveData;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct UnsealOut
    {
        /// <summary>TPM2B_SENSITIVE_DATA: the object's own data, not copied before it is marshaled.</summary>
        [Sized(TpmLimits.MaxSymData)] public ReadOnlyMemory<byte> OutData;
    }
}
