using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>Which kind of TPM2_Startup the NV indices see (Part 1, 36: TPM Reset, Restart, Resume).</summary>
internal enum NvStartupType { Reset, Restart, Resume }

/// <summary>
/// One NV index as the engine holds it (Part 1, "NV Memory"): the public area, the authValue
/// and the data. An index is one NV record keyed by its handle. For a TPMA_NV_ORDERLY index the
/// object here plays the part of the reference's RAM copy: data writes stay here (<see cref="Dirty"/>)
/// until TPM2_Shutdown writes them back (Part 1, "NV Memory": orderly indices).
/// </summary>
internal sealed class NvIndex
{
    TpmaNv _attributes;
    byte[] _authPolicy = [];
    byte[]? _name;

    public uint Handle;
    public TpmAlgId NameAlg;
    public ushort DataSize;
    public byte[] AuthValue = [];
    public byte[] Data = [];

    /// <summary>An orderly index whose data changed since its record was last staged.</summary>
    public bool Dirty;

    /// <summary>TPMA_NV. Part of the Name: changing it (TPMA_NV_WRITTEN, the locks) changes the Name.</summary>
    public TpmaNv Attributes
    {
        get => _attributes;
        set { if (_attributes != value) { _attributes = value; _name = null; } }
    }

    public byte[] AuthPolicy
    {
        get => _authPolicy;
        set { _authPolicy = value; _name = null; }
    }

    public TpmNt Type => _attributes.Type();
    public bool IsOrderly => _attributes.Has(TpmaNv.Orderly);
    public bool IsWritten => _attributes.Has(TpmaNv.Written);

    /// <summary>Counters, bit fields and PIN indices hold one UINT64 (Part 2, 13.4 TPM_NT).</summary>
    public bool HoldsUInt64 => Type is TpmNt.Counter or TpmNt.Bits or TpmNt.PinFail or TpmNt.PinPass;

    public TpmsNvPublic Public => new()
    {
        NvIndex = Handle,
        NameAlg = NameAlg,
        Attributes = _attributes,
        AuthPolicy = new Tpm2bDigest { Buffer = _authPolicy },
        DataSize = DataSize,
    };

    /// <summary>The Name (Part 1, 16): nameAlg || H_nameAlg(TPMS_NV_PUBLIC), cached until the public area changes.</summary>
    public byte[] Name(ICrypto crypto)
    {
        if (_name is not null) return _name;
        Span<byte> buffer = stackalloc byte[NvIndices.MaxPublicSize];
        var w = new TpmWriter(buffer);
        Public.Write(ref w);
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = crypto.Hash(NameAlg, w.Written, digest);
        var name = new byte[2 + n];
        BinaryPrimitives.WriteUInt16BigEndian(name, (ushort)NameAlg);
        digest[..n].CopyTo(name.AsSpan(2));
        return _name = name;
    }

    /// <summary>The UINT64 of a counter, bit field or PIN index (big-endian, as NV_Read returns it).</summary>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Data);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Data, value);

    /// <summary>Wipes the secret this index holds.</summary>
    public void Wipe() => CryptographicOperations.ZeroMemory(AuthValue);
}

/// <summary>
/// The NV index table (Part 1, "NV Memory"; the reference's NvDynamic.c): every defined index, the NV
/// budget, and the rules that apply at TPM2_Startup and TPM2_Shutdown. Each change is staged as a
/// record of the running command's NV transaction, so it reaches NV with the command or not at all.
/// </summary>
internal sealed class NvIndices
{
    /// <summary>MAX_NV_INDEX_SIZE: the largest data area of an index.</summary>
    public const int MaxIndexSize = 2048;

    /// <summary>MAX_NV_BUFFER_SIZE: TPM2B_MAX_NV_BUFFER, the most one NV_Read or NV_Write moves.</summary>
    public const int MaxBufferSize = 1024;

    /// <summary>The NV the indices may occupy in all (the reference's NV_MEMORY_SIZE less the
    /// reserved area). Each index costs its data, its policy and <see cref="IndexOverhead"/>.</summary>
    public const int Budget = 64 * 1024;

    /// <summary>The cost of an index beyond its data and policy: handle, public area, the largest
    /// authValue (NV_ChangeAuth may grow it) and the record's framing.</summary>
    public const int IndexOverhead = 96;

    /// <summary>The RAM that holds orderly indices' data between shutdowns (the reference's
    /// RAM_INDEX_SPACE): data plus a 16-octet header per orderly index.</summary>
    public const int OrderlyRamBudget = 8 * 1024;
    const int OrderlyRamHeader = 16;

