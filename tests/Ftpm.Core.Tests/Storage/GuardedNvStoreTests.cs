using System.Security.Cryptography;
using Ftpm.Ports;
using Ftpm.Storage;

namespace Ftpm.Tests.Storage;

/// <summary>The guard layer: integrity (MAC), encryption at rest, rollback detection with an RPMB file.</summary>
public sealed class GuardedNvStoreTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-guard-").FullName;
    readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string StateDir => Path.Combine(_dir, "state");
    string StatePath => Path.Combine(StateDir, FileNvStore.StateFileName);
    string RpmbPath => Path.Combine(_dir, "rpmb.bin");

    /// <summary>A store over the state folder with the given protection; disposes everything it opened.</summary>
    sealed class Opened : IDisposable
    {
        public readonly FileNvStore File;
        public readonly RpmbFile? Rpmb;
        public readonly INvStore Store;

        public Opened(string dir, byte[]? key, string? rpmb)
        {
            File = new FileNvStore(dir);
            try
            {
                Rpmb = rpmb is null ? null : new RpmbFile(rpmb);
                Store = GuardedNvStore.Open(File, new StateGuardOptions { StateKey = key, Rpmb = Rpmb, StateName = "state file X" });
            }
            catch
            {
                Rpmb?.Dispose();
                File.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            (Store as IDisposable)?.Dispose();
            Rpmb?.Dispose();
            File.Dispose();
        }
    }

    Opened Open(bool key = true, bool rpmb = true) => new(StateDir, key ? _key : null, rpmb ? RpmbPath : null);

    StateRefusedException Refused(bool key = true, bool rpmb = true, byte[]? otherKey = null) =>
        Assert.Throws<StateRefusedException>(() => new Opened(StateDir, otherKey ?? (key ? _key : null), rpmb ? RpmbPath : null));

    static readonly byte[] Secret = "the seeds of this TPM"u8.ToArray();

    [Fact]
    public void Records_round_trip_encrypted_and_never_appear_in_clear()
    {
        using (var s = Open())
        {
            s.Store.Commit([new(NvKeys.Persistent, Secret), new(0x01000001, [1, 2, 3])]);
            s.Store.Commit([new(0x01000001, null), new(0x01000002, [4])]);
            Assert.Equal(2ul, s.Store.Load().WriteCounter);
        }
        var file = System.IO.File.ReadAllBytes(StatePath);
        Assert.Equal(-1, file.AsSpan().IndexOf(Secret));
        using (var s = Open())
        {
            var snapshot = s.Store.Load();
            Assert.Equal(2ul, snapshot.WriteCounter);
            Assert.Equal(Secret, snapshot.Records[NvKeys.Persistent]);
            Assert.Equal([4], snapshot.Records[0x01000002]);
            Assert.False(snapshot.Records.ContainsKey(0x01000001));
            Assert.False(snapshot.Records.ContainsKey(GuardedNvStore.HeaderKey));
            Assert.Equal(2ul, s.Rpmb!.Counter);
        }
    }

    [Fact]
    public void Wrong_state_key_is_refused()
    {
        using (var s = Open()) s.Store.Commit([new(1, Secret)]);
        Assert.Contains("state key does not match", Refused(otherKey: RandomNumberGenerator.GetBytes(32)).Message);
    }

    [Fact]
    public void Missing_or_unexpected_keys_are_refused_with_what_to_give()
    {
        using (var s = Open()) s.Store.Commit([new(1, Secret)]);
        Assert.Contains("encrypted at rest: give its key with --state-key", Refused(key: false).Message);
        Assert.Contains("rollback-protected: give its RPMB counter file with --rpmb", Refused(rpmb: false).Message);
        var e = Assert.Throws<StateRefusedException>(() => new Opened(StateDir, null, null));
        Assert.Contains("is protected (encrypted and rollback-protected)", e.Message);
    }

    [Fact]
    public void Unprotected_state_opened_with_keys_is_refused()
    {
        using (var f = new FileNvStore(StateDir)) f.Commit([new(1, [1])]);
        Assert.Contains("unprotected state", Refused().Message);
    }

    [Fact]
    public void A_record_changed_with_a_valid_file_checksum_fails_the_mac()
    {
        using (var s = Open(key: false)) s.Store.Commit([new(1, [1, 2, 3]), new(2, [4])]);
        // Rewrite the file as an attacker who knows the format would: the SHA-256 is right, the MAC is not.
        var (records, counter) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        records[1] = [1, 2, 4];
        System.IO.File.WriteAllBytes(StatePath, FileNvStore.Serialize(records, counter));
        Assert.Contains("failed its integrity check (MAC): it was modified outside ftpm", Refused(key: false).Message);
    }

    /// <summary>A commit MACs only what it changes (the XOR of per-record tags): records the commit did
    /// not touch are still covered, and a key set, removed and set again in one commit counts once.</summary>
    [Fact]
    public void Records_a_commit_did_not_touch_stay_covered_by_the_mac()
    {
        using (var s = Open(key: false))
        {
            s.Store.Commit([new(1, [1, 2, 3]), new(2, [4]), new(3, [5])]);
            s.Store.Commit([new(2, [6]), new(2, null), new(4, [7]), new(2, [8]), new(3, null)]);
        }
        using (var s = Open(key: false))
        {
            var records = s.Store.Load().Records;
            Assert.Equal([1, 2, 3], records[1]);
            Assert.Equal([8], records[2]);
            Assert.Equal([7], records[4]);
            Assert.False(records.ContainsKey(3));
            s.Store.Commit([new(4, [9])]);
        }
        var (stored, counter) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        Assert.Equal("FTPMGRD2"u8.ToArray(), stored[GuardedNvStore.HeaderKey][..8]);
        stored[1] = [1, 2, 4]; // untouched by the last two commits
        System.IO.File.WriteAllBytes(StatePath, FileNvStore.Serialize(stored, counter));
        Assert.Contains("failed its integrity check (MAC): it was modified outside ftpm", Refused(key: false).Message);
    }

    /// <summary>A state written by the first guard format (MAC over every record) still opens, and its
    /// next commit moves it to the current one.</summary>
    [Fact]
    public void A_state_with_the_first_header_format_opens_and_is_rewritten_on_commit()
    {
        using (var s = Open(rpmb: false)) s.Store.Commit([new(1, Secret), new(2, [4])]);
        var (stored, counter) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        stored[GuardedNvStore.HeaderKey] = GuardedNvStore.HeaderV1ForTests(stored, _key);
        System.IO.File.WriteAllBytes(StatePath, FileNvStore.Serialize(stored, counter));
        using (var s = Open(rpmb: false))
        {
            Assert.Equal(Secret, s.Store.Load().Records[1]);
            s.Store.Commit([new(2, [5])]);
        }
        (stored, _) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        Assert.Equal("FTPMGRD2"u8.ToArray(), stored[GuardedNvStore.HeaderKey][..8]);
        using (var s = Open(rpmb: false))
        {
            Assert.Equal(Secret, s.Store.Load().Records[1]);
            Assert.Equal([5], s.Store.Load().Records[2]);
        }
        // A damaged first-format state is still refused.
        (stored, counter) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        stored[GuardedNvStore.HeaderKey] = GuardedNvStore.HeaderV1ForTests(stored, _key);
        stored[2] = stored[1];
        System.IO.File.WriteAllBytes(StatePath, FileNvStore.Serialize(stored, counter));
        Assert.Contains("integrity check (MAC)", Refused(rpmb: false).Message);
    }

    /// <summary>Every field of the file is covered: the write counter (outside the records) is checked
    /// against the MAC'd commit number, here with the file's SHA-256 recomputed.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_write_counter_changed_with_a_valid_file_checksum_is_refused(bool up)
    {
        using (var s = Open(key: true)) { s.Store.Commit([new(1, [1, 2, 3])]); s.Store.Commit([new(2, [4])]); }
        var (records, counter) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        System.IO.File.WriteAllBytes(StatePath, FileNvStore.Serialize(records, up ? counter + 5 : counter - 1));
        Assert.Contains("write counter", Refused(key: true).Message);
        // `ftpm state verify` refuses it too.
        var error = new StringWriter();
        Assert.Equal(1, StateInspector.Verify(StateDir, RpmbPath, _key, TextWriter.Null, error));
        Assert.True(error.ToString().Contains("write counter"), error.ToString());
    }

    [Fact]
    public void Encrypted_records_swapped_between_keys_fail_the_mac()
    {
        using (var s = Open()) s.Store.Commit([new(1, [1]), new(2, [2])]);
        var (records, counter) = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath);
        (records[1], records[2]) = (records[2], records[1]);
        System.IO.File.WriteAllBytes(StatePath, FileNvStore.Serialize(records, counter));
        Assert.Contains("integrity check (MAC)", Refused().Message);
    }

    [Fact]
    public void An_older_state_file_beside_a_newer_counter_is_refused()
    {
        using (var s = Open())
        {
            s.Store.Commit([new(1, [1])]);
            s.Store.Commit([new(1, [2])]);
        }
        var old = System.IO.File.ReadAllBytes(StatePath);
        using (var s = Open())
        {
            s.Store.Commit([new(1, [3])]);
            s.Store.Commit([new(1, [4])]);
        }
        System.IO.File.WriteAllBytes(StatePath, old);
        var e = Refused();
        Assert.Contains("older than its RPMB counter (state commit 2, RPMB counter 4)", e.Message);
        Assert.Contains("rollback", e.Message);
    }

    [Fact]
    public void A_state_one_commit_ahead_of_the_counter_is_a_crash_between_the_two_writes_and_is_accepted()
    {
        using (var s = Open()) s.Store.Commit([new(1, [1])]);
        var rpmbBefore = System.IO.File.ReadAllBytes(RpmbPath);
        using (var s = Open()) s.Store.Commit([new(1, [2])]);
        System.IO.File.WriteAllBytes(RpmbPath, rpmbBefore);         // the counter write was lost
        using (var s = Open())
        {
            Assert.Equal([2], s.Store.Load().Records[1]);
            Assert.Equal(2ul, s.Rpmb!.Counter);                         // caught up
        }
        System.IO.File.WriteAllBytes(RpmbPath, rpmbBefore);
        using (var s = Open()) s.Store.Commit([new(1, [3])]);
        System.IO.File.WriteAllBytes(RpmbPath, rpmbBefore);              // now two behind
        Assert.Contains("ahead of its RPMB counter (state commit 3, RPMB counter 1)", Refused().Message);
    }

    [Fact]
    public void An_emptied_state_beside_a_used_counter_is_refused()
    {
        using (var s = Open()) s.Store.Commit([new(1, [1])]);
        System.IO.File.Delete(StatePath);
        Assert.Contains("is empty but the RPMB counter", Refused().Message);
    }

    [Fact]
    public void Without_a_state_key_the_rpmb_key_macs_the_state_and_another_rpmb_file_is_refused()
    {
        using (var s = Open(key: false)) s.Store.Commit([new(1, Secret)]);
        Assert.NotEqual(-1, System.IO.File.ReadAllBytes(StatePath).AsSpan().IndexOf(Secret));   // not encrypted
        System.IO.File.Delete(RpmbPath);
        Assert.Contains("is not the one", Refused(key: false).Message);
    }

    [Fact]
    public void The_guard_key_is_reserved()
    {
        using var s = Open();
        Assert.Throws<ArgumentException>(() => s.Store.Commit([new(GuardedNvStore.HeaderKey, [1])]));
    }

    [Fact]
    public void A_tpm_on_a_guarded_store_keeps_its_nv_indices()
    {
        using (var s = Open())
        {
            var host = new TpmTestHost(s.Store);
            Commands.Nv.DefineOk(host, 0x01000001, Commands.Nv.OwnerRw, 4);
            Assert.Equal(TpmRc.Success, Commands.Nv.Write(host, 0x01000001, [9, 8, 7, 6]).Rc);
        }
        using (var s = Open())
        {
            var host = new TpmTestHost(s.Store);
            Assert.Equal(new byte[] { 9, 8, 7, 6 }, Commands.Nv.ReadOk(host, 0x01000001, 4));
        }
    }

    [Fact]
    public void Verify_checks_without_touching_the_rpmb_file()
    {
        using (var s = Open()) s.Store.Commit([new(1, [1])]);
        var records = FileNvStore.Parse(System.IO.File.ReadAllBytes(StatePath), StatePath).Item1;
        var (key, counter) = RpmbFile.ReadUnlocked(RpmbPath);
        var (plain, commit) = GuardedNvStore.Verify(records, _key, (key, counter, RpmbPath), "X");
        Assert.Equal([1], plain[1]);
        Assert.Equal(1ul, commit);
        Assert.Throws<StateRefusedException>(() => GuardedNvStore.Verify(records, _key, (key, counter + 2, RpmbPath), "X"));
        Assert.Equal((byte[])[1], GuardedNvStore.Verify(records, _key, (key, counter, RpmbPath), "X").Records[1]);
    }

    // ---- RPMB file and state key ------------------------------------------------------------

    [Fact]
    public void Rpmb_counter_only_moves_forward_and_survives_reopen()
    {
        using (var r = new RpmbFile(RpmbPath))
        {
            Assert.True(r.Created);
            r.Advance(5);
            Assert.Throws<InvalidOperationException>(() => r.Advance(4));
            Assert.Throws<IOException>(() => new RpmbFile(RpmbPath));     // held by this one
        }
        using (var r = new RpmbFile(RpmbPath))
        {
            Assert.False(r.Created);
            Assert.Equal(5ul, r.Counter);
        }
        var bytes = System.IO.File.ReadAllBytes(RpmbPath);
        bytes[50] ^= 1;
        System.IO.File.WriteAllBytes(RpmbPath, bytes);
        Assert.Contains("corrupt", Assert.Throws<InvalidDataException>(() => new RpmbFile(RpmbPath)).Message);
    }

    [Fact]
    public void State_key_comes_from_a_raw_or_hex_file_or_the_environment()
    {
        var raw = Path.Combine(_dir, "raw.key");
        var hex = Path.Combine(_dir, "hex.key");
        var bad = Path.Combine(_dir, "bad.key");
        System.IO.File.WriteAllBytes(raw, _key);
        System.IO.File.WriteAllText(hex, Convert.ToHexString(_key) + "\n");
        System.IO.File.WriteAllText(bad, "abcd");
        Assert.Equal(_key, StateKey.Load(raw, _ => null));
        Assert.Equal(_key, StateKey.Load(hex, _ => null));
        Assert.Equal(_key, StateKey.Load(null, v => v == StateKey.EnvironmentVariable ? Convert.ToHexString(_key) : null));
        Assert.Null(StateKey.Load(null, _ => null));
        Assert.Contains("32-octet key", Assert.Throws<InvalidDataException>(() => StateKey.Load(bad, _ => null)).Message);
        Assert.Throws<InvalidDataException>(() => StateKey.Load(null, _ => "zz"));
    }
}
