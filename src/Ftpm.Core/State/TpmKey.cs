using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>
/// A loaded object with a public area (Part 1, 23 "Object"): an RSA or ECC key, a KEYEDHASH object
/// (HMAC key or sealed data) or a SYMCIPHER key. Holds the marshaled TPMT_PUBLIC it was loaded with
/// (its Name is nameAlg || H(that)), the parsed view <see cref="Public"/> over it, and the sensitive
/// area's parts. For other engineers: <see cref="TpmObject.Name"/> is the Name, <see cref="AuthPolicy"/>
/// the authPolicy, <see cref="Attributes"/> the TPMA_OBJECT, <see cref="IsAuthValueAvailable"/> tells
/// whether a password/HMAC session may be used for a role (Part 1, 19.7).
/// </summary>
internal sealed class TpmKey : TpmObject, Auth.IObjectAuthorization
{
    /// <summary>The marshaled TPMT_PUBLIC (owned; <see cref="Public"/>'s buffers point into it).</summary>
    public byte[] PublicArea { get; }

    /// <summary>The parsed public area.</summary>
    public TpmtPublic Public;

    /// <summary>The hierarchy the object belongs to (its primary's), TPM_RH_NULL for external keys
    /// loaded into the null hierarchy; the proof of tickets made with it.</summary>
    public uint Hierarchy;

    /// <summary>Qualified Name (Part 1, 16.6): nameAlg || H(parent's QN || Name).</summary>
    public byte[] QualifiedName = [];

    /// <summary>Whether the sensitive area is loaded (false: a public key from LoadExternal).</summary>
    public bool HasSensitive;

    /// <summary>TPMT_SENSITIVE seedValue: the seed of a storage key's children protection, or the
    /// obfuscation value of a KEYEDHASH/SYMCIPHER object.</summary>
    public byte[] SeedValue = [];

    /// <summary>KEYEDHASH: the HMAC key or sealed data; SYMCIPHER: the symmetric key.</summary>
    public byte[] SensitiveData = [];

    /// <summary>RSA or ECC key material in the crypto backend.</summary>
    public IAsymmetricKey? Asymmetric;

    /// <summary>Set when <see cref="Asymmetric"/> is shared with the primary-key cache: this object holds
    /// one reference and releases it on Dispose instead of disposing the key.</summary>
    public SharedAsymmetricKey? SharedAsymmetric;

    /// <summary>Loaded under a parent that is stClear (the reference's attributes.stClear, inherited): the
    /// object is then as volatile as its parent, and its saved context ends at the next TPM Restart.</summary>
    public bool ParentStClear;

    /// <summary>TPMA_OBJECT stClear, or inherited from the parent (<see cref="ParentStClear"/>).</summary>
    public bool IsStClear => Has(TpmaObject.StClear) || ParentStClear;

    /// <summary>The persistent handle this object was loaded from, or 0 for a transient object.</summary>
    public uint EvictHandle;


    TpmKey(byte[] publicArea, TpmtPublic parsed)
    {
        PublicArea = publicArea;
        Public = parsed;
    }

    /// <summary>Parses an owned copy of a marshaled TPMT_PUBLIC and computes the Name. Fails with the
    /// unmarshal code for bytes that are no public area (stored data checked earlier never does).</summary>
    public static TpmRc FromPublicArea(ICrypto crypto, byte[] publicArea, out TpmKey key)
    {
        key = null!;
        var reader = new TpmReader(publicArea);
        var rc = TpmtPublic.Read(ref reader, out var parsed);
        if (rc != TpmRc.Success) return rc;
        if (reader.HasData) return TpmRc.Size;
        key = new TpmKey(publicArea, parsed) { Name = ComputeName(crypto, parsed.NameAlg, publicArea) };
        return TpmRc.Success;
    }

    /// <summary>Marshals <paramref name="value"/> into a new array.</summary>
    public static byte[] Marshal(in TpmtPublic value)
    {
        Span<byte> buffer = stackalloc byte[TpmLimits.MaxPublicSize];
        var w = new TpmWriter(buffer);
        value.Write(ref w);
        return w.Written.ToArray();
    }

