namespace Ftpm.Marshal;

// Signatures and signing schemes (Part 2, 11.2.1 and 11.3).

/// <summary>TPMU_SIG_SCHEME (Part 2, 11.2.1.4): every signing scheme takes a hash; ECDAA also a count.
/// TPMI_ALG_SIG_SCHEME lists TPM_ALG_MLDSA and TPM_ALG_HASH_MLDSA (Part 2 v185, 9.37) but Table 182 gives
/// them no member: an ML-DSA key's parameters say all (HashML-DSA's pre-hash is in TPMS_HASH_MLDSA_PARMS),
/// so they are read as empty arms, like TPMS_EMPTY.</summary>
[TpmUnion("TPMU_SIG_SCHEME", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
[EmptyArm(TpmAlgId.MlDsa)]
[EmptyArm(TpmAlgId.HashMlDsa)]
internal partial struct TpmuSigScheme
{
    [Arm(TpmAlgId.RsaSsa)]
    [Arm(TpmAlgId.RsaPss)]
    [Arm(TpmAlgId.EcDsa)]
    [Arm(TpmAlgId.Sm2)]
    [Arm(TpmAlgId.EcSchnorr)]
    [Arm(TpmAlgId.Hmac)]
    public TpmsSchemeHash Any;

    [Arm(TpmAlgId.EcDaa)] public TpmsSchemeEcdaa Ecdaa;
}

/// <summary>TPMT_SIG_SCHEME (Part 2, 11.2.1.5). The scheme is a TPMI_ALG_SIG_SCHEME+ (TPM_RC_SCHEME).</summary>
[TpmStruct("TPMT_SIG_SCHEME")]
internal partial struct TpmtSigScheme
{
    [Check(nameof(TpmCheck.SigScheme), AllowNull = true)] public TpmAlgId Scheme;
    [Selector(nameof(Scheme))] public TpmuSigScheme Details;
}

/// <summary>TPMS_SIGNATURE_RSA (Part 2, 11.3.1): RSASSA and RSAPSS signatures.</summary>
[TpmStruct("TPMS_SIGNATURE_RSA")]
internal partial struct TpmsSignatureRsa
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId Hash;
    /// <summary>TPM2B_PUBLIC_KEY_RSA.</summary>
    [Sized(TpmLimits.MaxRsaKeyBytes)] public ReadOnlyMemory<byte> Sig;
}

/// <summary>TPMS_SIGNATURE_ECC (Part 2, 11.3.2): ECDSA, ECDAA, SM2 and ECSCHNORR signatures.</summary>
[TpmStruct("TPMS_SIGNATURE_ECC")]
internal partial struct TpmsSignatureEcc
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId Hash;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> SignatureR;
    [Sized(TpmLimits.MaxEccKeyBytes)] public ReadOnlyMemory<byte> SignatureS;
}

/// <summary>TPMS_SIGNATURE_HASH_MLDSA (Part 2 v185, 11.2.7.2, Table 209): a HashML-DSA signature and its pre-hash.</summary>
[TpmStruct("TPMS_SIGNATURE_HASH_MLDSA")]
internal partial struct TpmsSignatureHashMlDsa
{
    /// <summary>TPMI_ALG_HASH, not NULL.</summary>
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId Hash;
    /// <summary>TPM2B_SIGNATURE_MLDSA.</summary>
    [Sized(TpmLimits.MaxMlDsaSigSize)] public ReadOnlyMemory<byte> Signature;
}

/// <summary>TPMU_SIGNATURE (Part 2 v185, 11.3.5, Table 218).</summary>
[TpmUnion("TPMU_SIGNATURE", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuSignature
{
    [Arm(TpmAlgId.RsaSsa)]
    [Arm(TpmAlgId.RsaPss)]
    public TpmsSignatureRsa Rsa;

    [Arm(TpmAlgId.EcDsa)]
    [Arm(TpmAlgId.EcDaa)]
    [Arm(TpmAlgId.Sm2)]
    [Arm(TpmAlgId.EcSchnorr)]
    public TpmsSignatureEcc Ecc;

    [Arm(TpmAlgId.Hmac)] public TpmtHa Hmac;

    /// <summary>v185: TPM2B_SIGNATURE_MLDSA (Table 217).</summary>
    [Arm(TpmAlgId.MlDsa)][Sized(TpmLimits.MaxMlDsaSigSize)] public ReadOnlyMemory<byte> MlDsa;

    /// <summary>v185: TPMS_SIGNATURE_HASH_MLDSA.</summary>
    [Arm(TpmAlgId.HashMlDsa)] public TpmsSignatureHashMlDsa HashMlDsa;
}

/// <summary>TPM2B_SIGNATURE_CTX (Part 2 v185, 11.3.8, Table 221): additional context of a signing scheme, at
/// most sizeof(TPMU_SIGNATURE_CTX) (an ML-DSA context string, 255 octets). Its meaning depends on the
/// key's scheme (Table 220), so it is a plain buffer here.</summary>
[TpmStruct("TPM2B_SIGNATURE_CTX")]
internal partial struct Tpm2bSignatureCtx
{
    [Sized(TpmLimits.MaxSignatureCtxSize)] public ReadOnlyMemory<byte> Buffer;
}

/// <summary>TPM2B_SIGNATURE_HINT (Part 2 v185, 11.3.9, Table 222): EdDSA's encoded R for
/// TPM2_VerifySequenceStart; empty for every other scheme.</summary>
[TpmStruct("TPM2B_SIGNATURE_HINT")]
internal partial struct Tpm2bSignatureHint
{
    [Sized(TpmLimits.MaxSignatureHintSize)] public ReadOnlyMemory<byte> Buffer;
}

/// <summary>TPMT_SIGNATURE (Part 2, 11.3.4). The algorithm is a TPMI_ALG_SIG_SCHEME+ (TPM_RC_SCHEME).</summary>
[TpmStruct("TPMT_SIGNATURE")]
internal partial struct TpmtSignature
{
    [Check(nameof(TpmCheck.SigScheme), AllowNull = true)] public TpmAlgId SigAlg;
    [Selector(nameof(SigAlg))] public TpmuSignature Signature;
}
