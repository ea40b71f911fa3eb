namespace Ftpm.Marshal;

// The algorithm parameters of an object (Part 2, 11 "Algorithm Parameters and Structures" and
// 12.2.3 "Public Area Parameters"), in spec order. TPM2_TestParms reads TPMT_PUBLIC_PARMS; TPMT_PUBLIC
// (the keys issue) reuses TPMU_PUBLIC_PARMS.
//
// Which algorithms a TPMI_ type accepts depends on what is implemented (ImplementedAlgorithms):
// an unimplemented one fails to unmarshal with the type's code, as in a TPM built without it.
//
// In C a union's members overlap; here each arm is its own field. Where the spec gives several
// arms the same structure and also names a common member (anySig, anyKdf, sym), those arms share
// that one field, so code reads the hash of any scheme, or the key size of any block cipher, in
// one place.

/// <summary>TPMS_SCHEME_HASH (Part 2, 11.1.17): a scheme that takes only a hash. Also TPMS_SCHEME_HMAC
/// and the TPMS_SIG_SCHEME_, TPMS_ENC_SCHEME_OAEP, TPMS_KEY_SCHEME_ and TPMS_KDF_SCHEME_ types.</summary>
[TpmStruct("TPMS_SCHEME_HASH")]
internal partial struct TpmsSchemeHash
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId HashAlg;
}

/// <summary>TPMS_SCHEME_ECDAA (Part 2, 11.1.18): also TPMS_SIG_SCHEME_ECDAA.</summary>
[TpmStruct("TPMS_SCHEME_ECDAA")]
internal partial struct TpmsSchemeEcdaa
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId HashAlg;
    /// <summary>The counter value used with TPM2_Commit.</summary>
    public ushort Count;
}

/// <summary>TPMS_SCHEME_XOR (Part 2, 11.1.21): the hash and KDF of XOR obfuscation.</summary>
[TpmStruct("TPMS_SCHEME_XOR")]
internal partial struct TpmsSchemeXor
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId HashAlg;
    [Check(nameof(TpmCheck.Kdf), AllowNull = true)] public TpmAlgId Kdf;
}

