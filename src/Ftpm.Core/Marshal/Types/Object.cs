namespace Ftpm.Marshal;

// Objects (Part 2, 12 "Key/Object Complex"): the public area, the sensitive area and its protected
// form, creation data. Used by the Object commands (Part 3, 12), CreatePrimary (24.1), Sign (20)
// and the context commands (28).

/// <summary>TPMA_OBJECT (Part 2, 8.3): an object's attributes. Bits this TPM does not implement
/// (firmwareLimited, svnLimited, x509sign) are reserved here: setting one is TPM_RC_RESERVED_BITS.</summary>
[Flags]
public enum TpmaObject : uint
{
    None = 0,
    FixedTpm = 1u << 1,
    StClear = 1u << 2,
    FixedParent = 1u << 4,
    SensitiveDataOrigin = 1u << 5,
    UserWithAuth = 1u << 6,
    AdminWithPolicy = 1u << 7,
    NoDa = 1u << 10,
    EncryptedDuplication = 1u << 11,
    Restricted = 1u << 16,
    Decrypt = 1u << 17,
    /// <summary>sign / encrypt.</summary>
    Sign = 1u << 18,
    /// <summary>Bits 0, 3, 8-9, 12-15 and 19-31.</summary>
    Reserved = 0xFFF8F309,
}

/// <summary>TPMS_ECC_POINT (Part 2, 11.2.5.2).</summary>
[TpmStruct("TPMS_ECC_POINT")]
internal partial struct TpmsEccPoint
{
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> X;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> Y;
}

/// <summary>TPMU_PUBLIC_ID (Part 2, 12.2.3.2): the unique identifier of an object: a digest for
/// KEYEDHASH and SYMCIPHER (TPM2B_DIGEST), the modulus of RSA (TPM2B_PUBLIC_KEY_RSA), the point of ECC.</summary>
[TpmUnion("TPMU_PUBLIC_ID", typeof(TpmAlgId))]
internal partial struct TpmuPublicId
{
    [Arm(TpmAlgId.KeyedHash)]
    [Arm(TpmAlgId.SymCipher)]
    [Sized(TpmLimits.MaxDigestSize)]
    public ReadOnlyMemory<byte> Digest;

    [Arm(TpmAlgId.Rsa)]
    [Sized(TpmLimits.MaxRsaKeyBytes)]
    public ReadOnlyMemory<byte> Rsa;

    [Arm(TpmAlgId.Ecc)] public TpmsEccPoint Ecc;

    /// <summary>v185 (Table 226): TPM2B_PUBLIC_KEY_MLDSA, the pkEncode of FIPS 204 (ML-DSA and HashML-DSA).</summary>
    [Arm(TpmAlgId.MlDsa)]
    [Arm(TpmAlgId.HashMlDsa)]
    [Sized(TpmLimits.MaxMlDsaPubSize)]
    public ReadOnlyMemory<byte> MlDsa;

    /// <summary>v185 (Table 226): TPM2B_PUBLIC_KEY_MLKEM, the encapsulation key of FIPS 203.</summary>
    [Arm(TpmAlgId.MlKem)]
    [Sized(TpmLimits.MaxMlKemPubSize)]
    public ReadOnlyMemory<byte> MlKem;
}

