using Ftpm.Ports;

namespace Ftpm.Tests.Dispatch;

/// <summary>The dispatcher's order of checks and its codes (Part 3, 5).</summary>
public class DispatchTests
{
    static readonly byte[] GetRandom8 = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8];

    /// <summary>Every command family's table is complete when the dispatcher first reads it. Static field
    /// initializers of a partial class's files run in an order the compiler picks, so a table that used a
    /// static field of another partial file could see it still at its default: a null body, or a
    /// HandleSpec whose kinds are None (every handle would then fail with TPM_RC_VALUE).</summary>
    [Fact]
    public void Every_command_entry_is_complete()
    {
        var all = Ftpm.Dispatch.CommandTable.All().ToArray();
        Assert.True(all.Length > 100);
        foreach (var info in all)
        {
            Assert.NotNull(info);
            Assert.Same(info, Ftpm.Dispatch.CommandTable.Find(info.Code));
            var body = info.GetType().GetProperty("Body")!.GetValue(info);
            Assert.True(body is Delegate, $"{info.Code}: no body");
            Assert.NotNull(info.Handles);
            Assert.True(info.Handles.Length <= 3, $"{info.Code}: {info.Handles.Length} handles");
            foreach (var h in info.Handles)
                Assert.True(h.Kinds != Ftpm.Dispatch.HandleKinds.None, $"{info.Code}: a handle that accepts nothing");
        }
    }

    [Fact]
    public void Commands_before_startup_get_initialize()
    {
        var host = new TpmTestHost(startup: false);
        Assert.Equal(TpmRc.Initialize, host.Send(GetRandom8).Rc);
    }

    [Fact]
    public void Startup_twice_gets_initialize()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Initialize, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
    }

    [Fact]
    public void Tag_that_is_a_TPM_ST_but_no_command_tag_is_bad_tag()
    {
        var host = new TpmTestHost();
        byte[] cmd = [.. GetRandom8];
        cmd[0] = 0x80; cmd[1] = 0x14; // TPM_ST_ATTEST_NV
        var r = host.Send(cmd);
        Assert.Equal(TpmRc.BadTag, r.Rc);
        Assert.Equal(TpmSt.NoSessions, r.Tag);
        Assert.Equal(10u, r.Size);
    }

    /// <summary>Part 3, 5.2: the tag is unmarshaled as a TPMI_ST_COMMAND_TAG, and anything but
    /// TPM_ST_SESSIONS / TPM_ST_NO_SESSIONS is TPM_RC_BAD_TAG. TPM_ST's own table has no value check
    /// (the TCG reference's TPM_ST_Unmarshal is a plain UINT16), so a value that is no TPM_ST at all is
    /// TPM_RC_BAD_TAG too; libtpms 0.9 alone answers TPM_RC_VALUE for it.</summary>
    [Theory]
    [InlineData(0x1234)]
    [InlineData(0x0000)]
    [InlineData(0x8003)]
    [InlineData(0xFFFF)]
    public void Tag_that_is_no_TPM_ST_is_bad_tag(int tag)
    {
        var host = new TpmTestHost();
        byte[] cmd = [.. GetRandom8];
        cmd[0] = (byte)(tag >> 8); cmd[1] = (byte)tag;
        var r = host.Send(cmd);
        Assert.Equal(TpmRc.BadTag, r.Rc);
        Assert.Equal(TpmSt.NoSessions, r.Tag);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(9000)]
    public void Size_field_not_matching_is_command_size(int declared)
    {
        var host = new TpmTestHost();
        byte[] cmd = [.. GetRandom8];
        cmd[4] = (byte)(declared >> 8); cmd[5] = (byte)declared;
        Assert.Equal((TpmRc)0x142, host.Send(cmd).Rc);
    }

    [Fact]
    public void Truncated_header_is_insufficient()
    {
        // as libtpms answers (checked against swtpm 0.7.1)
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x09A, host.Send([0x80, 0x01, 0, 0, 0, 6]).Rc);
        Assert.Equal((TpmRc)0x09A, host.Send([0x80]).Rc);
        Assert.Equal((TpmRc)0x09A, host.Send([]).Rc);
    }

    [Fact]
    public void Oversized_command_is_command_size()
    {
        var host = new TpmTestHost();
        var big = new byte[TpmLimits.MaxCommandSize + 1];
        Assert.Equal(TpmRc.CommandSize, host.Send(big).Rc);
    }

    [Theory]
    [InlineData(0x00000123u)] // unassigned
    [InlineData(0x0000011Eu)] // below TPM_CC_FIRST
    [InlineData(0x20000001u)] // vendor, not Vendor_TCG_Test
    [InlineData(0x20000123u)] // a library code with the vendor bit
    [InlineData(0x0000012Fu)] // FieldUpgradeStart: not implemented
    public void Unknown_command_code_is_command_code(uint code)
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x143, host.Run((TpmCc)code).Rc);
    }

    [Fact]
    public void Leftover_parameter_bytes_are_size()
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0x095, host.Run(TpmCc.GetRandom, Cmd.Cat(Cmd.U16(8), [0])).Rc);
    }

    [Fact]
    public void Short_parameters_are_insufficient_numbered()
    {
        var host = new TpmTestHost();
        // GetRandom's bytesRequested cut short: TPM_RC_INSUFFICIENT + P + 1
        Assert.Equal((TpmRc)(0x09A + 0x040 + 0x100), host.Run(TpmCc.GetRandom, [0]).Rc);
    }

    [Fact]
    public void Handle_of_wrong_kind_is_value_at_handle()
    {
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.PcrReset, [0x40000001], [[]]);
        Assert.Equal((TpmRc)(0x084 + 0x100), r.Rc); // TPM_RC_VALUE + H1
        r = host.RunWithPasswords(TpmCc.PcrReset, [24], [[]]);   // PCR 24 does not exist
        Assert.Equal((TpmRc)(0x084 + 0x100), r.Rc);
    }

    [Fact]
    public void Missing_handle_is_insufficient_at_handle()
    {
        var host = new TpmTestHost();
        var r = host.Send(Cmd.Build(TpmSt.NoSessions, TpmCc.PcrReset, [], null, [0, 0]));
        Assert.Equal((TpmRc)(0x09A + 0x100), r.Rc);
    }

    [Fact]
    public void Transient_handle_not_loaded_is_reference_h0_plus_n()
    {
        // The reference's EntityGetLoadStatus: a warning a resource manager acts on, numbered by position.
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.SequenceUpdate, [0x80000000], [[]], Cmd.Sized([1]));
        Assert.Equal((TpmRc)0x910, r.Rc); // TPM_RC_REFERENCE_H0
        var primary = host.RunWithPasswords(TpmCc.CreatePrimary, [(uint)TpmRh.Owner], [[]], Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))),
            Cmd.Sized(Cmd.Cat(Cmd.U16((ushort)TpmAlgId.KeyedHash), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(0x00040072), Cmd.Sized([]),
                Cmd.U16((ushort)TpmAlgId.Hmac), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.Sized([]))), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, primary.Rc);
        uint key = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(primary.Body);
        // Object handle 2 of ObjectChangeAuth not loaded: TPM_RC_REFERENCE_H1 (0x911).
        var second = host.RunWithPasswords(TpmCc.ObjectChangeAuth, [key, 0x80000002], [[]], Cmd.Sized([]));
        Assert.Equal((TpmRc)0x911, second.Rc);
        // A handle of the wrong kind is found before an unloaded one: handle 2 is checked by kind first
        // (the reference's ParseHandleBuffer, then EntityGetLoadStatus): TPM_RC_VALUE + H2.
        var kinds = host.RunWithPasswords(TpmCc.ObjectChangeAuth, [0x80000002, 0x40000001], [[]], Cmd.Sized([]));
        Assert.Equal(TpmRc.Value.AtHandle(2), kinds.Rc);
        // A transient handle past MAX_LOADED_OBJECTS is no TPMI_DH_OBJECT: TPM_RC_VALUE + H1.
        Assert.Equal(TpmRc.Value.AtHandle(1), host.RunWithPasswords(TpmCc.SequenceUpdate, [0x80FFFFF0], [[]], Cmd.Sized([1])).Rc);
    }

    [Fact]
    public void Auth_handle_without_sessions_is_auth_missing()
    {
        var host = new TpmTestHost();
        var r = host.Run(TpmCc.PcrReset, handles: [16]);
        Assert.Equal((TpmRc)0x125, r.Rc);
    }

    [Fact]
    public void Bad_authorization_area_size_is_size()
    {
        // libtpms: 0x095 for an authorizationSize larger than the rest or smaller than one session
        var host = new TpmTestHost();
        var cmd = Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], Cmd.PasswordSession([]), []);
        cmd[17] = 0xFF;
        Assert.Equal((TpmRc)0x095, host.Send(cmd).Rc);
        var small = Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], [0, 0, 0, 0], []);
        Assert.Equal((TpmRc)0x095, host.Send(small).Rc);
        var none = Cmd.Build(TpmSt.Sessions, TpmCc.GetRandom, [], [], Cmd.U16(8));
        Assert.Equal((TpmRc)0x095, host.Send(none).Rc);
    }

    [Fact]
    public void Four_sessions_are_size_at_session_4()
    {
        var host = new TpmTestHost();
        var area = Cmd.Cat(Cmd.PasswordSession([]), Cmd.PasswordSession([]), Cmd.PasswordSession([]), Cmd.PasswordSession([]));
        Assert.Equal((TpmRc)0xC95, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], area, [])).Rc);
    }

    [Fact]
    public void Password_session_without_a_handle_to_authorize_is_handle_at_session()
    {
        var host = new TpmTestHost();
        Assert.Equal((TpmRc)0xA8B, host.RunWithPasswords(TpmCc.PcrReset, [16], [[], []]).Rc);
        Assert.Equal((TpmRc)0x98B, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.GetRandom, [], Cmd.PasswordSession([]), Cmd.U16(8))).Rc);
    }

    [Fact]
    public void Password_session_with_nonce_or_audit_is_refused()
    {
        var host = new TpmTestHost();
        var nonce = Cmd.Cat(Cmd.U32(0x40000009), Cmd.Sized([1, 2]), Cmd.U8(1), Cmd.U16(0));
        Assert.Equal((TpmRc)0x98F, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], nonce, [])).Rc);
        var audit = Cmd.Cat(Cmd.U32(0x40000009), Cmd.U16(0), Cmd.U8(0x81), Cmd.U16(0));
        Assert.Equal((TpmRc)0x982, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], audit, [])).Rc);
    }

    [Fact]
    public void Session_handle_that_is_no_session_is_value_at_session()
    {
        var host = new TpmTestHost();
        var area = Cmd.Cat(Cmd.U32(0x40000001), Cmd.U16(0), Cmd.U8(1), Cmd.U16(0));
        Assert.Equal((TpmRc)(0x084 + 0x800 + 0x100), host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], area, [])).Rc);
    }

    [Fact]
    public void Reserved_session_attributes_are_reserved_bits_at_session()
    {
        var host = new TpmTestHost();
        var area = Cmd.Cat(Cmd.U32(0x40000009), Cmd.U16(0), Cmd.U8(0x09), Cmd.U16(0));
        Assert.Equal((TpmRc)(0x0A1 + 0x800 + 0x100), host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], area, [])).Rc);
    }

    [Fact]
    public void Unloaded_hmac_session_is_reference_s0()
    {
        var host = new TpmTestHost();
        var area = Cmd.Cat(Cmd.U32(0x02000000), Cmd.U16(0), Cmd.U8(1), Cmd.U16(0));
        Assert.Equal(TpmRc.ReferenceS0, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], area, [])).Rc);
    }

    [Fact]
    public void Wrong_password_for_a_da_exempt_entity_is_bad_auth_at_session()
    {
        // The owner hierarchy is outside DA protection: libtpms answers 0x9A2 here.
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.ClockSet, [(uint)TpmRh.Owner], [[1, 2, 3]], Cmd.U64(ulong.MaxValue >> 20));
        Assert.Equal((TpmRc)0x9A2, r.Rc);
    }

    [Fact]
    public void Password_response_has_parameter_size_and_auth()
    {
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.PcrReset, [16], [[]]);
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(TpmSt.Sessions, r.Tag);
        // parameterSize 0, then nonce (empty), attributes continueSession, hmac (empty)
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 0, 0 }, r.Body);
    }

    [Fact]
    public void Nv_unavailable_refuses_nv_writing_commands()
    {
        var host = new TpmTestHost();
        host.Platform.NvAvailable = false;
        Assert.Equal((TpmRc)0x923, host.Run(TpmCc.Shutdown, Cmd.U16(0)).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(4)).Rc);
    }

    /// <summary>A failing store is a storage fault, not an engine bug: the command answers
    /// TPM_RC_NV_UNAVAILABLE, the TPM keeps serving (no failure mode), and the command succeeds once
    /// the store works again.</summary>
    [Fact]
    public void Failure_in_the_store_fails_the_command_and_the_tpm_keeps_serving()
    {
        var store = new FailingStore();
        var host = new TpmTestHost(store);
        store.Fail = true;
        Assert.Equal((TpmRc)0x923, host.Run(TpmCc.Shutdown, Cmd.U16(0)).Rc);
        Assert.False(host.Tpm.InFailureMode);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(4)).Rc);
        var result = host.Run(TpmCc.GetTestResult);
        Assert.Equal(TpmRc.Success, result.Rc);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0 }, result.Body); // empty outData, testResult TPM_RC_SUCCESS
        store.Fail = false;
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(0)).Rc);
    }

    [Fact]
    public void Random_garbage_never_throws_and_tpm_keeps_serving()
    {
        var host = new TpmTestHost();
        var rng = new System.Random(1234);
        for (int i = 0; i < 5000; i++)
        {
            var len = rng.Next(0, 64);
            var cmd = new byte[len];
            rng.NextBytes(cmd);
            if (len >= 10 && rng.Next(2) == 0)
            {
                // Make the header plausible so the fuzz reaches handles, sessions and parameters.
                cmd[0] = 0x80; cmd[1] = (byte)(rng.Next(2) == 0 ? 1 : 2);
                cmd[2] = 0; cmd[3] = 0; cmd[4] = 0; cmd[5] = (byte)len;
                cmd[6] = 0; cmd[7] = 0; cmd[8] = 1; cmd[9] = (byte)rng.Next(0x1F, 0xAA);
            }
            var r = host.Send(cmd);
            Assert.True(r.Bytes.Length >= 10);
            Assert.NotEqual(TpmRc.Failure, r.Rc);
            if (r.Rc == TpmRc.Initialize)
            {
                // A fuzzed Shutdown/Startup can leave the TPM needing Startup.
                host.Run(TpmCc.Startup, Cmd.U16(0));
            }
        }
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
    }

    sealed class FailingStore : INvStore
    {
        readonly MemoryNvStore _inner = new();
        public bool Fail;
        public NvSnapshot Load() => _inner.Load();
        public void Commit(IReadOnlyList<NvChange> changes)
        {
            if (Fail) throw new IOException("disk on fire");
            _inner.Commit(changes);
        }
    }
}