    /// <summary>MAX_ORDERLY_COUNT (ORDERLY_BITS = 8): an orderly counter reaches NV at least every
    /// 256 increments, and jumps by up to this much after an unorderly shutdown (Part 1, "NV Memory": orderly counters).</summary>
    public const ulong MaxOrderlyCount = 0xFF;

    /// <summary>The largest marshaled TPMS_NV_PUBLIC: handle, nameAlg, attributes, TPM2B_DIGEST, dataSize.</summary>
    public const int MaxPublicSize = 4 + 2 + 4 + 2 + TpmLimits.MaxDigestSize + 2;

    const byte RecordVersion = 1;

    readonly SortedDictionary<uint, NvIndex> _indices = new();
    int _used;
    int _ramUsed;

    public int Count => _indices.Count;

    /// <summary>TPM_PT_NV_COUNTERS: defined counter indices.</summary>
    public int CounterCount
    {
        get
        {
            int n = 0;
            foreach (var index in _indices.Values) if (index.Type == TpmNt.Counter) n++;
            return n;
        }
    }

    /// <summary>TPM_PT_NV_COUNTERS_AVAIL: how many more counters fit (an estimate, Part 2, 6.13).</summary>
    public int CountersAvailable => (Budget - _used) / (IndexOverhead + 8);

    /// <summary>NV bytes the defined indices occupy out of <see cref="Budget"/>.</summary>
    public int BytesUsed => _used;

    public NvIndex? Get(uint handle) => _indices.GetValueOrDefault(handle);

    public IEnumerable<NvIndex> All => _indices.Values;

    /// <summary>Defined handles from <paramref name="first"/> on, ascending (TPM_CAP_HANDLES).</summary>
    public IEnumerable<uint> Handles(uint first)
    {
        foreach (uint handle in _indices.Keys)
            if (handle >= first) yield return handle;
    }

    public static bool IsIndexKey(uint key) => key >> 24 == (uint)TpmHt.NvIndex;

    // ---- Delegations from Tpm.State (handle checks, authorization, names) -------------------

    /// <summary>The handle area check (Part 3, 5.3; the reference's NvIndexIsAccessible): an index that is
    /// not defined is TPM_RC_HANDLE, and so is one whose hierarchy is disabled: an owner index while
    /// shEnable is CLEAR, a platform index (TPMA_NV_PLATFORMCREATE) while phEnableNV is CLEAR.</summary>
    public TpmRc CheckHandle(uint handle, bool shEnable, bool phEnableNv)
    {
        var index = Get(handle);
        if (index is null) return TpmRc.Handle;
        bool enabled = index.Attributes.Has(TpmaNv.PlatformCreate) ? phEnableNv : shEnable;
        return enabled ? TpmRc.Success : TpmRc.Handle;
    }

    public ReadOnlySpan<byte> AuthValueOf(uint handle) => Get(handle)?.AuthValue ?? [];

    public byte[]? NameOf(ICrypto crypto, uint handle) => Get(handle)?.Name(crypto);

    /// <summary>TPMA_NV_NO_DA exempts an index from dictionary-attack protection (Part 1, 19.8.4).</summary>
    public bool IsDaExempt(uint handle) => Get(handle)?.Attributes.Has(TpmaNv.NoDa) ?? true;

    /// <summary>
    /// Whether the index's authValue may authorize the operation (Part 1, 19.7.4; the reference's
    /// IsAuthValueAvailable): for a write TPMA_NV_AUTHWRITE; for a read TPMA_NV_AUTHREAD, or, for a
    /// PIN index, that it is written and pinCount &lt; pinLimit. When false, a password or HMAC
    /// session gets TPM_RC_AUTH_UNAVAILABLE.
    /// </summary>
    public bool IsAuthValueAvailable(uint handle, bool write)
    {
        var index = Get(handle);
        if (index is null) return false;
        var a = index.Attributes;
        if (write) return a.Has(TpmaNv.AuthWrite);
        if (index.Type is TpmNt.PinFail or TpmNt.PinPass)
            return index.IsWritten && PinCount(index) < PinLimit(index);
        return a.Has(TpmaNv.AuthRead);
    }

    /// <summary>Whether the index's authPolicy may authorize the operation (the reference's
    /// IsAuthPolicyAvailable): TPMA_NV_POLICYWRITE / POLICYREAD. When false, a policy session gets
    /// TPM_RC_AUTH_UNAVAILABLE. ADMIN role (NV_ChangeAuth, NV_UndefineSpaceSpecial) always needs policy.</summary>
    public bool IsPolicyAvailable(uint handle, bool write)
    {
        var index = Get(handle);
        if (index is null) return false;
        return index.Attributes.Has(write ? TpmaNv.PolicyWrite : TpmaNv.PolicyRead);
    }

