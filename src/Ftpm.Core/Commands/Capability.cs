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
        new Command<GetCapabilityIn>(TpmCc.GetCapability, GetCapability),
        new Command<TestParmsIn>(TpmCc.TestParms, TestParms),
    ];

    // ---- Limits of one response (Part 2, "Implementation Parameters") --------------------------
    // TPMS_CAPABILITY_DATA holds at most MAX_CAP_BUFFER octets: the capability and the list's count
    // (8 octets), then as many entries as fit.

    const int MaxCapData = TpmLimits.MaxCapBuffer - 8;
    const uint MaxCapAlgs = MaxCapData / 6;            // TPMS_ALG_PROPERTY
    const uint MaxCapHandles = MaxCapData / 4;         // TPM_HANDLE
    const uint MaxCapCc = MaxCapData / 4;              // TPMA_CC, TPM_CC
    const uint MaxTpmProperties = MaxCapData / 8;      // TPMS_TAGGED_PROPERTY
    const uint MaxPcrProperties = MaxCapData / (4 + 1 + TpmLimits.PcrSelectMax); // TPMS_TAGGED_PCR_SELECT
    const uint MaxEccCurves = MaxCapData / 2;          // TPM_ECC_CURVE
    const uint MaxTaggedPolicies = MaxCapData / (4 + 2 + TpmLimits.MaxDigestSize); // TPMS_TAGGED_POLICY

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
    static TpmRc GetCapability(Tpm tpm, ref CommandContext c, in GetCapabilityIn p)
    {
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
        int moreAt = c.Out.Position;
        c.Out.WriteUInt8(0);
        c.Out.WriteUInt32((uint)p.Capability);
        var list = new CapList(ref c.Out, p.PropertyCount);
        switch (p.Capability)
        {
            case TpmCap.Algs: WriteAlgs(ref c.Out, ref list, p.Property); break;
            case TpmCap.Handles: WriteHandles(tpm, ref c.Out, ref list, p.Property); break;
            case TpmCap.Commands: WriteCommands(ref c.Out, ref list, p.Property); break;
            case TpmCap.PpCommands: WritePpCommands(tpm, ref c.Out, ref list, p.Property); break;
            case TpmCap.AuditCommands: WriteAuditCommands(tpm, ref c.Out, ref list, p.Property); break;
            case TpmCap.Pcrs: WritePcrAllocation(tpm, ref c.Out, ref list); break;
            case TpmCap.TpmProperties: WriteTpmProperties(tpm, ref c.Out, ref list, p.Property); break;
            case TpmCap.Properties: WritePcrProperties(ref c.Out, ref list, p.Property); break;
            case TpmCap.EccCurves: WriteEccCurves(ref c.Out, ref list, p.Property); break;
            case TpmCap.AuthPolicies: WriteAuthPolicies(tpm, ref c.Out, ref list, p.Property); break;
            case TpmCap.Act: WriteActs(tpm, ref c.Out, ref list, p.Property); break;
        }
        list.End(ref c.Out);
        c.Out.Written[moreAt] = list.More ? (byte)1 : (byte)0;
        return TpmRc.Success;
    }

    // ---- One value, for TPM2_PolicyCapability (issue 4) ---------------------------------------

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
        Span<byte> buffer = stackalloc byte[4 + 2 + 1 + TpmLimits.MaxDigestSize + 64];
        var w = new TpmWriter(buffer);
        var list = new CapList(ref w, 1);
        switch (capability)
        {
            case TpmCap.Algs: WriteAlgs(ref w, ref list, property); break;
            case TpmCap.Handles: WriteHandles(tpm, ref w, ref list, property); break;
            case TpmCap.Commands: WriteCommands(ref w, ref list, property); break;
            case TpmCap.PpCommands: WritePpCommands(tpm, ref w, ref list, property); break;
            case TpmCap.AuditCommands: WriteAuditCommands(tpm, ref w, ref list, property); break;
            case TpmCap.TpmProperties: WriteTpmProperties(tpm, ref w, ref list, property); break;
            case TpmCap.Properties: WritePcrProperties(ref w, ref list, property); break;
            case TpmCap.EccCurves: WriteEccCurves(ref w, ref list, property); break;
            case TpmCap.AuthPolicies: WriteAuthPolicies(tpm, ref w, ref list, property); break;
            case TpmCap.Act: WriteActs(tpm, ref w, ref list, property); break;
        }
        if (list.Count == 0) return TpmRc.Success;
        var found = w.Written[4..];
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

    /// <summary>A TPML_ being written: its count goes first and is filled in at the end. An entry
    /// that finds the list full sets <see cref="More"/> instead (moreData).</summary>
    struct CapList
    {
        readonly int _countAt;
        readonly uint _limit;
        public uint Count;
        public bool More;

        public CapList(ref TpmWriter w, uint requested)
        {
            _countAt = w.Position;
            w.WriteUInt32(0);
            _limit = requested;
        }

        /// <summary>True when one more entry may be written (the caller writes it); false, and
        /// moreData, when the list is full. <paramref name="max"/> is what fits in MAX_CAP_BUFFER.</summary>
        public bool TryAdd(uint max)
        {
            if (Count >= _limit || Count >= max)
            {
                More = true;
                return false;
            }
            Count++;
            return true;
        }

        public readonly void End(ref TpmWriter w) => BinaryPrimitives.WriteUInt32BigEndian(w.Written[_countAt..], Count);
    }

    // ---- TPM_CAP_ALGS -------------------------------------------------------------------------

    static void WriteAlgs(ref TpmWriter w, ref CapList list, uint first)
    {
        foreach (var alg in ImplementedAlgorithms.All)
        {
            if ((uint)alg.Alg < first) continue;
            if (!list.TryAdd(MaxCapAlgs)) break;
            alg.Write(ref w);
        }
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

    static void WriteHandles(Tpm tpm, ref TpmWriter w, ref CapList list, uint first)
    {
        switch (HandleListOf(first))
        {
            case HandleList.Pcr:
                for (uint pcr = first & 0x00FFFFFF; pcr < TpmLimits.PcrCount; pcr++)
                {
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(pcr);
                }
                break;
            case HandleList.Transient:
                foreach (uint handle in tpm.Objects.Handles())
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(handle);
                }
                break;
            case HandleList.Persistent:
                foreach (uint handle in tpm.Persistents.Handles(tpm))
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(handle);
                }
                break;
            case HandleList.NvIndex:
                foreach (uint handle in tpm.Nv.Handles(first))
                {
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(handle);
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
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(handle);
                }
                break;
            case HandleList.Permanent:
                foreach (uint handle in PermanentHandles)
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(handle);
                }
                // The implemented ACTs follow (TPM_RH_ACT_x are above every other permanent handle listed).
                if (list.More) break;
                foreach (uint handle in tpm.ActHandles())
                {
                    if (handle < first) continue;
                    if (!list.TryAdd(MaxCapHandles)) break;
                    w.WriteUInt32(handle);
                }
                break;
        }
    }

    // ---- TPM_CAP_COMMANDS, TPM_CAP_PP_COMMANDS ----------------------------------------------

    static void WriteCommands(ref TpmWriter w, ref CapList list, uint first)
    {
        foreach (var info in CommandTable.All())
        {
            if ((uint)info.Code < first) continue;
            if (!list.TryAdd(MaxCapCc)) break;
            w.WriteUInt32(CommandAttributes(info));
        }
    }

    /// <summary>The commands that need physical presence, from <paramref name="first"/> on (TPM2_PP_Commands).</summary>
    static void WritePpCommands(Tpm tpm, ref TpmWriter w, ref CapList list, uint first)
    {
        foreach (var code in tpm.Persistent.PpCommands)
        {
            if ((uint)code < first) continue;
            if (!list.TryAdd(MaxCapCc)) break;
            w.WriteUInt32((uint)code);
        }
    }

    /// <summary>The audited commands from <paramref name="first"/> on (TPM2_SetCommandCodeAuditStatus).</summary>
    static void WriteAuditCommands(Tpm tpm, ref TpmWriter w, ref CapList list, uint first)
    {
        foreach (var code in tpm.Persistent.AuditCommands)
        {
            if ((uint)code < first) continue;
            if (!list.TryAdd(MaxCapCc)) break;
            w.WriteUInt32((uint)code);
        }
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

    const uint MaxActData = MaxCapData / 12;            // TPMS_ACT_DATA

    /// <summary>TPMS_ACT_DATA of each implemented ACT from <paramref name="first"/> on (the reference's
    /// ActGetCapabilityData): its handle, the seconds left and TPMA_ACT signaled. preserveSignaled (a signal
    /// carried over a _TPM_Init without power loss) is not kept: it is always CLEAR.</summary>
    static void WriteActs(Tpm tpm, ref TpmWriter w, ref CapList list, uint first)
    {
        foreach (uint handle in tpm.ActHandles())
        {
            if (handle < first) continue;
            if (!list.TryAdd(MaxActData)) break;
            var (timeout, signaled) = tpm.ActGet(handle);
            w.WriteUInt32(handle);
            w.WriteUInt32(timeout);
            w.WriteUInt32(signaled ? 1u : 0u);
        }
    }

    // ---- TPM_CAP_PCRS -------------------------------------------------------------------------

    /// <summary>The current allocation, one TPMS_PCR_SELECTION per implemented bank. Like the
    /// reference, a propertyCount of 0 gets an empty list and moreData YES.</summary>
    static void WritePcrAllocation(Tpm tpm, ref TpmWriter w, ref CapList list)
    {
        var banks = TpmAlgorithms.Hashes;
        if (!list.TryAdd(max: 1)) return;
        list.Count = (uint)banks.Length;
        for (int bank = 0; bank < banks.Length; bank++)
        {
            w.WriteUInt16((ushort)banks[bank]);
            WritePcrBitmap(ref w, tpm.Pcrs.Allocated[bank]);
        }
    }

    static void WritePcrBitmap(ref TpmWriter w, uint pcrs)
    {
        w.WriteUInt8(TpmLimits.PcrSelectMax);
        for (int octet = 0; octet < TpmLimits.PcrSelectMax; octet++) w.WriteUInt8((byte)(pcrs >> (8 * octet)));
    }

    // ---- TPM_CAP_TPM_PROPERTIES ---------------------------------------------------------------

    const uint PtGroup = 0x100;

    /// <summary>The properties of <paramref name="first"/>'s group (fixed or variable) from
    /// <paramref name="first"/> on. As in the reference, a list does not run on from the fixed group
    /// into the variable one: moreData says whether this group has more. Below PT_FIXED starts at PT_FIXED.</summary>
    static void WriteTpmProperties(Tpm tpm, ref TpmWriter w, ref CapList list, uint first)
    {
        if (first < (uint)TpmPt.Fixed) first = (uint)TpmPt.Fixed;
        if (first >= (uint)TpmPt.Var + PtGroup) return;
        uint end = (first / PtGroup + 1) * PtGroup;
        for (uint pt = first; pt < end; pt++)
        {
            if (!TryGetProperty(tpm, (TpmPt)pt, out uint value)) continue;
            if (!list.TryAdd(MaxTpmProperties)) break;
            new TpmsTaggedProperty { Property = (TpmPt)pt, Value = value }.Write(ref w);
        }
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
    static void WritePcrProperties(ref TpmWriter w, ref CapList list, uint first)
    {
        for (uint tag = first; tag <= (uint)TpmPtPcr.Auth; tag++)
        {
            if (!TryGetPcrProperty((TpmPtPcr)tag, out uint pcrs)) continue;
            if (!list.TryAdd(MaxPcrProperties)) break;
            w.WriteUInt32(tag);
            WritePcrBitmap(ref w, pcrs);
        }
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

    static void WriteEccCurves(ref TpmWriter w, ref CapList list, uint first)
    {
        foreach (var curve in ImplementedAlgorithms.EccCurves)
        {
            if ((uint)curve < first) continue;
            if (!list.TryAdd(MaxEccCurves)) break;
            w.WriteUInt16((ushort)curve);
        }
    }

    // ---- TPM_CAP_AUTH_POLICIES ----------------------------------------------------------------

    /// <summary>The permanent handles that have an authPolicy, ascending.</summary>
    static ReadOnlySpan<uint> PolicyHandles =>
        [(uint)TpmRh.Owner, (uint)TpmRh.Lockout, (uint)TpmRh.Endorsement, (uint)TpmRh.Platform];

    static void WriteAuthPolicies(Tpm tpm, ref TpmWriter w, ref CapList list, uint first)
    {
        var persistent = tpm.Persistent;
        foreach (uint handle in PolicyHandles)
        {
            if (handle < first) continue;
            if (!list.TryAdd(MaxTaggedPolicies)) break;
            // platformPolicy is not state yet: empty, like every policy until SetPrimaryPolicy.
            var policy = (TpmRh)handle switch
            {
                TpmRh.Owner => persistent.OwnerPolicy.Span,
                TpmRh.Lockout => persistent.LockoutPolicy.Span,
                TpmRh.Endorsement => persistent.EndorsementPolicy.Span,
                _ => [],
            };
            w.WriteUInt32(handle);
            // The policy's hash is not kept beside the digest yet; the digest size names it.
            var hashAlg = TpmAlgId.Null;
            foreach (var hash in TpmAlgorithms.Hashes)
                if (policy.Length != 0 && TpmAlgorithms.DigestSize(hash) == policy.Length) hashAlg = hash;
            w.WriteUInt16((ushort)hashAlg);
            if (hashAlg != TpmAlgId.Null) w.WriteBytes(policy);
        }
        // The ACTs follow, each with the policy TPM2_SetPrimaryPolicy gave it (the reference lists every
        // permanent handle EntityGetAuthPolicy knows: TPM_ALG_NULL and no digest until one is set).
        if (list.More) return;
        foreach (uint handle in tpm.ActHandles())
        {
            if (handle < first) continue;
            if (!list.TryAdd(MaxTaggedPolicies)) break;
            var actPolicy = tpm.ActPolicy(handle, out var actHash);
            w.WriteUInt32(handle);
            w.WriteUInt16((ushort)actHash);
            if (actHash != TpmAlgId.Null) w.WriteBytes(actPolicy);
        }
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
