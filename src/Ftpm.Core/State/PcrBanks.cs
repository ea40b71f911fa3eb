using System.Buffers.Binary;
using Ftpm.Marshal;

namespace Ftpm.State;

/// <summary>
/// The PCRs of every implemented bank (Part 1, 17). A bank is one of <see cref="TpmAlgorithms.Hashes"/>;
/// allocation is a bitmap of PCRs per bank (PCR_Allocate may allocate single PCRs).
/// </summary>
internal sealed class PcrBanks
{
    /// <summary>PCR attributes of the PC Client platform profile (the reference's PCR table):
    /// state saved by Shutdown(STATE), localities that may reset, localities that may extend,
    /// and whether a change leaves pcrUpdateCounter alone.</summary>
    internal readonly record struct PcrAttributes(bool StateSave, byte ResetLocalities, byte ExtendLocalities, bool NoIncrement);

    static readonly PcrAttributes[] Attributes = BuildAttributes();

    static PcrAttributes[] BuildAttributes()
    {
        var a = new PcrAttributes[TpmLimits.PcrCount];
        for (int i = 0; i < 16; i++) a[i] = new(true, 0, 0x1F, false);   // static RTM
        a[16] = new(false, 0x0F, 0x1F, true);                            // debug
        a[17] = new(false, 0x10, 0x1C, false);                           // DRTM, locality 4
        a[18] = new(false, 0x10, 0x1C, false);                           // locality 3
        a[19] = new(false, 0x10, 0x0C, false);                           // locality 2
        a[20] = new(false, 0x14, 0x0E, false);                           // locality 1
        a[21] = new(false, 0x14, 0x04, false);                           // dynamic OS
        a[22] = new(false, 0x14, 0x04, false);                           // dynamic OS
        a[23] = new(false, 0x0F, 0x1F, true);                            // application
        return a;
    }

    public static ReadOnlySpan<TpmAlgId> Hashes => TpmAlgorithms.Hashes;

    public static PcrAttributes AttributesOf(int pcr) => Attributes[pcr];

    readonly byte[][] _values = new byte[TpmAlgorithms.Hashes.Length * TpmLimits.PcrCount][];

    /// <summary>Allocated PCRs per bank: bit n of <c>Allocated[bank]</c> is PCR n.</summary>
    public readonly uint[] Allocated = new uint[TpmAlgorithms.Hashes.Length];

    /// <summary>pcrUpdateCounter (Part 2, TPM2_PCR_Read response).</summary>
    public uint UpdateCounter;

    public PcrBanks()
    {
        for (int b = 0; b < TpmAlgorithms.Hashes.Length; b++)
            for (int p = 0; p < TpmLimits.PcrCount; p++)
                _values[b * TpmLimits.PcrCount + p] = new byte[TpmAlgorithms.DigestSize(TpmAlgorithms.Hashes[b])];
    }

    public bool IsAllocated(int bank, int pcr) => (Allocated[bank] & (1u << pcr)) != 0;

    public byte[] Value(int bank, int pcr) => _values[bank * TpmLimits.PcrCount + pcr];

    /// <summary>Sets every PCR to its initial value at TPM Reset/Restart (Part 1, 17.7; PC Client:
    /// DRTM PCRs 17-22 start as all ones, the others as zeros).</summary>
    public void Initialize(uint[] allocation)
    {
        allocation.CopyTo(Allocated, 0);
        for (int b = 0; b < Allocated.Length; b++)
            for (int p = 0; p < TpmLimits.PcrCount; p++)
                Value(b, p).AsSpan().Fill(Attributes[p].ResetLocalities >= 0x10 ? (byte)0xFF : (byte)0);
        UpdateCounter = 0;
    }

    /// <summary>PCR 0 of every bank ends in the startup locality (Part 1, "Startup Locality"; PC Client:
    /// 3 after Startup at locality 3).</summary>
    public void SetStartupLocality(byte locality)
    {
        for (int b = 0; b < Allocated.Length; b++) Value(b, 0)[^1] = locality;
    }

    /// <summary>PCR := H(PCR || digest) in one bank.</summary>
    public void Extend(Ports.ICrypto crypto, int bank, int pcr, ReadOnlySpan<byte> digest)
    {
        var value = Value(bank, pcr);
        Span<byte> buffer = stackalloc byte[2 * TpmLimits.MaxDigestSize];
        value.CopyTo(buffer);
        digest.CopyTo(buffer[value.Length..]);
        crypto.Hash(TpmAlgorithms.Hashes[bank], buffer[..(value.Length + digest.Length)], value);
    }

    public void Reset(int pcr)
    {
        for (int b = 0; b < Allocated.Length; b++) Value(b, pcr).AsSpan().Clear();
    }

    public void Changed(int pcr)
    {
        if (!Attributes[pcr].NoIncrement) UpdateCounter++;
    }

    /// <summary>Serializes the PCRs that Shutdown(STATE) preserves, with the update counter.</summary>
    public void Save(ref TpmWriter w)
    {
        w.WriteUInt32(UpdateCounter);
        for (int b = 0; b < Allocated.Length; b++)
        {
            w.WriteUInt32(Allocated[b]);
            for (int p = 0; p < TpmLimits.PcrCount; p++)
                if (Attributes[p].StateSave) w.WriteBytes(Value(b, p));
        }
    }

    /// <summary>Whether <paramref name="saved"/> is a record <see cref="Save"/> could have written: its exact
    /// length, and allocations of PCRs that exist.</summary>
    public static bool IsSavedState(ReadOnlySpan<byte> saved)
    {
        int length = 4;
        for (int b = 0; b < TpmAlgorithms.Hashes.Length; b++)
        {
            if (saved.Length < length + 4) return false;
            uint allocated = BinaryPrimitives.ReadUInt32BigEndian(saved[length..]);
            if ((allocated & ~PersistentData.AllPcrs) != 0) return false;
            length += 4;
            for (int p = 0; p < TpmLimits.PcrCount; p++)
                if (Attributes[p].StateSave) length += TpmAlgorithms.DigestSize(TpmAlgorithms.Hashes[b]);
        }
        return saved.Length == length;
    }

    /// <summary>Restores what <see cref="Save"/> wrote (TPM Resume).</summary>
    public void Restore(ref TpmReader r)
    {
        PersistentData.Check(r.ReadUInt32(out UpdateCounter));
        for (int b = 0; b < Allocated.Length; b++)
        {
            PersistentData.Check(r.ReadUInt32(out Allocated[b]));
            for (int p = 0; p < TpmLimits.PcrCount; p++)
            {
                if (!Attributes[p].StateSave) continue;
                PersistentData.Check(r.ReadBytes(Value(b, p).Length, out var v));
                v.Span.CopyTo(Value(b, p));
            }
        }
    }
}
