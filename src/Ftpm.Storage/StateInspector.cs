using System.Buffers.Binary;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Storage;

/// <summary>
/// `ftpm state show` and `ftpm state verify`: read a state folder without starting a TPM or taking its
/// lock (a commit replaces the file by rename, so a reader always sees a whole state). Show prints what
/// the state holds; verify checks every layer (file checksum, guard MAC and keys, RPMB counter, each
/// record's format) and says what is wrong. Both return a process exit code (0 good, 1 refused).
/// </summary>
public static class StateInspector
{
    /// <summary>Prints hierarchies, persistent objects, NV indices with attributes and sizes, and counters.</summary>
    public static int Show(string directory, byte[]? stateKey, TextWriter output, TextWriter error)
    {
        if (!TryReadFile(directory, error, out var path, out var records, out ulong fileCounter)) return 1;
        output.WriteLine($"state file   {path}");
        output.WriteLine($"commits      {fileCounter}");
        var header = GuardedNvStore.HeaderInfo(records);
        output.WriteLine($"protection   {(header is { } h ? $"{h.Protection} (guard commit {h.Counter})" : "none (SHA-256 checksum only)")}");
        IReadOnlyDictionary<uint, byte[]> plain;
        try
        {
            plain = GuardedNvStore.ReadForDisplay(records, stateKey, $"state file {path}");
        }
        catch (StateRefusedException e)
        {
            error.WriteLine($"ftpm: {e.Message}");
            return 1;
        }
        if (header is not null && stateKey is null)
            output.WriteLine("             (integrity not checked here: run `ftpm state verify` with the RPMB file)");
        try
        {
            Describe(plain, output);
        }
        catch (InvalidDataException e)
        {
            error.WriteLine($"ftpm: state file {path}: {e.Message}");
            return 1;
        }
        return 0;
    }

    /// <summary>Checks the state file, its guard (with the keys given) and every record; prints a summary.</summary>
    public static int Verify(string directory, string? rpmbPath, byte[]? stateKey, TextWriter output, TextWriter error)
    {
        if (!TryReadFile(directory, error, out var path, out var records, out ulong writeCounter)) return 1;
        (byte[] Key, ulong Counter, string Path)? rpmb = null;
        if (rpmbPath is not null)
        {
            try
            {
                var (key, counter) = RpmbFile.ReadUnlocked(rpmbPath);
                rpmb = (key, counter, Path.GetFullPath(rpmbPath));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                error.WriteLine($"ftpm: {e.Message}");
                return 1;
            }
        }
        IReadOnlyDictionary<uint, byte[]> plain;
        ulong commit;
        try
        {
            (plain, commit) = GuardedNvStore.Verify(records, stateKey, rpmb, $"state file {path}", writeCounter);
        }
        catch (StateRefusedException e)
        {
            error.WriteLine($"ftpm: {e.Message}");
            return 1;
        }
        finally
        {
            if (rpmb is { } r) System.Security.Cryptography.CryptographicOperations.ZeroMemory(r.Key);
        }
        try
        {
            Describe(plain, TextWriter.Null);
        }
        catch (InvalidDataException e)
        {
            error.WriteLine($"ftpm: state file {path}: {e.Message}");
            return 1;
        }
        var header = GuardedNvStore.HeaderInfo(records);
        output.WriteLine($"ftpm: state file {path} is good: {plain.Count} records, " +
            (header is { } h ? $"{h.Protection}, commit {commit}" : "unprotected (checksum good)") +
            (rpmb is { } c ? $", RPMB counter {c.Counter}" + (commit == c.Counter + 1 ? " (one behind: it catches up at the next start)" : "") : ""));
        return 0;
    }

