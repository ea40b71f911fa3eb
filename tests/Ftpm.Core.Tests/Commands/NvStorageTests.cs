using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Marshal;
using static Ftpm.Tests.Commands.Nv;

namespace Ftpm.Tests.Commands;

/// <summary>Part 3, 31: one test per response-code path of each NV command, and the TPMA_NV rules.</summary>
public class NvStorageTests
{
    static readonly TpmaNv Counter = OwnerRw.WithType(TpmNt.Counter);

    // ---- NV_DefineSpace ------------------------------------------------------------------------

    [Fact]
    public void Define_then_read_public_gives_the_public_area_and_its_name()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.NoDa, 32);
        var (pub, name) = ReadPublic(host, Idx);
        Assert.Equal(Public(Idx, OwnerRw | TpmaNv.NoDa, 32), pub);
        Assert.Equal(Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), SHA256.HashData(pub)), name);
    }

    [Fact]
    public void Define_twice_is_nv_defined()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        Assert.Equal(TpmRc.NvDefined, Define(host, Idx, OwnerRw, 8).Rc);
    }

    [Fact]
    public void Define_with_policy_not_of_the_name_alg_size_is_size_p2()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Size.AtParameter(2), Define(host, Idx, OwnerRw, 8, policy: new byte[20]).Rc);
        Assert.Equal(TpmRc.Success, Define(host, Idx, OwnerRw, 8, policy: new byte[32]).Rc);
    }

    [Fact]
    public void Define_with_auth_longer_than_name_alg_digest_is_size_p1_but_trailing_zeros_do_not_count()
    {
        var host = new TpmTestHost();
        var auth = Enumerable.Repeat((byte)1, 21).ToArray();
        Assert.Equal(TpmRc.Size.AtParameter(1), Define(host, Idx, OwnerRw, 8, auth, TpmAlgId.Sha1).Rc);
        Assert.Equal(TpmRc.Success, Define(host, Idx, OwnerRw, 8, [.. new byte[] { 1, 2 }, .. new byte[40]], TpmAlgId.Sha1).Rc);
    }

    [Theory]
    [InlineData(TpmNt.Counter, 4)]
    [InlineData(TpmNt.Bits, 16)]
    [InlineData(TpmNt.PinPass, 0)]
    [InlineData(TpmNt.Extend, 20)]       // SHA-256 name: the digest size, 32
    public void Define_with_size_that_does_not_fit_the_type_is_size_p2(TpmNt type, ushort size)
    {
        var host = new TpmTestHost();
        var a = OwnerRw.WithType(type) | (type == TpmNt.PinFail ? TpmaNv.NoDa : 0);
        Assert.Equal(TpmRc.Size.AtParameter(2), Define(host, Idx, a, size).Rc);
    }

    [Fact]
    public void Define_larger_than_max_nv_index_size_is_size_p2()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Size.AtParameter(2), Define(host, Idx, OwnerRw, 2049).Rc);
        Assert.Equal(TpmRc.Success, Define(host, Idx, OwnerRw, 2048).Rc);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(0xA)]
    [InlineData(0xF)]
    public void Define_with_unknown_type_is_attributes_p2(byte nt)
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Attributes.AtParameter(2), Define(host, Idx, OwnerRw.WithType((TpmNt)nt), 8).Rc);
    }

    public static TheoryData<TpmaNv> InconsistentAttributes => new()
    {
        OwnerRw.WithType(TpmNt.Counter) | TpmaNv.ClearStClear,              // counters are never cleared
        OwnerRw.WithType(TpmNt.PinFail),                                    // PIN Fail needs NO_DA
        OwnerRw.WithType(TpmNt.PinPass) | TpmaNv.AuthWrite,                 // PIN: not written with its auth
        OwnerRw.WithType(TpmNt.PinPass) | TpmaNv.GlobalLock,
        OwnerRw.WithType(TpmNt.PinFail) | TpmaNv.NoDa | TpmaNv.WriteDefine,
        OwnerRw | TpmaNv.Written,                                           // state bits are the TPM's
        OwnerRw | TpmaNv.WriteLocked,
        OwnerRw | TpmaNv.ReadLocked,
        TpmaNv.OwnerWrite,                                                  // no way to read
        TpmaNv.OwnerRead,                                                   // no way to write
        OwnerRw | TpmaNv.ClearStClear | TpmaNv.WriteDefine,
        OwnerRw | TpmaNv.PolicyDelete,                                      // only the platform defines those
    };

    [Theory]
    [MemberData(nameof(InconsistentAttributes))]
    public void Define_with_inconsistent_attributes_is_attributes_p2(TpmaNv attributes)
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Attributes.AtParameter(2), Define(host, Idx, attributes, 8).Rc);
    }

    [Fact]
    public void Platformcreate_must_match_the_hierarchy_else_attributes_h1()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Attributes.AtHandle(1), Define(host, Idx, OwnerRw | TpmaNv.PlatformCreate, 8).Rc);
        Assert.Equal(TpmRc.Attributes.AtHandle(1), Define(host, Idx, TpmaNv.PpRead | TpmaNv.PpWrite, 8, authHandle: Platform).Rc);
        Assert.Equal(TpmRc.Success, Define(host, Idx, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate, 8, authHandle: Platform).Rc);
    }

    [Fact]
    public void Writeall_on_an_index_larger_than_max_nv_buffer_is_size_p2()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Size.AtParameter(2), Define(host, Idx, OwnerRw | TpmaNv.WriteAll, 1025).Rc);
        Assert.Equal(TpmRc.Success, Define(host, Idx, OwnerRw | TpmaNv.WriteAll, 1024).Rc);
    }

    [Fact]
    public void Define_with_reserved_attribute_bits_is_reserved_bits_p2()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.ReservedBits.AtParameter(2), Define(host, Idx, OwnerRw | (TpmaNv)(1u << 8), 8).Rc);
        Assert.Equal(TpmRc.ReservedBits.AtParameter(2), Define(host, Idx, OwnerRw | (TpmaNv)(1u << 20), 8).Rc);
    }

    [Fact]
    public void Define_unmarshal_failures_are_numbered_p2()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Value.AtParameter(2), Define(host, 0x81000001, OwnerRw, 8).Rc);           // not an NV handle
        Assert.Equal(TpmRc.Hash.AtParameter(2), Define(host, Idx, OwnerRw, 8, nameAlg: TpmAlgId.Null).Rc);
        var empty = host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.U16(0)));
        Assert.Equal(TpmRc.Size.AtParameter(2), empty.Rc);                                          // TPM2B_NV_PUBLIC of size 0
        var longer = host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]],
            Cmd.Cat(Cmd.Sized([]), Cmd.Sized([.. Public(Idx, OwnerRw, 8), 0])));
        Assert.Equal(TpmRc.Size.AtParameter(2), longer.Rc);                                         // size larger than the structure
        var auth = host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], Cmd.Cat(Cmd.Sized(new byte[65]), Cmd.Sized(Public(Idx, OwnerRw, 8))));
        Assert.Equal(TpmRc.Size.AtParameter(1), auth.Rc);                                           // TPM2B_AUTH above 64
    }

    [Fact]
    public void Define_with_wrong_owner_password_is_bad_auth_and_nothing_is_defined()
    {
        var host = new TpmTestHost();
        var r = host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[1]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(Public(Idx, OwnerRw, 8))));
        Assert.Equal(TpmRc.BadAuth.AtSession(1), r.Rc);
        Assert.Equal(TpmRc.Handle.AtHandle(1), host.Run(TpmCc.NvReadPublic, null, [Idx]).Rc);
    }

    [Fact]
    public void Defining_2k_indices_until_nv_space_keeps_the_tpm_serving_and_all_can_be_undefined()
    {
        var host = new TpmTestHost();
        uint handle = 0x01000000;
        var defined = new List<uint>();
        TpmRc rc;
        while ((rc = Define(host, handle, OwnerRw, 2048).Rc) == TpmRc.Success)
        {
            defined.Add(handle++);
            Assert.True(defined.Count < 1000);
        }
        Assert.Equal(TpmRc.NvSpace, rc);
        Assert.Equal(30, defined.Count);                          // 64 KiB / (2048 + 96)
        Assert.Equal(TpmRc.Success, Write(host, defined[^1], new byte[1024], 1024).Rc);
        Assert.Equal(TpmRc.Success, Define(host, handle, OwnerRw, 8).Rc);   // a small one still fits
        defined.Add(handle);
        foreach (var h in defined) Assert.Equal(TpmRc.Success, Undefine(host, h).Rc);
        Assert.Equal(TpmRc.Success, Define(host, 0x01000000, OwnerRw, 2048).Rc);
    }

    [Fact]
    public void Orderly_ram_is_bounded_separately()
    {
        var host = new TpmTestHost();
        int n = 0;
        TpmRc rc;
        while ((rc = Define(host, (uint)(0x01000000 + n), OwnerRw | TpmaNv.Orderly, 2048).Rc) == TpmRc.Success) n++;
        Assert.Equal(TpmRc.NvSpace, rc);
        Assert.Equal(3, n);                                       // 8 KiB of orderly RAM
        Assert.Equal(TpmRc.Success, Define(host, 0x01000100, OwnerRw, 2048).Rc);
    }

    [Fact]
    public void Define_while_nv_is_unavailable_is_nv_unavailable()
    {
        var host = new TpmTestHost();
        host.Platform.NvAvailable = false;
        Assert.Equal(TpmRc.NvUnavailable, Define(host, Idx, OwnerRw, 8).Rc);
        host.Platform.NvAvailable = true;
        Assert.Equal(TpmRc.Success, Define(host, Idx, OwnerRw, 8).Rc);
    }

    // ---- NV_UndefineSpace, NV_UndefineSpaceSpecial ---------------------------------------------

    [Fact]
    public void Undefine_removes_the_index()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        Assert.Equal(TpmRc.Success, Undefine(host, Idx).Rc);
        Assert.Equal(TpmRc.Handle.AtHandle(1), host.Run(TpmCc.NvReadPublic, null, [Idx]).Rc);
        Assert.Equal(TpmRc.Handle.AtHandle(2), Undefine(host, Idx).Rc);
    }

    [Fact]
    public void Owner_cannot_undefine_a_platform_index_but_platform_can_undefine_an_owner_index()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate, 8, authHandle: Platform);
        DefineOk(host, Idx + 1, OwnerRw, 8);
        Assert.Equal(TpmRc.NvAuthorization, Undefine(host, Idx).Rc);
        Assert.Equal(TpmRc.Success, Undefine(host, Idx, Platform).Rc);
        Assert.Equal(TpmRc.Success, Undefine(host, Idx + 1, Platform).Rc);
    }

    [Fact]
    public void Undefine_of_a_policy_delete_index_is_attributes_h2()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate | TpmaNv.PolicyDelete, 8, authHandle: Platform);
        Assert.Equal(TpmRc.Attributes.AtHandle(2), Undefine(host, Idx, Platform).Rc);
    }

    [Fact]
    public void Undefine_space_special_with_a_password_is_auth_type()
    {
        // ADMIN role of an NV index: only a policy session may give it (Part 1, 19.7.5).
        var host = new TpmTestHost();
        DefineOk(host, Idx, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate | TpmaNv.PolicyDelete, 8, authHandle: Platform);
        var r = host.RunWithPasswords(TpmCc.NvUndefineSpaceSpecial, [Idx, Platform], [[], []]);
        Assert.Equal(TpmRc.AuthType, r.Rc);
        r = host.RunWithPasswords(TpmCc.NvUndefineSpaceSpecial, [Idx, Platform], [[1], []]);
        Assert.Equal(TpmRc.AuthType, r.Rc);                       // before the password is looked at
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.NvReadPublic, null, [Idx]).Rc);
    }

    [Fact]
    public void Undefine_of_a_written_counter_makes_later_counters_start_above_it()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, Counter, 8);
        for (int i = 0; i < 5; i++) Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);
        Assert.Equal(5ul, ReadCounter(host, Idx));
        Assert.Equal(TpmRc.Success, Undefine(host, Idx).Rc);
        host = PowerLoss(host);                               // the highest count is kept in NV
        DefineOk(host, Idx + 1, Counter, 8);
        Assert.Equal(TpmRc.Success, Increment(host, Idx + 1).Rc);
        Assert.Equal(6ul, ReadCounter(host, Idx + 1));
    }

    // ---- NV_Write and NV_Read ------------------------------------------------------------------

    [Fact]
    public void Write_then_read_round_trips_and_a_first_partial_write_erases_the_rest()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 16);
        DefineOk(host, Idx + 1, OwnerRw | TpmaNv.Orderly, 4);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1, 2, 3], 4).Rc);
        // Erased NV reads as 0xFF (as the reference and swtpm); erased orderly RAM as 0.
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, ReadOk(host, Idx, 16));
        Assert.Equal(TpmRc.Success, Write(host, Idx + 1, [7], 1).Rc);
        Assert.Equal(new byte[] { 0, 7, 0, 0 }, ReadOk(host, Idx + 1, 4));
        Assert.Equal(TpmRc.Success, Write(host, Idx, [9], 15).Rc);
        Assert.Equal(new byte[] { 2, 3, 0xFF }, ReadOk(host, Idx, 3, 5));
        Assert.Equal(new byte[] { 9 }, ReadOk(host, Idx, 1, 15));
        Assert.Empty(ReadOk(host, Idx, 0, 16));
    }

    [Fact]
    public void The_name_changes_when_the_index_is_first_written()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        var before = ReadPublic(host, Idx);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
        var after = ReadPublic(host, Idx);
        Assert.NotEqual(before.Name, after.Name);
        Assert.True(Attributes(host, Idx).HasFlag(TpmaNv.Written));
        Assert.Equal(Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), SHA256.HashData(after.Public)), after.Name);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [2]).Rc);
        Assert.Equal(after.Name, ReadPublic(host, Idx).Name);
    }

    [Fact]
    public void Write_to_a_counter_bits_or_extend_index_is_attributes()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, Counter, 8);
        DefineOk(host, Idx + 1, OwnerRw.WithType(TpmNt.Bits), 8);
        DefineOk(host, Idx + 2, OwnerRw.WithType(TpmNt.Extend), 32);
        Assert.Equal(TpmRc.Attributes, Write(host, Idx, new byte[8]).Rc);
        Assert.Equal(TpmRc.Attributes, Write(host, Idx + 1, new byte[8]).Rc);
        Assert.Equal(TpmRc.Attributes, Write(host, Idx + 2, new byte[32]).Rc);
    }

    [Fact]
    public void Write_range_errors()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 16);
        Assert.Equal(TpmRc.Value.AtParameter(2), Write(host, Idx, [], 17).Rc);
        Assert.Equal(TpmRc.NvRange, Write(host, Idx, new byte[2], 15).Rc);
        Assert.Equal(TpmRc.NvRange, Write(host, Idx, new byte[17]).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [], 16).Rc);
        Assert.Equal(TpmRc.Size.AtParameter(1), Write(host, Idx, new byte[1025]).Rc);
    }

    [Fact]
    public void Writeall_index_takes_only_whole_writes()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.WriteAll, 8);
        Assert.Equal(TpmRc.NvRange, Write(host, Idx, new byte[4]).Rc);
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx, 8).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx, new byte[8]).Rc);
    }

    [Fact]
    public void Write_authorization_follows_the_attributes()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, TpmaNv.OwnerRead | TpmaNv.AuthWrite | TpmaNv.PpWrite, 8, auth: [7]);
        DefineOk(host, Idx + 1, OwnerRw | AuthRw, 8);
        Assert.Equal(TpmRc.NvAuthorization, Write(host, Idx, [1]).Rc);                          // owner, no OWNERWRITE
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1], authHandle: Platform).Rc);            // PPWRITE
        Assert.Equal(TpmRc.Success, Write(host, Idx, [2], authHandle: Idx, password: [7]).Rc); // AUTHWRITE
        Assert.Equal(TpmRc.NvAuthorization, Write(host, Idx, [1], authHandle: Idx + 1).Rc);   // another index
        Assert.Equal(new byte[] { 2 }, ReadOk(host, Idx, 1));
    }

    [Fact]
    public void Write_with_the_index_auth_but_without_authwrite_is_auth_unavailable()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.AuthRead | TpmaNv.PolicyWrite, 8, auth: [7]);
        Assert.Equal(TpmRc.AuthUnavailable, Write(host, Idx, [1], authHandle: Idx, password: [7]).Rc);
        // Checked before the password (as swtpm): a wrong one gets the same answer and no DA count.
        Assert.Equal(TpmRc.AuthUnavailable, Write(host, Idx, [1], authHandle: Idx, password: [8]).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
        Assert.Equal(new byte[] { 1 }, ReadOk(host, Idx, 1, authHandle: Idx, password: [7]));
    }

    [Fact]
    public void Read_with_the_index_auth_but_without_authread_is_auth_unavailable()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.AuthWrite, 8, auth: [7]);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1], authHandle: Idx, password: [7]).Rc);
        Assert.Equal(TpmRc.AuthUnavailable, Read(host, Idx, 1, authHandle: Idx, password: [7]).Rc);
    }

    [Fact]
    public void Wrong_index_password_is_auth_fail_or_bad_auth_with_no_da()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, AuthRw, 8, auth: [7]);
        DefineOk(host, Idx + 1, AuthRw | TpmaNv.NoDa, 8, auth: [7]);
        Assert.Equal(TpmRc.AuthFail.AtSession(1), Write(host, Idx, [1], authHandle: Idx, password: [8]).Rc);
        Assert.Equal(TpmRc.BadAuth.AtSession(1), Write(host, Idx + 1, [1], authHandle: Idx + 1, password: [8]).Rc);
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx, 1, authHandle: Idx, password: [7]).Rc);
    }

    [Fact]
    public void Read_errors_in_order()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.ReadStClear, 2048);
        DefineOk(host, Idx + 1, TpmaNv.OwnerWrite | TpmaNv.PpRead, 8);
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx, 1).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx, new byte[1024]).Rc);
        Assert.Equal(TpmRc.Value.AtParameter(1), Read(host, Idx, 1025).Rc);
        Assert.Equal(TpmRc.Value.AtParameter(2), Read(host, Idx, 0, 2049).Rc);
        Assert.Equal(TpmRc.NvRange, Read(host, Idx, 1024, 1025).Rc);
        Assert.Equal(1024, ReadOk(host, Idx, 1024, 1024).Length);
        Assert.Equal(TpmRc.NvAuthorization, Read(host, Idx + 1, 8).Rc);     // owner, no OWNERREAD
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx + 1, 8, authHandle: Platform).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvReadLock, [Owner, Idx], [[]]).Rc);
        Assert.Equal(TpmRc.NvLocked, Read(host, Idx, 1).Rc);
    }

    [Fact]
    public void Write_while_nv_is_unavailable_is_nv_unavailable_and_reads_still_work()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
        host.Platform.NvAvailable = false;
        Assert.Equal(TpmRc.NvUnavailable, Write(host, Idx, [2]).Rc);
        Assert.Equal(TpmRc.NvUnavailable, Increment(host, Idx).Rc);
        Assert.Equal(new byte[] { 1 }, ReadOk(host, Idx, 1));
    }

    [Fact]
    public void A_failed_command_leaves_nv_untouched()
    {
        var store = new Ftpm.Ports.MemoryNvStore();
        var host = new TpmTestHost(store);
        DefineOk(host, Idx, OwnerRw, 8);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1, 2]).Rc);
        ulong commits = store.Load().WriteCounter;
        var record = store.Load().Records[Idx];
        Assert.Equal(TpmRc.NvRange, Write(host, Idx, new byte[9]).Rc);
        Assert.Equal(TpmRc.Attributes.AtParameter(2), Define(host, Idx + 1, OwnerRw | TpmaNv.Written, 8).Rc);
        Assert.Equal(TpmRc.Attributes.AtHandle(2), Increment(host, Idx).Rc);
        Assert.Equal(commits, store.Load().WriteCounter);
        Assert.Equal(record, store.Load().Records[Idx]);
    }

    // ---- NV_Increment, NV_Extend, NV_SetBits ---------------------------------------------------

    [Fact]
    public void Increment_counts_from_one_and_survives_a_power_loss()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, Counter, 8);
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx, 8).Rc);
        for (int i = 0; i < 3; i++) Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);
        Assert.Equal(3ul, ReadCounter(host, Idx));
        host = PowerLoss(host);
        Assert.Equal(3ul, ReadCounter(host, Idx));
    }

    [Fact]
    public void Increment_of_a_non_counter_is_attributes_h2()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        Assert.Equal(TpmRc.Attributes.AtHandle(2), Increment(host, Idx).Rc);
    }

    [Fact]
    public void Increment_with_parameters_is_size()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, Counter, 8);
        Assert.Equal(TpmRc.Size, host.RunWithPasswords(TpmCc.NvIncrement, [Owner, Idx], [[]], [0]).Rc);
    }

    [Fact]
    public void Orderly_counter_survives_orderly_shutdown_exactly_and_jumps_forward_after_power_loss()
    {
        var store = new Ftpm.Ports.MemoryNvStore();
        var host = new TpmTestHost(store);
        DefineOk(host, Idx, Counter | TpmaNv.Orderly, 8);
        for (int i = 0; i < 10; i++) Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);
        host = Cycle(host, TpmSu.Clear, TpmSu.Clear);
        Assert.Equal(10ul, ReadCounter(host, Idx));

        // Increments in RAM only: NV is not written for each one ...
        ulong commits = store.Load().WriteCounter;
        for (int i = 0; i < 20; i++) Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);
        Assert.Equal(30ul, ReadCounter(host, Idx));
        Assert.True(store.Load().WriteCounter - commits < 5);
        // ... so after a power loss the counter jumps past any value it may have reached (Part 1, "NV Memory": orderly counters).
        host = PowerLoss(host);
        Assert.Equal(0xFFul, ReadCounter(host, Idx));
        Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);
        Assert.Equal(0x100ul, ReadCounter(host, Idx));
        // The wrap of the low bits reached NV: another power loss keeps at least that.
        host = PowerLoss(host);
        Assert.Equal(0x1FFul, ReadCounter(host, Idx));
    }

    [Fact]
    public void Orderly_counter_after_shutdown_and_further_increments_is_not_orderly_any_more()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, Counter | TpmaNv.Orderly, 8);
        Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.Clear)).Rc);
        Assert.Equal(TpmRc.Success, Increment(host, Idx).Rc);     // the TPM keeps serving after Shutdown
        host = PowerLoss(host);
        Assert.True(ReadCounter(host, Idx) >= 2);
    }

    [Fact]
    public void Extend_matches_the_digest_computed_here()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw.WithType(TpmNt.Extend), 32);
        DefineOk(host, Idx + 1, OwnerRw.WithType(TpmNt.Extend), 48, nameAlg: TpmAlgId.Sha384);
        foreach (var data in new[] { "a"u8.ToArray(), "bb"u8.ToArray() })
        {
            Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvExtend, [Owner, Idx], [[]], Cmd.Sized(data)).Rc);
            Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvExtend, [Owner, Idx + 1], [[]], Cmd.Sized(data)).Rc);
        }
        var e256 = SHA256.HashData([.. SHA256.HashData([.. new byte[32], .. "a"u8]), .. "bb"u8]);
        var e384 = SHA384.HashData([.. SHA384.HashData([.. new byte[48], .. "a"u8]), .. "bb"u8]);
        Assert.Equal(e256, ReadOk(host, Idx, 32));
        Assert.Equal(e384, ReadOk(host, Idx + 1, 48));
    }

    [Fact]
    public void Extend_of_a_non_extend_index_is_attributes_h2()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 32);
        Assert.Equal(TpmRc.Attributes.AtHandle(2), host.RunWithPasswords(TpmCc.NvExtend, [Owner, Idx], [[]], Cmd.Sized([1])).Rc);
    }

    [Fact]
    public void Set_bits_ors_into_the_field()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw.WithType(TpmNt.Bits), 8);
        DefineOk(host, Idx + 1, OwnerRw, 8);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvSetBits, [Owner, Idx], [[]], Cmd.U64(0x5)).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvSetBits, [Owner, Idx], [[]], Cmd.U64(0x8000000000000010)).Rc);
        Assert.Equal(0x8000000000000015ul, BinaryPrimitives.ReadUInt64BigEndian(ReadOk(host, Idx, 8)));
        Assert.Equal(TpmRc.Attributes.AtHandle(2), host.RunWithPasswords(TpmCc.NvSetBits, [Owner, Idx + 1], [[]], Cmd.U64(1)).Rc);
        Assert.Equal(TpmRc.Insufficient.AtParameter(1), host.RunWithPasswords(TpmCc.NvSetBits, [Owner, Idx], [[]], Cmd.U32(1)).Rc);
    }

    // ---- Locks ---------------------------------------------------------------------------------

    [Fact]
    public void Write_stclear_lock_holds_until_the_next_startup()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.WriteStClear, 8);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, Idx], [[]]).Rc);
        Assert.Equal(TpmRc.NvLocked, Write(host, Idx, [1]).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, Idx], [[]]).Rc); // again: no error
        Assert.True(Attributes(host, Idx).HasFlag(TpmaNv.WriteLocked));
        host = Cycle(host, TpmSu.State, TpmSu.State);              // TPM Resume keeps it
        Assert.Equal(TpmRc.NvLocked, Write(host, Idx, [1]).Rc);
        host = Cycle(host, TpmSu.State, TpmSu.Clear);              // TPM Restart clears it
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
    }

    [Fact]
    public void Writedefine_lock_on_a_written_index_is_for_good()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.WriteDefine, 8);
        DefineOk(host, Idx + 1, OwnerRw | TpmaNv.WriteDefine, 8);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, Idx], [[]]).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, Idx + 1], [[]]).Rc);
        host = PowerLoss(host);
        Assert.Equal(TpmRc.NvLocked, Write(host, Idx, [2]).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx + 1, [2]).Rc);   // unwritten: the lock did not last
    }

    [Fact]
    public void Write_lock_without_writedefine_or_write_stclear_is_attributes_h2()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        DefineOk(host, Idx + 1, TpmaNv.OwnerRead | TpmaNv.PpWrite | TpmaNv.WriteStClear, 8);
        Assert.Equal(TpmRc.Attributes.AtHandle(2), host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, Idx], [[]]).Rc);
        Assert.Equal(TpmRc.NvAuthorization, host.RunWithPasswords(TpmCc.NvWriteLock, [Owner, Idx + 1], [[]]).Rc);
    }

    [Fact]
    public void Global_write_lock_locks_globallock_indices_until_the_next_startup()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.GlobalLock, 8);
        DefineOk(host, Idx + 1, OwnerRw, 8);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvGlobalWriteLock, [Owner], [[]]).Rc);
        Assert.Equal(TpmRc.NvLocked, Write(host, Idx, [1]).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx + 1, [1]).Rc);
        host = PowerLoss(host);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
    }

    [Fact]
    public void Read_lock_holds_until_the_next_startup_and_needs_read_stclear()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.ReadStClear, 8);
        DefineOk(host, Idx + 1, OwnerRw, 8);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvReadLock, [Owner, Idx], [[]]).Rc); // unwritten: fine
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);                                        // writes still allowed
        Assert.Equal(TpmRc.NvLocked, Read(host, Idx, 1).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvReadLock, [Owner, Idx], [[]]).Rc); // again: fine
        Assert.Equal(TpmRc.Attributes.AtHandle(2), host.RunWithPasswords(TpmCc.NvReadLock, [Owner, Idx + 1], [[]]).Rc);
        Assert.Equal(TpmRc.NvAuthorization, host.RunWithPasswords(TpmCc.NvReadLock, [Platform, Idx + 1], [[]]).Rc);
        host = PowerLoss(host);
        Assert.Equal(new byte[] { 1 }, ReadOk(host, Idx, 1));
    }

    [Fact]
    public void Clear_stclear_index_is_unwritten_after_startup_but_keeps_its_definition()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.ClearStClear, 8);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [1]).Rc);
        host = Cycle(host, TpmSu.State, TpmSu.State);               // Resume: kept
        Assert.Equal(new byte[] { 1 }, ReadOk(host, Idx, 1));
        host = Cycle(host, TpmSu.State, TpmSu.Clear);               // Restart: cleared
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx, 1).Rc);
    }

    [Fact]
    public void Orderly_ordinary_index_is_unwritten_after_a_tpm_reset_but_kept_over_a_restart()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw | TpmaNv.Orderly, 8);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [5]).Rc);
        host = Cycle(host, TpmSu.State, TpmSu.Clear);
        Assert.Equal(new byte[] { 5 }, ReadOk(host, Idx, 1));
        host = Cycle(host, TpmSu.Clear, TpmSu.Clear);
        Assert.Equal(TpmRc.NvUninitialized, Read(host, Idx, 1).Rc);
    }

    // ---- NV_ChangeAuth -------------------------------------------------------------------------

    [Fact]
    public void Change_auth_with_a_password_is_auth_type()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, AuthRw, 8, auth: [7]);
        Assert.Equal(TpmRc.AuthType, host.RunWithPasswords(TpmCc.NvChangeAuth, [Idx], [[7]], Cmd.Sized([8])).Rc);
    }

    [Fact]
    public void Change_auth_after_authorization_sets_the_new_value_or_is_size_p1()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, AuthRw, 8, auth: [7], nameAlg: TpmAlgId.Sha1);
        var index = host.Tpm.Nv.Get(Idx)!;
        Assert.Equal(TpmRc.Size.AtParameter(1), Ftpm.Commands.NvStorage.ChangeAuth(host.Tpm, index, Enumerable.Repeat((byte)1, 21).ToArray()));
        Assert.Equal(TpmRc.Success, Ftpm.Commands.NvStorage.ChangeAuth(host.Tpm, index, [.. new byte[] { 9 }, .. new byte[30]]));
        Assert.Equal(new byte[] { 9 }, index.AuthValue);
    }

    // ---- Capabilities and persistence ----------------------------------------------------------

    [Fact]
    public void Capability_lists_nv_handles_and_counts()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx + 2, OwnerRw, 8);
        DefineOk(host, Idx, Counter, 8);
        var tpm = host.Tpm;
        Assert.Equal($"000000000100000002{Idx:X8}{Idx + 2:X8}",
            CapabilityTestHelpers.GetCapability(tpm, TpmCap.Handles, 0x01000000, 10));
        Assert.Equal($"000000000100000001{Idx + 2:X8}",
            CapabilityTestHelpers.GetCapability(tpm, TpmCap.Handles, Idx + 1, 10));
        Assert.Equal("01000000060000000100000202" + "00000002",
            CapabilityTestHelpers.GetCapability(tpm, TpmCap.TpmProperties, (uint)TpmPt.HrNvIndex, 1));
        Assert.Equal("0100000006000000010000020A" + "00000001",
            CapabilityTestHelpers.GetCapability(tpm, TpmCap.TpmProperties, (uint)TpmPt.NvCounters, 1));
    }

    [Fact]
    public void Indices_survive_power_loss_with_their_auth_and_data()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, AuthRw, 8, auth: [1, 2, 3]);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [4, 5], authHandle: Idx, password: [1, 2, 3]).Rc);
        var before = ReadPublic(host, Idx);
        host = PowerLoss(host);
        Assert.Equal(before.Name, ReadPublic(host, Idx).Name);
        Assert.Equal(new byte[] { 4, 5 }, ReadOk(host, Idx, 2, authHandle: Idx, password: [1, 2, 3]));
    }

    // ---- Helpers for the authorization and hierarchy code (sessions issue) ---------------------

    [Fact]
    public void Pin_fail_counts_failures_and_a_success_resets_it_pin_pass_counts_successes()
    {
        var host = new TpmTestHost();
        var nv = host.Tpm.Nv;
        DefineOk(host, Idx, OwnerRw.WithType(TpmNt.PinFail) | TpmaNv.NoDa | TpmaNv.AuthRead, 8, auth: [1]);
        DefineOk(host, Idx + 1, OwnerRw.WithType(TpmNt.PinPass) | TpmaNv.AuthRead, 8, auth: [1]);
        Assert.False(nv.IsAuthValueAvailable(Idx, write: false));               // unwritten PIN index
        byte[] pin = [0, 0, 0, 0, 0, 0, 0, 2];                                   // pinCount 0, pinLimit 2
        Assert.Equal(TpmRc.Success, Write(host, Idx, pin).Rc);
        Assert.Equal(TpmRc.Success, Write(host, Idx + 1, pin).Rc);
        Assert.True(nv.IsAuthValueAvailable(Idx, write: false));
        Assert.False(nv.IsAuthValueAvailable(Idx, write: true));                // no AUTHWRITE

        nv.RecordPinUse(host.Tpm, Idx, success: false);
        nv.RecordPinUse(host.Tpm, Idx, success: false);
        Assert.Equal(2u, Ftpm.State.NvIndices.PinCount(nv.Get(Idx)!));
        Assert.False(nv.IsAuthValueAvailable(Idx, write: false));               // pinCount reached pinLimit
        nv.RecordPinUse(host.Tpm, Idx, success: true);
        Assert.True(nv.IsAuthValueAvailable(Idx, write: false));

        nv.RecordPinUse(host.Tpm, Idx + 1, success: true);
        nv.RecordPinUse(host.Tpm, Idx + 1, success: false);
        nv.RecordPinUse(host.Tpm, Idx + 1, success: true);
        Assert.False(nv.IsAuthValueAvailable(Idx + 1, write: false));
        Assert.Equal(new byte[] { 0, 0, 0, 2, 0, 0, 0, 2 }, ReadOk(host, Idx + 1, 8));
    }

    [Fact]
    public void Pin_fail_index_locks_after_pin_limit_wrong_passwords_across_power_loss()
    {
        // Two wrong PINs (noDA: TPM_RC_BAD_AUTH), then TPM_RC_AUTH_UNAVAILABLE even with the right PIN, as swtpm answers.
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw.WithType(TpmNt.PinFail) | TpmaNv.NoDa | TpmaNv.AuthRead, 8, auth: [7]);
        Assert.Equal(TpmRc.Success, Write(host, Idx, [0, 0, 0, 0, 0, 0, 0, 2]).Rc);   // pinCount 0, pinLimit 2
        Assert.Equal((TpmRc)0x9A2, Read(host, Idx, 8, authHandle: Idx, password: [9]).Rc);
        host = PowerLoss(host);
        Assert.Equal((TpmRc)0x9A2, Read(host, Idx, 8, authHandle: Idx, password: [9]).Rc);
        Assert.Equal((TpmRc)0x12F, Read(host, Idx, 8, authHandle: Idx, password: [7]).Rc);
        // The owner resets the count by writing the index.
        Assert.Equal(TpmRc.Success, Write(host, Idx, [0, 0, 0, 0, 0, 0, 0, 2]).Rc);
        Assert.Equal(TpmRc.Success, Read(host, Idx, 8, authHandle: Idx, password: [7]).Rc);
    }

    [Fact]
    public void Policy_availability_follows_policyread_and_policywrite()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, TpmaNv.PolicyRead | TpmaNv.OwnerWrite, 8);
        Assert.True(host.Tpm.Nv.IsPolicyAvailable(Idx, write: false));
        Assert.False(host.Tpm.Nv.IsPolicyAvailable(Idx, write: true));
        Assert.False(host.Tpm.Nv.IsPolicyAvailable(Idx + 5, write: false));
    }

    [Fact]
    public void Clear_removes_owner_indices_only()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        DefineOk(host, Idx + 1, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate, 8, authHandle: Platform);
        host.Tpm.Nv.RemoveOwnerIndices(host.Tpm);
        Assert.Null(host.Tpm.Nv.Get(Idx));
        Assert.NotNull(host.Tpm.Nv.Get(Idx + 1));
    }

    [Fact]
    public void Indices_of_a_disabled_hierarchy_are_hidden_and_the_platform_cannot_define_without_ph_enable_nv()
    {
        var host = new TpmTestHost();
        DefineOk(host, Idx, OwnerRw, 8);
        DefineOk(host, Idx + 1, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate, 8, authHandle: Platform);
        host.Tpm.ShEnable = false;
        Assert.Equal(TpmRc.Handle.AtHandle(1), host.Run(TpmCc.NvReadPublic, null, [Idx]).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.NvReadPublic, null, [Idx + 1]).Rc);
        host.Tpm.ShEnable = true;
        host.Tpm.PhEnableNv = false;
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.NvReadPublic, null, [Idx]).Rc);
        Assert.Equal(TpmRc.Handle.AtHandle(1), host.Run(TpmCc.NvReadPublic, null, [Idx + 1]).Rc);
        Assert.Equal(TpmRc.Hierarchy.AtHandle(1),
            Define(host, Idx + 2, TpmaNv.PpRead | TpmaNv.PpWrite | TpmaNv.PlatformCreate, 8, authHandle: Platform).Rc);
    }
}