/// <summary>TPMU_SCHEME_KEYEDHASH (Part 2, 11.1.22).</summary>
[TpmUnion("TPMU_SCHEME_KEYEDHASH", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuSchemeKeyedHash
{
    /// <summary>TPMS_SCHEME_HMAC</summary>
    [Arm(TpmAlgId.Hmac)] public TpmsSchemeHash Hmac;
    [Arm(TpmAlgId.Xor)] public TpmsSchemeXor Xor;
}

/// <summary>TPMT_KEYEDHASH_SCHEME (Part 2, 11.1.23). The scheme is a TPMI_ALG_KEYEDHASH_SCHEME+:
/// HMAC, XOR or NULL, else TPM_RC_VALUE.</summary>
[TpmStruct("TPMT_KEYEDHASH_SCHEME")]
internal partial struct TpmtKeyedHashScheme
{
    [Check(nameof(TpmCheck.KeyedHashScheme), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuSchemeKeyedHash Details;
}

/// <summary>TPMU_SYM_KEY_BITS (Part 2, 11.1.3): the key size of a block cipher, or the hash of XOR.
/// AES, SM4 and Camellia share the spec's <c>sym</c> member. The allowed sizes
/// (TPMI_AES_KEY_BITS ..., TPM_RC_VALUE) are checked with the enclosing TPMT_SYM_DEF_OBJECT.</summary>
[TpmUnion("TPMU_SYM_KEY_BITS", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuSymKeyBits
{
    [Arm(TpmAlgId.Aes)]
    [Arm(TpmAlgId.Sm4)]
    [Arm(TpmAlgId.Camellia)]
    public ushort Sym;

    /// <summary>TPMI_ALG_HASH</summary>
    [Arm(TpmAlgId.Xor)] public TpmAlgId Xor;
}

/// <summary>TPMU_SYM_MODE (Part 2, 11.1.4): the block cipher mode (TPMI_ALG_SYM_MODE+, TPM_RC_MODE,
/// checked with the enclosing TPMT_SYM_DEF_OBJECT); nothing for XOR and NULL.</summary>
[TpmUnion("TPMU_SYM_MODE", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Xor)]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuSymMode
{
    [Arm(TpmAlgId.Aes)]
    [Arm(TpmAlgId.Sm4)]
    [Arm(TpmAlgId.Camellia)]
    public TpmAlgId Sym;
}

/// <summary>TPMT_SYM_DEF_OBJECT (Part 2, 11.1.7): the symmetric algorithm of an object. The algorithm
/// is a TPMI_ALG_SYM_OBJECT (an implemented block cipher, TPM_RC_SYMMETRIC). Whether NULL is allowed
/// ("+") and the key size and mode are checked where the structure is used, with
/// <see cref="TpmCheck.SymDefObject"/>: the generator has no per-use "+" and no checks on union arms.</summary>
[TpmStruct("TPMT_SYM_DEF_OBJECT")]
internal partial struct TpmtSymDefObject
{
    [Check(nameof(TpmCheck.SymObject), AllowNull = true)] public TpmAlgId Algorithm;
    [Selector(nameof(Algorithm))] public TpmuSymKeyBits KeyBits;
    [Selector(nameof(Algorithm))] public TpmuSymMode Mode;
}

/// <summary>TPMS_SYMCIPHER_PARMS (Part 2, 11.1.9): a symmetric block cipher object; its algorithm may not be NULL.</summary>
[TpmStruct("TPMS_SYMCIPHER_PARMS")]
internal partial struct TpmsSymcipherParms
{
    [Check(nameof(TpmCheck.SymDefObject))] public TpmtSymDefObject Sym;
}

/// <summary>TPMU_KDF_SCHEME (Part 2, 11.2.3.2): every KDF takes only a hash (the spec's <c>anyKdf</c>).</summary>
[TpmUnion("TPMU_KDF_SCHEME", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuKdfScheme
{
    [Arm(TpmAlgId.Mgf1)]
    [Arm(TpmAlgId.Kdf1Sp800_56A)]
    [Arm(TpmAlgId.Kdf2)]
    [Arm(TpmAlgId.Kdf1Sp800_108)]
    [Arm(TpmAlgId.Hkdf)] // v185 (Table 187): TPMS_KDF_SCHEME_HKDF
    public TpmsSchemeHash AnyKdf;
}

/// <summary>TPMT_KDF_SCHEME (Part 2, 11.2.3.3). The scheme is a TPMI_ALG_KDF+ (TPM_RC_KDF).</summary>
[TpmStruct("TPMT_KDF_SCHEME")]
internal partial struct TpmtKdfScheme
{
    [Check(nameof(TpmCheck.Kdf), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuKdfScheme Details;
}

/// <summary>TPMU_ASYM_SCHEME (Part 2, 11.2.3.5): the signing, encryption and key-exchange schemes of
/// RSA and ECC keys. All but ECDAA (hash and count) and RSAES (nothing) take only a hash: they share
/// the spec's <c>anySig</c> member.</summary>
[TpmUnion("TPMU_ASYM_SCHEME", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.RsaEs)]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuAsymScheme
{
    [Arm(TpmAlgId.Ecdh)]
    [Arm(TpmAlgId.EcMqv)]
    [Arm(TpmAlgId.Sm2)]
    [Arm(TpmAlgId.RsaSsa)]
    [Arm(TpmAlgId.RsaPss)]
    [Arm(TpmAlgId.EcDsa)]
    [Arm(TpmAlgId.EcSchnorr)]
    [Arm(TpmAlgId.EdDsa)]
    [Arm(TpmAlgId.EdDsaPh)]
    [Arm(TpmAlgId.Oaep)]
    public TpmsSchemeHash AnySig;

    [Arm(TpmAlgId.EcDaa)] public TpmsSchemeEcdaa Ecdaa;
}

/// <summary>TPMT_RSA_SCHEME (Part 2, 11.2.4.2). The scheme is a TPMI_ALG_RSA_SCHEME+ (TPM_RC_VALUE).</summary>
[TpmStruct("TPMT_RSA_SCHEME")]
internal partial struct TpmtRsaScheme
{
    [Check(nameof(TpmCheck.RsaScheme), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuAsymScheme Details;
}

/// <summary>TPMT_ECC_SCHEME (Part 2, 11.2.5.6). The scheme is a TPMI_ALG_ECC_SCHEME+ (TPM_RC_SCHEME).</summary>
[TpmStruct("TPMT_ECC_SCHEME")]
internal partial struct TpmtEccScheme
{
    [Check(nameof(TpmCheck.EccScheme), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuAsymScheme Details;
}

/// <summary>TPMS_KEYEDHASH_PARMS (Part 2, 12.2.3.3): HMAC keys and sealed data objects.</summary>
[TpmStruct("TPMS_KEYEDHASH_PARMS")]
internal partial struct TpmsKeyedHashParms
{
    public TpmtKeyedHashScheme Scheme;
}

/// <summary>TPMS_RSA_PARMS (Part 2, 12.2.3.5).</summary>
[TpmStruct("TPMS_RSA_PARMS")]
internal partial struct TpmsRsaParms
{
    /// <summary>TPMT_SYM_DEF_OBJECT+: the symmetric algorithm of a storage key, NULL otherwise.</summary>
    [Check(nameof(TpmCheck.SymDefObject), AllowNull = true)] public TpmtSymDefObject Symmetric;
    public TpmtRsaScheme Scheme;
    /// <summary>TPMI_RSA_KEY_BITS: an implemented modulus size, else TPM_RC_VALUE.</summary>
    [Check(nameof(TpmCheck.RsaKeyBits))] public ushort KeyBits;
    /// <summary>The public exponent; 0 means 2^16 + 1.</summary>
    public uint Exponent;
}

/// <summary>TPMS_ECC_PARMS (Part 2, 12.2.3.6).</summary>
[TpmStruct("TPMS_ECC_PARMS")]
internal partial struct TpmsEccParms
{
    /// <summary>TPMT_SYM_DEF_OBJECT+: the symmetric algorithm of a storage key, NULL otherwise.</summary>
    [Check(nameof(TpmCheck.SymDefObject), AllowNull = true)] public TpmtSymDefObject Symmetric;
    public TpmtEccScheme Scheme;
    /// <summary>TPMI_ECC_CURVE: an implemented curve, else TPM_RC_CURVE.</summary>
    [Check(nameof(TpmCheck.EccCurve))] public TpmEccCurve CurveId;
    public TpmtKdfScheme Kdf;
}

/// <summary>TPMS_MLDSA_PARMS (Part 2 v185, 12.2.3.6, Table 230): an ML-DSA key.</summary>
[TpmStruct("TPMS_MLDSA_PARMS")]
internal partial struct TpmsMlDsaParms
{
    /// <summary>TPMI_MLDSA_PARMS: an implemented parameter set, else TPM_RC_PARMS.</summary>
    [Check(nameof(TpmCheck.MlDsaParms))] public TpmMlDsaParms ParameterSet;
    /// <summary>TPMI_YES_NO: YES lets TPM2_SignDigest and TPM2_VerifyDigestSignature take an external mu.</summary>
    [Check(nameof(TpmCheck.YesNo))] public byte AllowExternalMu;
}

/// <summary>TPMS_HASH_MLDSA_PARMS (Part 2 v185, 12.2.3.7, Table 231): a HashML-DSA (pre-hash) key.</summary>
[TpmStruct("TPMS_HASH_MLDSA_PARMS")]
internal partial struct TpmsHashMlDsaParms
{
    [Check(nameof(TpmCheck.MlDsaParms))] public TpmMlDsaParms ParameterSet;
    /// <summary>TPMI_ALG_HASH: the pre-hash function PH.</summary>
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId HashAlg;
}

/// <summary>TPMS_MLKEM_PARMS (Part 2 v185, 12.2.3.8, Table 232): an ML-KEM key.</summary>
[TpmStruct("TPMS_MLKEM_PARMS")]
internal partial struct TpmsMlKemParms
{
    /// <summary>TPMT_SYM_DEF_OBJECT+: the symmetric algorithm of a restricted decryption key, NULL otherwise.</summary>
    [Check(nameof(TpmCheck.SymDefObject), AllowNull = true)] public TpmtSymDefObject Symmetric;
    /// <summary>TPMI_MLKEM_PARMS: an implemented parameter set, else TPM_RC_PARMS.</summary>
    [Check(nameof(TpmCheck.MlKemParms))] public TpmMlKemParms ParameterSet;
}

/// <summary>TPMU_PUBLIC_PARMS (Part 2, 12.2.3.2): the parameters of each object type. (The spec's
/// <c>asymDetail</c>, TPMS_ASYM_PARMS, is selected by no type: it is a view of the RSA and ECC arms.)</summary>
[TpmUnion("TPMU_PUBLIC_PARMS", typeof(TpmAlgId))]
internal partial struct TpmuPublicParms
{
    [Arm(TpmAlgId.KeyedHash)] public TpmsKeyedHashParms KeyedHashDetail;
    [Arm(TpmAlgId.SymCipher)] public TpmsSymcipherParms SymDetail;
    [Arm(TpmAlgId.Rsa)] public TpmsRsaParms RsaDetail;
    [Arm(TpmAlgId.Ecc)] public TpmsEccParms EccDetail;
    /// <summary>v185 (Table 233).</summary>
    [Arm(TpmAlgId.MlDsa)] public TpmsMlDsaParms MlDsaDetail;
    [Arm(TpmAlgId.HashMlDsa)] public TpmsHashMlDsaParms HashMlDsaDetail;
    [Arm(TpmAlgId.MlKem)] public TpmsMlKemParms MlKemDetail;
}

/// <summary>TPMT_PUBLIC_PARMS (Part 2, 12.2.3.7): an object type and its parameters (TPM2_TestParms).
/// The type is a TPMI_ALG_PUBLIC: an implemented object type, else TPM_RC_TYPE.</summary>
[TpmStruct("TPMT_PUBLIC_PARMS")]
internal partial struct TpmtPublicParms
{
    [Check(nameof(TpmCheck.PublicType))] public TpmAlgId Type;
    [Selector(nameof(Type))] public TpmuPublicParms Parameters;
}
