using static Ftpm.Tests.Commands.KeyMoveTestHost;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_Duplicate, TPM2_Rewrap and TPM2_Import (Part 3, 13) in-process: round trips with and
/// without each wrapper, the DUP role, encryptedDuplication, and the response codes with positions.</summary>
public sealed class DuplicationTests
{
    readonly KeyMoveTestHost _t = new();
    static readonly byte[] NullSym = Cmd.U16((ushort)TpmAlgId.Null);
    static readonly byte[] Aes128Cfb = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Aes), Cmd.U16(128), Cmd.U16((ushort)TpmAlgId.Cfb));

    (Key Parent, Key Object, Blob Blob) Duplicable(uint extraAttributes = 0, Key? under = null)
    {
        var parent = under ?? _t.CreatePrimary(EccStorage);
        var blob = _t.Create(parent, DuplicableSigning(extraAttributes));
        return (parent, _t.Load(parent, blob), blob);
    }

    Response Duplicate(Key obj, uint newParent, byte[] keyIn, byte[] sym)
    {
        uint session = _t.DuplicateSession();
        var r = _t.RunWithPolicy(TpmCc.Duplicate, [obj.Handle, newParent], session, Cmd.Cat(Cmd.Sized(keyIn), sym));
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(session));
        return r;
    }

    static byte[] ImportParameters(byte[] key, byte[] objectPublic, byte[] duplicate, byte[] seed, byte[] sym) =>
        Cmd.Cat(Cmd.Sized(key), objectPublic, Cmd.Sized(duplicate), Cmd.Sized(seed), sym);

    Response Import(Key parent, byte[] key, byte[] objectPublic, byte[] duplicate, byte[] seed, byte[] sym) =>
        _t.RunWithPasswords(TpmCc.Import, [parent.Handle], ImportParameters(key, objectPublic, duplicate, seed, sym));

    /// <summary>Imports under <paramref name="parent"/>, loads and signs.</summary>
    void ImportLoadAndSign(Key parent, byte[] objectPublic, byte[] key, byte[] duplicate, byte[] seed, byte[] sym)
    {
        var r = Import(parent, key, objectPublic, duplicate, seed, sym);
        Assert.Equal(TpmRc.Success, r.Rc);
        var outPrivate = r.SessionParameters();
        var loaded = _t.Load(parent, new Blob(outPrivate, objectPublic));
        Assert.Equal(TpmRc.Success, _t.Sign(loaded));
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(loaded.Handle));
    }

    [Fact]
    public void Duplicate_to_null_without_wrappers_imports_under_another_parent()
    {
        var (_, obj, blob) = Duplicable();
        var r = Duplicate(obj, Null, [], NullSym);
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = Sized(r.SessionParameters(), 3);
        Assert.Empty(o[0]);
        Assert.Empty(o[2]);
        // No wrapper at all: the blob is the TPM2B_SENSITIVE in the clear (type ECC first).
        Assert.Equal(0x0023, o[1][2] << 8 | o[1][3]);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(obj.Handle));
        var other = _t.CreatePrimary(RsaStorage);
        ImportLoadAndSign(other, blob.Public, [], o[1], [], NullSym);
    }

    [Fact]
    public void Duplicate_with_both_wrappers_and_a_tpm_made_inner_key()
    {
        var (_, obj, blob) = Duplicable(extraAttributes: 0x800);   // encryptedDuplication
        var newParent = _t.CreatePrimary(RsaStorage);
        var r = Duplicate(obj, newParent.Handle, [], Aes128Cfb);
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = Sized(r.SessionParameters(), 3);
        Assert.Equal(16, o[0].Length);
        Assert.Equal(256, o[2].Length);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(obj.Handle));

        // Each wrapper is needed: without the inner key or without the seed, encryptedDuplication refuses.
        Assert.Equal((TpmRc)0x1C2, Import(newParent, [], blob.Public, o[1], o[2], NullSym).Rc);     // ATTRIBUTES + P1
        Assert.Equal((TpmRc)0x4C2, Import(newParent, o[0], blob.Public, o[1], [], Aes128Cfb).Rc);   // ATTRIBUTES + P4
        // The wrong inner key fails the inner integrity (or what is decrypted does not parse): P3.
        var wrongKey = (byte[])o[0].Clone();
        wrongKey[0] ^= 1;
        var wrong = Import(newParent, wrongKey, blob.Public, o[1], o[2], Aes128Cfb).Rc;
        Assert.Contains(wrong, new[] { (TpmRc)0x3DF, (TpmRc)0x3D5, (TpmRc)0x3DA });
        ImportLoadAndSign(newParent, blob.Public, o[0], o[1], o[2], Aes128Cfb);
    }

    [Fact]
    public void Duplicate_with_a_caller_key_returns_no_key_and_the_blob_opens_with_it()
    {
        var (_, obj, blob) = Duplicable();
        var newParent = _t.CreatePrimary(EccStorage);
        var innerKey = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var r = Duplicate(obj, newParent.Handle, innerKey, Aes128Cfb);
        Assert.Equal(TpmRc.Success, r.Rc);
        var o = Sized(r.SessionParameters(), 3);
        Assert.Empty(o[0]);
        Assert.Equal(4 + 2 * 32, o[2].Length);   // an ECC point
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(obj.Handle));
        // A changed outer blob is TPM_RC_INTEGRITY + P3; a changed seed is no point of the curve (ECC_POINT + P4).
        var tampered = (byte[])o[1].Clone();
        tampered[^1] ^= 1;
        Assert.Equal((TpmRc)0x3DF, Import(newParent, innerKey, blob.Public, tampered, o[2], Aes128Cfb).Rc);
        Assert.Equal((TpmRc)0x4E7, Import(newParent, innerKey, blob.Public, o[1], Cmd.Cat(o[2][..^1], [(byte)(o[2][^1] ^ 1)]), Aes128Cfb).Rc);
        ImportLoadAndSign(newParent, blob.Public, innerKey, o[1], o[2], Aes128Cfb);
    }

    [Fact]
    public void Duplicate_needs_the_dup_role()
    {
        var (_, obj, _) = Duplicable();
        var parameters = Cmd.Cat(Cmd.Sized([]), NullSym);
        // The DUP role needs a policy session; a password session is TPM_RC_AUTH_TYPE.
        Assert.Equal(TpmRc.AuthType, _t.Host.RunWithPasswords(TpmCc.Duplicate, [obj.Handle, Null], [[]], parameters).Rc);
        // A policy session whose digest is not the object's policy: TPM_RC_POLICY_FAIL + S1.
        var s = Auth.SessionClient.Start(_t.Host, TpmSe.Policy);
        Assert.Equal((TpmRc)0x99D, _t.RunWithPolicy(TpmCc.Duplicate, [obj.Handle, Null], s.Handle, parameters).Rc);
        // The object's policy names TPM2_Duplicate: it authorizes no other command (TPM_RC_POLICY_CC + S1).
        var sign = Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0));
        Assert.Equal((TpmRc)0x9A4, _t.RunWithPolicy(TpmCc.Sign, [obj.Handle], _t.DuplicateSession(), sign).Rc);
    }

    [Fact]
    public void Duplicate_codes_with_positions()
    {
        var (parent, obj, _) = Duplicable();
        var (_, fixedParent, _) = Duplicable(extraAttributes: 0x10, under: parent);
        Assert.Equal((TpmRc)0x182, Duplicate(fixedParent, Null, [], NullSym).Rc);                  // ATTRIBUTES + H1
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(fixedParent.Handle));
        var signer = _t.Load(parent, _t.Create(parent, EccSigning));
        Assert.Equal((TpmRc)0x28A, Duplicate(obj, signer.Handle, [], NullSym).Rc);                 // TYPE + H2
        Assert.Equal((TpmRc)0x1D5, Duplicate(obj, Null, new byte[16], NullSym).Rc);                // key without cipher: SIZE + P1
        Assert.Equal((TpmRc)0x1D5, Duplicate(obj, Null, new byte[15], Aes128Cfb).Rc);              // key of the wrong size: SIZE + P1
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(signer.Handle));
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(obj.Handle));
        var (_, encrypted, _) = Duplicable(extraAttributes: 0x800, under: parent);
        Assert.Equal((TpmRc)0x2D6, Duplicate(encrypted, parent.Handle, [], NullSym).Rc);           // SYMMETRIC + P2
        Assert.Equal((TpmRc)0x285, Duplicate(encrypted, Null, [], Aes128Cfb).Rc);                  // HIERARCHY + H2
    }

    [Fact]
    public void Import_codes_with_positions()
    {
        var (parent, obj, blob) = Duplicable();
        var dup = Sized(Duplicate(obj, Null, [], NullSym).SessionParameters(), 3)[1];
        // fixedTPM/fixedParent objects are never imported: ATTRIBUTES + P2.
        var fixedPublic = (byte[])blob.Public.Clone();
        fixedPublic[9] |= 0x12;
        Assert.Equal((TpmRc)0x2C2, Import(parent, [], fixedPublic, dup, [], NullSym).Rc);
        // An object without nameAlg: TPM_RC_HASH + P2, before the parent is looked at.
        var nameless = (byte[])blob.Public.Clone();
        nameless[4] = 0x00;
        nameless[5] = 0x10;
        Assert.Equal((TpmRc)0x2C3, Import(obj, [], nameless, dup, [], NullSym).Rc);
        // A signing key is no parent: TYPE + H1.
        Assert.Equal((TpmRc)0x18A, Import(obj, [], blob.Public, dup, [], NullSym).Rc);
        // Key sizes: SIZE + P1.
        Assert.Equal((TpmRc)0x1D5, Import(parent, new byte[16], blob.Public, dup, [], NullSym).Rc);
        Assert.Equal((TpmRc)0x1D5, Import(parent, new byte[15], blob.Public, dup, [], Aes128Cfb).Rc);
        // Without wrappers nothing binds the blob to a Name, but under a fixedTPM parent the secret is
        // checked against the public key: another point is TPM_RC_BINDING.
        var otherPublic = (byte[])blob.Public.Clone();
        otherPublic[^1] ^= 1;
        Assert.Equal(TpmRc.Binding, Import(parent, [], otherPublic, dup, [], NullSym).Rc);
        // A sensitive area whose size does not fit: SIZE + P3; an empty one: INSUFFICIENT + P3.
        Assert.Equal((TpmRc)0x3D5, Import(parent, [], blob.Public, Cmd.Cat(dup, [0]), [], NullSym).Rc);
        Assert.Equal((TpmRc)0x3DA, Import(parent, [], blob.Public, [], [], NullSym).Rc);
        // A seed the parent cannot decrypt: for an ECC parent a point not on its curve, ECC_POINT + P4.
        Assert.Equal((TpmRc)0x4E7, Import(parent, [], blob.Public, dup, Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.Sized(new byte[32])), NullSym).Rc);
        Assert.Equal(TpmRc.Success, Import(parent, [], blob.Public, dup, [], NullSym).Rc);
    }

    [Fact]
    public void Rewrap_moves_the_outer_wrapper_to_another_parent()
    {
        var (parent, obj, blob) = Duplicable();
        var first = _t.CreatePrimary(EccStorage);
        var o = Sized(Duplicate(obj, first.Handle, [], NullSym).SessionParameters(), 3);
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(obj.Handle));
        _t.Run(TpmCc.FlushContext, [], Cmd.U32(parent.Handle));
        var second = _t.CreatePrimary(RsaStorage);
        byte[] objName = ObjectName(blob.Public);

        // A seed for TPM_RH_NULL or none for a parent: TPM_RC_HANDLE + H1.
        Assert.Equal((TpmRc)0x18B, Rewrap(first.Handle, second.Handle, o[1], objName, []).Rc);
        Assert.Equal((TpmRc)0x18B, Rewrap(Null, second.Handle, o[1], objName, o[2]).Rc);
        // The wrong Name breaks the old outer wrapper's integrity: INTEGRITY + P1.
        var wrongName = (byte[])objName.Clone();
        wrongName[^1] ^= 1;
        Assert.Equal((TpmRc)0x1DF, Rewrap(first.Handle, second.Handle, o[1], wrongName, o[2]).Rc);

        var r = Rewrap(first.Handle, second.Handle, o[1], objName, o[2]);
        Assert.Equal(TpmRc.Success, r.Rc);
        var moved = Sized(r.SessionParameters(), 2);
        Assert.Equal(256, moved[1].Length);
        ImportLoadAndSign(second, blob.Public, [], moved[0], moved[1], NullSym);

        // To TPM_RH_NULL: the outer wrapper is removed.
        r = Rewrap(first.Handle, Null, o[1], objName, o[2]);
        Assert.Equal(TpmRc.Success, r.Rc);
        var bare = Sized(r.SessionParameters(), 2);
        Assert.Empty(bare[1]);
        ImportLoadAndSign(second, blob.Public, [], bare[0], [], NullSym);
    }

    /// <summary>TPM_CAP_COMMANDS lists each command with its TPMA_CC (Part 2, 8.9): the command index and
    /// cHandles (two for ActivateCredential, Duplicate, Rewrap; one for Import, MakeCredential), none of
    /// nv, extensive, flushed or rHandle; and TPM2_PolicyCommandCode accepts the code.</summary>
    [Theory]
    [InlineData(TpmCc.ActivateCredential, 0x04000147u)]
    [InlineData(TpmCc.Duplicate, 0x0400014Bu)]
    [InlineData(TpmCc.Rewrap, 0x04000152u)]
    [InlineData(TpmCc.Import, 0x02000156u)]
    [InlineData(TpmCc.MakeCredential, 0x02000168u)]
    public void GetCapability_lists_the_key_movement_commands(TpmCc code, uint attributes)
    {
        var r = _t.Run(TpmCc.GetCapability, [], Cmd.Cat(Cmd.U32((uint)TpmCap.Commands), Cmd.U32((uint)code), Cmd.U32(1)));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(Cmd.Cat(Cmd.U32((uint)TpmCap.Commands), Cmd.U32(1), Cmd.U32(attributes)), r.Body[1..]);
        var s = Auth.SessionClient.Start(_t.Host, TpmSe.Policy);
        Assert.Equal(TpmRc.Success, _t.Run(TpmCc.PolicyCommandCode, [s.Handle], Cmd.U32((uint)code)).Rc);
    }

    Response Rewrap(uint oldParent, uint newParent, byte[] duplicate, byte[] name, byte[] seed) =>
        _t.Host.RunWithPasswords(TpmCc.Rewrap, [oldParent, newParent], [[]], Cmd.Cat(Cmd.Sized(duplicate), Cmd.Sized(name), Cmd.Sized(seed)));

    /// <summary>nameAlg || SHA-256(TPMT_PUBLIC) of a TPM2B_PUBLIC.</summary>
    static byte[] ObjectName(byte[] tpm2bPublic) =>
        Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), System.Security.Cryptography.SHA256.HashData(tpm2bPublic.AsSpan(2)));
}
