using System.Buffers.Binary;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_CreateLoaded (Part 3, 12.9) in-process: a hierarchy parent gives the CreatePrimary object,
/// a storage parent a child that is loaded and whose outPrivate loads again.</summary>
public sealed class ObjectCreateLoadedTests
{
    readonly TpmTestHost _host = new();
    const uint Owner = 0x40000001;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string EccSigning = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";

    static byte[] Sensitive(byte[]? auth = null) => Cmd.Sized(Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized([])));

    Response CreateLoaded(uint parent, string template) =>
        _host.RunWithPasswords(TpmCc.CreateLoaded, [parent], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(H(template))));

    Response CreatePrimary(string template) =>
        _host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);

    /// <summary>outPrivate, outPublic and name of a CreateLoaded response.</summary>
    static (byte[] Private, byte[] Public, byte[] Name) Outputs(Response r)
    {
        var p = r.SessionParameters(handles: 1);
        int at = 0;
        byte[] Next()
        {
            int size = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at));
            var v = p.AsSpan(at, 2 + size).ToArray();
            at += 2 + size;
            return v;
        }
        var priv = Next();
        var pub = Next();
        var name = Next();
        Assert.Equal(p.Length, at);
        return (priv, pub, name[2..]);
    }

    [Fact]
    public void Hierarchy_parent_gives_the_primary_object()
    {
        var loaded = CreateLoaded(Owner, EccStorage);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        var (priv, _, name) = Outputs(loaded);
        Assert.Equal(Cmd.U16(0), priv);
        _host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(loaded)));
        var primary = CreatePrimary(EccStorage);
        Assert.Equal(TpmRc.Success, primary.Rc);
        Assert.Equal(name, primary.SessionParameters(handles: 1)[^34..]);
    }

    [Fact]
    public void Storage_parent_gives_a_loaded_child_whose_private_loads_again()
    {
        uint srk = HandleOf(CreateLoaded(Owner, EccStorage));
        var child = CreateLoaded(srk, EccSigning);
        Assert.Equal(TpmRc.Success, child.Rc);
        var (priv, pub, name) = Outputs(child);
        uint key = HandleOf(child);
        var sign = Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(0x40000007), Cmd.U16(0));
        Assert.Equal(TpmRc.Success, _host.RunWithPasswords(TpmCc.Sign, [key], [[]], sign).Rc);
        var read = _host.Run(TpmCc.ReadPublic, handles: [key]);
        Assert.Equal(pub, read.Body[..pub.Length]);

        _host.Run(TpmCc.FlushContext, Cmd.U32(key));
        var again = _host.RunWithPasswords(TpmCc.Load, [srk], [[]], Cmd.Cat(priv, pub));
        Assert.Equal(TpmRc.Success, again.Rc);
        Assert.Equal(name, again.SessionParameters(handles: 1)[2..]);

        // A signing key is no parent: TPM_RC_TYPE + H1.
        Assert.Equal(TpmRc.Type.AtHandle(1), CreateLoaded(HandleOf(again), EccSigning).Rc);
        // Every slot is full: TPM_RC_OBJECT_MEMORY.
        Assert.Equal(TpmRc.Success, CreateLoaded(srk, EccSigning).Rc);
        Assert.Equal(TpmRc.ObjectMemory, CreateLoaded(srk, EccSigning).Rc);
    }

    [Theory]
    [InlineData("0023 000B 00070472 0000 0010 0010 0003 0010 0000 0000")]   // restricted, sign and decrypt
    [InlineData("0023 000B 00030462 0000 0006 0080 0043 0010 0003 0010 0000 0000")] // fixedTPM without fixedParent
    public void Inconsistent_templates_are_attributes(string template) =>
        Assert.Equal(TpmRc.Attributes.AtParameter(2), CreateLoaded(Owner, template).Rc);

    [Fact]
    public void Null_hierarchy_parent_works_and_lockout_is_value()
    {
        Assert.Equal(TpmRc.Success, CreateLoaded(0x40000007, EccSigning).Rc);
        Assert.Equal(TpmRc.Value.AtHandle(1), CreateLoaded(0x4000000A, EccSigning).Rc);
    }
}
