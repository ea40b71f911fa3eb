using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.State;
using Ftpm.Storage;
using Ftpm.Tests.Auth;
using Ftpm.Tests.Commands;

namespace Ftpm.Tests.Storage;

/// <summary>
/// Stored state that is authentic (its checksum or MAC is right) but damaged: the state-loading fuzz harness
/// found records that loaded and then put the TPM into failure mode when a command used them. A damaged record
/// of what Shutdown(STATE) saved is ignored at power-on (Startup(STATE) then fails with TPM_RC_VALUE and
/// Startup(CLEAR) is a TPM Reset, as the reference does when a Resume cannot recover its state); damaged
/// persistent data, NV indices or persistent objects refuse the state at power-on with InvalidDataException.
/// Never failure mode.
/// </summary>
public sealed class DamagedStateTests
{
    static readonly byte[] StartupClear = Cmd.Build(TpmSt.NoSessions, TpmCc.Startup, [], null, Cmd.U16((ushort)TpmSu.Clear));
    static readonly byte[] StartupState = Cmd.Build(TpmSt.NoSessions, TpmCc.Startup, [], null, Cmd.U16((ushort)TpmSu.State));

    /// <summary>fuzz/regressions/state/saved-auth-state-*.bin (state harness, mode 1: the file's SHA-256 is
    /// appended): states whose saved Shutdown(STATE) authorization record was damaged, with more damage in
    /// their persistent data. Startup(CLEAR) threw reading the saved record and entered failure mode. Now the
    /// persistent data is refused at power-on (the outcome wanted); were it to load, the saved state would be
    /// ignored and Startup(CLEAR) would succeed.</summary>
    [Theory]
    [InlineData("saved-auth-state-damaged")]
    [InlineData("saved-auth-state-truncated")]
    public void Fuzzed_state_with_damaged_saved_auth_record_is_refused_or_starts_never_failure_mode(string name)
    {
        var input = Convert.FromHexString(name == "saved-auth-state-damaged" ? Damaged : Truncated);
        byte[] file = (input[0] & 1) != 0 ? [.. input.AsSpan(1), .. SHA256.HashData(input.AsSpan(1))] : input[1..];
        var (records, _) = FileNvStore.Parse(file, "regression");
        Assert.True(records.ContainsKey(NvKeys.SavedAuthState));
        var store = new MemoryNvStore();
        store.Commit([.. records.Select(r => new NvChange(r.Key, r.Value))]);

        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        // Either outcome is wanted: refused at power-on naming what is damaged, or the saved state ignored.
        var refused = Record.Exception(() => tpm.PowerOn());
        if (refused is not null)
        {
            Assert.Contains("persistent data", Assert.IsType<InvalidDataException>(refused).Message);
        }
        else
        {
            Assert.Equal(TpmRc.Value.AtParameter(1), Rc(tpm.Execute(0, StartupState)));
            Assert.Equal(TpmRc.Success, Rc(tpm.Execute(0, StartupClear)));
            Assert.False(tpm.InFailureMode);
        }
    }

