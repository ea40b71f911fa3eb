using System.Buffers.Binary;

namespace Ftpm.Tests.Commands;

/// <summary>What ends an object's usability: a disabled hierarchy (TPM2_HierarchyControl: ContextLoad and
/// persistent handles answer TPM_RC_HIERARCHY), a TPM Restart for stClear objects' saved contexts
/// (clearCount in the context integrity), and the exponent rule of RSA key generation.</summary>
public sealed class ObjectLifecycleTests
{
    const uint Owner = 0x40000001, Platform = 0x4000000C;
    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    /// <summary>The same storage key with stClear (bit 2) SET.</summary>
    const string EccStorageStClear = "0023 000B 00030476 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string EccSigning = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);
    static byte[] Sensitive() => Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([])));

    static uint Primary(TpmTestHost host, string template)
    {
        var r = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        return HandleOf(r);
    }

    static byte[] Save(TpmTestHost host, uint handle)
    {
        var r = host.Run(TpmCc.ContextSave, handles: [handle]);
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.Body;
    }

    static TpmTestHost PowerCycle(TpmTestHost old, TpmSu startup)
    {
        Assert.Equal(TpmRc.Success, old.Run(TpmCc.Shutdown, Cmd.U16((ushort)TpmSu.State)).Rc);
        old.Tpm.PowerOff();
        var host = new TpmTestHost(old.Store, startup: false);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16((ushort)startup)).Rc);
        return host;
    }

    [Fact]
    public void StClear_contexts_survive_a_resume_but_not_a_restart()
    {
        var host = new TpmTestHost();
        uint volatileKey = Primary(host, EccStorageStClear);
        var stClear = Save(host, volatileKey);
        Assert.Equal(0x80000002u, BinaryPrimitives.ReadUInt32BigEndian(stClear.AsSpan(8)));
        // A child of an stClear parent is stClear too (the reference's inherited attributes.stClear).
        var child = host.RunWithPasswords(TpmCc.CreateLoaded, [volatileKey], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(H(EccSigning))));
        Assert.Equal(TpmRc.Success, child.Rc);
        Assert.Equal(0x80000002u, BinaryPrimitives.ReadUInt32BigEndian(Save(host, HandleOf(child)).AsSpan(8)));
        host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(child)));
        var ordinary = Save(host, Primary(host, EccStorage));

        // TPM Resume (Shutdown(STATE), Startup(STATE)): both contexts load.
        host = PowerCycle(host, TpmSu.State);
        var loaded = host.Run(TpmCc.ContextLoad, stClear);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(loaded)));

        // TPM Restart (Shutdown(STATE), Startup(CLEAR)): the stClear context fails its integrity check
        // (TPM_RC_INTEGRITY + P1); the ordinary one still loads.
        host = PowerCycle(host, TpmSu.Clear);
        Assert.Equal(TpmRc.Integrity.AtParameter(1), host.Run(TpmCc.ContextLoad, stClear).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ContextLoad, ordinary).Rc);
        // A context saved after the Restart loads again.
        var fresh = Save(host, Primary(host, EccStorageStClear));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ContextLoad, fresh).Rc);
    }

    static byte[] Sign(TpmTestHost host, uint key, byte[] digest)
    {
        var r = host.RunWithPasswords(TpmCc.Sign, [key], [[]], Cmd.Cat(Cmd.Sized(digest), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(0x40000007), Cmd.Sized([])));
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.SessionParameters(handles: 0);
    }

    static void AssertVerifies(TpmTestHost host, uint key, byte[] digest, byte[] signature) =>
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.VerifySignature, handles: [key], parameters: Cmd.Cat(Cmd.Sized(digest), signature)).Rc);

    /// <summary>ContextLoad reuses the saved key's backend key (SavedKeys) instead of importing it again:
    /// the loaded copies sign after the original is flushed and after each other are, a context whose
    /// entry was dropped (more saves than the cache holds) loads by import, and a power-off empties the
    /// cache.</summary>
    [Fact]
    public void Loaded_contexts_share_the_saved_key_and_outlive_the_original()
    {
        var host = new TpmTestHost();
        var digest = System.Security.Cryptography.SHA256.HashData("message"u8);
        uint original = Primary(host, EccSigning);
        var context = Save(host, original);
        Assert.Equal(1, host.Tpm.SavedKeys.Count);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(original)).Rc);
        uint first = HandleOf(host.Run(TpmCc.ContextLoad, context));
        uint second = HandleOf(host.Run(TpmCc.ContextLoad, context));
        AssertVerifies(host, second, digest, Sign(host, first, digest));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(first)).Rc);
        AssertVerifies(host, second, digest, Sign(host, second, digest));

        // More saves than the cache keeps: the first context's entry is dropped, it loads by import.
        for (int i = 0; i < Ftpm.State.SavedKeys.Capacity; i++) Save(host, second);
        Assert.Equal(Ftpm.State.SavedKeys.Capacity, host.Tpm.SavedKeys.Count);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(second)).Rc);
        uint imported = HandleOf(host.Run(TpmCc.ContextLoad, context));
        AssertVerifies(host, imported, digest, Sign(host, imported, digest));

        // The cache is RAM: a power-off empties it (and releases its keys).
        host.Tpm.PowerOff();
        Assert.Equal(0, host.Tpm.SavedKeys.Count);
    }

    [Fact]
    public void Disabled_hierarchy_objects_cannot_be_loaded_or_used()
    {
        var host = new TpmTestHost();
        uint srk = Primary(host, EccStorage);
        var saved = Save(host, srk);
        // EvictControl: the SRK persists at 0x81000001.
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.EvictControl, [Owner, srk], [[]], Cmd.U32(0x81000001)).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ReadPublic, handles: [0x81000001]).Rc);

        // The platform disables the owner hierarchy: its loaded objects are flushed,
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.HierarchyControl, [Platform], [[]], Cmd.Cat(Cmd.U32(Owner), Cmd.U8(0))).Rc);
        Assert.Equal(TpmRc.ReferenceH0, host.Run(TpmCc.ReadPublic, handles: [srk]).Rc);
        // its saved contexts do not load (TPM_RC_HIERARCHY + P1),
        Assert.Equal(TpmRc.Hierarchy.AtParameter(1), host.Run(TpmCc.ContextLoad, saved).Rc);
        // and its persistent objects answer TPM_RC_HIERARCHY on their handle.
        Assert.Equal(TpmRc.Hierarchy.AtHandle(1), host.Run(TpmCc.ReadPublic, handles: [0x81000001]).Rc);
        Assert.Equal(TpmRc.Hierarchy.AtHandle(1),
            host.RunWithPasswords(TpmCc.Create, [0x81000001], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(H(EccSigning)), Cmd.Sized([]), Cmd.U32(0))).Rc);

        // Enabled again, all of it works.
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.HierarchyControl, [Platform], [[]], Cmd.Cat(Cmd.U32(Owner), Cmd.U8(1))).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ContextLoad, saved).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ReadPublic, handles: [0x81000001]).Rc);
    }

    /// <summary>A generated RSA key's exponent is 0 (2^16 + 1) or a prime of at least 2^16 + 1, else
    /// TPM_RC_RANGE, unnumbered (the reference's CryptRsaGenerateKey; swtpm answers 0x08D for 3, 17,
    /// 65535 and 65541 and makes keys with 65537 and 65539).</summary>
    [Theory]
    [InlineData(3u, false)]
    [InlineData(17u, false)]
    [InlineData(65535u, false)]
    [InlineData(65541u, false)]
    [InlineData(4294967295u, false)]
    [InlineData(65539u, true)]
    [InlineData(0u, true)]
    public void Rsa_generation_exponent(uint exponent, bool generates)
    {
        var host = new TpmTestHost();
        // RSA-1024 RSASSA-SHA256 signing key, fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|sign.
        var template = Cmd.Cat(H("0001 000B 00040072 0000 0010 0014 000B 0400"), Cmd.U32(exponent), Cmd.U16(0));
        var r = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]], Cmd.Cat(Sensitive(), Cmd.Sized(template), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(generates ? TpmRc.Success : TpmRc.Range, r.Rc);
    }

    [Theory]
    [InlineData(65537u, true)]
    [InlineData(65539u, true)]
    [InlineData(65543u, true)]
    [InlineData(65541u, false)]   // 3 * 21847
    [InlineData(4294967291u, true)]   // the largest 32-bit prime
    [InlineData(4294967295u, false)]
    [InlineData(65536u, false)]
    public void Generation_exponent_primality(uint exponent, bool prime) =>
        Assert.Equal(prime ? TpmRc.Success : TpmRc.Range, Ftpm.Commands.ObjectSupport.CheckRsaGenerationExponent(exponent));
}
