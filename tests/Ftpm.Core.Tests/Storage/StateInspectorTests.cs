using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Storage;
using Ftpm.Tests.Commands;

namespace Ftpm.Tests.Storage;

/// <summary>`ftpm state show` and `ftpm state verify` over state folders written by a real engine.</summary>
public sealed class StateInspectorTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-inspect-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string StateDir => Path.Combine(_dir, "state");
    string StatePath => Path.Combine(StateDir, FileNvStore.StateFileName);
    string RpmbPath => Path.Combine(_dir, "rpmb.bin");

    /// <summary>A TPM with a counter, an extend index and an unwritten platform index in the folder.</summary>
    void Populate(byte[]? key = null, bool rpmb = false)
    {
        using var file = new FileNvStore(StateDir);
        using var counter = rpmb ? new RpmbFile(RpmbPath) : null;
        var store = GuardedNvStore.Open(file, new StateGuardOptions { StateKey = key, Rpmb = counter });
        var host = new TpmTestHost(store);
        Nv.DefineOk(host, 0x01500001, Nv.OwnerRw.WithType(TpmNt.Counter), 8);
        for (int i = 0; i < 3; i++) Assert.Equal(TpmRc.Success, Nv.Increment(host, 0x01500001).Rc);
        Nv.DefineOk(host, 0x01500002, Nv.OwnerRw.WithType(TpmNt.Extend) | TpmaNv.NoDa, 32, auth: [1]);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvExtend, [Nv.Owner, 0x01500002], [[]], Cmd.Sized("x"u8.ToArray())).Rc);
        Nv.DefineOk(host, 0x01C00001, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate, 100, authHandle: Nv.Platform);
        (store as IDisposable)?.Dispose();
    }

    static (int Code, string Out, string Err) Capture(Func<TextWriter, TextWriter, int> run)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = run(o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Show_lists_hierarchies_indices_and_counters()
    {
        Populate();
        var (code, output, _) = Capture((o, e) => StateInspector.Show(StateDir, null, o, e));
        Assert.Equal(0, code);
        Assert.Contains("protection   none", output);
        Assert.Contains("manufactured          yes", output);
        Assert.Contains("owner (storage)       seed 64 octets", output);
        Assert.Contains("resetCount            1", output);
        Assert.Contains("NV indices            3", output);
        Assert.Contains("0x01500001  counter      8 octets  sha256  ownerwrite|nt=counter|ownerread|written", output);
        Assert.Contains("count 3", output);
        Assert.Contains("0x01500002  extend      32 octets", output);
        Assert.Contains($"digest {Convert.ToHexString(SHA256.HashData([.. new byte[32], .. "x"u8])).ToLowerInvariant()}", output);
        Assert.Contains("authValue set", output);
        Assert.Contains("0x01C00001  ordinary   100 octets  sha256  ppwrite|ppread|platformcreate", output);
        Assert.Contains("not written", output);
        Assert.Contains("persistent objects    0", output);
    }

    [Fact]
    public void Verify_accepts_a_good_state_and_refuses_a_flipped_byte()
    {
        Populate();
        var good = Capture((o, e) => StateInspector.Verify(StateDir, null, null, o, e));
        Assert.Equal(0, good.Code);
        Assert.Contains("is good: 4 records, unprotected", good.Out);

        var bytes = File.ReadAllBytes(StatePath);
        bytes[bytes.Length / 2] ^= 0x80;
        File.WriteAllBytes(StatePath, bytes);
        var bad = Capture((o, e) => StateInspector.Verify(StateDir, null, null, o, e));
        Assert.Equal(1, bad.Code);
        Assert.Contains("corrupt: checksum mismatch", bad.Err);
        Assert.Equal(1, Capture((o, e) => StateInspector.Show(StateDir, null, o, e)).Code);
    }

    [Fact]
    public void Encrypted_state_needs_its_key_to_show_and_verify()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Populate(key, rpmb: true);
        var noKey = Capture((o, e) => StateInspector.Show(StateDir, null, o, e));
        Assert.Equal(1, noKey.Code);
        Assert.Contains("protection   encrypted and rollback-protected", noKey.Out);
        Assert.Contains("give its key with --state-key", noKey.Err);

        var shown = Capture((o, e) => StateInspector.Show(StateDir, key, o, e));
        Assert.Equal(0, shown.Code);
        Assert.Contains("count 3", shown.Out);

        var verified = Capture((o, e) => StateInspector.Verify(StateDir, RpmbPath, key, o, e));
        Assert.Equal(0, verified.Code);
        Assert.Contains("encrypted and rollback-protected", verified.Out);
        Assert.Contains("RPMB counter", verified.Out);

        var wrong = Capture((o, e) => StateInspector.Verify(StateDir, RpmbPath, RandomNumberGenerator.GetBytes(32), o, e));
        Assert.Equal(1, wrong.Code);
        Assert.Contains("state key does not match", wrong.Err);
    }

    [Fact]
    public void Verify_detects_a_rolled_back_state()
    {
        Populate(rpmb: true);
        var old = File.ReadAllBytes(StatePath);
        using (var file = new FileNvStore(StateDir))
        using (var rpmb = new RpmbFile(RpmbPath))
        {
            var store = GuardedNvStore.Open(file, new StateGuardOptions { Rpmb = rpmb });
            store.Commit([new(0x01500009, [1])]);
            (store as IDisposable)?.Dispose();
        }
        File.WriteAllBytes(StatePath, old);
        var r = Capture((o, e) => StateInspector.Verify(StateDir, RpmbPath, null, o, e));
        Assert.Equal(1, r.Code);
        Assert.Contains("older than its RPMB counter", r.Err);
    }

    [Fact]
    public void Missing_folder_or_file_is_reported()
    {
        Assert.Contains("does not exist", Capture((o, e) => StateInspector.Show(Path.Combine(_dir, "none"), null, o, e)).Err);
        Directory.CreateDirectory(StateDir);
        Assert.Contains("holds no state file", Capture((o, e) => StateInspector.Verify(StateDir, null, null, o, e)).Err);
    }
}
