using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.Storage;
using Ftpm.Tests.Commands;
using Xunit.Abstractions;

namespace Ftpm.Tests.Storage;

/// <summary>
/// Storage failures are not engine bugs: a command whose commit fails answers TPM_RC_NV_UNAVAILABLE,
/// nothing of it stays in memory, the TPM keeps serving, and the next command after the storage recovers
/// succeeds. Fault injection fails or tears every write, fsync and rename of a commit in turn (NV write,
/// counter increment, dictionary-attack count, EvictControl); after each fault and a restart the state
/// loads, acknowledged data is there and no counter went back. One class: the injector is process-wide.
/// </summary>
public sealed class StorageFaultTests(ITestOutputHelper output) : IDisposable
{
    const uint Owner = (uint)TpmRh.Owner;
    const uint Counter = 0x01500020, Data = 0x01500021, DaIndex = 0x01500022, Persistent = 0x81000010;
    static readonly TpmRc NvUnavailable = (TpmRc)0x923;

    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-fault-").FullName;

    public void Dispose()
    {
        FileNvStore.FaultInjector = null;
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A store that fails every commit while <see cref="Failing"/> is set.</summary>
    sealed class FlakyStore : INvStore
    {
        readonly MemoryNvStore _inner = new();
        public bool Failing;
        public NvSnapshot Load() => _inner.Load();

        public void Commit(IReadOnlyList<NvChange> changes)
        {
            if (Failing) throw new IOException("cannot write the state file X: disk full (no space left on the device)");
            _inner.Commit(changes);
        }
    }

    [Fact]
    public void Failed_commit_fails_the_command_undoes_it_and_the_tpm_keeps_serving()
    {
        var store = new FlakyStore();
        var host = new TpmTestHost(store);
        Nv.DefineOk(host, Data, Nv.OwnerRw, 8);
        Nv.DefineOk(host, Counter, Nv.OwnerRw.WithType(TpmNt.Counter), 8);
        Assert.Equal(TpmRc.Success, Nv.Write(host, Data, [1, 1, 1, 1, 1, 1, 1, 1]).Rc);
        Assert.Equal(TpmRc.Success, Nv.Increment(host, Counter).Rc);
        ulong counter = Nv.ReadCounter(host, Counter);

        store.Failing = true;
        Assert.Equal(NvUnavailable, Nv.Write(host, Data, [2, 2, 2, 2, 2, 2, 2, 2]).Rc);
        Assert.Equal(NvUnavailable, Nv.Increment(host, Counter).Rc);
        Assert.Equal(NvUnavailable, Nv.Define(host, 0x01500030, Nv.OwnerRw, 8).Rc);
        Assert.Equal(NvUnavailable, Nv.Undefine(host, Data).Rc);
        // Nothing of the failed commands is in memory, and reading still works.
        Assert.Equal(new byte[] { 1, 1, 1, 1, 1, 1, 1, 1 }, Nv.ReadOk(host, Data, 8));
        Assert.Equal(counter, Nv.ReadCounter(host, Counter));
        Assert.Equal(TpmRc.Handle.AtHandle(2), Nv.Read(host, 0x01500030, 8).Rc);
        Assert.False(host.Tpm.InFailureMode);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);

        // Space is back: the same commands succeed.
        store.Failing = false;
        Assert.Equal(TpmRc.Success, Nv.Write(host, Data, [2, 2, 2, 2, 2, 2, 2, 2]).Rc);
        Assert.Equal(TpmRc.Success, Nv.Increment(host, Counter).Rc);
        Assert.Equal(counter + 1, Nv.ReadCounter(host, Counter));
        Assert.Equal(new byte[] { 2, 2, 2, 2, 2, 2, 2, 2 }, Nv.ReadOk(host, Data, 8));

        // What memory holds is what the store holds: a power cycle changes nothing.
        var again = new TpmTestHost(store);
        Assert.Equal(counter + 1, Nv.ReadCounter(again, Counter));
        Assert.Equal(new byte[] { 2, 2, 2, 2, 2, 2, 2, 2 }, Nv.ReadOk(again, Data, 8));
    }

