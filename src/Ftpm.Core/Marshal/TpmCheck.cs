namespace Ftpm.Marshal;

/// <summary>
/// Value checks for the TPMI_ interface types (Part 2, chapter 9), run by generated unmarshal
/// code through [Check(...)]. Each returns the code Part 2 names for the type. Every check has the one
/// shape the generator calls, (value, allowNull), whether or not its type has a "+" form.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE0060:Remove unused parameter",
    Justification = "allowNull is part of the shape the generated unmarshal code calls every check with")]
internal static class TpmCheck
{
    /// <summary>TPMI_ALG_HASH: an implemented hash, or TPM_ALG_NULL where "+" allows it; else TPM_RC_HASH.</summary>
    public static TpmRc Hash(TpmAlgId value, bool allowNull) =>
        TpmAlgorithms.IsHash(value) || (allowNull && value == TpmAlgId.Null) ? TpmRc.Success : TpmRc.Hash;

    /// <summary>The tag of a TPMT_TK_CREATION (Part 2, 10.7.3): TPM_ST_CREATION, else TPM_RC_TAG.</summary>
    public static TpmRc CreationTag(TpmSt value, bool allowNull) => value == TpmSt.Creation ? TpmRc.Success : TpmRc.Tag;

    /// <summary>TPMI_YES_NO: 0 or 1, else TPM_RC_VALUE.</summary>
    public static TpmRc YesNo(byte value, bool allowNull) => value <= 1 ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMS_PCR_SELECT sizeofSelect: at least PCR_SELECT_MIN (Part 2, 10.6.1), else TPM_RC_VALUE.</summary>
    public static TpmRc PcrSelect(ReadOnlyMemory<byte> value, bool allowNull) =>
        value.Length >= TpmLimits.PcrSelectMin ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPM_SU: CLEAR or STATE, else TPM_RC_VALUE.</summary>
    public static TpmRc StartupType(TpmSu value, bool allowNull) =>
        value is TpmSu.Clear or TpmSu.State ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMI_RH_HIERARCHY: owner, endorsement or platform (+ TPM_RH_NULL), else TPM_RC_VALUE.</summary>
    public static TpmRc Hierarchy(uint value, bool allowNull) =>
        (TpmRh)value is TpmRh.Owner or TpmRh.Endorsement or TpmRh.Platform || (allowNull && value == (uint)TpmRh.Null)
            ? TpmRc.Success : TpmRc.Value;

    // ---- Capability and algorithm parameters (GetCapability, TestParms) ----------------------
    // Each TPMI_ type accepts the members Part 2 lists for it that are also implemented
    // (ImplementedAlgorithms), with the code the reference's unmarshaling gives.