/// <summary>TPMT_PUBLIC (Part 2, 12.2.4). nameAlg is a TPMI_ALG_HASH+ (NULL only for an object with
/// no Name, which this TPM refuses where it matters with TPM_RC_HASH).</summary>
[TpmStruct("TPMT_PUBLIC")]
internal partial struct TpmtPublic
{
    [Check(nameof(TpmCheck.PublicType))] public TpmAlgId Type;
    [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId NameAlg;
    [Check(nameof(TpmCheck.ObjectAttributes))] public TpmaObject ObjectAttributes;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> AuthPolicy;
    [Selector(nameof(Type))] public TpmuPublicParms Parameters;
    [Selector(nameof(Type))] public TpmuPublicId Unique;
}

/// <summary>TPMS_DERIVE (Part 2, "Key/Object Complex"): the label and context of a derived object (Part 1, "Derived
/// Objects"). TPM2_CreateLoaded under a derivation parent reads it in place of the template's unique
/// field (TPMU_PUBLIC_ID's derive arm), and from the sensitive data where the template leaves one empty.</summary>
[TpmStruct("TPMS_DERIVE")]
internal partial struct TpmsDerive
{
    /// <summary>TPM2B_LABEL.</summary>
    [Sized(TpmLimits.LabelMaxBuffer)] public ReadOnlyMemory<byte> Label;
    /// <summary>TPM2B_LABEL.</summary>
    [Sized(TpmLimits.LabelMaxBuffer)] public ReadOnlyMemory<byte> Context;
}

/// <summary>A TPM2B_TEMPLATE's TPMT_PUBLIC as TPM2_CreateLoaded reads it under a derivation parent
/// (Part 3, 12.9): the fields of <see cref="TpmtPublic"/> with a TPMS_DERIVE in place of unique.</summary>
[TpmStruct("TPMT_PUBLIC (derivation template)")]
internal partial struct TpmtDeriveTemplate
{
    [Check(nameof(TpmCheck.PublicType))] public TpmAlgId Type;
    [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId NameAlg;
    [Check(nameof(TpmCheck.ObjectAttributes))] public TpmaObject ObjectAttributes;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> AuthPolicy;
    [Selector(nameof(Type))] public TpmuPublicParms Parameters;
    public TpmsDerive Derive;
}

/// <summary>TPM2B_PUBLIC (Part 2, 12.2.5).</summary>
[TpmStruct("TPM2B_PUBLIC")]
internal partial struct Tpm2bPublic
{
    [Sized] public TpmtPublic PublicArea;
}

/// <summary>TPMS_SENSITIVE_CREATE (Part 2, 11.1.15): the authValue and, for KEYEDHASH and SYMCIPHER
/// objects, the data or key the caller supplies.</summary>
[TpmStruct("TPMS_SENSITIVE_CREATE")]
internal partial struct TpmsSensitiveCreate
{
    [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> UserAuth;
    /// <summary>TPM2B_SENSITIVE_DATA.</summary>
    [Sized(TpmLimits.MaxSymData)] public ReadOnlyMemory<byte> Data;
}

/// <summary>TPMU_SENSITIVE_COMPOSITE (Part 2, 12.3.2.3): the secret of each object type: one RSA prime,
/// the ECC private value, the KEYEDHASH bits (HMAC key or sealed data), the symmetric key.</summary>
[TpmUnion("TPMU_SENSITIVE_COMPOSITE", typeof(TpmAlgId))]
internal partial struct TpmuSensitiveComposite
{
    /// <summary>TPM2B_PRIVATE_KEY_RSA.</summary>
    [Arm(TpmAlgId.Rsa)][Sized(TpmLimits.MaxRsaKeyBytes / 2 * 5)] public ReadOnlyMemory<byte> Rsa;
    /// <summary>TPM2B_ECC_PARAMETER.</summary>
    [Arm(TpmAlgId.Ecc)][Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> Ecc;
    /// <summary>TPM2B_SENSITIVE_DATA.</summary>
    [Arm(TpmAlgId.KeyedHash)][Sized(TpmLimits.MaxSymData)] public ReadOnlyMemory<byte> Bits;
    /// <summary>TPM2B_SYM_KEY.</summary>
    [Arm(TpmAlgId.SymCipher)][Sized(TpmLimits.MaxSymKeyBytes)] public ReadOnlyMemory<byte> Sym;
    /// <summary>v185 (Table 239): TPM2B_PRIVATE_KEY_MLDSA, the 32-octet seed xi (ML-DSA and HashML-DSA).
    /// Its exact size is checked when the object is loaded.</summary>
    [Arm(TpmAlgId.MlDsa)][Arm(TpmAlgId.HashMlDsa)][Sized(MlParameterSets.MlDsaPrivateSeedSize)] public ReadOnlyMemory<byte> MlDsa;
    /// <summary>v185 (Table 239): TPM2B_PRIVATE_KEY_MLKEM, the 64-octet seed d || z.</summary>
    [Arm(TpmAlgId.MlKem)][Sized(MlParameterSets.MlKemPrivateSeedSize)] public ReadOnlyMemory<byte> MlKem;
}

/// <summary>TPMT_SENSITIVE (Part 2, 12.3.2.4).</summary>
[TpmStruct("TPMT_SENSITIVE")]
internal partial struct TpmtSensitive
{
    [Check(nameof(TpmCheck.PublicType))] public TpmAlgId SensitiveType;
    [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> AuthValue;
    /// <summary>For a storage key, the seed of its children's protection; for KEYEDHASH and SYMCIPHER,
    /// the obfuscation value of the unique field.</summary>
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> SeedValue;
    [Selector(nameof(SensitiveType))] public TpmuSensitiveComposite Sensitive;
}

/// <summary>TPMS_CREATION_DATA (Part 2, 15.1).</summary>
[TpmStruct("TPMS_CREATION_DATA")]
internal partial struct TpmsCreationData
{
    public TpmlPcrSelection PcrSelect;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PcrDigest;
    /// <summary>TPMA_LOCALITY.</summary>
    public byte Locality;
    public TpmAlgId ParentNameAlg;
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> ParentName;
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> ParentQualifiedName;
    [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> OutsideInfo;
}

/// <summary>TPMT_TK_CREATION (Part 2, 10.7.3): proof that the TPM created an object with the creation data.
/// The tag must be TPM_ST_CREATION (TPM_RC_TAG), the hierarchy a TPMI_RH_HIERARCHY+ (TPM_RC_VALUE).</summary>
[TpmStruct("TPMT_TK_CREATION")]
internal partial struct TpmtTkCreation
{
    [Check(nameof(TpmCheck.CreationTicketTag))] public TpmSt Tag;
    [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    public Tpm2bDigest Digest;
}

/// <summary>TPMU_TK_VERIFIED_META (Part 2 v185, 10.6.4, Table 111): what a verification ticket carries beyond
/// its HMAC: nothing for TPM_ST_VERIFIED and TPM_ST_MESSAGE_VERIFIED, the hash of the verified digest for
/// TPM_ST_DIGEST_VERIFIED.</summary>
[TpmUnion("TPMU_TK_VERIFIED_META", typeof(TpmSt))]
[EmptyArm(TpmSt.Verified)]
[EmptyArm(TpmSt.MessageVerified)]
internal partial struct TpmuTkVerifiedMeta
{
    /// <summary>TPMI_ALG_HASH: the hash algorithm or XOF that produced the verified digest.</summary>
    [Arm(TpmSt.DigestVerified)] public TpmAlgId DigestVerified;
}

/// <summary>TPMT_TK_VERIFIED (Part 2 v185, 10.6.5, Table 113): proof that the TPM verified a signature. v185 adds
/// the tags of TPM2_VerifySequenceComplete and TPM2_VerifyDigestSignature and the metadata between
/// hierarchy and the HMAC (empty for TPM_ST_VERIFIED, so older tickets keep their layout).</summary>
[TpmStruct("TPMT_TK_VERIFIED")]
internal partial struct TpmtTkVerified
{
    [Check(nameof(TpmCheck.VerifiedTicketTag))] public TpmSt Tag;
    [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    [Selector(nameof(Tag))] public TpmuTkVerifiedMeta Metadata;
    /// <summary>The spec's hmac (called digest before v185).</summary>
    public Tpm2bDigest Digest;
}
