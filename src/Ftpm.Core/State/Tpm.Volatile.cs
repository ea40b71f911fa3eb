using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm;

// The running TPM's volatile state as one record, for hosts that move a running TPM to another process
// or host, or keep it across a restart of their own (swtpm's volatile state blob, CMD_STORE_VOLATILE,
// QEMU's live migration). It holds what a TPM Resume would bring back (Part 1, 36.5) and more: every
// PCR (not only those Shutdown(STATE) preserves), the session table, the null proof, the hierarchy
// enables, platformAuth and platformPolicy, the audit digest, the commit state. Not carried: loaded
// transient objects and loaded sessions (a resource manager saves its contexts; the kernel's does), the
// H-CRTM measurement in progress, and the RAM copies of orderly NV indices and their stClear locks.
public sealed partial class Tpm
{
    const uint VolatileMagic = 0x46564F4C; // "FVOL"
    const ushort VolatileVersion = 1;
    const byte VolatileStarted = 1, VolatileHcrtmSeen = 2;

    /// <summary>The volatile state of the running TPM (<see cref="RestoreVolatileState"/> brings it back
    /// after a <see cref="PowerOn"/>). Secret: it holds the null proof and platformAuth.</summary>
    /// <exception cref="InvalidOperationException">The TPM is powered off.</exception>
    public byte[] SaveVolatileState()
    {
        if (!_poweredOn) throw new InvalidOperationException("the TPM is powered off");
        byte[] auth = _started ? AuthStateRecord() : [];
        byte[] commit = _started ? CommitStateRecord() : [];
        int pcrSize = 4 + TpmAlgorithms.Hashes.Length * (4 + TpmLimits.PcrCount * TpmLimits.MaxDigestSize);
        var buffer = new byte[4 + 2 + 1 + pcrSize + 2 + auth.Length + 2 + commit.Length];
        var w = new TpmWriter(buffer);
        w.WriteUInt32(VolatileMagic);
        w.WriteUInt16(VolatileVersion);
        w.WriteUInt8((byte)((_started ? VolatileStarted : 0) | (_hcrtmSeen ? VolatileHcrtmSeen : 0)));
        if (_started)
        {
            w.WriteUInt32(Pcrs.UpdateCounter);
            for (int b = 0; b < TpmAlgorithms.Hashes.Length; b++)
            {
                w.WriteUInt32(Pcrs.Allocated[b]);
                for (int p = 0; p < TpmLimits.PcrCount; p++) w.WriteBytes(Pcrs.Value(b, p));
            }
            w.WriteSized(auth);
            w.WriteSized(commit);
        }
        var state = w.Written.ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(auth);
        CryptographicOperations.ZeroMemory(commit);
        return state;
    }

    /// <summary>Right after <see cref="PowerOn"/> (before any command): continues from a state
    /// <see cref="SaveVolatileState"/> wrote, as if the TPM had never stopped. False if
    /// <paramref name="state"/> is not such a record; the TPM is then as after a plain _TPM_Init.</summary>
    public bool RestoreVolatileState(ReadOnlySpan<byte> state)
    {
        if (!_poweredOn || _started) return false;
        try
        {
            var r = new TpmReader(state.ToArray());
            PersistentData.Check(r.ReadUInt32(out uint magic));
            PersistentData.Check(r.ReadUInt16(out ushort version));
            if (magic != VolatileMagic || version != VolatileVersion) return false;
            PersistentData.Check(r.ReadUInt8(out byte flags));
            _hcrtmSeen = (flags & VolatileHcrtmSeen) != 0;
            if ((flags & VolatileStarted) == 0) return !r.HasData;

            PersistentData.Check(r.ReadUInt32(out uint counter));
            var allocation = new uint[TpmAlgorithms.Hashes.Length];
            var values = new ReadOnlyMemory<byte>[TpmAlgorithms.Hashes.Length, TpmLimits.PcrCount];
            for (int b = 0; b < allocation.Length; b++)
            {
                PersistentData.Check(r.ReadUInt32(out allocation[b]));
                for (int p = 0; p < TpmLimits.PcrCount; p++)
                    PersistentData.Check(r.ReadBytes(TpmAlgorithms.DigestSize(TpmAlgorithms.Hashes[b]), out values[b, p]));
            }
            byte[] auth = PersistentData.ReadArray(ref r);
            byte[] commit = PersistentData.ReadArray(ref r);
            if (r.HasData) throw new InvalidDataException("volatile state: trailing data");

            Pcrs.Initialize(allocation);
            for (int b = 0; b < allocation.Length; b++)
                for (int p = 0; p < TpmLimits.PcrCount; p++) values[b, p].Span.CopyTo(Pcrs.Value(b, p));
            Pcrs.UpdateCounter = counter;
            Sessions.Clear();
            CommandAuditDigest = [];
            PhEnable = true;
            ReadAuthState(auth, resume: true);
            if (!RestoreCommitState(commit)) throw new InvalidDataException("volatile state: commit record");
            CryptographicOperations.ZeroMemory(auth);
            _started = true;
            return true;
        }
        catch (InvalidDataException)
        {
            // Back to a plain _TPM_Init: nothing half-restored survives.
            PowerOff();
            PowerOn();
            return false;
        }
    }

    /// <summary>A key for a host to protect state it moves or keeps outside the NV store (state blobs):
    /// HMAC-SHA256 keyed by the platform proof (changed only by TPM2_ChangePPS) over
    /// <paramref name="label"/>, read from <paramref name="records"/> (an NV snapshot or a blob's records).
    /// False if they hold no persistent data.</summary>
    public bool TryDeriveHostKey(IReadOnlyDictionary<uint, byte[]> records, ReadOnlySpan<byte> label, Span<byte> key)
    {
        if (key.Length != 32 || !records.TryGetValue(NvKeys.Persistent, out var data)) return false;
        PersistentData persistent;
        try
        {
            persistent = PersistentData.Deserialize(data);
        }
        catch (InvalidDataException)
        {
            return false;
        }
        if (persistent.PlatformProof.Length == 0) return false;
        _crypto.Hmac(TpmAlgId.Sha256, persistent.PlatformProof, label, key);
        return true;
    }
}
