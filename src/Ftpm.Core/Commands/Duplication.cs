using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// Part 3, 13 "Duplication Commands": Duplicate, Rewrap, Import (Part 1, "Duplication"). A duplication
/// blob is TPM2B_SENSITIVE, optionally under an inner wrapper (integrity = H_nameAlg(TPM2B_SENSITIVE ||
/// Name) in front, then encrypted with a symmetric key the caller holds) and an outer wrapper (an outer
/// wrapper as for a private area, keyed from a seed shared with the new parent under "DUPLICATE").
/// Duplication to TPM_RH_NULL has no outer wrapper; an object with encryptedDuplication SET always has both.
/// </summary>
internal static partial class Duplication
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<DuplicateIn, DuplicateOut>(TpmCc.Duplicate, Duplicate)
        {
            Handles = [new(HandleKinds.Object, AuthRole.Dup), new(HandleKinds.Object | HandleKinds.Null)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<RewrapIn, RewrapOut>(TpmCc.Rewrap, Rewrap)
        {
            Handles = [new(HandleKinds.Object | HandleKinds.Null, AuthRole.User), new(HandleKinds.Object | HandleKinds.Null)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
        new Command<ImportIn, ImportOut>(TpmCc.Import, Import)
        {
            Handles = [new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
            EncryptFirstResponseParameter = true,
        },
    ];

    /// <summary>The reference's ObjectIsStorage: a restricted decryption key that does not sign, of a type
    /// that can protect children. Unlike a parent for Create or Load, only its public part needs to be
    /// loaded (the new parent of a duplication is usually another TPM's key, loaded with LoadExternal).
    /// A SYMCIPHER key cannot take a shared seed, so it is no parent for an outer wrapper here.</summary>
    static bool IsAsymmetricStorage(TpmKey? key) =>
        key is { Type: TpmAlgId.Rsa or TpmAlgId.Ecc or TpmAlgId.MlKem } && key.Has(TpmaObject.Restricted | TpmaObject.Decrypt) && !key.Has(TpmaObject.Sign);

    static int KeyBytes(in TpmtSymDefObject symmetric) => (symmetric.KeyBits.Sym + 7) / 8;

    [TpmParameters]
    internal partial struct DuplicateIn
    {
        /// <summary>TPM2B_DATA: the inner wrapper's key, or empty for one the TPM makes.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> EncryptionKeyIn;
        [Check(nameof(TpmCheck.SymDefObject), AllowNull = true)] public TpmtSymDefObject SymmetricAlg;
    }

    [TpmParameters]
    internal partial struct DuplicateOut
    {
        /// <summary>TPM2B_DATA: the inner wrapper's key when the TPM made it, else empty.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> EncryptionKeyOut;
        /// <summary>TPM2B_PRIVATE.</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> Duplicate;
        /// <summary>TPM2B_ENCRYPTED_SECRET.</summary>
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> OutSymSeed;
    }

    /// <summary>TPM2_Duplicate (Part 3, 13.1): the object's sensitive area as a duplication blob for
    /// newParentHandle. Authorized in the DUP role, i.e. only by a policy that names TPM2_Duplicate
    /// (PolicyCommandCode or PolicyDuplicationSelect). Codes as the reference gives them:
    /// TPM_RC_ATTRIBUTES (H1) for an object with fixedParent SET; TPM_RC_TYPE (H1) for an object without a
    /// Name or no object; TPM_RC_TYPE (H2) for a new parent that is no asymmetric storage key;
    /// TPM_RC_SYMMETRIC (P2) and TPM_RC_HIERARCHY (H2) when encryptedDuplication is SET and the inner
    /// wrapper or the new parent is missing; TPM_RC_SIZE (P1) for a key given with no cipher, or of another
    /// size than the cipher's; TPM_RC_VALUE/KEY (unnumbered) when the seed cannot be encrypted to the new
    /// parent.</summary>
    static TpmRc Duplicate(Tpm tpm, ref CommandContext c, in DuplicateIn p, out DuplicateOut o)
    {
        o = default;
        var key = tpm.KeyOf(c.Handles[0]);
        if (key is null || !key.HasSensitive) return TpmRc.Type.AtHandle(1);
        if (key.Has(TpmaObject.FixedParent)) return TpmRc.Attributes.AtHandle(1);
        if (key.NameAlg == TpmAlgId.Null) return TpmRc.Type.AtHandle(1);
        bool toNull = c.Handles[1] == (uint)TpmRh.Null;
        var newParent = toNull ? null : tpm.KeyOf(c.Handles[1]);
        if (!toNull && !IsAsymmetricStorage(newParent)) return TpmRc.Type.AtHandle(2);
        var symmetric = p.SymmetricAlg;
        bool inner = symmetric.Algorithm != TpmAlgId.Null;
        // Part 1, "encryptedDuplication": such an object leaves the TPM only under both wrappers.
        if (key.Has(TpmaObject.EncryptedDuplication))
        {
            if (!inner) return TpmRc.Symmetric.AtParameter(DuplicateIn.Param.SymmetricAlg);
            if (toNull) return TpmRc.Hierarchy.AtHandle(2);
        }
        int keyLength = p.EncryptionKeyIn.Length;
        if (inner ? keyLength != 0 && keyLength != KeyBytes(symmetric) : keyLength != 0)
            return TpmRc.Size.AtParameter(DuplicateIn.Param.EncryptionKeyIn);

        byte[] seed = [], secret = [];
        if (!toNull)
        {
            var rc = SecretSharing.Encrypt(tpm, newParent!, SecretSharing.Duplicate, out seed, out secret);
            if (rc != TpmRc.Success) return rc;
        }

        // TPM2B_SENSITIVE with the authValue padded to nameAlg's digest, as the reference marshals a
        // sensitive area that leaves the TPM.
        var auth = new byte[Math.Max(key.AuthValue.Length, TpmAlgorithms.DigestSize(key.NameAlg))];
        key.AuthValue.CopyTo(auth, 0);
        var sensitive = ObjectSupport.SensitiveArea(key, auth);
        var blob = Sized(sensitive);
        CryptographicOperations.ZeroMemory(sensitive);
        CryptographicOperations.ZeroMemory(auth);

        byte[] generatedKey = [];
        if (inner)
        {
            var innerKey = keyLength != 0 ? p.EncryptionKeyIn.ToArray() : RandomKey(tpm, KeyBytes(symmetric));
            if (keyLength == 0) generatedKey = innerKey;
            var wrapped = ProduceInnerWrap(tpm, key.NameAlg, symmetric, innerKey, key.Name, blob);
            if (keyLength != 0) CryptographicOperations.ZeroMemory(innerKey);
            CryptographicOperations.ZeroMemory(blob);
            blob = wrapped;
        }
        if (!toNull)
        {
            var outer = ObjectSupport.ProduceOuterWrap(tpm, newParent!.NameAlg, newParent.ProtectionSymmetric, seed, key.Name, blob);
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(blob);
            blob = outer;
        }
        // Without an outer wrapper the blob may be the sensitive area in the clear; it and the inner key
        // live only in the scratch area, wiped after the response is marshaled.
        o.EncryptionKeyOut = ObjectSupport.MoveToScratch(tpm, generatedKey);
        o.Duplicate = ObjectSupport.MoveToScratch(tpm, blob);
        o.OutSymSeed = secret;
        return TpmRc.Success;
    }

    static byte[] RandomKey(Tpm tpm, int length)
    {
        var value = new byte[length];
        tpm.Random.Generate(value);
        return value;
    }

    static byte[] Sized(ReadOnlySpan<byte> value)
    {
        var result = new byte[2 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(result, (ushort)value.Length);
        value.CopyTo(result.AsSpan(2));
        return result;
    }

    /// <summary>The inner wrapper (Part 1, "Inner Duplication Wrapper"; the reference's
    /// ProduceInnerIntegrity and the encryption after it): TPM2B_DIGEST(H_nameAlg(data || name)) || data,
    /// all encrypted with <paramref name="symmetric"/> in CFB mode with a zero IV.</summary>
    static byte[] ProduceInnerWrap(Tpm tpm, TpmAlgId nameAlg, in TpmtSymDefObject symmetric, ReadOnlySpan<byte> innerKey,
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        int digestSize = TpmAlgorithms.DigestSize(nameAlg);
        var plain = new byte[2 + digestSize + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(plain, (ushort)digestSize);
        using (var h = tpm.Crypto.HashSetup(nameAlg))
        {
            h.Update(data);
            h.Update(name);
            h.Finish(plain.AsSpan(2, digestSize));
        }
        data.CopyTo(plain.AsSpan(2 + digestSize));
        var result = new byte[plain.Length];
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        tpm.Crypto.Cipher(symmetric.Algorithm, TpmAlgId.Cfb, true, innerKey, iv, plain, result);
        CryptographicOperations.ZeroMemory(plain);
        return result;
    }

    /// <summary>The reference's DuplicateToSensitive: removes the outer wrapper (when there is a seed) and
    /// the inner wrapper (when there is a cipher), then returns the TPMT_SENSITIVE inside the
    /// TPM2B_SENSITIVE. Codes (unnumbered): those of <see cref="ObjectSupport.UnwrapOuter"/>;
    /// TPM_RC_INSUFFICIENT/TPM_RC_SIZE when the inner integrity does not unmarshal, TPM_RC_INTEGRITY when it
    /// is wrong; TPM_RC_SIZE when the TPM2B_SENSITIVE's size is not what is left, or a TPMT_SENSITIVE that
    /// does not use all of it; the TPMT_SENSITIVE's own unmarshal codes.</summary>
    static TpmRc DuplicateToSensitive(Tpm tpm, ReadOnlySpan<byte> duplicate, ReadOnlySpan<byte> name, TpmKey parent, TpmAlgId nameAlg,
        ReadOnlySpan<byte> seed, in TpmtSymDefObject symmetric, ReadOnlySpan<byte> innerKey, out byte[] sensitive)
    {
        sensitive = [];
        byte[] data;
        if (!seed.IsEmpty)
        {
            var rc = ObjectSupport.UnwrapOuter(tpm, parent.NameAlg, parent.ProtectionSymmetric, seed, name, duplicate, out data);
            if (rc != TpmRc.Success) return rc;
        }
        else
        {
            data = duplicate.ToArray();
        }
        try
        {
            var rest = data.AsSpan();
            byte[]? decrypted = null;
            if (symmetric.Algorithm != TpmAlgId.Null)
            {
                decrypted = new byte[data.Length];
                Span<byte> iv = stackalloc byte[16];
                iv.Clear();
                tpm.Crypto.Cipher(symmetric.Algorithm, TpmAlgId.Cfb, false, innerKey, iv, data, decrypted);
                rest = decrypted;
                if (rest.Length < 2) return Wipe(decrypted, TpmRc.Insufficient);
                int size = BinaryPrimitives.ReadUInt16BigEndian(rest);
                if (size > TpmLimits.MaxDigestSize) return Wipe(decrypted, TpmRc.Size);
                if (size > rest.Length - 2) return Wipe(decrypted, TpmRc.Insufficient);
                var integrity = rest.Slice(2, size);
                rest = rest[(2 + size)..];
                Span<byte> expected = stackalloc byte[TpmLimits.MaxDigestSize];
                using (var h = tpm.Crypto.HashSetup(nameAlg))
                {
                    h.Update(rest);
                    h.Update(name);
                    int n = h.Finish(expected);
                    expected = expected[..n];
                }
                if (!CryptographicOperations.FixedTimeEquals(expected, integrity)) return Wipe(decrypted, TpmRc.Integrity);
            }
            TpmRc result;
            if (rest.Length < 2) result = TpmRc.Insufficient;
            else if (BinaryPrimitives.ReadUInt16BigEndian(rest) != rest.Length - 2) result = TpmRc.Size;
            else
            {
                var copy = rest[2..].ToArray();
                var reader = new TpmReader(copy);
                result = TpmtSensitive.Read(ref reader, out _);
                if (result == TpmRc.Success && reader.HasData) result = TpmRc.Size;
                if (result == TpmRc.Success) sensitive = copy;
                else CryptographicOperations.ZeroMemory(copy);
            }
            if (decrypted is not null) CryptographicOperations.ZeroMemory(decrypted);
            return result;
        }
        finally { CryptographicOperations.ZeroMemory(data); }
    }

    static TpmRc Wipe(byte[] buffer, TpmRc rc)
    {
        CryptographicOperations.ZeroMemory(buffer);
        return rc;
    }

    [TpmParameters]
    internal partial struct RewrapIn
    {
        /// <summary>TPM2B_PRIVATE.</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> InDuplicate;
        /// <summary>TPM2B_NAME.</summary>
        [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> Name;
        /// <summary>TPM2B_ENCRYPTED_SECRET.</summary>
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> InSymSeed;
    }

    [TpmParameters]
    internal partial struct RewrapOut
    {
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> OutDuplicate;
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> OutSymSeed;
    }

    /// <summary>TPM2_Rewrap (Part 3, 13.2): the TPM as a migration authority moves a duplication blob's
    /// outer wrapper from oldParent (or none: TPM_RH_NULL) to newParent (or none); the inner wrapper is
    /// not touched. Codes as the reference gives them: TPM_RC_HANDLE (H1) when inSymSeed is empty for an
    /// old parent or given without one; TPM_RC_TYPE (H1/H2) for a parent that is no asymmetric storage key;
    /// TPM_RC_VALUE (P3) for a seed oldParent cannot decrypt; the outer wrapper's codes (P1, e.g.
    /// TPM_RC_INTEGRITY); TPM_RC_VALUE (P1) when the blob would not fit a TPM2B_PRIVATE with a new
    /// wrapper; TPM_RC_VALUE/KEY (unnumbered) when the seed cannot be encrypted to newParent.</summary>
    static TpmRc Rewrap(Tpm tpm, ref CommandContext c, in RewrapIn p, out RewrapOut o)
    {
        o = default;
        bool fromNull = c.Handles[0] == (uint)TpmRh.Null, toNull = c.Handles[1] == (uint)TpmRh.Null;
        if (p.InSymSeed.IsEmpty != fromNull) return TpmRc.Handle.AtHandle(1);
        var name = p.Name.Span;
        byte[] blob;
        if (!fromNull)
        {
            var oldParent = tpm.KeyOf(c.Handles[0]);
            if (!IsAsymmetricStorage(oldParent)) return TpmRc.Type.AtHandle(1);
            var rc = SecretSharing.Decrypt(tpm, oldParent!, SecretSharing.Duplicate, p.InSymSeed.Span, out var oldSeed);
            if (rc != TpmRc.Success) return TpmRc.Value.AtParameter(RewrapIn.Param.InSymSeed);
            rc = ObjectSupport.UnwrapOuter(tpm, oldParent!.NameAlg, oldParent.ProtectionSymmetric, oldSeed, name, p.InDuplicate.Span, out blob);
            CryptographicOperations.ZeroMemory(oldSeed);
            if (rc != TpmRc.Success) return rc.AtParameter(RewrapIn.Param.InDuplicate);
        }
        else
        {
            blob = p.InDuplicate.ToArray();
        }

        if (toNull)
        {
            // No outer wrapper: the blob may hold the sensitive area in the clear.
            o.OutDuplicate = ObjectSupport.MoveToScratch(tpm, blob);
            o.OutSymSeed = ReadOnlyMemory<byte>.Empty;
            return TpmRc.Success;
        }
        var newParent = tpm.KeyOf(c.Handles[1]);
        if (!IsAsymmetricStorage(newParent)) return TpmRc.Type.AtHandle(2);
        var result = SecretSharing.Encrypt(tpm, newParent!, SecretSharing.Duplicate, out var seed, out var secret);
        if (result != TpmRc.Success) return result;
        if (blob.Length + 2 + TpmAlgorithms.DigestSize(newParent!.NameAlg) > TpmLimits.MaxPrivateSize)
            return TpmRc.Value.AtParameter(RewrapIn.Param.InDuplicate);
        o.OutDuplicate = ObjectSupport.ProduceOuterWrap(tpm, newParent.NameAlg, newParent.ProtectionSymmetric, seed, name, blob);
        o.OutSymSeed = secret;
        CryptographicOperations.ZeroMemory(seed);
        CryptographicOperations.ZeroMemory(blob);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct ImportIn
    {
        /// <summary>TPM2B_DATA: the inner wrapper's key.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> EncryptionKey;
        /// <summary>TPM2B_PUBLIC.</summary>
        [Sized] public TpmtPublic ObjectPublic;
        /// <summary>TPM2B_PRIVATE.</summary>
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> Duplicate;
        /// <summary>TPM2B_ENCRYPTED_SECRET.</summary>
        [Sized(TpmLimits.MaxEncryptedSecretSize)] public ReadOnlyMemory<byte> InSymSeed;
        [Check(nameof(TpmCheck.SymDefObject), AllowNull = true)] public TpmtSymDefObject SymmetricAlg;
    }

    [TpmParameters]
    internal partial struct ImportOut
    {
        [Sized(TpmLimits.MaxPrivateSize)] public ReadOnlyMemory<byte> OutPrivate;
    }

    /// <summary>TPM2_Import (Part 3, 13.3): a duplication blob (from TPM2_Duplicate, or made in software as
    /// tpm2_import does for an RSA, ECC, HMAC or AES key) becomes a private area of parentHandle that
    /// TPM2_Load takes. Codes as the reference gives them: TPM_RC_ATTRIBUTES (P2) for an object with
    /// fixedTPM or fixedParent SET; TPM_RC_TYPE (H1) for a parent that is no storage key, or a SYMCIPHER
    /// parent given a seed; TPM_RC_SIZE (P1) for a key of another size than the cipher's (or any key with
    /// no cipher); TPM_RC_ATTRIBUTES (P1/P4) for an encryptedDuplication object without its inner/outer
    /// wrapper; the seed's codes (P4, <see cref="SecretSharing.Decrypt"/>); TPM_RC_HASH (P2) for an object
    /// without a Name (first, as an unmarshaling failure); the blob's codes (P3, TPM_RC_INTEGRITY among them); under a fixedTPM parent also the
    /// checks of a loaded object (P2 for the public area, P3 for the sensitive area, TPM_RC_BINDING
    /// unnumbered when the secret is not the public key's).</summary>
    static TpmRc Import(Tpm tpm, ref CommandContext c, in ImportIn p, out ImportOut o)
    {
        o = default;
        // objectPublic is a TPM2B_PUBLIC whose nameAlg may not be NULL: the reference fails its unmarshaling,
        // before any other check.
        if (p.ObjectPublic.NameAlg == TpmAlgId.Null) return TpmRc.Hash.AtParameter(ImportIn.Param.ObjectPublic);
        var attributes = p.ObjectPublic.ObjectAttributes;
        if ((attributes & (TpmaObject.FixedTpm | TpmaObject.FixedParent)) != 0) return TpmRc.Attributes.AtParameter(ImportIn.Param.ObjectPublic);
        var parent = tpm.KeyOf(c.Handles[0]);
        if (parent is not { IsStorageParent: true }) return TpmRc.Type.AtHandle(1);
        bool encryptedDuplication = (attributes & TpmaObject.EncryptedDuplication) != 0;
        var symmetric = p.SymmetricAlg;
        if (symmetric.Algorithm != TpmAlgId.Null)
        {
            if (p.EncryptionKey.Length != KeyBytes(symmetric)) return TpmRc.Size.AtParameter(ImportIn.Param.EncryptionKey);
        }
        else
        {
            if (p.EncryptionKey.Length != 0) return TpmRc.Size.AtParameter(ImportIn.Param.EncryptionKey);
            if (encryptedDuplication) return TpmRc.Attributes.AtParameter(ImportIn.Param.EncryptionKey);
        }
        byte[] seed = [];
        if (!p.InSymSeed.IsEmpty)
        {
            // An outer wrapper needs a key exchange, which a symmetric key cannot do.
            if (parent.Type == TpmAlgId.SymCipher) return TpmRc.Type.AtHandle(1);
            var rc = SecretSharing.Decrypt(tpm, parent, SecretSharing.Duplicate, p.InSymSeed.Span, out seed);
            if (rc != TpmRc.Success) return rc.AtParameter(ImportIn.Param.InSymSeed);
        }
        else if (encryptedDuplication)
        {
            return TpmRc.Attributes.AtParameter(ImportIn.Param.InSymSeed);
        }

        var publicArea = TpmKey.Marshal(p.ObjectPublic);
        var name = TpmKey.ComputeName(tpm.Crypto, p.ObjectPublic.NameAlg, publicArea);
        var result = DuplicateToSensitive(tpm, p.Duplicate.Span, name, parent, p.ObjectPublic.NameAlg, seed, symmetric,
            p.EncryptionKey.Span, out var sensitive);
        CryptographicOperations.ZeroMemory(seed);
        if (result != TpmRc.Success) return result.AtParameter(ImportIn.Param.Duplicate);
        try
        {
            // Under a fixedTPM parent the object is checked now as if it were loaded (the reference's
            // ObjectLoad without a parent), so that its private area always loads.
            if (parent.Has(TpmaObject.FixedTpm))
            {
                result = CheckImported(tpm, p.ObjectPublic, publicArea, sensitive);
                if (result != TpmRc.Success) return result;
            }
            o.OutPrivate = ObjectSupport.Wrap(tpm, parent, name, sensitive);
            return TpmRc.Success;
        }
        finally { CryptographicOperations.ZeroMemory(sensitive); }
    }

    /// <summary>The load checks of an imported object: its public area on its own
    /// (<see cref="ObjectSupport.ValidatePublic"/>, P2), a seedValue longer than nameAlg's digest
    /// (TPM_RC_KEY_SIZE, P3), and whether the secret belongs to the public area
    /// (<see cref="ObjectSupport.LoadKey"/>: TPM_RC_KEY/ECC_POINT/VALUE at P2, TPM_RC_TYPE/SIZE/KEY_SIZE at
    /// P3, TPM_RC_BINDING unnumbered).</summary>
    static TpmRc CheckImported(Tpm tpm, in TpmtPublic objectPublic, byte[] publicArea, byte[] sensitive)
    {
        var rc = ObjectSupport.ValidatePublic(objectPublic, null, ImportIn.Param.ObjectPublic);
        if (rc != TpmRc.Success) return rc;
        rc = ObjectSupport.CheckRsaExponent(objectPublic);
        if (rc != TpmRc.Success) return rc.AtParameter(ImportIn.Param.ObjectPublic);
        rc = ObjectSupport.LoadKey(tpm, publicArea, sensitive, out var key);
        if (rc == TpmRc.Success)
        {
            key.Dispose();
            return rc;
        }
        if (rc == TpmRc.Key || rc == TpmRc.EccPoint || rc == TpmRc.Value) return rc.AtParameter(ImportIn.Param.ObjectPublic);
        if (rc == TpmRc.Binding || rc == TpmRc.Sensitive) return rc;
        return rc.AtParameter(ImportIn.Param.Duplicate);
    }
}
