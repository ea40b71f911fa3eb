using System.Security.Cryptography;
using Ftpm.Ports;

namespace Ftpm.Tests.Commands;

/// <summary>TPM Reset, Restart and Resume (Part 1, 36) through Startup/Shutdown and power cycles.</summary>
public class StartupTests
{
    static void Extend(TpmTestHost host, int pcr, byte[] digest) =>
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrExtend, [(uint)pcr], [[]],
            Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)TpmAlgId.Sha256), digest)).Rc);

    static byte[] Pcr(TpmTestHost host, int pcr) => host.Run(TpmCc.PcrRead, Cmd.PcrSelection(TpmAlgId.Sha256, pcr)).Body[20..52];

    static (ulong clock, uint resets, uint restarts, byte safe) ClockInfo(TpmTestHost host)
    {
        var b = host.Run(TpmCc.ReadClock).Body;
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(8)),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(16)),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(20)), b[24]);
    }

    static TpmTestHost Restart(TpmTestHost old, TpmSu startup, out TpmRc rc)
    {
        old.Tpm.PowerOff();
        var host = new TpmTestHost(old.Store, startup: false);
        rc = host.Run(TpmCc.Startup, Cmd.U16((ushort)startup)).Rc;
        return host;
    }

    [Fact]
    public void Resume_keeps_pcr_10_and_counts_a_restart()
    {
        var host = new TpmTestHost();
        var digest = SHA256.HashData("x"u8);
        Extend(host, 10, digest);
        Extend(host, 16, digest);
        var before = Pcr(host, 10);
        var (_, resets, _, _) = ClockInfo(host);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State)).Rc);

        host = Restart(host, TpmSu.State, out var rc);
        Assert.Equal(TpmRc.Success, rc);
        Assert.Equal(before, Pcr(host, 10));
        Assert.Equal(new byte[32], Pcr(host, 16));               // not a saved PCR
        var info = ClockInfo(host);
        Assert.Equal(resets, info.resets);
        Assert.Equal(1u, info.restarts);
        Assert.Equal(1, info.safe);
    }

    [Fact]
    public void Restart_with_startup_clear_resets_pcrs_but_not_reset_count()
    {
        var host = new TpmTestHost();
        Extend(host, 10, SHA256.HashData("x"u8));
        var (_, resets, _, _) = ClockInfo(host);
        host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State));
        host = Restart(host, TpmSu.Clear, out var rc);
        Assert.Equal(TpmRc.Success, rc);
        Assert.Equal(new byte[32], Pcr(host, 10));
        Assert.Equal((resets, 1u), (ClockInfo(host).resets, ClockInfo(host).restarts));
    }

    [Fact]
    public void Power_loss_without_shutdown_is_a_reset_and_clock_is_not_safe()
    {
        var host = new TpmTestHost();
        Extend(host, 10, SHA256.HashData("x"u8));
        var (_, resets, _, _) = ClockInfo(host);
        host = Restart(host, TpmSu.State, out var rc);
        Assert.Equal((TpmRc)(0x084 + 0x040 + 0x100), rc);     // no saved state: TPM_RC_VALUE + P1
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Equal(new byte[32], Pcr(host, 10));
        var info = ClockInfo(host);
        Assert.Equal(resets + 1, info.resets);
        Assert.Equal(0u, info.restarts);
        Assert.Equal(0, info.safe);
    }

    [Fact]
    public void Shutdown_clear_then_startup_state_is_value()
    {
        var host = new TpmTestHost();
        host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.Clear));
        host = Restart(host, TpmSu.State, out var rc);
        Assert.Equal((TpmRc)0x1C4, rc);
    }

    [Fact]
    public void Saved_state_is_used_once()
    {
        var host = new TpmTestHost();
        host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State));
        host = Restart(host, TpmSu.State, out var rc);
        Assert.Equal(TpmRc.Success, rc);
        host = Restart(host, TpmSu.State, out rc);
        Assert.Equal((TpmRc)0x1C4, rc);
    }

    [Fact]
    public void Bad_shutdown_type_is_value_at_parameter_1()
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.Shutdown, Cmd.U16(7)).Rc);
        Assert.Equal((TpmRc)0x1C4, new TpmTestHost(startup: false).Run(TpmCc.Startup, Cmd.U16(2)).Rc);
    }

    [Fact]
    public void Power_on_while_on_changes_nothing()
    {
        var host = new TpmTestHost();
        Extend(host, 10, SHA256.HashData("x"u8));
        var before = Pcr(host, 10);
        host.Tpm.PowerOn();
        Assert.Equal(before, Pcr(host, 10));
    }

    [Fact]
    public void Seeds_persist_across_power_cycles()
    {
        var store = new MemoryNvStore();
        var host = new TpmTestHost(store);
        var seed = host.Tpm.Persistent.StorageSeed;
        host.Tpm.PowerOff();
        var again = new TpmTestHost(store);
        Assert.Equal(seed, again.Tpm.Persistent.StorageSeed);
        Assert.Equal(64, seed.Length);
    }

    [Fact]
    public void Hcrtm_measures_into_pcr_0_with_locality_4()
    {
        var host = new TpmTestHost(startup: false);
        host.Tpm.HashStart();
        host.Tpm.HashData("crtm"u8);
        host.Tpm.HashEnd();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        var initial = new byte[32];
        initial[31] = 4;
        Assert.Equal(SHA256.HashData(Cmd.Cat(initial, SHA256.HashData("crtm"u8))), Pcr(host, 0));
    }
}