    /// <summary>
    /// For the authorization flow (sessions issue), after an index's authValue was checked (Part 2,
    /// 13.4 TPM_NT_PIN_FAIL / TPM_NT_PIN_PASS; the reference's CheckAuthSession): a written PIN Fail index counts a failure
    /// and is reset by a success; a written PIN Pass index counts each success. The change is staged;
    /// on a failed authorization the dispatcher must commit it even though the command fails (as for
    /// the DA counter).
    /// </summary>
    public bool RecordPinUse(Tpm tpm, uint handle, bool success)
    {
        // Only a written PIN index holds TPMS_NV_PIN_COUNTER_PARAMETERS; any other index may be shorter.
        var index = Get(handle);
        if (index is null || !index.IsWritten || index.Type is not (TpmNt.PinFail or TpmNt.PinPass)) return false;
        if (index.Type == TpmNt.PinPass && !success) return false;
        uint count = index.Type == TpmNt.PinFail && success ? 0 : PinCount(index) + 1;
        BinaryPrimitives.WriteUInt32BigEndian(index.Data, count);
        Stage(tpm, index);
        return true;
    }

    /// <summary>TPM2_Clear (Part 3, 24.6; the reference's NvFlushHierarchy(TPM_RH_OWNER)): removes every
    /// index the owner created (TPMA_NV_PLATFORMCREATE clear). For the hierarchy commands (sessions issue).</summary>
    public void RemoveOwnerIndices(Tpm tpm)
    {
        foreach (var index in _indices.Values.Where(i => !i.Attributes.Has(TpmaNv.PlatformCreate)).ToList())
            Remove(tpm, index);
    }

    /// <summary>TPMS_NV_PIN_COUNTER_PARAMETERS (Part 2, 13.2): pinCount then pinLimit, UINT32 each.</summary>
    public static uint PinCount(NvIndex index) => BinaryPrimitives.ReadUInt32BigEndian(index.Data);

    public static uint PinLimit(NvIndex index) => BinaryPrimitives.ReadUInt32BigEndian(index.Data.AsSpan(4));

    // ---- Life cycle ---------------------------------------------------------------------------

    /// <summary>_TPM_Init: the indices as NV holds them (orderly data as of the last save).</summary>
    public void Load(IReadOnlyDictionary<uint, byte[]> records)
    {
        Clear();
        foreach (var (key, record) in records)
        {
            if (!IsIndexKey(key)) continue;
            var index = Parse(key, record);
            _indices.Add(key, index);
            _used += CostOf(index.DataSize, index.AuthPolicy.Length);
            if (index.IsOrderly) _ramUsed += RamCostOf(index.DataSize);
        }
    }

    /// <summary>Brings one index back to <paramref name="record"/>, its last committed form (null: it did
    /// not exist), after a failed commit. An orderly index keeps the data RAM holds for it: that data is
    /// newer than NV by design and reaches NV at TPM2_Shutdown.</summary>
    public void Restore(uint handle, byte[]? record)
    {
        if (_indices.Remove(handle, out var current))
        {
            _used -= CostOf(current.DataSize, current.AuthPolicy.Length);
            if (current.IsOrderly) _ramUsed -= RamCostOf(current.DataSize);
        }
        if (record is not null)
        {
            var index = Parse(handle, record);
            if (current is not null && current.IsOrderly && index.IsOrderly && index.IsWritten && current.Data.Length == index.Data.Length)
            {
                current.Data.CopyTo(index.Data, 0);
                index.Dirty = true;
            }
            _indices.Add(handle, index);
            _used += CostOf(index.DataSize, index.AuthPolicy.Length);
            if (index.IsOrderly) _ramUsed += RamCostOf(index.DataSize);
        }
        current?.Wipe();
    }

    public void Clear()
    {
        foreach (var index in _indices.Values) index.Wipe();
        _indices.Clear();
        _used = 0;
        _ramUsed = 0;
    }

    static int CostOf(int dataSize, int policySize) => IndexOverhead + policySize + dataSize;

    static int RamCostOf(int dataSize) => OrderlyRamHeader + dataSize;

