using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>Part 3, 26: TPM2_PP_Commands and TPM2_SetAlgorithmSet.</summary>
public class MiscellaneousTests
{
    const uint Owner = 0x40000001, Platform = 0x4000000C;

    static byte[] Lists(TpmCc[] set, TpmCc[] clear) => Cmd.Cat(
        [Cmd.U32((uint)set.Length), .. set.Select(c => Cmd.U32((uint)c)), Cmd.U32((uint)clear.Length), .. clear.Select(c => Cmd.U32((uint)c))]);

    // Each call sets the clock further ahead: setting it to a time it has already passed is TPM_RC_VALUE,
    // and on a loaded machine a millisecond can pass between two calls.
    static ulong _clockTarget = 1UL << 44;

    static TpmRc ClockSet(TpmTestHost host, uint auth) =>
        host.RunWithPasswords(TpmCc.ClockSet, [auth], [[]], Cmd.U64(Interlocked.Add(ref _clockTarget, 1UL << 30))).Rc;

    /// <summary>The list a new TPM starts with is a fact of the command table (Part 3, 26.2; the reference's
    /// PP_REQUIRED attribute, which PhysicalPresencePreInstall_Init copies into gp.ppList): only
    /// TPM2_PP_Commands, which must also be a command whose PP may be required (PP_COMMAND).</summary>
    [Fact]
    public void The_default_list_comes_from_the_command_table()
    {
        var required = Ftpm.Dispatch.CommandTable.All().ToArray().Where(i => i.PhysicalPresenceRequired).ToArray();
        Assert.Equal([TpmCc.PpCommands], required.Select(i => i.Code));
        Assert.All(required, i => Assert.True(i.PhysicalPresence));
        Assert.Equal(required.Select(i => i.Code), new TpmTestHost().Tpm.Persistent.PpCommands);
    }

    [Fact]
    public void Pp_commands_needs_physical_presence_and_gates_platform_authorization()
    {
        var host = new TpmTestHost();
        var parameters = Lists([TpmCc.ClockSet, TpmCc.GetRandom], []);
        Assert.Equal((TpmRc)0x990, host.RunWithPasswords(TpmCc.PpCommands, [Platform], [[]], parameters).Rc);   // TPM_RC_PP + S1
        host.Platform.PhysicalPresence = true;
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PpCommands, [Platform], [[]], parameters).Rc);
        host.Platform.PhysicalPresence = false;
        // GetRandom has no PP_COMMAND attribute: only ClockSet was added.
        Assert.Equal([TpmCc.ClockSet, TpmCc.PpCommands], host.Tpm.Persistent.PpCommands);
        Assert.Equal((TpmRc)0x990, ClockSet(host, Platform));
        Assert.Equal(TpmRc.Success, ClockSet(host, Owner));                  // only platform authorization is gated
        host.Platform.PhysicalPresence = true;
        Assert.Equal(TpmRc.Success, ClockSet(host, Platform));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PpCommands, [Platform], [[]], Lists([], [TpmCc.ClockSet, TpmCc.PpCommands])).Rc);
        Assert.Equal([TpmCc.PpCommands], host.Tpm.Persistent.PpCommands);   // PP_Commands always needs it
    }

    [Fact]
    public void Set_algorithm_set_is_reported()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetAlgorithmSet, [Platform], [[]], Cmd.U32(7)).Rc);
        Assert.Equal(7u, AuthTestHelpers.Property(host, TpmPt.AlgorithmSet));
        Assert.Equal((TpmRc)0x184, host.RunWithPasswords(TpmCc.SetAlgorithmSet, [Owner], [[]], Cmd.U32(7)).Rc);
    }
}
