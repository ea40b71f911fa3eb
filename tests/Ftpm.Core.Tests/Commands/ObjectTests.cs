using System.Buffers.Binary;

namespace Ftpm.Tests.Commands;

/// <summary>CreatePrimary, Create, Load (Part 3, 12 and 24.1) in-process: determinism and the codes the
/// clients cannot reach.</summary>
public sealed class ObjectTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // TPMT_PUBLIC templates: ECC P-256 storage key (fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|
    // noDA|restricted|decrypt, AES-128-CFB) and an ECDSA-SHA256 signing key (... |sign, DA-protected).
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string EccSigning = "0023 000B 00040072 0000 0010 0018 000B 0003 0010 0000 0000";

    static byte[] CreateParams(string template, byte[]? auth = null) => Cmd.Cat(
        Cmd.Sized(Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0));

    Response CreatePrimary(string template) =>
        _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], CreateParams(template));

    /// <summary>The Name at the end of a CreatePrimary response.</summary>
    static byte[] NameOf(Response r)
    {
        var p = r.SessionParameters(handles: 1);
        return p[^34..];
    }

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);

    [Fact]
    public void CreatePrimary_twice_gives_the_same_name()
    {
        var first = CreatePrimary(EccStorage);
        Assert.Equal(TpmRc.Success, first.Rc);
        _host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(first)));
        var second = CreatePrimary(EccStorage);
        Assert.Equal(TpmRc.Success, second.Rc);
        Assert.Equal(NameOf(first), NameOf(second));
        Assert.Equal(0x000B, BinaryPrimitives.ReadUInt16BigEndian(NameOf(first)));
    }

    [Theory]
    [InlineData("0023 000B 00070472 0000 0010 0010 0003 0010 0000 0000", 0x2C2)]   // restricted, sign and decrypt: TPM_RC_ATTRIBUTES + P2
    [InlineData("0023 000B 00030472 0000 0010 0010 0003 0010 0000 0000", 0x2D6)]   // storage key without a cipher: TPM_RC_SYMMETRIC + P2
    [InlineData("0023 000B 00050472 0000 0010 0010 0003 0010 0000 0000", 0x2D2)]   // restricted signing key without a scheme: TPM_RC_SCHEME + P2
    [InlineData("0023 000B 00030462 0000 0006 0080 0043 0010 0003 0010 0000 0000", 0x2C2)] // fixedTPM without fixedParent
    [InlineData("0023 0010 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000", 0x2C3)] // no nameAlg: TPM_RC_HASH + P2
    [InlineData("0023 000B 00030473 0000 0006 0080 0043 0010 0003 0010 0000 0000", 0x2E1)] // reserved bit 0: TPM_RC_RESERVED_BITS + P2
    [InlineData("0023 000B 00030472 0000 0006 0080 0043 0010 0011 0010 0000 0000", 0x2E6)] // BN P-638: TPM_RC_CURVE + P2
    public void CreatePrimary_refuses_inconsistent_templates(string template, uint rc) =>
        Assert.Equal((TpmRc)rc, CreatePrimary(template).Rc);

    [Fact]
    public void CreatePrimary_without_a_free_slot_is_object_memory()
    {
        for (int i = 0; i < 3; i++) Assert.Equal(TpmRc.Success, CreatePrimary(EccStorage).Rc);
        Assert.Equal(TpmRc.ObjectMemory, CreatePrimary(EccStorage).Rc);
    }

    [Fact]
    public void Tampered_private_is_integrity_and_wrong_password_is_auth_fail()
    {
        uint srk = HandleOf(CreatePrimary(EccStorage));
        var created = _host.RunWithPasswords(TpmCc.Create, [srk], [[]], CreateParams(EccSigning, "pw"u8.ToArray()));
        Assert.Equal(TpmRc.Success, created.Rc);
        var p = created.SessionParameters();
        int privateSize = BinaryPrimitives.ReadUInt16BigEndian(p);
        var outPrivate = p[..(2 + privateSize)];
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2 + privateSize));
        var outPublic = p.AsSpan(2 + privateSize, 2 + publicSize).ToArray();

        var tampered = (byte[])outPrivate.Clone();
        tampered[^1] ^= 1;
        Assert.Equal((TpmRc)0x1DF, _host.RunWithPasswords(TpmCc.Load, [srk], [[]], Cmd.Cat(tampered, outPublic)).Rc);   // TPM_RC_INTEGRITY + P1

        var loaded = _host.RunWithPasswords(TpmCc.Load, [srk], [[]], Cmd.Cat(outPrivate, outPublic));
        Assert.Equal(TpmRc.Success, loaded.Rc);
        uint key = HandleOf(loaded);
        var sign = Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(0x40000007), Cmd.U16(0));
        Assert.Equal((TpmRc)0x98E, _host.RunWithPasswords(TpmCc.Sign, [key], ["bad"u8.ToArray()], sign).Rc);    // TPM_RC_AUTH_FAIL + S1
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.Sign, [key], ["pw"u8.ToArray()], sign).Rc);
        // Sign with a digest that is not SHA-256's size: TPM_RC_SIZE + P1.
        var shortDigest = Cmd.Cat(Cmd.Sized(new byte[20]), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(0x40000007), Cmd.U16(0));
        Assert.Equal((TpmRc)0x1D5, _host.RunWithPasswords(TpmCc.Sign, [key], ["pw"u8.ToArray()], shortDigest).Rc);
        // The storage key does not sign: TPM_RC_KEY + H1.
        Assert.Equal((TpmRc)0x19C, _host.RunWithPasswords(TpmCc.Sign, [srk], [[]], sign).Rc);
        // A signing key is no parent: TPM_RC_TYPE + H1.
        Assert.Equal((TpmRc)0x18A, _host.RunWithPasswords(TpmCc.Load, [key], ["pw"u8.ToArray()], Cmd.Cat(outPrivate, outPublic)).Rc);
    }

    [Fact]
    public void Persistent_handle_that_does_not_exist_is_handle()
    {
        Assert.Equal((TpmRc)0x18B, _host.Run(TpmCc.ReadPublic, handles: [0x81000010]).Rc);   // TPM_RC_HANDLE + H1
    }

    /// <summary>ContextSave of a key leaves it loaded; the context loads any number of times under new
    /// handles, and the loaded copy signs with the same Name; a changed blob is TPM_RC_INTEGRITY (P1), a
    /// changed sequence number too, a full table TPM_RC_OBJECT_MEMORY (Part 3, 28.2, 28.3).</summary>
    [Fact]
    public void Object_context_saves_and_loads_again()
    {
        var primary = CreatePrimary(EccStorage);
        uint srk = HandleOf(primary);
        var saved = _host.Run(TpmCc.ContextSave, handles: [srk]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        var context = saved.Body;
        Assert.Equal(0x80000000u, BinaryPrimitives.ReadUInt32BigEndian(context.AsSpan(8)));   // savedHandle
        Assert.Equal(Owner, BinaryPrimitives.ReadUInt32BigEndian(context.AsSpan(12)));        // hierarchy
        Assert.Equal(TpmRc.Success, _host.Run(TpmCc.ReadPublic, handles: [srk]).Rc);         // still loaded

        var tampered = (byte[])context.Clone();
        tampered[^1] ^= 1;
        Assert.Equal((TpmRc)0x1DF, _host.Run(TpmCc.ContextLoad, tampered).Rc);               // INTEGRITY + P1
        var otherSequence = (byte[])context.Clone();
        otherSequence[7] ^= 1;
        Assert.Equal((TpmRc)0x1DF, _host.Run(TpmCc.ContextLoad, otherSequence).Rc);
        var otherHierarchy = (byte[])context.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(otherHierarchy.AsSpan(12), 0x4000000B);
        Assert.Equal((TpmRc)0x1DF, _host.Run(TpmCc.ContextLoad, otherHierarchy).Rc);

        var first = _host.Run(TpmCc.ContextLoad, context);
        Assert.Equal(TpmRc.Success, first.Rc);
        var second = _host.Run(TpmCc.ContextLoad, context);
        Assert.Equal(TpmRc.Success, second.Rc);
        Assert.Equal(TpmRc.ObjectMemory, _host.Run(TpmCc.ContextLoad, context).Rc);
        uint copy = HandleOf(second);
        Assert.NotEqual(srk, copy);
        var readPublic = _host.Run(TpmCc.ReadPublic, handles: [copy]);
        Assert.Equal(TpmRc.Success, readPublic.Rc);
        Assert.Equal(NameOf(primary), readPublic.Body[^(34 + 2 + 34)..^(34 + 2)]);

        // The loaded copy is a working parent: a child created under it loads under the original.
        _host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(first)));
        var created = _host.RunWithPasswords(TpmCc.Create, [copy], [[]], CreateParams(EccSigning));
        Assert.Equal(TpmRc.Success, created.Rc);
        var p = created.SessionParameters();
        int privateSize = BinaryPrimitives.ReadUInt16BigEndian(p);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2 + privateSize));
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.Load, [srk], [[]], p[..(2 + privateSize + 2 + publicSize)]).Rc);
    }

    /// <summary>A hash sequence's context: the sequence goes on from where it was saved, in every
    /// copy loaded from the context, independently (Part 3, 28.2 for sequence objects).</summary>
    [Fact]
    public void Hash_sequence_context_round_trips()
    {
        var start = _host.Run(TpmCc.HashSequenceStart, Cmd.Cat(Cmd.Sized([]), Cmd.U16(0x000B)));
        Assert.Equal(TpmRc.Success, start.Rc);
        uint seq = HandleOf(start);
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SequenceUpdate, [seq], [[]], Cmd.Sized("abc"u8.ToArray())).Rc);
        var saved = _host.Run(TpmCc.ContextSave, handles: [seq]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(0x80000001u, BinaryPrimitives.ReadUInt32BigEndian(saved.Body.AsSpan(8)));
        _host.Run(TpmCc.FlushContext, Cmd.U32(seq));

        var expected = System.Security.Cryptography.SHA256.HashData("abcdef"u8);
        for (int i = 0; i < 2; i++)
        {
            var loaded = _host.Run(TpmCc.ContextLoad, saved.Body);
            Assert.Equal(TpmRc.Success, loaded.Rc);
            uint h = HandleOf(loaded);
            Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.SequenceUpdate, [h], [[]], Cmd.Sized("de"u8.ToArray())).Rc);
            var done = _host.RunWithPasswords(TpmCc.SequenceComplete, [h], [[]], Cmd.Cat(Cmd.Sized("f"u8.ToArray()), Cmd.U32(0x40000007)));
            Assert.Equal(TpmRc.Success, done.Rc);
            Assert.Equal(expected, done.SessionParameters(handles: 0).AsSpan(2, 32).ToArray());
        }
    }
}
