using System.Buffers.Binary;
using Ftpm.Dispatch;
using Ftpm.Marshal;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_ReadOnlyControl (Part 3, 24.12, 1.84) and the read-only mode it gives, as the reference's
/// ExecCommand.c (RO_DISALLOW commands refused before anything else), NvReadOnlyModeChecks and
/// TPM2_PolicySecret decide it.</summary>
public sealed class ReadOnlyModeTests
{
    TpmTestHost _host = new();
    const uint Platform = (uint)TpmRh.Platform;
    const uint Owner = (uint)TpmRh.Owner;
    const TpmRc ReadOnly = (TpmRc)0x156;

    Response SetReadOnly(byte state) => _host.RunWithPasswords(TpmCc.ReadOnlyControl, [Platform], [[]], [state]);

    uint StartupClear()
    {
        var r = _host.Run(TpmCc.GetCapability, Cmd.Cat(Cmd.U32((uint)TpmCap.TpmProperties), Cmd.U32((uint)TpmPt.StartupClear), Cmd.U32(1)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return BinaryPrimitives.ReadUInt32BigEndian(r.Body.AsSpan(1 + 4 + 4 + 4));
    }

    Response CreatePrimary(uint hierarchy = Owner, byte[]? password = null) =>
        _host.RunWithPasswords(TpmCc.CreatePrimary, [hierarchy], [password ?? []], Cmd.Cat(
            Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))),
            Cmd.Sized(Convert.FromHexString("0023000B000204720000001000100003001000000000")), Cmd.Sized([]), Cmd.U32(0)));

    [Fact]
    public void RefusesStateChangesAndAllowsTheRest()
    {
        const uint plain = 0x01500020, volatileIndex = 0x01500021;
        Nv.DefineOk(_host, plain, Nv.OwnerRw, 8);
        Nv.DefineOk(_host, volatileIndex, Nv.OwnerRw | TpmaNv.Orderly | TpmaNv.ClearStClear, 8);
        Assert.Equal(TpmRc.Success, Nv.Write(_host, plain, [1]).Rc);
        Assert.Equal(0u, StartupClear() & 0x10);

        Assert.Equal(TpmRc.Success, SetReadOnly(1).Rc);
        Assert.Equal(0x10u, StartupClear() & 0x10);                                       // TPMA_STARTUP_CLEAR readOnly
        // RO_DISALLOW commands: refused before authorization (a wrong password changes nothing).
        Assert.Equal(ReadOnly, CreatePrimary().Rc);
        Assert.Equal(ReadOnly, CreatePrimary(password: "wrong"u8.ToArray()).Rc);
        Assert.Equal(ReadOnly, Nv.Define(_host, 0x01500022, Nv.OwnerRw, 8).Rc);
        Assert.Equal(ReadOnly, Nv.Undefine(_host, plain).Rc);
        Assert.Equal(ReadOnly, Nv.Increment(_host, plain).Rc);
        Assert.Equal(ReadOnly, _host.RunWithPasswords(TpmCc.HierarchyChangeAuth, [Owner], [[]], Cmd.Sized([1])).Rc);
        Assert.Equal(ReadOnly, _host.RunWithPasswords(TpmCc.Clear, [Platform], [[]]).Rc);
        Assert.Equal(ReadOnly, _host.Run(TpmCc.NvDefineSpace2, [1, 2]).Rc);                 // even malformed
        // NV writes and locks: only an ORDERLY and CLEAR_STCLEAR index changes.
        Assert.Equal(ReadOnly, Nv.Write(_host, plain, [2]).Rc);
        Assert.Equal(ReadOnly, _host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, plain], [[]]).Rc);
        Assert.Equal(ReadOnly, _host.RunWithPasswords(TpmCc.NvReadLock, [Owner, plain], [[]]).Rc);
        Assert.Equal(TpmRc.Success, Nv.Write(_host, volatileIndex, [3]).Rc);
        // Reads, random numbers, PCR extends go on; so does ReadOnlyControl itself.
        Assert.Equal([1], Nv.ReadOk(_host, plain, 1));
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.PcrExtend, [16], [[]], Cmd.U32(0)).Rc);
        Assert.Equal(TpmRc.Success, SetReadOnly(1).Rc);

        Assert.Equal(TpmRc.Success, SetReadOnly(0).Rc);
        Assert.Equal(0u, StartupClear() & 0x10);
        Assert.Equal(TpmRc.Success, CreatePrimary().Rc);
        Assert.Equal(TpmRc.Success, Nv.Write(_host, plain, [2]).Rc);
    }

    /// <summary>The commands refused in read-only mode are a fact of the command table: the reference's
    /// RO_DISALLOW set among the commands ftpm implements (FieldUpgradeStart/Data and SetCapability are not).</summary>
    [Fact]
    public void RefusedSetIsTheReferenceSet()
    {
        TpmCc[] expected =
        [
            TpmCc.NvUndefineSpaceSpecial, TpmCc.EvictControl, TpmCc.HierarchyControl, TpmCc.NvUndefineSpace,
            TpmCc.ChangeEPS, TpmCc.ChangePPS, TpmCc.Clear, TpmCc.ClearControl, TpmCc.ClockSet,
            TpmCc.HierarchyChangeAuth, TpmCc.NvDefineSpace, TpmCc.PcrAllocate, TpmCc.PcrSetAuthPolicy,
            TpmCc.PpCommands, TpmCc.SetPrimaryPolicy, TpmCc.ClockRateAdjust, TpmCc.CreatePrimary,
            TpmCc.NvGlobalWriteLock, TpmCc.NvIncrement, TpmCc.DictionaryAttackParameters, TpmCc.NvChangeAuth,
            TpmCc.SetAlgorithmSet, TpmCc.SetCommandCodeAuditStatus, TpmCc.ObjectChangeAuth, TpmCc.Create,
            TpmCc.PcrSetAuthValue, TpmCc.CreateLoaded, TpmCc.NvDefineSpace2,
        ];
        var refused = new List<TpmCc>();
        foreach (var info in CommandTable.All()) if (info.RefusedInReadOnlyMode) refused.Add(info.Code);
        Assert.Equal(expected.Order(), refused.Order());
    }

    [Fact]
    public void PolicySecretWithPinIndexIsRefused()
    {
        const uint pin = 0x01500030;
        var pinPass = Nv.OwnerRw | TpmaNv.AuthRead | TpmaNv.NoDa;
        Nv.DefineOk(_host, pin, pinPass.WithType(TpmNt.PinPass), 8, auth: "pin"u8.ToArray());
        Assert.Equal(TpmRc.Success, Nv.Write(_host, pin, Cmd.Cat(Cmd.U32(0), Cmd.U32(5))).Rc);
        var start = _host.Run(TpmCc.StartAuthSession, Cmd.Cat(Cmd.U32(0x40000007), Cmd.U32(0x40000007),
            Cmd.Sized(new byte[16]), Cmd.Sized([]), [0x01], Cmd.U16(0x0010), Cmd.U16(0x000B)));
        Assert.Equal(TpmRc.Success, start.Rc);
        uint session = BinaryPrimitives.ReadUInt32BigEndian(start.Body);
        Assert.Equal(TpmRc.Success, SetReadOnly(1).Rc);
        var r = _host.RunWithPasswords(TpmCc.PolicySecret, [pin, session], ["pin"u8.ToArray()],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(ReadOnly, r.Rc);
    }

    [Fact]
    public void CodesAndLifetime()
    {
        Assert.Equal((TpmRc)0x1C4, SetReadOnly(2).Rc);                                      // TPM_RC_VALUE + P1 (TPMI_YES_NO)
        Assert.Equal((TpmRc)0x184, _host.RunWithPasswords(TpmCc.ReadOnlyControl, [Owner], [[]], [1]).Rc);   // TPM_RC_VALUE + H1: platform only
        Assert.Equal(TpmRc.Size, _host.RunWithPasswords(TpmCc.ReadOnlyControl, [Platform], [[]], [1, 0]).Rc);

        // State clear data: kept by Shutdown(STATE)/Startup(STATE), gone at a TPM Restart or Reset.
        Assert.Equal(TpmRc.Success, SetReadOnly(1).Rc);
        _host = Nv.Cycle(_host, TpmSu.State, TpmSu.State);
        Assert.Equal(ReadOnly, CreatePrimary().Rc);
        _host = Nv.Cycle(_host, TpmSu.State, TpmSu.Clear);
        Assert.Equal(TpmRc.Success, CreatePrimary().Rc);
        Assert.Equal(TpmRc.Success, SetReadOnly(1).Rc);
        _host = Nv.Cycle(_host, TpmSu.Clear, TpmSu.Clear);
        Assert.Equal(0u, StartupClear() & 0x10);
    }
}
