using System.Buffers.Binary;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 30 "Capability Commands": GetCapability and TestParms.</summary>
internal static partial class Capability
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<GetCapabilityIn, GetCapabilityOut>(TpmCc.GetCapability, GetCapability),
        new Command<TestParmsIn>(TpmCc.TestParms, TestParms),
    ];

    [TpmParameters]
    internal partial struct GetCapabilityIn
    {
        [Check(nameof(TpmCheck.Capability))] public TpmCap Capability;
        public uint Property;
        public uint PropertyCount;
    }

    /// <summary>
    /// TPM2_GetCapability (Part 3, 30.2): up to propertyCount entries of one capability, starting at
    /// the first at or after <c>property</c>, and moreData YES when entries remain. The list is capped
    /// by what fits in MAX_CAP_BUFFER. Runs in failure mode too. Codes: TPM_RC_VALUE (P1) for an
    /// undefined or unsupported capability (TPM_CAP_VENDOR_PROPERTY, TPM_CAP_PUB_KEYS ...);
    /// TPM_RC_HANDLE (P2) for TPM_CAP_HANDLES with a handle type that has no list; TPM_RC_VALUE (P2)
    /// for TPM_CAP_PCRS with a property other than 0, TPM_CAP_AUTH_POLICIES with a property that is
    /// no permanent handle, and TPM_CAP_ACT with a property that is no ACT handle.
    /// </summary>
    static TpmRc GetCapability(Tpm tpm, ref CommandContext c, in GetCapabilityIn p, out GetCapabilityOut o)
    {
        o = default;
        // Validation (the reference's order: the capability, then its property)
        switch (p.Capability)
        {
            case TpmCap.Handles when HandleListOf(p.Property) == HandleList.None:
                return TpmRc.Handle.AtParameter(GetCapabilityIn.Param.Property);
            case TpmCap.Pcrs when p.Property != 0:
            case TpmCap.AuthPolicies when p.Property >> 24 != (uint)TpmHt.Permanent:
            case TpmCap.Act when p.Property is < (uint)TpmRh.Act0 or > (uint)TpmRh.ActF:
                return TpmRc.Value.AtParameter(GetCapabilityIn.Param.Property);
            case TpmCap.VendorProperty or TpmCap.PubKeys or TpmCap.SpdmSessionInfo:
                return TpmRc.Value.AtParameter(GetCapabilityIn.Param.Capability);
        }

        // Output: moreData, then TPMS_CAPABILITY_DATA
        o.CapabilityData.Capability = p.Capability;
        var list = new CapList(p.PropertyCount);
        Fill(tpm, p.Capability, p.Property, ref list, ref o.CapabilityData.Data);
        o.MoreData = list.More ? (byte)1 : (byte)0;
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct GetCapabilityOut
    {
        /// <summary>TPMI_YES_NO.</summary>
        public byte MoreData;
        public TpmsCapabilityData CapabilityData;
    }

    /// <summary>Fills the list of <paramref name="capability"/> from <paramref name="property"/> on, as many
    /// entries as <paramref name="list"/> allows.</summary>
    static void Fill(Tpm tpm, TpmCap capability, uint property, ref CapList list, ref TpmuCapabilities data)
    {
        switch (capability)
        {
            case TpmCap.Algs: FillAlgs(ref list, ref data.Algorithms, property); break;
            case TpmCap.Handles: FillHandles(tpm, ref list, ref data.Handles, property); break;
            case TpmCap.Commands: FillCommands(ref list, ref data.Command, property); break;
            case TpmCap.PpCommands: FillCommandCodes(tpm.Persistent.PpCommands, ref list, ref data.CommandCodes, property); break;
            case TpmCap.AuditCommands: FillCommandCodes(tpm.Persistent.AuditCommands, ref list, ref data.CommandCodes, property); break;
            case TpmCap.Pcrs: FillPcrAllocation(tpm, ref list, ref data.AssignedPcr); break;
            case TpmCap.TpmProperties: FillTpmProperties(tpm, ref list, ref data.TpmProperties, property); break;
            case TpmCap.Properties: FillPcrProperties(tpm, ref list, ref data.PcrProperties, property); break;
            case TpmCap.EccCurves: FillEccCurves(ref list, ref data.EccCurves, property); break;
            case TpmCap.AuthPolicies: FillAuthPolicies(tpm, ref list, ref data.AuthPolicies, property); break;
            case TpmCap.Act: FillActs(tpm, ref list, ref data.ActData, property); break;
        }
    }

    // ---- One value, for TPM2_PolicyCapability ---------------------------------------

    /// <summary>
    /// The entry GetCapability would list for exactly <paramref name="property"/> of <paramref name="capability"/>
    /// (TPMS_ALG_PROPERTY, a handle, TPMA_CC, TPM_CC, TPMS_TAGGED_PROPERTY, TPMS_TAGGED_PCR_SELECT, a curve or
    /// TPMS_TAGGED_POLICY), marshaled into <paramref name="entry"/>; <paramref name="length"/> 0 when there is
    /// none. Codes as TPM2_PolicyCapability gives them: TPM_RC_HANDLE (P5) for a handle type without a list,
    /// TPM_RC_VALUE (P5) for an auth policy of a non-permanent handle, TPM_RC_VALUE (P4) for any other capability.
    /// </summary>
    internal static TpmRc GetOne(Tpm tpm, TpmCap capability, uint property, Span<byte> entry, out int length)
    {
        length = 0;
        switch (capability)
        {
            case TpmCap.Handles when HandleListOf(property) is HandleList.None:
                return TpmRc.Handle.AtParameter(EnhancedAuthorization.PolicyCapabilityIn.Param.Property);
            case TpmCap.AuthPolicies when property >> 24 != (uint)TpmHt.Permanent:
            case TpmCap.Act when property is < (uint)TpmRh.Act0 or > (uint)TpmRh.ActF:
                return TpmRc.Value.AtParameter(EnhancedAuthorization.PolicyCapabilityIn.Param.Property);
            case TpmCap.Algs or TpmCap.Handles or TpmCap.Commands or TpmCap.PpCommands or TpmCap.AuditCommands
                or TpmCap.TpmProperties or TpmCap.Properties or TpmCap.EccCurves or TpmCap.AuthPolicies or TpmCap.Act:
                break;
            default:
                return TpmRc.Value.AtParameter(EnhancedAuthorization.PolicyCapabilityIn.Param.Capability);
        }
        var data = new TpmsCapabilityData { Capability = capability };
        var list = new CapList(1);
        Fill(tpm, capability, property, ref list, ref data.Data);
        if (list.Count == 0) return TpmRc.Success;
        // The one entry, as GetCapability marshals it: after the capability and the list's count.
        Span<byte> buffer = stackalloc byte[4 + 4 + 4 + 2 + TpmLimits.MaxDigestSize + 64];
        var w = new TpmWriter(buffer);
        data.Write(ref w);
        var found = w.Written[8..];
        // The list starts at the first entry at or after property: it must be property itself.
        uint key = capability switch
        {
            TpmCap.Algs or TpmCap.EccCurves => BinaryPrimitives.ReadUInt16BigEndian(found),
            TpmCap.Commands => BinaryPrimitives.ReadUInt32BigEndian(found) & TpmaCcBits.CommandIndexMask,
            _ => BinaryPrimitives.ReadUInt32BigEndian(found),
        };
        uint wanted = capability == TpmCap.Commands ? property & TpmaCcBits.CommandIndexMask
            : capability is TpmCap.Algs or TpmCap.EccCurves ? property & 0xFFFF : property;
        if (key != wanted) return TpmRc.Success;
        found.CopyTo(entry);
        length = found.Length;
        return TpmRc.Success;
    }

    /// <summary>A TPML_ being filled: how many entries the caller asked for, how many are in, and whether
    /// one more was left out (moreData).</summary>
    struct CapList(uint requested)
    {
        public uint Count;
        public bool More;

        /// <summary>True when one more entry may be added at index <see cref="Count"/> - 1 (the caller
        /// stores it); false, and moreData, when the list is full. <paramref name="max"/> is the TPML_'s
        /// capacity, what fits in MAX_CAP_BUFFER.</summary>
        public bool TryAdd(int max)
        {
            if (Count >= requested || Count >= (uint)max)
            {
                More = true;
                return false;
            }
            Count++;
            return true;
        }

        public readonly int Last => (int)Count - 1;
    }

    // ---- TPM_CAP_ALGS -------------------------------------------------------------------------

    static void FillAlgs(ref CapList list, ref TpmlAlgProperty algs, uint first)
    {
        foreach (var alg in ImplementedAlgorithms.All)
        {
            if ((uint)alg.Alg < first) continue;
            if (!list.TryAdd(TpmlAlgProperty.MaxCount)) break;
            algs.AlgProperties[list.Last] = alg;
        }
        algs.Count = list.Count;
    }

    // ---- TPM_CAP_HANDLES ----------------------------------------------------------------------

    enum HandleList { None, Empty, Pcr, Transient, Permanent, Persistent, LoadedSession, SavedSession, NvIndex }

    /// <summary>Which list the handle type (top octet) of <paramref name="property"/> selects. NV
    /// indices, persistent objects and sessions exist with their issues; until then their lists are empty.</summary>
    static HandleList HandleListOf(uint property) => (TpmHt)(property >> 24) switch
    {
        TpmHt.Pcr => HandleList.Pcr,
        TpmHt.Transient => HandleList.Transient,
        TpmHt.Permanent => HandleList.Permanent,
        // TPM_HT_LOADED_SESSION (= HMAC_SESSION) and TPM_HT_SAVED_SESSION (= POLICY_SESSION), Part 2, 7.2.
        TpmHt.HmacSession => HandleList.LoadedSession,
        TpmHt.PolicySession => HandleList.SavedSession,
        TpmHt.NvIndex => HandleList.NvIndex,
        TpmHt.Persistent => HandleList.Persistent,
        _ => HandleList.None,
    };

    /// <summary>The permanent handles this TPM implements (Part 2, 7.4), ascending.</summary>
    static ReadOnlySpan<uint> PermanentHandles =>
    [
        (uint)TpmRh.Owner, (uint)TpmRh.Null, (uint)TpmRh.Pw, (uint)TpmRh.Lockout,
        (uint)TpmRh.Endorsement, (uint)TpmRh.Platform, (uint)TpmRh.PlatformNv,
    ];

    static void FillHandles(Tpm tpm, ref CapList list, ref TpmlHandle handles, uint first)
    {
        switch (HandleListOf(first))
        {
            case HandleList.Pcr:
                for (uint pcr = first & 0x00FFFFFF; pcr < TpmLimits.PcrCount; pcr++)
                {
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = pcr;
                }
                break;
            case HandleList.Transient:
                foreach (uint handle in tpm.Objects.Handles())
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = handle;
                }
                break;
            case HandleList.Persistent:
                foreach (uint handle in tpm.Persistents.Handles(tpm))
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = handle;
                }
                break;
            case HandleList.NvIndex:
                foreach (uint handle in tpm.Nv.Handles(first))
                {
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = handle;
                }
                break;
            case HandleList.LoadedSession or HandleList.SavedSession:
                // Both lists run by session index; a loaded policy session keeps its 0x03 handle, a
                // saved session is listed with the HMAC session type, as the reference does.
                uint firstIndex = first & 0x00FFFFFF;
                var sessions = HandleListOf(first) == HandleList.LoadedSession ? tpm.Sessions.LoadedHandles() : tpm.Sessions.SavedHandles();
                foreach (uint handle in sessions)
                {
                    if ((handle & 0x00FFFFFF) < firstIndex) continue;
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = handle;
                }
                break;
            case HandleList.Permanent:
                foreach (uint handle in PermanentHandles)
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = handle;
                }
                // The implemented ACTs follow (TPM_RH_ACT_x are above every other permanent handle listed).
                if (list.More) break;
                foreach (uint handle in tpm.ActHandles())
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(TpmlHandle.MaxCount)) break;
                    handles.Handle[list.Last] = handle;
                }
                break;
        }
        handles.Count = list.Count;
    }

    // ---- TPM_CAP_COMMANDS, TPM_CAP_PP_COMMANDS ----------------------------------------------

    static void FillCommands(ref CapList list, ref TpmlCca commands, uint first)
    {
        foreach (var info in CommandTable.All())
        {
            if ((uint)info.Code < first) continue;
            if (!list.TryAdd(TpmlCca.MaxCount)) break;
            commands.CommandAttributes[list.Last] = CommandAttributes(info);
        }
        commands.Count = list.Count;
    }

    /// <summary>The commands of a kept list from <paramref name="first"/> on: those that need physical
    /// presence (TPM2_PP_Commands) or are audited (TPM2_SetCommandCodeAuditStatus).</summary>
    static void FillCommandCodes(List<TpmCc> codes, ref CapList list, ref TpmlCc commands, uint first)
    {
        foreach (var code in codes)
        {
            if ((uint)code < first) continue;
            if (!list.TryAdd(TpmlCc.MaxCount)) break;
            commands.CommandCodes[list.Last] = code;
        }
        commands.Count = list.Count;
    }

    /// <summary>TPMA_CC of an implemented command (Part 2, 8.9).</summary>
    internal static uint CommandAttributes(CommandInfo info)
    {
        var flags = TpmaCc.None;
        if (info.WritesNv) flags |= TpmaCc.Nv;
        if (info.Extensive) flags |= TpmaCc.Extensive;
        if (info.Flushed) flags |= TpmaCc.Flushed;
        if (info.ReturnsHandle) flags |= TpmaCc.RHandle;
        if (CommandTable.IsVendor(info.Code)) flags |= TpmaCc.V;
        return ((uint)info.Code & TpmaCcBits.CommandIndexMask)
            | ((uint)info.Handles.Length << TpmaCcBits.CHandlesShift)
            | (uint)flags;
    }

    // ---- TPM_CAP_ACT --------------------------------------------------------------------------

    /// <summary>TPMS_ACT_DATA of each implemented ACT from <paramref name="first"/> on (the reference's
    /// ActGetCapabilityData): its handle, the seconds left and TPMA_ACT signaled. preserveSignaled (a signal
    /// carried over a _TPM_Init without power loss) is not kept: it is always CLEAR.</summary>
    static void FillActs(Tpm tpm, ref CapList list, ref TpmlActData acts, uint first)
    {
        foreach (uint handle in tpm.ActHandles())
        {
            if (handle < first) continue;
            if (!list.TryAdd(TpmlActData.MaxCount)) break;
            var (timeout, signaled) = tpm.ActGet(handle);
            acts.ActData[list.Last] = new TpmsActData { Handle = handle, Timeout = timeout, Attributes = signaled ? 1u : 0u };
        }
        acts.Count = list.Count;
    }

    // ---- TPM_CAP_PCRS -------------------------------------------------------------------------

    /// <summary>The current allocation, one TPMS_PCR_SELECTION per implemented bank. Like the
    /// reference, a propertyCount of 0 gets an empty list and moreData YES.</summary>
    static void FillPcrAllocation(Tpm tpm, ref CapList list, ref TpmlPcrSelection pcrs)
    {
        var banks = TpmAlgorithms.Hashes;
        if (!list.TryAdd(max: 1)) return;
        list.Count = (uint)banks.Length;
        pcrs.Count = list.Count;
        for (int bank = 0; bank < banks.Length; bank++)
            pcrs.PcrSelections[bank] = new TpmsPcrSelection { Hash = banks[bank], PcrSelect = PcrBitmap(tpm, tpm.Pcrs.Allocated[bank]) };
    }

    /// <summary>A PCR bitmap of PCR_SELECT_MAX octets (bit n of octet n/8 is PCR n), in the scratch area.</summary>
    static ReadOnlyMemory<byte> PcrBitmap(Tpm tpm, uint pcrs)
    {
        var bitmap = tpm.Scratch(TpmLimits.PcrSelectMax);
        for (int octet = 0; octet < TpmLimits.PcrSelectMax; octet++) bitmap.Span[octet] = (byte)(pcrs >> (8 * octet));
        return bitmap;
    }

    // ---- TPM_CAP_TPM_PROPERTIES ---------------------------------------------------------------

    const uint PtGroup = 0x100;

    /// <summary>The properties of <paramref name="first"/>'s group (fixed or variable) from
    /// <paramref name="first"/> on. As in the reference, a list does not run on from the fixed group
    /// into the variable one: moreData says whether this group has more. Below PT_FIXED starts at PT_FIXED.</summary>
    static void FillTpmProperties(Tpm tpm, ref CapList list, ref TpmlTaggedTpmProperty properties, uint first)
    {
        if (first < (uint)TpmPt.Fixed) first = (uint)TpmPt.Fixed;
        if (first >= (uint)TpmPt.Var + PtGroup) return;
        uint end = (first / PtGroup + 1) * PtGroup;
        for (uint pt = first; pt < end; pt++)
        {
            if (!TryGetProperty(tpm, (TpmPt)pt, out uint value)) continue;
            if (!list.TryAdd(TpmlTaggedTpmProperty.MaxCount)) break;
            properties.TpmProperty[list.Last] = new TpmsTaggedProperty { Property = (TpmPt)pt, Value = value };
        }
        properties.Count = list.Count;
    }

    // TPM_PT_* values that describe this implementation (Part 2, 6.13).
    const uint FamilyIndicator = 0x322E3000;     // "2.0\0"
    const uint SpecLevel = 0;
    const uint SpecRevision = 184;               // Part 2 revision 1.84 (v185 additions are marked in Constants)
    const uint SpecDayOfYear = 79;               // the date the reference reports for 1.84
    const uint SpecYear = 2025;
    const uint Manufacturer = 0x4654504D;        // "FTPM"
    const uint VendorString1 = 0x6674706D;       // "ftpm"
    const uint VendorTpmType = 1;
    internal const uint FirmwareVersion1 = 0x00010000;    // 1.0 (major << 16 | minor)
    internal const uint FirmwareVersion2 = 0;
    const uint MinEvictObjects = 7;              // PC Client: at least 7 persistent objects
    const uint MaxLoadedSessions = Auth.SessionTable.MaxLoaded;
    const uint MaxActiveSessions = Auth.SessionTable.MaxActive;
    const uint ContextGapMax = 0xFFFF;           // 16-bit context slots
    const uint MaxNvIndexSize = NvIndices.MaxIndexSize;
    const uint MaxNvBufferSize = NvIndices.MaxBufferSize;
    const uint MaxOrderlyCount = 255;            // ORDERLY_BITS 8
    const uint PsFamilyIndicator = 1;            // PC Client
    const uint PsLevel = 0;
    const uint PsRevision = 0x105;               // PC Client PTP 1.05, in the 0x00000105 encoding Windows shows

    /// <summary>One TPM property (Part 2, 6.13), or false for a TPM_PT this TPM does not report.</summary>
    static bool TryGetProperty(Tpm tpm, TpmPt property, out uint value)
    {
        uint? known = property switch
        {
            // Fixed (PT_FIXED)
            TpmPt.FamilyIndicator => FamilyIndicator,
            TpmPt.Level => SpecLevel,
            TpmPt.Revision => SpecRevision,
            TpmPt.DayOfYear => SpecDayOfYear,
            TpmPt.Year => SpecYear,
            TpmPt.Manufacturer => Manufacturer,
            TpmPt.VendorString1 => VendorString1,
            TpmPt.VendorString2 or TpmPt.VendorString3 or TpmPt.VendorString4 => 0,
            TpmPt.VendorTpmType => VendorTpmType,
            TpmPt.FirmwareVersion1 => FirmwareVersion1,
            TpmPt.FirmwareVersion2 => FirmwareVersion2,
            TpmPt.InputBuffer => TpmLimits.MaxDigestBuffer,
            TpmPt.HrTransientMin => LoadedObjects.Capacity,
            TpmPt.HrPersistentMin => MinEvictObjects,
            TpmPt.HrLoadedMin => MaxLoadedSessions,
            TpmPt.ActiveSessionsMax => MaxActiveSessions,
            TpmPt.PcrCount => TpmLimits.PcrCount,
            TpmPt.PcrSelectMin => TpmLimits.PcrSelectMin,
            TpmPt.ContextGapMax => ContextGapMax,
            TpmPt.NvCountersMax => 0,                                  // no separate limit on counters
            TpmPt.NvIndexMax => MaxNvIndexSize,
            TpmPt.Memory => (uint)(TpmaMemory.SharedNv | TpmaMemory.ObjectCopiedToRam),
            TpmPt.ClockUpdate => (uint)Tpm.ClockNvUpdateInterval,
            TpmPt.ContextHash => (uint)TpmAlgId.Sha256,
            TpmPt.ContextSym => (uint)TpmAlgId.Aes,
            TpmPt.ContextSymSize => 256,
            TpmPt.OrderlyCount => MaxOrderlyCount,
            TpmPt.MaxCommandSize => TpmLimits.MaxCommandSize,
            TpmPt.MaxResponseSize => TpmLimits.MaxResponseSize,
            TpmPt.MaxDigest => TpmLimits.MaxDigestSize,
            TpmPt.MaxObjectContext or TpmPt.MaxSessionContext => TpmLimits.MaxContextSize,
            TpmPt.PsFamilyIndicator => PsFamilyIndicator,
            TpmPt.PsLevel => PsLevel,
            TpmPt.PsRevision => PsRevision,
            TpmPt.PsDayOfYear or TpmPt.PsYear => 0,
            TpmPt.SplitMax => 0,                                       // no ECC commit
            TpmPt.TotalCommands => CommandCount(vendor: null),
            TpmPt.LibraryCommands => CommandCount(vendor: false),
            TpmPt.VendorCommands => CommandCount(vendor: true),
            TpmPt.NvBufferMax => MaxNvBufferSize,
            TpmPt.Modes => 0,
            TpmPt.MaxCapBuffer => TpmLimits.MaxCapBuffer,
            // v185 (Part 2, 8.13): the ML-KEM and ML-DSA parameter sets, and allowExternalMu.
            TpmPt.MlParameterSets => (uint)MlParameterSets.Implemented,

            // Variable (PT_VAR)
            TpmPt.Permanent => (uint)PermanentAttributes(tpm),
            // orderly needs the previous shutdown type, which Startup does not keep yet.
            TpmPt.StartupClear => (uint)StartupClearAttributes(tpm),
            TpmPt.HrNvIndex => (uint)tpm.Nv.Count,
            TpmPt.HrLoaded => (uint)tpm.Sessions.LoadedCount,
            TpmPt.HrLoadedAvail => MaxLoadedSessions - (uint)tpm.Sessions.LoadedCount,
            TpmPt.HrActive => (uint)tpm.Sessions.ActiveCount,
            TpmPt.HrActiveAvail => MaxActiveSessions - (uint)tpm.Sessions.ActiveCount,
            TpmPt.HrTransientAvail => (uint)(LoadedObjects.Capacity - tpm.Objects.Count),
            TpmPt.HrPersistent => (uint)tpm.Persistents.Count(tpm),
            TpmPt.HrPersistentAvail => (uint)(State.PersistentObjects.Capacity - tpm.Persistents.Count(tpm)),
            TpmPt.NvCounters => (uint)tpm.Nv.CounterCount,
            TpmPt.NvCountersAvail => (uint)tpm.Nv.CountersAvailable,
            TpmPt.AlgorithmSet => tpm.Persistent.AlgorithmSet,
            TpmPt.LoadedCurves => (uint)ImplementedAlgorithms.EccCurves.Length,
            // Dictionary-attack state (Part 1, 19.8).
            TpmPt.LockoutCounter => tpm.Persistent.FailedTries,
            TpmPt.MaxAuthFail => tpm.Persistent.MaxTries,
            TpmPt.LockoutInterval => tpm.Persistent.RecoveryTime,
            TpmPt.LockoutRecovery => tpm.Persistent.LockoutRecovery,
            TpmPt.NvWriteRecovery => 0,
            TpmPt.AuditCounter0 => (uint)(tpm.Persistent.AuditCounter >> 32),
            TpmPt.AuditCounter1 => (uint)tpm.Persistent.AuditCounter,
            _ => null,
        };
        value = known ?? 0;
        return known.HasValue;
    }

    /// <summary>The number of implemented commands: all, or only the library's or the vendor's.</summary>
    static uint CommandCount(bool? vendor)
    {
        uint n = 0;
        foreach (var info in CommandTable.All())
            if (vendor is not { } v || CommandTable.IsVendor(info.Code) == v) n++;
        return n;
    }

    static TpmaPermanent PermanentAttributes(Tpm tpm)
    {
        // The EPS is generated by the TPM (TPM_Manufacture).
        var persistent = tpm.Persistent;
        var flags = TpmaPermanent.TpmGeneratedEps;
        if (persistent.OwnerAuth.Length != 0) flags |= TpmaPermanent.OwnerAuthSet;
        if (persistent.EndorsementAuth.Length != 0) flags |= TpmaPermanent.EndorsementAuthSet;
        if (persistent.LockoutAuth.Length != 0) flags |= TpmaPermanent.LockoutAuthSet;
        if (persistent.DisableClear) flags |= TpmaPermanent.DisableClear;
        if (tpm.InLockout) flags |= TpmaPermanent.InLockout;
        return flags;
    }

    static TpmaStartupClear StartupClearAttributes(Tpm tpm)
    {
        var flags = TpmaStartupClear.None;
        if (tpm.PhEnable) flags |= TpmaStartupClear.PhEnable;
        if (tpm.ShEnable) flags |= TpmaStartupClear.ShEnable;
        if (tpm.EhEnable) flags |= TpmaStartupClear.EhEnable;
        if (tpm.PhEnableNv) flags |= TpmaStartupClear.PhEnableNv;
        if (tpm.ReadOnlyMode) flags |= TpmaStartupClear.ReadOnly;
        return flags;
    }

    // ---- TPM_CAP_PCR_PROPERTIES ---------------------------------------------------------------

    /// <summary>The PCR properties (Part 2, 6.14) from <paramref name="first"/> on, each with the
    /// PCRs that have it (the PC Client attributes of <see cref="PcrBanks"/>).</summary>
    static void FillPcrProperties(Tpm tpm, ref CapList list, ref TpmlTaggedPcrProperty properties, uint first)
    {
        for (uint tag = first; tag <= (uint)TpmPtPcr.Auth; tag++)
        {
            if (!TryGetPcrProperty((TpmPtPcr)tag, out uint pcrs)) continue;
            if (!list.TryAdd(TpmlTaggedPcrProperty.MaxCount)) break;
            properties.PcrProperty[list.Last] = new TpmsTaggedPcrSelect { Tag = (TpmPtPcr)tag, PcrSelect = PcrBitmap(tpm, pcrs) };
        }
        properties.Count = list.Count;
    }

    static bool TryGetPcrProperty(TpmPtPcr tag, out uint pcrs)
    {
        pcrs = 0;
        // TPM_PT_PCR_EXTEND_Ln = 2n + 1 and TPM_PT_PCR_RESET_Ln = 2n + 2.
        bool isLocality = tag is >= TpmPtPcr.ExtendL0 and <= TpmPtPcr.ResetL4;
        int locality = isLocality ? ((int)tag - 1) / 2 : 0;
        bool extend = ((int)tag & 1) == 1;
        if (!isLocality && tag is not (TpmPtPcr.Save or TpmPtPcr.NoIncrement or TpmPtPcr.DrtmReset or TpmPtPcr.Policy or TpmPtPcr.Auth))
            return false;
        for (int pcr = 0; pcr < TpmLimits.PcrCount; pcr++)
        {
            var a = PcrBanks.AttributesOf(pcr);
            bool has = tag switch
            {
                TpmPtPcr.Save => a.StateSave,
                TpmPtPcr.NoIncrement => a.NoIncrement,
                TpmPtPcr.DrtmReset => (a.ResetLocalities & 0x10) != 0,  // reset by locality 4 / the H-CRTM
                TpmPtPcr.Policy or TpmPtPcr.Auth => Tpm.IsPcrInGroup((uint)pcr),   // the one policy and authValue group
                _ => ((extend ? a.ExtendLocalities : a.ResetLocalities) & (1 << locality)) != 0,
            };
            if (has) pcrs |= 1u << pcr;
        }
        return true;
    }

    // ---- TPM_CAP_ECC_CURVES -------------------------------------------------------------------

    static void FillEccCurves(ref CapList list, ref TpmlEccCurve curves, uint first)
    {
        foreach (var curve in ImplementedAlgorithms.EccCurves)
        {
            if ((uint)curve < first) continue;
            if (!list.TryAdd(TpmlEccCurve.MaxCount)) break;
            curves.EccCurves[list.Last] = curve;
        }
        curves.Count = list.Count;
    }

    // ---- TPM_CAP_AUTH_POLICIES ----------------------------------------------------------------

    /// <summary>The permanent handles that have an authPolicy, ascending.</summary>
    static ReadOnlySpan<uint> PolicyHandles =>
        [(uint)TpmRh.Owner, (uint)TpmRh.Lockout, (uint)TpmRh.Endorsement, (uint)TpmRh.Platform];

    static void FillAuthPolicies(Tpm tpm, ref CapList list, ref TpmlTaggedPolicy policies, uint first)
    {
        var persistent = tpm.Persistent;
        foreach (uint handle in PolicyHandles)
        {
            if (handle < first) continue;
            if (!list.TryAdd(TpmlTaggedPolicy.MaxCount)) break;
            // platformPolicy is not state yet: empty, like every policy until SetPrimaryPolicy.
            ReadOnlyMemory<byte> policy = (TpmRh)handle switch
            {
                TpmRh.Owner => persistent.OwnerPolicy.Value,
                TpmRh.Lockout => persistent.LockoutPolicy.Value,
                TpmRh.Endorsement => persistent.EndorsementPolicy.Value,
                _ => null,
            };
            // The policy's hash is not kept beside the digest yet; the digest size names it.
            var hashAlg = TpmAlgId.Null;
            foreach (var hash in TpmAlgorithms.Hashes)
                if (policy.Length != 0 && TpmAlgorithms.DigestSize(hash) == policy.Length) hashAlg = hash;
            policies.Policies[list.Last] = new TpmsTaggedPolicy { Handle = handle, PolicyHash = Pcr.Digest(hashAlg, policy) };
        }
        // The ACTs follow, each with the policy TPM2_SetPrimaryPolicy gave it (the reference lists every
        // permanent handle EntityGetAuthPolicy knows: TPM_ALG_NULL and no digest until one is set).
        if (!list.More)
        {
            foreach (uint handle in tpm.ActHandles())
            {
                if (handle < first) continue;
                if (!list.TryAdd(TpmlTaggedPolicy.MaxCount)) break;
                var actPolicy = tpm.ActPolicy(handle, out var actHash);
                policies.Policies[list.Last] = new TpmsTaggedPolicy { Handle = handle, PolicyHash = Pcr.Digest(actHash, ActPolicyMemory(tpm, actPolicy)) };
            }
        }
        policies.Count = list.Count;
    }

    static ReadOnlyMemory<byte> ActPolicyMemory(Tpm tpm, ReadOnlySpan<byte> policy)
    {
        var memory = tpm.Scratch(policy.Length);
        policy.CopyTo(memory.Span);
        return memory;
    }

    // ---- TPM2_TestParms -----------------------------------------------------------------------

    [TpmParameters]
    internal partial struct TestParmsIn
    {
        public TpmtPublicParms Parameters;
    }

    /// <summary>
    /// TPM2_TestParms (Part 3, 30.3): whether the TPM supports a set of object parameters. Everything
    /// is decided while unmarshaling, by the TPMI_ checks against what is implemented
    /// (<see cref="ImplementedAlgorithms"/>): extending that list is all the keys issue has to do.
    /// Codes (all P1): TPM_RC_TYPE for an unimplemented object type; TPM_RC_VALUE for a keyed-hash or
    /// RSA scheme or an RSA key size; TPM_RC_SCHEME (ECC scheme), TPM_RC_CURVE, TPM_RC_KDF,
    /// TPM_RC_SYMMETRIC, TPM_RC_MODE, TPM_RC_HASH; TPM_RC_SIZE for octets left over.
    /// </summary>
    static TpmRc TestParms(Tpm tpm, ref CommandContext c, in TestParmsIn p) => TpmRc.Success;
}