    static bool TryReadFile(string directory, TextWriter error, out string path, out IReadOnlyDictionary<uint, byte[]> records, out ulong counter)
    {
        path = Path.Combine(Path.GetFullPath(directory), FileNvStore.StateFileName);
        records = new Dictionary<uint, byte[]>();
        counter = 0;
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"ftpm: state folder {Path.GetFullPath(directory)} does not exist");
            return false;
        }
        if (!File.Exists(path) && !File.Exists(Path.Combine(Path.GetFullPath(directory), FileNvStore.JournalFileName)))
        {
            error.WriteLine($"ftpm: state folder {Path.GetFullPath(directory)} holds no state file ({FileNvStore.StateFileName}): a TPM started there would be manufactured anew");
            return false;
        }
        try
        {
            (var parsed, counter) = FileNvStore.ReadUnlocked(directory);
            records = parsed;
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            error.WriteLine($"ftpm: {e.Message}");
            return false;
        }
    }

    /// <summary>Parses every record the engine wrote and prints it; <see cref="InvalidDataException"/> when one is malformed.</summary>
    internal static void Describe(IReadOnlyDictionary<uint, byte[]> records, TextWriter o)
    {
        // Hierarchies (PersistentData)
        if (records.TryGetValue(NvKeys.Persistent, out var persistentRecord))
        {
            var p = PersistentData.Deserialize(persistentRecord);
            o.WriteLine("hierarchies");
            o.WriteLine($"  manufactured          {(p.Manufactured ? "yes" : "no")}");
            o.WriteLine($"  platform              seed {Octets(p.PlatformSeed)}, proof {Octets(p.PlatformProof)} (platformAuth is volatile)");
            o.WriteLine($"  owner (storage)       seed {Octets(p.StorageSeed)}, proof {Octets(p.StorageProof)}, auth {Set(p.OwnerAuth)}, policy {Policy(p.OwnerPolicy)}");
            o.WriteLine($"  endorsement           seed {Octets(p.EndorsementSeed)}, proof {Octets(p.EndorsementProof)}, auth {Set(p.EndorsementAuth)}, policy {Policy(p.EndorsementPolicy)}");
            o.WriteLine($"  lockout               auth {Set(p.LockoutAuth)}, policy {Policy(p.LockoutPolicy)}");
            o.WriteLine("counters");
            o.WriteLine($"  clock                 {p.Clock} ms");
            o.WriteLine($"  resetCount            {p.ResetCount}");
            o.WriteLine($"  restartCount          {p.RestartCount}");
            o.WriteLine($"  total resets          {p.TotalResetCount}");
            o.WriteLine($"  last shutdown         {(p.OrderlyState & ~PersistentData.StartupLocality3) switch { (ushort)TpmSu.Clear => "orderly, Shutdown(CLEAR)", (ushort)TpmSu.State => "orderly, Shutdown(STATE)", _ => "none (unorderly)" }}");
            o.WriteLine($"  NV max counter        {p.NvMaxCounter} (highest value of a deleted NV counter)");
            o.WriteLine($"  PCR allocation        {string.Join(", ", TpmAlgorithms.Hashes.ToArray().Select((alg, i) => $"{alg.ToString().ToLowerInvariant()}: {System.Numerics.BitOperations.PopCount(p.PcrAllocation[i])} PCRs"))}");
        }
        else
        {
            o.WriteLine("hierarchies           none yet (the TPM is manufactured at its first start)");
        }
        o.WriteLine($"saved state           {(records.ContainsKey(NvKeys.SavedState) ? "present (Shutdown(STATE): the next Startup may be STATE)" : "none")}");

        // Persistent objects (State/PersistentObjects.cs: hierarchy, TPM2B public area, ...): the hierarchy
        // and the public area's type and nameAlg; only the size when the record is of another shape.
        var persistent = records.Keys.Where(k => k >> 24 == (uint)TpmHt.Persistent).Order().ToList();
        o.WriteLine($"persistent objects    {persistent.Count}");
        foreach (uint handle in persistent) o.WriteLine($"  0x{handle:X8}  {DescribeObject(records[handle])}");

        // NV indices
        var indices = records.Keys.Where(NvIndices.IsIndexKey).Order().Select(k => NvIndices.Parse(k, records[k])).ToList();
        int used = indices.Sum(i => NvIndices.IndexOverhead + i.AuthPolicy.Length + i.DataSize);
        o.WriteLine($"NV indices            {indices.Count} ({used} of {NvIndices.Budget} octets of NV used)");
        foreach (var index in indices)
        {
            o.WriteLine($"  0x{index.Handle:X8}  {TypeName(index.Type),-8} {index.DataSize,5} octets  {index.NameAlg.ToString().ToLowerInvariant(),-7} {index.Attributes.Describe()}");
            var details = new List<string>();
            if (index.AuthValue.Length > 0) details.Add("authValue set");
            if (index.AuthPolicy.Length > 0) details.Add($"authPolicy {Convert.ToHexString(index.AuthPolicy).ToLowerInvariant()}");
            if (index.IsWritten)
            {
                switch (index.Type)
                {
                    case TpmNt.Counter: details.Add($"count {index.ReadUInt64()}"); break;
                    case TpmNt.Bits: details.Add($"bits 0x{index.ReadUInt64():x16}"); break;
                    case TpmNt.Extend: details.Add($"digest {Convert.ToHexString(index.Data).ToLowerInvariant()}"); break;
                    case TpmNt.PinFail or TpmNt.PinPass:
                        details.Add($"pinCount {BinaryPrimitives.ReadUInt32BigEndian(index.Data)}, pinLimit {BinaryPrimitives.ReadUInt32BigEndian(index.Data.AsSpan(4))}");
                        break;
                }
            }
            else details.Add("not written");
            if (details.Count > 0) o.WriteLine($"              {string.Join("; ", details)}");
            index.Wipe();
        }

        var other = records.Keys.Where(k => k != NvKeys.Persistent && k != NvKeys.SavedState
            && !NvIndices.IsIndexKey(k) && k >> 24 != (uint)TpmHt.Persistent).Order().ToList();
        if (other.Count > 0)
            o.WriteLine($"other records         {string.Join(", ", other.Select(k => $"0x{k:X8} ({records[k].Length} octets)"))}");
    }

    static string DescribeObject(byte[] record)
    {
        var size = $"{record.Length} octets";
        if (record.Length < 10) return size;
        uint hierarchy = BinaryPrimitives.ReadUInt32BigEndian(record);
        var type = (TpmAlgId)BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(6));
        var nameAlg = (TpmAlgId)BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(8));
        string h = (TpmRh)hierarchy switch
        {
            TpmRh.Owner => "owner",
            TpmRh.Endorsement => "endorsement",
            TpmRh.Platform => "platform",
            _ => $"hierarchy 0x{hierarchy:X8}",
        };
        return $"{h,-11} {type.ToString().ToLowerInvariant(),-9} {nameAlg.ToString().ToLowerInvariant(),-7} {size}";
    }

    static string TypeName(TpmNt type) => type switch
    {
        TpmNt.Ordinary => "ordinary",
        TpmNt.Counter => "counter",
        TpmNt.Bits => "bits",
        TpmNt.Extend => "extend",
        TpmNt.PinFail => "pinfail",
        TpmNt.PinPass => "pinpass",
        _ => $"nt={(int)type}",
    };

    static string Octets(byte[] value) => value.Length == 0 ? "absent" : $"{value.Length} octets";

    static string Set(byte[] value) => value.Length == 0 ? "empty" : "set";

    static string Policy(Tpm2bPolicy policy) => policy.Span.Length == 0 ? "none" : Convert.ToHexString(policy.Span).ToLowerInvariant();
}
