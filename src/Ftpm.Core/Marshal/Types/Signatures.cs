namespace Ftpm.Marshal;

// Signatures and signing schemes (Part 2, 11.2.1 and 11.3).

/// <summary>TPMU_SIG_SCHEME (Part 2, 11.2.1.4): every signing scheme takes a hash; ECDAA also a count.</summary>
[TpmUnion("TPMU_SIG_SCHEME", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
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

/// <summary>TPMU_SIGNATURE (Part 2, 11.3.3).</summary>
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
}

/// <summary>TPMT_SIGNATURE (Part 2, 11.3.4). The algorithm is a TPMI_ALG_SIG_SCHEME+ (TPM_RC_SCHEME).</summary>
[TpmStruct("TPMT_SIGNATURE")]
internal partial struct TpmtSignature
{
    [Check(nameof(TpmCheck.SigScheme), AllowNull = true)] public TpmAlgId SigAlg;
    [Selector(nameof(SigAlg))] public TpmuSignature Signature;
}