    /// <summary>Name (Part 1, 16): nameAlg || H_nameAlg(marshaled public area); the Empty Buffer for an
    /// object with nameAlg TPM_ALG_NULL (an external object loaded without a Name, Part 3, 12.3).</summary>
    public static byte[] ComputeName(ICrypto crypto, TpmAlgId nameAlg, ReadOnlySpan<byte> publicArea)
    {
        if (nameAlg == TpmAlgId.Null) return [];
        int size = TpmAlgorithms.DigestSize(nameAlg);
        var name = new byte[2 + size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(name, (ushort)nameAlg);
        if (size > 0) crypto.Hash(nameAlg, publicArea, name.AsSpan(2));
        return name;
    }

    /// <summary>Places a newly loaded object under <paramref name="parent"/>: the parent's hierarchy, the
    /// Qualified Name from the parent's, and stClear inherited from an stClear parent.</summary>
    public void SetParent(ICrypto crypto, TpmKey parent)
    {
        Hierarchy = parent.Hierarchy;
        QualifiedName = ComputeQualifiedName(crypto, NameAlg, parent.QualifiedName, Name);
        ParentStClear = parent.IsStClear;
    }

    /// <summary>Qualified Name (Part 1, 16.6): nameAlg || H_nameAlg(parentQN || name); a primary's
    /// parent QN is the hierarchy handle. Empty, like the Name, for nameAlg TPM_ALG_NULL.</summary>
    public static byte[] ComputeQualifiedName(ICrypto crypto, TpmAlgId nameAlg, ReadOnlySpan<byte> parentQualifiedName, ReadOnlySpan<byte> name)
    {
        if (nameAlg == TpmAlgId.Null) return [];
        int size = TpmAlgorithms.DigestSize(nameAlg);
        var qn = new byte[2 + size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(qn, (ushort)nameAlg);
        var data = new byte[parentQualifiedName.Length + name.Length];
        parentQualifiedName.CopyTo(data);
        name.CopyTo(data.AsSpan(parentQualifiedName.Length));
        if (size > 0) crypto.Hash(nameAlg, data, qn.AsSpan(2));
        return qn;
    }

    public TpmAlgId Type => Public.Type;
    public TpmAlgId NameAlg => Public.NameAlg;
    public TpmaObject Attributes => Public.ObjectAttributes;
    public ReadOnlySpan<byte> AuthPolicy => Public.AuthPolicy.Span;

    public bool Has(TpmaObject attribute) => (Public.ObjectAttributes & attribute) == attribute;

    // IObjectAuthorization: what the session engine asks of a key.
    public bool UserWithAuth => Has(TpmaObject.UserWithAuth);
    public bool AdminWithPolicy => Has(TpmaObject.AdminWithPolicy);
    public bool PublicOnly => !HasSensitive;

    /// <summary>TPMA_OBJECT noDA: a wrong authValue does not count towards lockout.</summary>
    public override bool NoDa => Has(TpmaObject.NoDa);

    /// <summary>A storage key (Part 1, 27.2 "Storage Keys"): restricted decryption key, not a signing
    /// key, of a type that can be a parent, with its sensitive area loaded.</summary>
    public bool IsStorageParent =>
        HasSensitive && Has(TpmaObject.Restricted | TpmaObject.Decrypt) && !Has(TpmaObject.Sign) &&
        Type is TpmAlgId.Rsa or TpmAlgId.Ecc or TpmAlgId.SymCipher or TpmAlgId.MlKem;

    /// <summary>A derivation parent (Part 1, "Derived Objects"; the reference's attributes.derivation): a
    /// restricted decryption KEYEDHASH key with its sensitive area loaded. Its secret keys the KDFa stream
    /// of the objects TPM2_CreateLoaded derives under it; it is no storage key (Create and Load refuse it).</summary>
    public bool IsDerivationParent =>
        HasSensitive && Type == TpmAlgId.KeyedHash && Has(TpmaObject.Restricted | TpmaObject.Decrypt) && !Has(TpmaObject.Sign);

    /// <summary>Whether the authValue (password or HMAC session) may authorize <paramref name="role"/>
    /// (Part 1, 19.7.? "Authorization Roles"): USER needs userWithAuth, ADMIN needs adminWithPolicy
    /// CLEAR, DUP always needs a policy. Where false, only a policy session will do
    /// (TPM_RC_AUTH_UNAVAILABLE for a password or HMAC session).</summary>
    public bool IsAuthValueAvailable(Dispatch.AuthRole role) => role switch
    {
        Dispatch.AuthRole.User => Has(TpmaObject.UserWithAuth),
        Dispatch.AuthRole.Admin => !Has(TpmaObject.AdminWithPolicy),
        Dispatch.AuthRole.Dup => false,
        _ => true,
    };

    /// <summary>The symmetric algorithm that protects a storage key's children (TPMT_SYM_DEF_OBJECT of
    /// its parameters).</summary>
    public TpmtSymDefObject ProtectionSymmetric => Type switch
    {
        TpmAlgId.Rsa => Public.Parameters.RsaDetail.Symmetric,
        TpmAlgId.Ecc => Public.Parameters.EccDetail.Symmetric,
        TpmAlgId.SymCipher => Public.Parameters.SymDetail.Sym,
        TpmAlgId.MlKem => Public.Parameters.MlKemDetail.Symmetric,
        _ => default,
    };

    public override void Dispose()
    {
        CryptographicOperations.ZeroMemory(SeedValue);
        CryptographicOperations.ZeroMemory(SensitiveData);
        if (SharedAsymmetric is { } shared) shared.Release();
        else Asymmetric?.Dispose();
        SharedAsymmetric = null;
        Asymmetric = null;
        base.Dispose();
    }
}