    /// <summary>Adds a new index (the reference's NvDefineIndex) and stages it. TPM_RC_NV_SPACE when
    /// it does not fit the NV budget, or, for an orderly index, the orderly RAM.</summary>
    public TpmRc Define(Tpm tpm, in TpmsNvPublic publicInfo, ReadOnlySpan<byte> authValue)
    {
        int cost = CostOf(publicInfo.DataSize, publicInfo.AuthPolicy.Buffer.Length);
        if (_used + cost > Budget) return TpmRc.NvSpace;
        bool orderly = publicInfo.Attributes.Has(TpmaNv.Orderly);
        int ramCost = orderly ? RamCostOf(publicInfo.DataSize) : 0;
        if (_ramUsed + ramCost > OrderlyRamBudget) return TpmRc.NvSpace;

        var index = new NvIndex
        {
            Handle = publicInfo.NvIndex,
            NameAlg = publicInfo.NameAlg,
            Attributes = publicInfo.Attributes,
            AuthPolicy = publicInfo.AuthPolicy.Buffer.ToArray(),
            DataSize = publicInfo.DataSize,
            AuthValue = authValue.ToArray(),
            Data = new byte[publicInfo.DataSize],
        };
        _indices.Add(index.Handle, index);
        _used += cost;
        _ramUsed += ramCost;
        Stage(tpm, index);
        return TpmRc.Success;
    }

    /// <summary>Removes an index (the reference's NvDeleteIndex). A written counter's value raises the
    /// highest deleted count, so that a counter defined later starts above it (Part 1, "NV Memory": NV counters).</summary>
    public void Remove(Tpm tpm, NvIndex index)
    {
        if (index.Type == TpmNt.Counter && index.IsWritten && index.ReadUInt64() > tpm.Persistent.NvMaxCounter)
        {
            tpm.Persistent.NvMaxCounter = index.ReadUInt64();
            tpm.StagePersistent();
        }
        _indices.Remove(index.Handle);
        _used -= CostOf(index.DataSize, index.AuthPolicy.Length);
        if (index.IsOrderly) _ramUsed -= RamCostOf(index.DataSize);
        index.Wipe();
        tpm.StageRecord(index.Handle, null);
    }

    /// <summary>
    /// Records a change the running command made to <paramref name="index"/>. The record is staged
    /// (it reaches NV with the command) unless <paramref name="dataOnly"/> and the index is orderly:
    /// then the change stays in RAM until TPM2_Shutdown, and the TPM is no longer orderly (the
    /// reference's g_clearOrderly), so that an orderly counter jumps forward if power is lost.
    /// </summary>
    public void Update(Tpm tpm, NvIndex index, bool dataOnly)
    {
        if (dataOnly && index.IsOrderly)
        {
            index.Dirty = true;
            ClearOrderly(tpm);
            return;
        }
        Stage(tpm, index);
    }

    static void Stage(Tpm tpm, NvIndex index)
    {
        index.Dirty = false;
        tpm.StageRecord(index.Handle, Serialize(index));
    }

    /// <summary>Orderly data now differs from NV: until the next TPM2_Shutdown a power loss is an
    /// unorderly shutdown (matters only when commands follow a Shutdown without a power cycle).</summary>
    internal static void ClearOrderly(Tpm tpm)
    {
        if (tpm.Persistent.OrderlyState == PersistentData.NoOrderlyShutdown) return;
        tpm.Persistent.OrderlyState = PersistentData.NoOrderlyShutdown;
        tpm.StagePersistent();
    }

    /// <summary>
    /// TPM2_Startup's NV rules (Part 1, "NV Memory" and 36; the reference's NvEntityStartup): at TPM Reset
    /// and TPM Restart, READLOCKED is cleared; WRITTEN is cleared for TPMA_NV_CLEAR_STCLEAR indices and,
    /// at TPM Reset, for orderly ones (not for counters, which never go back); WRITELOCKED survives only
    /// on a written TPMA_NV_WRITEDEFINE index. After an unorderly shutdown an orderly counter's low
    /// bits are set, so it is above any value it reached since it was last saved. TPM Resume changes nothing.
    /// </summary>
    public void Startup(Tpm tpm, NvStartupType type, bool previousShutdownOrderly)
    {
        if (type == NvStartupType.Resume) return;
        foreach (var index in _indices.Values)
        {
            var a = index.Attributes & ~TpmaNv.ReadLocked;
            if (index.Type != TpmNt.Counter
                && (a.Has(TpmaNv.ClearStClear) || (a.Has(TpmaNv.Orderly) && type == NvStartupType.Reset)))
                a &= ~TpmaNv.Written;
            if (!a.Has(TpmaNv.Written) || !a.Has(TpmaNv.WriteDefine))
                a &= ~TpmaNv.WriteLocked;
            bool changed = a != index.Attributes;
            index.Attributes = a;

            if (index.IsOrderly && index.Type == TpmNt.Counter && index.IsWritten && !previousShutdownOrderly)
            {
                index.WriteUInt64(index.ReadUInt64() | MaxOrderlyCount);
                changed = true;
            }
            if (!changed) continue;
            // An orderly index's new state stays in RAM: after another power loss the same rules
            // give the same result from the same record.
            if (index.IsOrderly) index.Dirty = true;
            else Stage(tpm, index);
        }
    }