    /// <summary>Each saved record damaged in a way the TPM could not have written it, after a real
    /// Shutdown(STATE): the saved state is ignored, so Startup(STATE) is TPM_RC_VALUE (P1) and Startup(CLEAR)
    /// a TPM Reset (resetCount moves on), with nothing of the damaged record in use.</summary>
    [Theory]
    [InlineData("auth record cut short")]
    [InlineData("auth record with trailing data")]
    [InlineData("platformAuth longer than a digest")]
    [InlineData("platformPolicy of no hash")]
    [InlineData("PCR group authValue longer than a digest")]
    [InlineData("audit digest longer than a digest")]
    [InlineData("ACT policy of the wrong size")]
    [InlineData("saved session that is no session")]
    [InlineData("PCR record cut short")]
    [InlineData("PCR record allocating PCR 31")]
    [InlineData("commit record cut short")]
    public void Damaged_saved_state_is_ignored_startup_state_fails_and_clear_is_a_reset(string damage)
    {
        var store = new MemoryNvStore();
        var host = new TpmTestHost(store);
        var tpm = host.Tpm;
        switch (damage)
        {
            case "platformAuth longer than a digest": tpm.PlatformAuth = new byte[100]; break;
            case "platformPolicy of no hash": tpm.PlatformPolicy = new byte[32]; tpm.PlatformPolicyAlg = (TpmAlgId)0x7777; break;
            case "PCR group authValue longer than a digest": tpm.PcrGroupAuth = new byte[65]; break;
            case "audit digest longer than a digest": tpm.CommandAuditDigest = new byte[100]; break;
            case "ACT policy of the wrong size": tpm.ActSetPolicy((uint)TpmRh.Act0, new byte[5], TpmAlgId.Sha256); break;
        }
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State)).Rc);
        uint resetCount = tpm.Persistent.ResetCount;
        var records = store.Load().Records;
        byte[] auth = records[NvKeys.SavedAuthState], pcrs = records[NvKeys.SavedState], commit = records[NvKeys.SavedCommitState];
        switch (damage)
        {
            case "auth record cut short": Replace(store, NvKeys.SavedAuthState, auth[..^3]); break;
            case "auth record with trailing data": Replace(store, NvKeys.SavedAuthState, [.. auth, 0]); break;
            case "saved session that is no session":
                // contextCounter (8), count (2) = 1, handle 0x81000000, sequence 1
                Replace(store, NvKeys.SavedAuthState, [.. auth[..8], 0, 1, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, .. auth[10..]]);
                break;
            case "PCR record cut short": Replace(store, NvKeys.SavedState, pcrs[..^1]); break;
            case "PCR record allocating PCR 31": pcrs[4] |= 0x80; Replace(store, NvKeys.SavedState, pcrs); break;
            case "commit record cut short": Replace(store, NvKeys.SavedCommitState, commit[..^1]); break;
        }

        var again = PowerOn(store);
        Assert.Equal(TpmRc.Value.AtParameter(1), Rc(again.Execute(0, StartupState)));
        Assert.False(again.InFailureMode);
        Assert.Equal(TpmRc.Success, Rc(again.Execute(0, StartupClear)));
        Assert.False(again.InFailureMode);
        Assert.Equal(resetCount + 1, again.Persistent.ResetCount);
        Assert.Empty(again.PlatformAuth);
        Assert.Empty(again.CommandAuditDigest);
    }

    /// <summary>The same Shutdown(STATE) undamaged still resumes: the checks refuse only what the TPM
    /// could not have written (an ACT policy and platform policy set, a saved session context).</summary>
    [Fact]
    public void Undamaged_saved_state_resumes()
    {
        var store = new MemoryNvStore();
        var host = new TpmTestHost(store);
        host.Tpm.ActSetPolicy((uint)TpmRh.Act0, new byte[32], TpmAlgId.Sha256);
        host.Tpm.PlatformAuth = [1, 2, 3];
        var session = SessionClient.Start(host);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ContextSave, handles: [session.Handle]).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State)).Rc);
        var again = PowerOn(store);
        Assert.Equal(TpmRc.Success, Rc(again.Execute(0, StartupState)));
        Assert.Equal([1, 2, 3], again.PlatformAuth);
        Assert.True(again.Sessions.IsSaved(session.Handle));
        Assert.Equal(32, again.ActPolicy((uint)TpmRh.Act0, out var alg).Length);
        Assert.Equal(TpmAlgId.Sha256, alg);
    }

    /// <summary>Persistent data (seeds, hierarchy auths and policies, PCR allocation) that is authentic but
    /// holds what no command could have set: an ownerAuth longer than any digest (an HMAC session would have
    /// thrown sizing its key), a policy whose size is not its hash's, an allocation of PCRs that do not exist.
    /// The state is refused at power-on, naming what is wrong.</summary>
    [Theory]
    [InlineData("ownerAuth", "ownerAuth")]
    [InlineData("lockoutAuth", "lockoutAuth")]
    [InlineData("ownerPolicy", "ownerPolicy")]
    [InlineData("PCR group policy", "PCR group policy")]
    [InlineData("PCR allocation", "PCR allocation")]
    public void Damaged_persistent_data_is_refused_at_power_on(string damage, string named)
    {
        var store = new MemoryNvStore();
        _ = new TpmTestHost(store);
        var p = PersistentData.Deserialize(store.Load().Records[NvKeys.Persistent]);
        switch (damage)
        {
            case "ownerAuth": p.OwnerAuth = new byte[100]; break;
            case "lockoutAuth": p.LockoutAuth = new byte[65]; break;
            case "ownerPolicy": p.OwnerPolicy = new(new byte[20]); p.OwnerPolicyAlg = TpmAlgId.Sha256; break;
            case "PCR group policy": p.PcrPolicy = new byte[32]; p.PcrPolicyAlg = TpmAlgId.Null; break;
            case "PCR allocation": p.PcrAllocation[1] = 0x01000000 | PersistentData.AllPcrs; break;
        }
        Replace(store, NvKeys.Persistent, p.Serialize());
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        var e = Assert.Throws<InvalidDataException>(tpm.PowerOn);
        Assert.Contains(named, e.Message);
    }

    /// <summary>An NV index record with an authValue longer than its nameAlg's digest (NV_DefineSpace and
    /// NV_ChangeAuth refuse that with TPM_RC_SIZE) or an authPolicy of another size: refused at power-on.</summary>
    [Theory]
    [InlineData(100, 0)]
    [InlineData(33, 0)]
    [InlineData(0, 20)]
    public void Damaged_nv_index_is_refused_at_power_on(int authSize, int policySize)
    {
        var store = new MemoryNvStore();
        var host = new TpmTestHost(store);
        Nv.DefineOk(host, Nv.Idx, Nv.AuthRw, 8);
        var index = NvIndices.Parse(Nv.Idx, store.Load().Records[Nv.Idx]);
        index.AuthValue = new byte[authSize];
        index.AuthPolicy = new byte[policySize];
        Replace(store, Nv.Idx, NvIndices.Serialize(index));
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        var e = Assert.Throws<InvalidDataException>(tpm.PowerOn);
        Assert.Contains($"{Nv.Idx:X8}", e.Message);
    }

    static Tpm PowerOn(INvStore store)
    {
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        tpm.PowerOn();
        return tpm;
    }

    static void Replace(INvStore store, uint key, byte[] data) => store.Commit([new NvChange(key, data)]);

    static TpmRc Rc(byte[] response) => (TpmRc)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));

    const string Damaged =
            "034654504d4e56000000000001000000000000001c00000003000000010000020f4654504d00010040f48ee51e267b30a2a55506e55cc35c918c6f28" +
            "694270cf9617e544c397bbc64a464f4af88258c4da63e3e4b697a8abe49a78db66c2f6260b762af609017873410040ebf2f0fd5c29166dc5d26ea93b" +
            "ca653cd2a21e63ef6a8622422fd0178c32c84c2fb10ede6b78de46258fc7954b025732ebb84f45e9fdfb0c9f03de533257ab690040830364057a72d1" +
            "b1e096bf084778d0dda1d1afe54b4328ef23e3e5b5aa7837346fa301d12429b6a62b480b72bff27f7f49f4dd24e22346c2c83571c6abdd0276000000" +
            "0000000100000000000041ddf5c2fdbf299ad6010000000000000003000003e8f00003e80100fd0fffffff00ffffff00ffffff004094fd532186f701" +
            "df8a7063a5a27d5ee5132e010191b0f5c0cbc439b57e1d917e4f000000000000001c00000003000000010000020f465421bef27cbcd4fd62a20040f8" +
            "ff96c3385b03e8c92e93488681829c4f62ef25d88026c839658ad458a4e4ff7f208fb80f231faf2a53af52a87f671bc37e6aa4ead54d5b7ce48fff6c" +
            "729f0900406f6b7c30f5b1164ecd3351fb25feee880267630d0b09b1df515ef79587e96ec8fd5cba527b90b62ad3e8dd3294990bafaf75cd98b4a2cb" +
            "0000000000032f00000000000000000000000000000001000000ffffff00001000100000000000000001000b00000000000000010002000001400000" +
            "017b0000001000010005012d0000000000000000000000030000007700000000005f001491000040bb300672b590350aec9461bb117c1930333b6e3f" +
            "360b7fbc9f047d984fdf9c50e868273ca576270662698568134cd78d51b7c2f0358b8244fe01671543a2cdea070000000000100020294d372d46fb48" +
            "2545746dce8b2573bd4290c2a37978b1abbcbd0e4cd41a9cac000000000002000000386a2f4b7a0e3051f1d435aa736528ea436418a1dbc28b9db23a" +
            "2eb108b85afe4f000000000000000000000000000000000000000000000000";

    const string Truncated =
            "214654504d4e56000000000001000000000000001c00000003000000010000020f4654504d00010040f48ee51e267b30a2a55506e55cc35c918c6f28" +
            "694270cf9617e544c397cec64a464f4af88258c4da63e3e4b697a8abe49a78db66c2f6260b762af609017873410040ebf2f0fd5c29166dc5d26ea93b" +
            "ca653cd2a21e63ef6a8622422fd0178c32c84c2fb10ede6b78de46258fc7954b025732ebb84f45e9fdfb0c9f03de533257ab690040830364057a72d1" +
            "b1e096bf084778d0dda1d1afe54b4328ef23e3e5b5aa7837346fa301d12429b6a62b480b72bff27f7f4a0ddd24e22346c2c83571c6abdd0276000001" +
            "0000000100000000000041ddf5c2fdbf299ad6010000000000000003000003e8f00003e80100fd0fffffff00ffffff00ffffff004094fd532186f701" +
            "df8a7063a5a27d5ee5132e010191b0f5c0cbc439b57e1d917e4f000000000000641c0000000b000000010000020f465421bef27cbcd4fd62a20040f8" +
            "ff96c3385b03e8c92e93488681829c4f62ef25d88026c839658ad458a4e4ff7f208fb80f231faf2a53af52a87f671bc37e6aa4ead54d5b7ce48fff6c" +
            "729f0900406f6b7c30f5b1164ecd3351fb25feee880267630d0b09b1df515ef79595e96ec8fd5cba527b90b62ad3e8dd3294990bafaf75cd98b4a2cb" +
            "0000000000032f00000000000000000000000000000001000000ffffff00001000100000000080000001000b000000000000000100020000ff7f0000" +
            "017b0000001000010005012d20000000000000000000000300000077000000000000001400000040bb300672b590350aec9461bb117c1930333b6e3f" +
            "360b7fbc9f047d984fdf9c50e868273ca576270662698568134cd78d51b7c2f0358b8244fe01671543a2cdea0700eb000000100020294d372d46fb48" +
            "2545746dce8b2573bd4290c2a37978b1abbcbd0e4cd41a9cac000000000002000000386a2f4b7a0e3051f1d435aa736528ea436418a1dbc28b9db23a" +
            "2eb108b85afe4f000000000000000000000000000000000000000000000000";
}
