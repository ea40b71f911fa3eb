using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// Part 3, 31 "Non-volatile Storage": NV_DefineSpace, NV_UndefineSpace, NV_UndefineSpaceSpecial,
/// NV_ReadPublic, NV_Write, NV_Increment, NV_Extend, NV_SetBits, NV_WriteLock, NV_GlobalWriteLock,
/// NV_Read, NV_ReadLock and NV_ChangeAuth. The index table and the Startup/Shutdown rules live in
/// <see cref="NvIndices"/>; the shared access checks (the reference's NV_spt.c) are at the end.
/// </summary>
internal static partial class NvStorage
{
    /// <summary>TPMI_RH_NV_AUTH (Part 2, 9.8): the index itself, the owner or the platform.</summary>
    const HandleKinds NvAuth = HandleKinds.NvIndex | HandleKinds.Owner | HandleKinds.Platform;

    public static readonly CommandInfo[] Commands =
    [
        new Command<NvDefineSpaceIn>(TpmCc.NvDefineSpace, NvDefineSpace) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Provision, AuthRole.User)], DecryptFirstParameter = true, WritesNv = true, PhysicalPresence = true },
        new Command(TpmCc.NvUndefineSpace, NvUndefineSpace) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Provision, AuthRole.User), new(HandleKinds.NvDefinedIndex)], WritesNv = true, PhysicalPresence = true },
        new Command(TpmCc.NvUndefineSpaceSpecial, NvUndefineSpaceSpecial) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.NvDefinedIndex, AuthRole.Admin), new(HandleKinds.Platform, AuthRole.User)], WritesNv = true, PhysicalPresence = true },
        new CommandOut<NvReadPublicOut>(TpmCc.NvReadPublic, NvReadPublic) { Handles = [new(HandleKinds.NvIndexAny)], EncryptFirstResponseParameter = true },
        new Command<NvWriteIn>(TpmCc.NvWrite, NvWrite) { Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], DecryptFirstParameter = true, WritesNv = true, WritesNvIndex = true },
        new Command(TpmCc.NvIncrement, NvIncrement) { RefusedInReadOnlyMode = true, Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], WritesNv = true, WritesNvIndex = true },
        new Command<NvExtendIn>(TpmCc.NvExtend, NvExtend) { Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], DecryptFirstParameter = true, WritesNv = true, WritesNvIndex = true },
        new Command<NvSetBitsIn>(TpmCc.NvSetBits, NvSetBits) { Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], WritesNv = true, WritesNvIndex = true },
        new Command(TpmCc.NvWriteLock, NvWriteLock) { Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], WritesNv = true, WritesNvIndex = true },
        new Command(TpmCc.NvGlobalWriteLock, NvGlobalWriteLock) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.Provision, AuthRole.User)], WritesNv = true, PhysicalPresence = true },
        new Command<NvReadIn, NvReadOut>(TpmCc.NvRead, NvRead) { Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], EncryptFirstResponseParameter = true },
        new Command(TpmCc.NvReadLock, NvReadLock) { Handles = [new(NvAuth, AuthRole.User), new(HandleKinds.NvIndexAny)], WritesNv = true },
        new Command<NvChangeAuthIn>(TpmCc.NvChangeAuth, NvChangeAuth) { RefusedInReadOnlyMode = true, Handles = [new(HandleKinds.NvIndexAny, AuthRole.Admin)], DecryptFirstParameter = true, WritesNv = true },
    ];

    // ---- NV_DefineSpace ---------------------------------------------------------------------

    [TpmParameters]
    internal partial struct NvDefineSpaceIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> Auth;
        public Tpm2bNvPublic PublicInfo;
    }

    /// <summary>
    /// TPM2_NV_DefineSpace (Part 3, 31.3): defines an index with its authValue. Codes, in the order
    /// checked: TPM_RC_SIZE (P2) for an authPolicy that is neither empty nor a nameAlg digest;
    /// TPM_RC_SIZE (P1) for an auth (without trailing zeros) longer than a nameAlg digest;
    /// TPM_RC_HIERARCHY (H1) for the platform while phEnableNV is CLEAR;
    /// TPM_RC_ATTRIBUTES (P2) for an unknown TPM_NT; TPM_RC_SIZE (P2) for a dataSize that does not
    /// fit the type (counter, bits, PIN: 8; extend: the nameAlg digest); TPM_RC_ATTRIBUTES (P2) for a
    /// counter with CLEAR_STCLEAR, a PIN Fail index without NO_DA, a PIN index with AUTHWRITE,
    /// GLOBALLOCK or WRITEDEFINE, WRITTEN or a lock set, no way to read or to write, CLEAR_STCLEAR
    /// with WRITEDEFINE, POLICY_DELETE not defined by the platform; TPM_RC_ATTRIBUTES (H1) when
    /// PLATFORMCREATE does not match authHandle; TPM_RC_SIZE (P2) for WRITEALL on an index larger
    /// than MAX_NV_BUFFER_SIZE; TPM_RC_NV_DEFINED; TPM_RC_NV_SPACE when NV is full.
    /// </summary>
    static TpmRc NvDefineSpace(Tpm tpm, ref CommandContext c, in NvDefineSpaceIn p)
    {
        return DefineIndex(tpm, c.Handles[0], p.Auth.Span, in p.PublicInfo.NvPublic);
    }

    /// <summary>The checks and definition shared by NV_DefineSpace and NV_DefineSpace2 (the reference's
    /// NvDefineSpace in NV_spt.c): authHandle is H1, auth P1 and publicInfo P2 in both, so NV_DefineSpace's
    /// positions serve both.</summary>
    internal static TpmRc DefineIndex(Tpm tpm, uint authHandle, ReadOnlySpan<byte> authParameter, in TpmsNvPublic pub)
    {
        var a = pub.Attributes;
        int nameSize = TpmAlgorithms.DigestSize(pub.NameAlg);

        // Validation: sizes of the secrets
        if (pub.AuthPolicy.Buffer.Length != 0 && pub.AuthPolicy.Buffer.Length != nameSize)
            return TpmRc.Size.AtParameter(NvDefineSpaceIn.Param.PublicInfo);
        var auth = Tpm.TrimTrailingZeros(authParameter);
        if (auth.Length > nameSize) return TpmRc.Size.AtParameter(NvDefineSpaceIn.Param.Auth);
        // platformAuth may be given while phEnableNV is CLEAR (TPM2_HierarchyControl): no platform indices then.
        bool byPlatform = authHandle == (uint)TpmRh.Platform;
        if (byPlatform && !tpm.PhEnableNv) return TpmRc.Hierarchy.AtHandle(1);

        // Validation: type and size (Part 2, 13.4 TPM_NT)
        var type = a.Type();
        if (type is not (TpmNt.Ordinary or TpmNt.Counter or TpmNt.Bits or TpmNt.Extend or TpmNt.PinFail or TpmNt.PinPass))
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);
        bool sizeOk = type switch
        {
            TpmNt.Ordinary => pub.DataSize <= NvIndices.MaxIndexSize,
            TpmNt.Extend => pub.DataSize == nameSize,
            _ => pub.DataSize == 8,
        };
        if (!sizeOk) return TpmRc.Size.AtParameter(NvDefineSpaceIn.Param.PublicInfo);

        // Validation: attribute rules of Part 2, 13.4 (Table "Definition of TPMA_NV Bits")
        if (type == TpmNt.Counter && a.Has(TpmaNv.ClearStClear))
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);          // counters are never cleared
        if (type == TpmNt.PinFail && !a.Has(TpmaNv.NoDa))
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);          // a PIN Fail index counts its own failures
        // A PIN index's authValue is unusable until written, so it may not be written with it; nor
        // locked for good (GLOBALLOCK, WRITEDEFINE).
        if (type is TpmNt.PinFail or TpmNt.PinPass
            && (a.Has(TpmaNv.AuthWrite) || a.Has(TpmaNv.GlobalLock) || a.Has(TpmaNv.WriteDefine)))
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);
        // State bits are the TPM's to set.
        if (a.Has(TpmaNv.Written) || a.Has(TpmaNv.WriteLocked) || a.Has(TpmaNv.ReadLocked))
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);
        if ((a & (TpmaNv.OwnerRead | TpmaNv.PpRead | TpmaNv.AuthRead | TpmaNv.PolicyRead)) == 0)
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);          // no way to read it
        if ((a & (TpmaNv.OwnerWrite | TpmaNv.PpWrite | TpmaNv.AuthWrite | TpmaNv.PolicyWrite)) == 0)
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);          // no way to write it
        if (a.Has(TpmaNv.ClearStClear) && a.Has(TpmaNv.WriteDefine))
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);
        // The hierarchy that creates an index must be able to delete it.
        if (a.Has(TpmaNv.PlatformCreate) != byPlatform)
            return TpmRc.Attributes.AtHandle(1);
        if (a.Has(TpmaNv.PolicyDelete) && !byPlatform)
            return TpmRc.Attributes.AtParameter(NvDefineSpaceIn.Param.PublicInfo);
        if (pub.DataSize > NvIndices.MaxBufferSize && a.Has(TpmaNv.WriteAll))
            return TpmRc.Size.AtParameter(NvDefineSpaceIn.Param.PublicInfo);                // could never be written in one command
        if (tpm.Nv.Get(pub.NvIndex) is not null) return TpmRc.NvDefined;

        // State update (TPM_RC_NV_SPACE when it does not fit)
        return tpm.Nv.Define(tpm, in pub, auth);
    }

    // ---- NV_UndefineSpace, NV_UndefineSpaceSpecial ------------------------------------------

    /// <summary>TPM2_NV_UndefineSpace (Part 3, 31.4). Codes: TPM_RC_ATTRIBUTES (H2) for a
    /// POLICY_DELETE index (NV_UndefineSpaceSpecial deletes those); TPM_RC_NV_AUTHORIZATION when the
    /// owner tries to delete a platform-created index.</summary>
    static TpmRc NvUndefineSpace(Tpm tpm, ref CommandContext c)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;
        if (index.Attributes.Has(TpmaNv.PolicyDelete)) return TpmRc.Attributes.AtHandle(2);
        if (c.Handles[0] == (uint)TpmRh.Owner && index.Attributes.Has(TpmaNv.PlatformCreate))
            return TpmRc.NvAuthorization;
        tpm.Nv.Remove(tpm, index);
        return TpmRc.Success;
    }

    /// <summary>TPM2_NV_UndefineSpaceSpecial (Part 3, 31.5): deletes a POLICY_DELETE index with its
    /// policy (ADMIN role: the authorization flow answers TPM_RC_AUTH_TYPE to any other session) and
    /// platformAuth. Codes: TPM_RC_ATTRIBUTES (H1) when the index lacks POLICY_DELETE.</summary>
    static TpmRc NvUndefineSpaceSpecial(Tpm tpm, ref CommandContext c)
    {
        var index = tpm.Nv.Get(c.Handles[0])!;
        if (!index.Attributes.Has(TpmaNv.PolicyDelete)) return TpmRc.Attributes.AtHandle(1);
        tpm.Nv.Remove(tpm, index);
        return TpmRc.Success;
    }

    // ---- NV_ReadPublic ----------------------------------------------------------------------

    /// <summary>TPM2_NV_ReadPublic (Part 3, 31.6): the public area and the Name, which changes with
    /// TPMA_NV_WRITTEN and the lock bits. No authorization; no codes beyond the handle check.</summary>
    static TpmRc NvReadPublic(Tpm tpm, ref CommandContext c, out NvReadPublicOut o)
    {
        var index = tpm.Nv.Get(c.Handles[0])!;
        o = new NvReadPublicOut { NvPublic = index.Public, NvName = index.Name(tpm.Crypto) };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct NvReadPublicOut
    {
        [Sized] public TpmsNvPublic NvPublic;
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> NvName;
    }

    // ---- NV_Write, NV_Increment, NV_Extend, NV_SetBits --------------------------------------

    [TpmParameters]
    internal partial struct NvWriteIn
    {
        [Sized(NvIndices.MaxBufferSize)] public ReadOnlyMemory<byte> Data;
        public ushort Offset;
    }

    /// <summary>
    /// TPM2_NV_Write (Part 3, 31.7): writes data at offset into an ordinary or PIN index. Codes:
    /// TPM_RC_NV_LOCKED (write-locked); TPM_RC_NV_AUTHORIZATION (authHandle may not write it);
    /// TPM_RC_ATTRIBUTES for a counter, bits or extend index; TPM_RC_VALUE (P2) for an offset past
    /// the end; TPM_RC_NV_RANGE when the data runs past the end or, with WRITEALL, is not the whole index.
    /// </summary>
    static TpmRc NvWrite(Tpm tpm, ref CommandContext c, in NvWriteIn p)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        if (RefusedInReadOnlyMode(tpm, index)) return TpmRc.ReadOnly;
        var rc = WriteAccessChecks(c.Handles[0], index);
        if (rc != TpmRc.Success) return rc;
        if (index.Type is TpmNt.Counter or TpmNt.Bits or TpmNt.Extend) return TpmRc.Attributes;
        if (p.Offset > index.DataSize) return TpmRc.Value.AtParameter(NvWriteIn.Param.Offset);
        if (p.Data.Length > index.DataSize - p.Offset) return TpmRc.NvRange;
        if (index.Attributes.Has(TpmaNv.WriteAll) && p.Data.Length < index.DataSize) return TpmRc.NvRange;

        // State update: the first write of an index erases it, so no old bytes show around a partial
        // write. The erased value is implementation-dependent; like the reference (and swtpm) it is
        // 0xFF (erased flash) for an index in NV and 0 for an orderly one in RAM.
        if (!index.IsWritten) Array.Fill(index.Data, index.IsOrderly ? (byte)0 : (byte)0xFF);
        p.Data.Span.CopyTo(index.Data.AsSpan(p.Offset));
        index.Attributes |= TpmaNv.Written;
        tpm.Nv.Update(tpm, index, dataOnly: true);
        return TpmRc.Success;
    }

    /// <summary>
    /// TPM2_NV_Increment (Part 3, 31.8): adds one to a counter. An unwritten counter starts from the
    /// highest count of any deleted counter, so no value repeats. An orderly counter reaches NV on its
    /// first write and whenever its low ORDERLY_BITS wrap. Codes: TPM_RC_NV_LOCKED,
    /// TPM_RC_NV_AUTHORIZATION, TPM_RC_ATTRIBUTES (H2) when the index is not a counter.
    /// </summary>
    static TpmRc NvIncrement(Tpm tpm, ref CommandContext c)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        var rc = WriteAccessChecks(c.Handles[0], index);
        if (rc != TpmRc.Success) return rc;
        if (index.Type != TpmNt.Counter) return TpmRc.Attributes.AtHandle(2);

        // State update. 2^64 increments cannot happen; the wrap is left unchecked like the reference.
        bool first = !index.IsWritten;
        ulong value = unchecked((first ? tpm.Persistent.NvMaxCounter : index.ReadUInt64()) + 1);
        index.WriteUInt64(value);
        index.Attributes |= TpmaNv.Written;
        bool wrapped = (value & NvIndices.MaxOrderlyCount) == 0;
        tpm.Nv.Update(tpm, index, dataOnly: !first && !wrapped);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct NvExtendIn
    {
        [Sized(NvIndices.MaxBufferSize)] public ReadOnlyMemory<byte> Data;
    }

    /// <summary>TPM2_NV_Extend (Part 3, 31.9): data := H_nameAlg(data || input), from zeros when
    /// unwritten. Codes: TPM_RC_NV_LOCKED, TPM_RC_NV_AUTHORIZATION, TPM_RC_ATTRIBUTES (H2) when the
    /// index is not an extend index.</summary>
    static TpmRc NvExtend(Tpm tpm, ref CommandContext c, in NvExtendIn p)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        if (RefusedInReadOnlyMode(tpm, index)) return TpmRc.ReadOnly;
        var rc = WriteAccessChecks(c.Handles[0], index);
        if (rc != TpmRc.Success) return rc;
        if (index.Type != TpmNt.Extend) return TpmRc.Attributes.AtHandle(2);

        // State update
        if (!index.IsWritten) Array.Clear(index.Data);
        using (var hash = tpm.Crypto.HashSetup(index.NameAlg))
        {
            hash.Update(index.Data);
            hash.Update(p.Data.Span);
            hash.Finish(index.Data);
        }
        index.Attributes |= TpmaNv.Written;
        tpm.Nv.Update(tpm, index, dataOnly: true);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct NvSetBitsIn
    {
        public ulong Bits;
    }

    /// <summary>TPM2_NV_SetBits (Part 3, 31.10): ORs bits into a bit field (from 0 when unwritten).
    /// Codes: TPM_RC_NV_LOCKED, TPM_RC_NV_AUTHORIZATION, TPM_RC_ATTRIBUTES (H2) when the index is not
    /// a bit field.</summary>
    static TpmRc NvSetBits(Tpm tpm, ref CommandContext c, in NvSetBitsIn p)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        if (RefusedInReadOnlyMode(tpm, index)) return TpmRc.ReadOnly;
        var rc = WriteAccessChecks(c.Handles[0], index);
        if (rc != TpmRc.Success) return rc;
        if (index.Type != TpmNt.Bits) return TpmRc.Attributes.AtHandle(2);

        // State update
        ulong old = index.IsWritten ? index.ReadUInt64() : 0;
        index.WriteUInt64(old | p.Bits);
        index.Attributes |= TpmaNv.Written;
        tpm.Nv.Update(tpm, index, dataOnly: true);
        return TpmRc.Success;
    }

    // ---- NV_WriteLock, NV_GlobalWriteLock ---------------------------------------------------

    /// <summary>TPM2_NV_WriteLock (Part 3, 31.11): sets WRITELOCKED on a WRITEDEFINE or WRITE_STCLEAR
    /// index; locking a locked index succeeds. Codes: TPM_RC_NV_AUTHORIZATION; TPM_RC_ATTRIBUTES (H2)
    /// when neither attribute is set.</summary>
    static TpmRc NvWriteLock(Tpm tpm, ref CommandContext c)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        if (RefusedInReadOnlyMode(tpm, index)) return TpmRc.ReadOnly;
        var rc = WriteAccessChecks(c.Handles[0], index);
        if (rc == TpmRc.NvLocked) return TpmRc.Success;
        if (rc != TpmRc.Success) return rc;
        if (!index.Attributes.Has(TpmaNv.WriteDefine) && !index.Attributes.Has(TpmaNv.WriteStClear))
            return TpmRc.Attributes.AtHandle(2);

        // State update: a lock reaches NV at once, even on an orderly index (a WRITEDEFINE lock is for good).
        index.Attributes |= TpmaNv.WriteLocked;
        tpm.Nv.Update(tpm, index, dataOnly: false);
        return TpmRc.Success;
    }

    /// <summary>TPM2_NV_GlobalWriteLock (Part 3, 31.12): write-locks every GLOBALLOCK index until the
    /// next TPM Reset or Restart. No codes beyond authorization.</summary>
    static TpmRc NvGlobalWriteLock(Tpm tpm, ref CommandContext c)
    {
        tpm.Nv.GlobalLock(tpm);
        return TpmRc.Success;
    }

    // ---- NV_Read, NV_ReadLock ---------------------------------------------------------------

    [TpmParameters]
    internal partial struct NvReadIn
    {
        public ushort Size;
        public ushort Offset;
    }

    /// <summary>
    /// TPM2_NV_Read (Part 3, 31.13): size octets from offset. Codes: TPM_RC_NV_LOCKED (read-locked);
    /// TPM_RC_NV_AUTHORIZATION; TPM_RC_NV_UNINITIALIZED (never written); TPM_RC_VALUE (P1) for a size
    /// above MAX_NV_BUFFER_SIZE; TPM_RC_VALUE (P2) for an offset past the end; TPM_RC_NV_RANGE when
    /// the range runs past the end.
    /// </summary>
    static TpmRc NvRead(Tpm tpm, ref CommandContext c, in NvReadIn p, out NvReadOut o)
    {
        o = default;
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        var rc = ReadAccessChecks(c.Handles[0], index);
        if (rc != TpmRc.Success) return rc;
        if (p.Size > NvIndices.MaxBufferSize) return TpmRc.Value.AtParameter(NvReadIn.Param.Size);
        if (p.Offset > index.DataSize) return TpmRc.Value.AtParameter(NvReadIn.Param.Offset);
        if (p.Size > index.DataSize - p.Offset) return TpmRc.NvRange;

        // Output
        o.Data = index.Data.AsMemory(p.Offset, p.Size);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct NvReadOut
    {
        /// <summary>TPM2B_MAX_NV_BUFFER: the index's own data, not copied before it is marshaled.</summary>
        [Sized(NvIndices.MaxBufferSize)] public ReadOnlyMemory<byte> Data;
    }

    /// <summary>TPM2_NV_ReadLock (Part 3, 31.14): sets READLOCKED on a READ_STCLEAR index until the
    /// next TPM Reset or Restart; locking a locked or unwritten index succeeds. Codes:
    /// TPM_RC_NV_AUTHORIZATION; TPM_RC_ATTRIBUTES (H2) without READ_STCLEAR.</summary>
    static TpmRc NvReadLock(Tpm tpm, ref CommandContext c)
    {
        var index = tpm.Nv.Get(c.Handles[1])!;

        // Validation
        if (RefusedInReadOnlyMode(tpm, index)) return TpmRc.ReadOnly;
        var rc = ReadAccessChecks(c.Handles[0], index);
        if (rc == TpmRc.NvAuthorization) return rc;
        if (rc == TpmRc.NvLocked) return TpmRc.Success;
        // TPM_RC_NV_UNINITIALIZED is no error here: an unwritten index may be read-locked.
        if (!index.Attributes.Has(TpmaNv.ReadStClear)) return TpmRc.Attributes.AtHandle(2);

        // State update
        index.Attributes |= TpmaNv.ReadLocked;
        tpm.Nv.Update(tpm, index, dataOnly: false);
        return TpmRc.Success;
    }

    // ---- NV_ChangeAuth ----------------------------------------------------------------------

    [TpmParameters]
    internal partial struct NvChangeAuthIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> NewAuth;
    }

    /// <summary>TPM2_NV_ChangeAuth (Part 3, 31.15): a new authValue, authorized by the index's policy
    /// (ADMIN role: the authorization flow answers TPM_RC_AUTH_TYPE to any other session). Codes:
    /// TPM_RC_SIZE (P1) for a newAuth (without trailing zeros) longer than a nameAlg digest.</summary>
    static TpmRc NvChangeAuth(Tpm tpm, ref CommandContext c, in NvChangeAuthIn p)
    {
        var index = tpm.Nv.Get(c.Handles[0])!;
        return ChangeAuth(tpm, index, p.NewAuth.Span);
    }

    /// <summary>The validation and state update of NV_ChangeAuth, after authorization.</summary>
    internal static TpmRc ChangeAuth(Tpm tpm, NvIndex index, ReadOnlySpan<byte> newAuth)
    {
        var auth = Tpm.TrimTrailingZeros(newAuth);
        if (auth.Length > TpmAlgorithms.DigestSize(index.NameAlg)) return TpmRc.Size.AtParameter(NvChangeAuthIn.Param.NewAuth);
        index.Wipe();
        index.AuthValue = auth.ToArray();
        tpm.Nv.Update(tpm, index, dataOnly: false);
        return TpmRc.Success;
    }

    // ---- Shared checks (the reference's NV_spt.c) -------------------------------------------

    /// <summary>NvWriteAccessChecks: TPM_RC_NV_LOCKED when write-locked; TPM_RC_NV_AUTHORIZATION when
    /// the owner authorizes without OWNERWRITE, the platform without PPWRITE, or another index authorizes.
    /// When the index authorizes itself, the authorization flow already applied AUTHWRITE/POLICYWRITE
    /// (TPM_RC_AUTH_UNAVAILABLE; Tpm.NvHooks.cs asks <see cref="NvIndices.IsAuthValueAvailable"/>).</summary>
    static TpmRc WriteAccessChecks(uint authHandle, NvIndex index)
    {
        var a = index.Attributes;
        if (a.Has(TpmaNv.WriteLocked)) return TpmRc.NvLocked;
        if (authHandle == (uint)TpmRh.Owner) return a.Has(TpmaNv.OwnerWrite) ? TpmRc.Success : TpmRc.NvAuthorization;
        if (authHandle == (uint)TpmRh.Platform) return a.Has(TpmaNv.PpWrite) ? TpmRc.Success : TpmRc.NvAuthorization;
        return authHandle == index.Handle ? TpmRc.Success : TpmRc.NvAuthorization;
    }

    /// <summary>NvReadAccessChecks: TPM_RC_NV_LOCKED when read-locked; TPM_RC_NV_AUTHORIZATION as for
    /// writes with OWNERREAD/PPREAD; then TPM_RC_NV_UNINITIALIZED when never written (after the
    /// authorization checks, so that NV_ReadLock sees the right code).</summary>
    internal static TpmRc ReadAccessChecks(uint authHandle, NvIndex index)
    {
        var a = index.Attributes;
        if (a.Has(TpmaNv.ReadLocked)) return TpmRc.NvLocked;
        if (authHandle == (uint)TpmRh.Owner) { if (!a.Has(TpmaNv.OwnerRead)) return TpmRc.NvAuthorization; }
        else if (authHandle == (uint)TpmRh.Platform) { if (!a.Has(TpmaNv.PpRead)) return TpmRc.NvAuthorization; }
        else if (authHandle != index.Handle) return TpmRc.NvAuthorization;
        return index.IsWritten ? TpmRc.Success : TpmRc.NvUninitialized;
    }
}