    /// <summary>TPM2_Shutdown: orderly indices' RAM data goes to NV (the reference's NvUpdateIndexOrderlyData).</summary>
    public void Shutdown(Tpm tpm)
    {
        foreach (var index in _indices.Values)
            if (index.Dirty) Stage(tpm, index);
    }

    /// <summary>TPM2_NV_GlobalWriteLock: every TPMA_NV_GLOBALLOCK index becomes write-locked until the next TPM Reset or Restart.</summary>
    public void GlobalLock(Tpm tpm)
    {
        foreach (var index in _indices.Values)
        {
            if (!index.Attributes.Has(TpmaNv.GlobalLock) || index.Attributes.Has(TpmaNv.WriteLocked)) continue;
            index.Attributes |= TpmaNv.WriteLocked;
            Stage(tpm, index);
        }
    }

    // ---- Record format ----------------------------------------------------------------------
    // version (1) | TPMS_NV_PUBLIC | TPM2B authValue | UINT16 size, data

    public static byte[] Serialize(NvIndex index)
    {
        var buffer = new byte[1 + MaxPublicSize + 2 + index.AuthValue.Length + 2 + index.Data.Length];
        var w = new TpmWriter(buffer);
        w.WriteUInt8(RecordVersion);
        index.Public.Write(ref w);
        w.WriteSized(index.AuthValue);
        w.WriteSized(index.Data);
        return w.Written.ToArray();
    }

    /// <summary>Reads a stored index back; <see cref="InvalidDataException"/> when it is malformed.</summary>
    public static NvIndex Parse(uint key, byte[] record)
    {
        var r = new TpmReader(record);
        PersistentData.Check(r.ReadUInt8(out byte version));
        if (version != RecordVersion) throw new InvalidDataException($"NV index 0x{key:X8}: unknown record version {version}");
        PersistentData.Check(TpmsNvPublic.Read(ref r, out var pub));
        if (pub.NvIndex != key) throw new InvalidDataException($"NV index 0x{key:X8}: record names 0x{pub.NvIndex:X8}");
        var auth = PersistentData.ReadArray(ref r);
        var data = PersistentData.ReadArray(ref r);
        if (data.Length != pub.DataSize || r.HasData)
            throw new InvalidDataException($"NV index 0x{key:X8}: data size does not match its public area");
        // The sizes NV_DefineSpace enforces, so that no command meets an index it cannot handle.
        var type = pub.Attributes.Type();
        bool sizeOk = type switch
        {
            TpmNt.Ordinary => true,
            TpmNt.Extend => pub.DataSize == TpmAlgorithms.DigestSize(pub.NameAlg),
            TpmNt.Counter or TpmNt.Bits or TpmNt.PinFail or TpmNt.PinPass => pub.DataSize == 8,
            _ => false,
        };
        if (!sizeOk) throw new InvalidDataException($"NV index 0x{key:X8}: type {type} with {pub.DataSize} octets");
        // The authValue and authPolicy bounds NV_DefineSpace and NV_ChangeAuth enforce (TPM_RC_SIZE):
        // every HMAC keyed by the authValue is sized by them.
        int nameSize = TpmAlgorithms.DigestSize(pub.NameAlg);
        if (auth.Length > nameSize || (pub.AuthPolicy.Buffer.Length != 0 && pub.AuthPolicy.Buffer.Length != nameSize))
            throw new InvalidDataException($"NV index 0x{key:X8}: an authValue of {auth.Length} or an authPolicy of {pub.AuthPolicy.Buffer.Length} octets with a {nameSize}-octet nameAlg");
        return new NvIndex
        {
            Handle = pub.NvIndex,
            NameAlg = pub.NameAlg,
            Attributes = pub.Attributes,
            AuthPolicy = pub.AuthPolicy.Buffer.ToArray(),
            DataSize = pub.DataSize,
            AuthValue = auth,
            Data = data,
        };
    }
}