    [Fact]
    public void Failed_startup_commit_leaves_the_tpm_waiting_for_startup()
    {
        var store = new FlakyStore();
        var host = new TpmTestHost(store, startup: false);
        store.Failing = true;
        Assert.Equal(NvUnavailable, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
        Assert.Equal(TpmRc.Initialize, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        store.Failing = false;
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
    }

    /// <summary>A counted authorization failure whose commit fails stays counted in memory, and no further
    /// DA-protected authorization is checked until the count is durable (Part 1, 19.8).</summary>
    [Fact]
    public void Failed_dictionary_attack_commit_keeps_the_count_and_refuses_guesses_until_saved()
    {
        var store = new FlakyStore();
        var host = new TpmTestHost(store);
        Nv.DefineOk(host, DaIndex, Nv.AuthRw, 8, auth: [7]);
        store.Failing = true;
        Assert.Equal((TpmRc)0x98E, Nv.Write(host, DaIndex, new byte[8], authHandle: DaIndex, password: [9]).Rc);   // AUTH_FAIL + S1
        Assert.True(host.Tpm.PersistentUnsaved);
        Assert.Equal(NvUnavailable, Nv.Write(host, DaIndex, new byte[8], authHandle: DaIndex, password: [7]).Rc);
        store.Failing = false;
        // Any command carries the unsaved count to the store, then authorizations are checked again.
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        Assert.False(host.Tpm.PersistentUnsaved);
        Assert.Equal(TpmRc.Success, Nv.Write(host, DaIndex, new byte[8], authHandle: DaIndex, password: [7]).Rc);
        Assert.Equal(1u, CapabilityFailedTries(host));
    }

    static uint CapabilityFailedTries(TpmTestHost host)
    {
        // GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_LOCKOUT_COUNTER = 0x20E, 1).
        var r = host.Run(TpmCc.GetCapability, Cmd.Cat(Cmd.U32(6), Cmd.U32(0x20E), Cmd.U32(1)));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(0x20Eu, BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(9)));
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(13));
    }

    // ---- Fault injection in FileNvStore ------------------------------------------------------------

    /// <summary>One faulted operation: its set-up (acknowledged before any fault), the command under
    /// test, and the check after a restart given whether the command was acknowledged.</summary>
    sealed record Operation(string Name, Action<TpmTestHost> Setup, Func<TpmTestHost, TpmRc> Run, TpmRc Success, Action<TpmTestHost, bool> Check);

    static readonly byte[] Old = [1, 2, 3, 4, 5, 6, 7, 8], New = [8, 7, 6, 5, 4, 3, 2, 1];

    static Operation[] Operations() =>
    [
        new("NV_Write",
            h => { Nv.DefineOk(h, Data, Nv.OwnerRw, 8); Assert.Equal(TpmRc.Success, Nv.Write(h, Data, Old).Rc); },
            h => Nv.Write(h, Data, New).Rc, TpmRc.Success,
            (h, acked) =>
            {
                var data = Nv.ReadOk(h, Data, 8);
                if (acked) Assert.Equal(New, data);
                else Assert.True(data.SequenceEqual(Old) || data.SequenceEqual(New));
            }),
        new("NV_Increment",
            h =>
            {
                Nv.DefineOk(h, Counter, Nv.OwnerRw.WithType(TpmNt.Counter), 8);
                Assert.Equal(TpmRc.Success, Nv.Increment(h, Counter).Rc);
                Assert.Equal(TpmRc.Success, Nv.Increment(h, Counter).Rc);
            },
            h => Nv.Increment(h, Counter).Rc, TpmRc.Success,
            (h, acked) =>
            {
                ulong value = Nv.ReadCounter(h, Counter);
                // Two increments were acknowledged in the set-up; the third only if acked.
                Assert.True(value >= (acked ? 3UL : 2UL), $"counter went back to {value}");
            }),
        new("dictionary-attack count",
            h => Nv.DefineOk(h, DaIndex, Nv.AuthRw, 8, auth: [7]),
            h => Nv.Write(h, DaIndex, new byte[8], authHandle: DaIndex, password: [9]).Rc, (TpmRc)0x98E,
            (h, acked) =>
            {
                uint tries = CapabilityFailedTries(h);
                if (acked) Assert.True(tries >= 1, "an answered authorization failure was not counted");
            }),
        new("EvictControl",
            h => { },
            h =>
            {
                uint transient = CreatePrimary(h);
                return h.RunWithPasswords(TpmCc.EvictControl, [Owner, transient], [[]], Cmd.U32(Persistent)).Rc;
            }, TpmRc.Success,
            (h, acked) =>
            {
                var r = h.Run(TpmCc.ReadPublic, null, [Persistent]);
                if (acked) Assert.Equal(TpmRc.Success, r.Rc);
                else Assert.True(r.Rc == TpmRc.Success || r.Rc == TpmRc.Handle.AtHandle(1), $"ReadPublic answered {r.Rc}");
            }),
    ];

