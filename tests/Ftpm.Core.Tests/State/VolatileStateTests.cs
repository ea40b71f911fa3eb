using Ftpm.Ports;

namespace Ftpm.Tests.State;

/// <summary>Tpm.SaveVolatileState / RestoreVolatileState: a running TPM continued in another Tpm object
/// over the same store (what a host's volatile state blob carries), and malformed states refused.</summary>
public sealed class VolatileStateTests
{
    static byte[] Pcr16(TpmTestHost host)
    {
        var r = host.Run(TpmCc.PcrRead, Cmd.PcrSelection(TpmAlgId.Sha256, 16));
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.Body;
    }

    static TpmTestHost Extended(MemoryNvStore store)
    {
        var host = new TpmTestHost(store);
        var extend = host.RunWithPasswords(TpmCc.PcrExtend, [16], [[]],
            Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)TpmAlgId.Sha256), Enumerable.Repeat((byte)0x5A, 32).ToArray()));
        Assert.Equal(TpmRc.Success, extend.Rc);
        return host;
    }

    [Fact]
    public void A_restored_tpm_continues_with_its_pcrs_and_needs_no_startup()
    {
        var store = new MemoryNvStore();
        var source = Extended(store);
        byte[] state = source.Tpm.SaveVolatileState();
        byte[] pcr = Pcr16(source);

        var target = new TpmTestHost(store, startup: false);
        Assert.True(target.Tpm.RestoreVolatileState(state));
        Assert.True(target.Tpm.IsStarted);
        Assert.Equal(pcr, Pcr16(target));
        Assert.Equal(TpmRc.Initialize, target.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
    }

    [Fact]
    public void A_state_taken_before_startup_restores_a_tpm_waiting_for_startup()
    {
        var host = new TpmTestHost(startup: false);
        byte[] state = host.Tpm.SaveVolatileState();
        var target = new TpmTestHost(host.Store, startup: false);
        Assert.True(target.Tpm.RestoreVolatileState(state));
        Assert.False(target.Tpm.IsStarted);
        Assert.Equal(TpmRc.Success, target.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("newer version")]
    [InlineData("trailing data")]
    public void A_malformed_state_is_refused_and_the_tpm_is_as_after_tpm_init(string damage)
    {
        var store = new MemoryNvStore();
        byte[] state = Extended(store).Tpm.SaveVolatileState();
        state = damage switch
        {
            "truncated" => state[..(state.Length - 40)],
            "newer version" => [.. state[..4], 0, 2, .. state[6..]],
            _ => [.. state, 0],
        };
        var target = new TpmTestHost(store, startup: false);
        Assert.False(target.Tpm.RestoreVolatileState(state));
        Assert.False(target.Tpm.IsStarted);
        Assert.Equal(TpmRc.Success, target.Run(TpmCc.Startup, Cmd.U16((ushort)TpmSu.Clear)).Rc);
        Assert.Equal(new byte[32], Pcr16(target)[^32..]);
    }

    [Fact]
    public void The_host_key_is_the_same_for_the_same_tpm_and_differs_between_tpms()
    {
        var a = new TpmTestHost();
        var b = new TpmTestHost();
        Span<byte> k1 = stackalloc byte[32], k2 = stackalloc byte[32], k3 = stackalloc byte[32];
        Assert.True(a.Tpm.TryDeriveHostKey(a.Store.Load().Records, "label"u8, k1));
        Assert.True(b.Tpm.TryDeriveHostKey(a.Store.Load().Records, "label"u8, k2));
        Assert.True(a.Tpm.TryDeriveHostKey(b.Store.Load().Records, "label"u8, k3));
        Assert.True(k1.SequenceEqual(k2));
        Assert.False(k1.SequenceEqual(k3));
        Assert.False(a.Tpm.TryDeriveHostKey(new Dictionary<uint, byte[]>(), "label"u8, k1));
    }
}