    /// <summary>TPM_CAP: a capability this TPM answers, else TPM_RC_VALUE. TPM_CAP_PUB_KEYS and
    /// TPM_CAP_SPDM_SESSION_INFO exist only with secure-channel support (the reference's TPM_CAP_Unmarshal
    /// under SEC_CHANNEL_SUPPORT), which this TPM does not have.</summary>
    public static TpmRc Capability(TpmCap value, bool allowNull) =>
        value is >= TpmCap.Algs and <= TpmCap.Act or TpmCap.VendorProperty ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMI_ALG_PUBLIC (Part 2 v185, 12.2.2): an implemented object type, else TPM_RC_TYPE.</summary>
    public static TpmRc PublicType(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Rsa, TpmAlgId.KeyedHash, TpmAlgId.Ecc, TpmAlgId.SymCipher,
            TpmAlgId.MlDsa, TpmAlgId.HashMlDsa, TpmAlgId.MlKem], TpmRc.Type, allowNull: false);

    /// <summary>TPMI_MLDSA_PARMS (Part 2 v185, 11.2.7.1): an implemented ML-DSA parameter set, else TPM_RC_PARMS.</summary>
    public static TpmRc MlDsaParms(TpmMlDsaParms value, bool allowNull) =>
        MlParameterSets.IsImplemented(value) ? TpmRc.Success : TpmRc.Parms;

    /// <summary>TPMI_MLKEM_PARMS (Part 2 v185, 11.2.6.1): an implemented ML-KEM parameter set, else TPM_RC_PARMS.</summary>
    public static TpmRc MlKemParms(TpmMlKemParms value, bool allowNull) =>
        MlParameterSets.IsImplemented(value) ? TpmRc.Success : TpmRc.Parms;

    /// <summary>TPMI_ALG_KEYEDHASH_SCHEME (Part 2, 11.1.19): HMAC or XOR (+ NULL), else TPM_RC_VALUE.</summary>
    public static TpmRc KeyedHashScheme(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Hmac, TpmAlgId.Xor], TpmRc.Value, allowNull);

    /// <summary>TPMI_ALG_SYM_OBJECT (Part 2, 11.1.2): an implemented block cipher (+ NULL), else TPM_RC_SYMMETRIC.</summary>
    public static TpmRc SymObject(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Aes, TpmAlgId.Sm4, TpmAlgId.Camellia], TpmRc.Symmetric, allowNull);

    /// <summary>TPMI_ALG_SYM_MODE (Part 2, 11.1.2): an implemented block cipher mode (+ NULL), else TPM_RC_MODE.</summary>
    public static TpmRc SymMode(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Cmac, TpmAlgId.Ctr, TpmAlgId.Ofb, TpmAlgId.Cbc, TpmAlgId.Cfb, TpmAlgId.Ecb], TpmRc.Mode, allowNull);

    /// <summary>TPMI_ALG_KDF (Part 2, 9.32): an implemented key derivation function (+ NULL), else TPM_RC_KDF.</summary>
    public static TpmRc Kdf(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Mgf1, TpmAlgId.Kdf1Sp800_56A, TpmAlgId.Kdf2, TpmAlgId.Kdf1Sp800_108, TpmAlgId.Hkdf], TpmRc.Kdf, allowNull);

    /// <summary>TPMI_ALG_RSA_SCHEME (Part 2, 11.2.4.1): an implemented RSA scheme (+ NULL), else TPM_RC_VALUE.</summary>
    public static TpmRc RsaScheme(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.RsaSsa, TpmAlgId.RsaEs, TpmAlgId.RsaPss, TpmAlgId.Oaep], TpmRc.Value, allowNull);

    /// <summary>TPMI_ALG_ECC_SCHEME (Part 2, 11.2.5.4): an implemented ECC scheme (+ NULL), else TPM_RC_SCHEME.</summary>
    public static TpmRc EccScheme(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.EcDsa, TpmAlgId.Ecdh, TpmAlgId.EcDaa, TpmAlgId.Sm2, TpmAlgId.EcSchnorr, TpmAlgId.EcMqv,
            TpmAlgId.EdDsa, TpmAlgId.EdDsaPh], TpmRc.Scheme, allowNull);

    /// <summary>TPMI_ECC_KEY_EXCHANGE (Part 2, chapter 9): an implemented two-phase key exchange (ECDH, ECMQV,
    /// SM2; + NULL), else TPM_RC_SCHEME.</summary>
    public static TpmRc EccKeyExchange(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Ecdh, TpmAlgId.EcMqv, TpmAlgId.Sm2], TpmRc.Scheme, allowNull);

    /// <summary>TPMI_RSA_KEY_BITS (Part 2, 11.2.4.6): an implemented modulus size, else TPM_RC_VALUE.</summary>
    public static TpmRc RsaKeyBits(ushort value, bool allowNull) =>
        ImplementedAlgorithms.RsaKeyBits.Contains(value) ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMI_ECC_CURVE (Part 2, 11.2.5.5): an implemented curve (+ TPM_ECC_NONE), else TPM_RC_CURVE.</summary>
    public static TpmRc EccCurve(TpmEccCurve value, bool allowNull) =>
        ImplementedAlgorithms.EccCurves.Contains(value) || (allowNull && value == TpmEccCurve.None) ? TpmRc.Success : TpmRc.Curve;

    /// <summary>TPMT_SYM_DEF_OBJECT where it is used: NULL only where the spec writes "+" (else
    /// TPM_RC_SYMMETRIC), an implemented key size for the cipher (TPMI_AES_KEY_BITS ...: TPM_RC_VALUE)
    /// and an implemented mode or NULL (TPMI_ALG_SYM_MODE+: TPM_RC_MODE). The reference checks key
    /// size and mode as each is read; the generator has no checks on union arms, so this runs once
    /// the structure is read (a truncated structure reports TPM_RC_INSUFFICIENT first).</summary>
    public static TpmRc SymDefObject(TpmtSymDefObject value, bool allowNull)
    {
        if (value.Algorithm == TpmAlgId.Null) return allowNull ? TpmRc.Success : TpmRc.Symmetric;
        if (!ImplementedAlgorithms.IsSymKeySize(value.Algorithm, value.KeyBits.Sym)) return TpmRc.Value;
        return SymMode(value.Mode.Sym, allowNull: true);
    }

    // ---- Objects and signatures (the keys issue) ------------------------------------------------

    /// <summary>TPMA_OBJECT (Part 2, 8.3): no reserved bit set, else TPM_RC_RESERVED_BITS.</summary>
    public static TpmRc ObjectAttributes(TpmaObject value, bool allowNull) =>
        (value & TpmaObject.Reserved) == 0 ? TpmRc.Success : TpmRc.ReservedBits;

    /// <summary>TPMI_ALG_SIG_SCHEME (Part 2 v185, 9.37): an implemented signing scheme, HMAC, ML-DSA or
    /// HashML-DSA (+ NULL), else TPM_RC_SCHEME.</summary>
    public static TpmRc SigScheme(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.RsaSsa, TpmAlgId.RsaPss, TpmAlgId.EcDsa, TpmAlgId.EcDaa, TpmAlgId.Sm2, TpmAlgId.EcSchnorr,
            TpmAlgId.Hmac, TpmAlgId.MlDsa, TpmAlgId.HashMlDsa], TpmRc.Scheme, allowNull);

    /// <summary>TPMI_ALG_RSA_DECRYPT (Part 2, 11.2.4.3): RSAES or OAEP (+ NULL), else TPM_RC_VALUE.</summary>
    public static TpmRc RsaDecrypt(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.RsaEs, TpmAlgId.Oaep], TpmRc.Value, allowNull);

    /// <summary>TPMI_ALG_MAC_SCHEME (Part 2, chapter 9): an implemented hash or TPM_ALG_CMAC (+ NULL), else
    /// TPM_RC_SYMMETRIC (as the reference's unmarshaling gives it).</summary>
    public static TpmRc MacScheme(TpmAlgId value, bool allowNull) =>
        TpmAlgorithms.IsHash(value) || (value == TpmAlgId.Cmac && ImplementedAlgorithms.IsImplemented(value)) ||
        (allowNull && value == TpmAlgId.Null) ? TpmRc.Success : TpmRc.Symmetric;

    /// <summary>TPMI_ALG_CIPHER_MODE (Part 2, 9.31): an implemented encryption mode (+ NULL), else TPM_RC_MODE.</summary>
    public static TpmRc CipherMode(TpmAlgId value, bool allowNull) =>
        OneOf(value, [TpmAlgId.Ctr, TpmAlgId.Ofb, TpmAlgId.Cbc, TpmAlgId.Cfb, TpmAlgId.Ecb], TpmRc.Mode, allowNull);

    /// <summary>A TPMI_ check: <paramref name="value"/> is one of <paramref name="members"/> (the type's
    /// list in Part 2) and implemented, or NULL where "+" allows it.</summary>
    static TpmRc OneOf(TpmAlgId value, ReadOnlySpan<TpmAlgId> members, TpmRc error, bool allowNull)
    {
        if (allowNull && value == TpmAlgId.Null) return TpmRc.Success;
        return members.Contains(value) && ImplementedAlgorithms.IsImplemented(value) ? TpmRc.Success : error;
    }

    // ---- Sessions and policies -------------------------------------------------------

    /// <summary>TPM_SE (Part 2, 6.11): HMAC, POLICY or TRIAL, else TPM_RC_VALUE.</summary>
    public static TpmRc SessionType(TpmSe value, bool allowNull) =>
        value is TpmSe.Hmac or TpmSe.Policy or TpmSe.Trial ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMI_ALG_SYM (Part 2, 9.28): a block cipher sessions encrypt with (AES, through the crypto
    /// port's AES-CFB) or XOR (+ NULL), else TPM_RC_SYMMETRIC.</summary>
    public static TpmRc SymAlgorithm(TpmAlgId value, bool allowNull) =>
        value is TpmAlgId.Aes or TpmAlgId.Xor || (allowNull && value == TpmAlgId.Null) ? TpmRc.Success : TpmRc.Symmetric;

    /// <summary>TPMT_SYM_DEF of a session (Part 2, 11.1.6): XOR names an implemented hash (TPM_RC_HASH);
    /// AES has a key size of 128 or 256 bits (TPMI_AES_KEY_BITS, TPM_RC_VALUE) and mode CFB, the only mode
    /// of parameter encryption (Part 3, 11.1: TPM_RC_MODE). Checked once the structure is read.</summary>
    public static TpmRc SymDef(TpmtSymDef value, bool allowNull)
    {
        switch (value.Algorithm)
        {
            case TpmAlgId.Null: return allowNull ? TpmRc.Success : TpmRc.Symmetric;
            case TpmAlgId.Xor: return TpmAlgorithms.IsHash(value.KeyBits.Xor) ? TpmRc.Success : TpmRc.Hash;
            case TpmAlgId.Aes:
                if (value.KeyBits.Sym is not (128 or 256)) return TpmRc.Value;
                return value.Mode.Sym == TpmAlgId.Cfb ? TpmRc.Success : TpmRc.Mode;
            default: return TpmRc.Symmetric;
        }
    }

    /// <summary>TPMI_YES_NO-like TPM_EO (Part 2, 6.8): a defined operation, else TPM_RC_VALUE.</summary>
    public static TpmRc Eo(ushort value, bool allowNull) => value <= 0x000B ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMI_RH_ENABLES (Part 2, 9.x): TPM_RH_OWNER, ENDORSEMENT, PLATFORM or PLATFORM_NV, else TPM_RC_VALUE.</summary>
    public static TpmRc Enables(uint value, bool allowNull) =>
        (TpmRh)value is TpmRh.Owner or TpmRh.Endorsement or TpmRh.Platform or TpmRh.PlatformNv ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMT_TK_AUTH's tag: TPM_ST_AUTH_SECRET or TPM_ST_AUTH_SIGNED, else TPM_RC_TAG.</summary>
    public static TpmRc AuthTicketTag(TpmSt value, bool allowNull) =>
        value is TpmSt.AuthSecret or TpmSt.AuthSigned ? TpmRc.Success : StTag(value);

    /// <summary>TPMT_TK_VERIFIED's tag (Part 2 v185, Table 112): TPM_ST_VERIFIED, TPM_ST_MESSAGE_VERIFIED or
    /// TPM_ST_DIGEST_VERIFIED, else TPM_RC_TAG.</summary>
    public static TpmRc VerifiedTicketTag(TpmSt value, bool allowNull) =>
        value is TpmSt.Verified or TpmSt.MessageVerified or TpmSt.DigestVerified ? TpmRc.Success : StTag(value);

    /// <summary>TPMT_TK_CREATION's tag: TPM_ST_CREATION, else TPM_RC_TAG.</summary>
    public static TpmRc CreationTicketTag(TpmSt value, bool allowNull) =>
        value == TpmSt.Creation ? TpmRc.Success : StTag(value);

    /// <summary>A ticket's tag of the wrong kind is TPM_RC_TAG; a value that is no TPM_ST at all fails
    /// TPM_ST's own unmarshal first with TPM_RC_VALUE, as the command tag in the dispatcher does (libtpms
    /// and the reference before 1.83 check TPM_ST's values; the current reference reads it as a UINT16).</summary>
    static TpmRc StTag(TpmSt value) => Enum.IsDefined(value) ? TpmRc.Tag : TpmRc.Value;

    /// <summary>TPMT_TK_HASHCHECK's tag: TPM_ST_HASHCHECK, else TPM_RC_TAG (Part 2, 10.7.6).</summary>
    public static TpmRc HashCheckTag(TpmSt value, bool allowNull) =>
        value == TpmSt.HashCheck ? TpmRc.Success : StTag(value);

    /// <summary>TPMI_DH_CONTEXT (Part 2, 9.11): an HMAC or policy session or a transient object, in the
    /// ranges this TPM implements (MAX_ACTIVE_SESSIONS, MAX_LOADED_OBJECTS), else TPM_RC_VALUE.</summary>
    public static TpmRc ContextHandle(uint value, bool allowNull) =>
        Tpm.KindOf(value) is Dispatch.HandleKinds.Transient or Dispatch.HandleKinds.HmacSession or Dispatch.HandleKinds.PolicySession
            ? TpmRc.Success : TpmRc.Value;

    // ---- NV indices (Part 2, 13) ------------------------------------------------------------

    /// <summary>TPMI_RH_NV_LEGACY_INDEX (Part 2, 9.9): NV_INDEX_FIRST..NV_INDEX_LAST (TPM_HT_NV_INDEX), else TPM_RC_VALUE.</summary>
    public static TpmRc NvIndexHandle(uint value, bool allowNull) =>
        value >> 24 == (uint)TpmHt.NvIndex ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMA_NV (Part 2, 13.4): no reserved bit set, else TPM_RC_RESERVED_BITS.</summary>
    public static TpmRc NvAttributes(TpmaNv value, bool allowNull) =>
        (value & TpmaNv.Reserved) == 0 ? TpmRc.Success : TpmRc.ReservedBits;

    /// <summary>TPMS_NV_PUBLIC dataSize (Part 2, 13.5): at most MAX_NV_INDEX_SIZE, else TPM_RC_SIZE.</summary>
    public static TpmRc NvDataSize(ushort value, bool allowNull) =>
        value <= State.NvIndices.MaxIndexSize ? TpmRc.Success : TpmRc.Size;

    /// <summary>TPMI_RH_NV_EXP_INDEX (Part 2, 9.9, 1.84): a handle in the external NV range, else TPM_RC_VALUE.</summary>
    public static TpmRc NvExpIndexHandle(uint value, bool allowNull) =>
        value >> 24 == (uint)TpmHt.ExternalNv ? TpmRc.Success : TpmRc.Value;

    /// <summary>TPMA_NV_EXP (Part 2, 13.4, 1.84): no reserved bit set, else TPM_RC_RESERVED_BITS.</summary>
    public static TpmRc NvExpAttributes(TpmaNvExp value, bool allowNull) =>
        (value & TpmaNvExp.Reserved) == 0 ? TpmRc.Success : TpmRc.ReservedBits;
}