    static uint CreatePrimary(TpmTestHost host)
    {
        // An ECC P-256 restricted decryption key (the usual SRK template).
        var template = Convert.FromHexString("0023000B00030472000000060080004300100003001000000000");
        var r = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]],
            Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(template), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_write_point_of_a_commit_can_fail_or_tear_and_acknowledged_state_survives_a_restart(bool tear)
    {
        int faults = 0;
        foreach (var op in Operations())
        {
            for (int point = 0; ; point++)
            {
                string dir = Path.Combine(_dir, $"{op.Name}-{tear}-{point}");
                bool injected = false;
                TpmRc rc;
                var store = new FileNvStore(dir);
                try
                {
                    var host = new TpmTestHost(store);
                    op.Setup(host);
                    int seen = 0;
                    string target = store.Directory;
                    FileNvStore.FaultInjector = (operation, path, length) =>
                    {
                        if (!path.StartsWith(target, StringComparison.Ordinal) || seen++ != point) return length;
                        if (tear && operation == "write") return length / 2;
                        throw new IOException($"injected failure of {operation}");
                    };
                    rc = op.Run(host);
                    bool duringCommand = seen > point;
                    Assert.False(host.Tpm.InFailureMode, $"{op.Name}, fault at point {point}: failure mode");
                    if (duringCommand) Assert.True(rc == op.Success || rc == NvUnavailable, $"{op.Name}, fault at point {point}: answered {rc}");
                    else Assert.Equal(op.Success, rc);
                    // The TPM keeps serving on the same store.
                    Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
                    // No Shutdown; closing the store compacts its journal, whose write points are faulted too.
                    store.Dispose();
                    injected = seen > point;
                }
                finally
                {
                    FileNvStore.FaultInjector = null;
                    store.Dispose();
                }
                // Restart: the state loads, acknowledged data is there, no counter went back.
                using (var reopened = new FileNvStore(dir))
                    op.Check(new TpmTestHost(reopened), rc == op.Success);
                if (!injected) break;
                faults++;
            }
        }
        output.WriteLine($"{faults} faults injected ({(tear ? "torn writes" : "failed calls")})");
        // A commit appends and flushes the journal; closing compacts it (write, fsync, rename, folder
        // fsync of the snapshot, then the journal is emptied).
        Assert.True(faults >= 6 * Operations().Length, $"only {faults} write points were reached");
    }

    // ---- The real thing: a full and a read-only file system --------------------------------------

    [DllImport("libc", SetLastError = true)]
    static extern int mount(string source, string target, string type, ulong flags, string data);

    [DllImport("libc", SetLastError = true)]
    static extern int umount2(string target, int flags);

    const ulong MsRdonly = 1, MsRemount = 32;

    /// <summary>A small tmpfs (root may mount one); skipped, with the reason, where mounting is not allowed.</summary>
    string MountTmpfs(string name, int kib)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "tmpfs tests need Linux");
        string target = Path.Combine(_dir, name);
        Directory.CreateDirectory(target);
        int result = mount("tmpfs", target, "tmpfs", 0, $"size={kib}k,mode=0700");
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (result != 0) output.WriteLine($"SKIPPED: cannot mount a tmpfs (errno {errno}): run as root to test a full disk");
        Skip.If(result != 0, $"cannot mount a tmpfs here (errno {errno}); the full-disk test needs root");
        return target;
    }

    void Unmount(string target) => _ = umount2(target, 2 /* MNT_DETACH */);

    [SkippableFact]
    public void Full_disk_fails_the_command_cleanly_and_the_next_command_after_space_returns_succeeds()
    {
        string mount = MountTmpfs("full", 256);
        try
        {
            string dir = Path.Combine(mount, "state");
            using var store = new FileNvStore(dir);
            var host = new TpmTestHost(store);
            Nv.DefineOk(host, Data, Nv.OwnerRw, 1024);
            var first = RandomNumberGenerator.GetBytes(1024);
            Assert.Equal(TpmRc.Success, Nv.Write(host, Data, first).Rc);

            // Fill the file system.
            string filler = Path.Combine(mount, "filler");
            using (var f = new FileStream(filler, FileMode.Create))
            {
                var block = new byte[4096];
                try { while (true) { f.Write(block); f.Flush(); } }
                catch (IOException) { }
            }
            var second = RandomNumberGenerator.GetBytes(1024);
            Assert.Equal(NvUnavailable, Nv.Write(host, Data, second).Rc);
            Assert.False(host.Tpm.InFailureMode);
            Assert.Equal(first, Nv.ReadOk(host, Data, 1024));

            File.Delete(filler);
            Assert.Equal(TpmRc.Success, Nv.Write(host, Data, second).Rc);
            Assert.Equal(second, Nv.ReadOk(host, Data, 1024));
        }
        finally
        {
            Unmount(mount);
        }
    }

    [SkippableFact]
    public void Storage_errors_name_their_cause()
    {
        string mount = MountTmpfs("ro", 256);
        try
        {
            string dir = Path.Combine(mount, "state");
            using (var store = new FileNvStore(dir))
                store.Commit([new NvChange(1, [1])]);
            // Read-only: the message says so, not "in use by another ftpm".
            Assert.Equal(0, mount_remount(mount, readOnly: true));
            var e = Assert.ThrowsAny<IOException>(() => new FileNvStore(dir));
            Assert.Contains("read-only", e.Message);
            Assert.DoesNotContain("in use", e.Message);
            Assert.Equal(0, mount_remount(mount, readOnly: false));

            // Disk full while committing.
            using var open = new FileNvStore(dir);
            string filler = Path.Combine(mount, "filler");
            using (var f = new FileStream(filler, FileMode.Create))
            {
                try { while (true) { f.Write(new byte[4096]); f.Flush(); } }
                catch (IOException) { }
            }
            var full = Assert.ThrowsAny<IOException>(() => open.Commit([new NvChange(2, new byte[8192])]));
            Assert.Contains("disk full", full.Message);
            Assert.Contains(open.Directory, full.Message);
        }
        finally
        {
            Unmount(mount);
        }
    }

    static int mount_remount(string target, bool readOnly) =>
        mount("tmpfs", target, "tmpfs", MsRemount | (readOnly ? MsRdonly : 0), "size=256k,mode=0700");

    [Fact]
    public void Second_server_is_told_which_process_holds_the_folder()
    {
        using var store = new FileNvStore(Path.Combine(_dir, "locked"));
        var e = Assert.ThrowsAny<IOException>(() => new FileNvStore(Path.Combine(_dir, "locked")));
        Assert.Contains($"locked by process {Environment.ProcessId}", e.Message);
        Assert.Contains("in use by another ftpm", e.Message);
    }

    // ---- Permissions ------------------------------------------------------------------------------

    [DllImport("libc")]
    static extern uint umask(uint mask);

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void State_folder_and_files_are_private_whatever_the_umask()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file modes and umask are POSIX; ftpm's permission checks run on Linux");
        string dir = Path.Combine(_dir, "private", "state");
        uint previous = umask(0);
        try
        {
            using var store = new FileNvStore(dir);
            store.Commit([new NvChange(1, [1])]);
            using var rpmb = new RpmbFile(Path.Combine(_dir, "private", "rpmb.bin"));
        }
        finally
        {
            umask(previous);
        }
        Assert.Equal((UnixFileMode)0x1C0, File.GetUnixFileMode(dir));   // 0700
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(dir, FileNvStore.StateFileName)));   // 0600
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(dir, FileNvStore.LockFileName)));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(_dir, "private", "rpmb.bin")));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(_dir, "private", "rpmb.bin.lock")));
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Group_or_world_writable_folder_or_key_is_refused_and_readable_ones_warned_about()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file modes are POSIX; ftpm's permission checks run on Linux");
        string dir = Path.Combine(_dir, "perm");
        Directory.CreateDirectory(dir);
        string key = Path.Combine(_dir, "key");
        File.WriteAllBytes(key, RandomNumberGenerator.GetBytes(32));

        File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);   // 0777
        File.SetUnixFileMode(key, (UnixFileMode)0x180);
        var findings = StatePermissions.Check(dir, key, encrypted: true);
        Assert.Contains(findings, f => f.Refuse && f.Message.Contains("state folder") && f.Message.Contains("writable by its group and all users"));

        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);   // 0755
        File.SetUnixFileMode(key, (UnixFileMode)0x1B6);   // 0666
        findings = StatePermissions.Check(dir, key, encrypted: true);
        Assert.Contains(findings, f => !f.Refuse && f.Message.Contains("state folder") && f.Message.Contains("readable"));
        Assert.Contains(findings, f => f.Refuse && f.Message.Contains("state key file") && f.Message.Contains("writable"));

        File.SetUnixFileMode(dir, (UnixFileMode)0x1C0);
        File.SetUnixFileMode(key, (UnixFileMode)0x124);   // 0444
        findings = StatePermissions.Check(dir, key, encrypted: true);
        Assert.DoesNotContain(findings, f => f.Refuse);
        Assert.Contains(findings, f => f.Message.Contains("state key file") && f.Message.Contains("decrypt"));

        File.SetUnixFileMode(key, (UnixFileMode)0x180);
        Assert.Empty(StatePermissions.Check(dir, key, encrypted: true));
        Assert.Contains(StatePermissions.Check(dir, null, encrypted: false), f => !f.Refuse && f.Message.Contains("unencrypted"));
    }
}
