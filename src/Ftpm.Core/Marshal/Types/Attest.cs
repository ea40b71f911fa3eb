namespace Ftpm.Marshal;

// Attestation structures (Part 2, 10.12): what the attestation commands (Part 3, 18) sign. Every
// TPMS_ATTEST starts with TPM_GENERATED_VALUE, which is how a restricted signing key tells data the
// TPM produced from data a caller brought (TPM2_Hash and SequenceComplete give no ticket for data
// starting with it).

/// <summary>TPMS_CERTIFY_INFO (Part 2, 10.12.3): TPM2_Certify.</summary>
[TpmStruct("TPMS_CERTIFY_INFO")]
internal partial struct TpmsCertifyInfo
{
    /// <summary>TPM2B_NAME.</summary>
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> Name;
    /// <summary>TPM2B_NAME.</summary>
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> QualifiedName;
}

/// <summary>TPMS_QUOTE_INFO (Part 2, 10.12.4): TPM2_Quote.</summary>
[TpmStruct("TPMS_QUOTE_INFO")]
internal partial struct TpmsQuoteInfo
{
    public TpmlPcrSelection PcrSelect;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> PcrDigest;
}

/// <summary>TPMS_COMMAND_AUDIT_INFO (Part 2, 10.12.5): TPM2_GetCommandAuditDigest.</summary>
[TpmStruct("TPMS_COMMAND_AUDIT_INFO")]
internal partial struct TpmsCommandAuditInfo
{
    public ulong AuditCounter;
    public TpmAlgId DigestAlg;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> AuditDigest;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CommandDigest;
}

/// <summary>TPMS_SESSION_AUDIT_INFO (Part 2, 10.12.6): TPM2_GetSessionAuditDigest.</summary>
[TpmStruct("TPMS_SESSION_AUDIT_INFO")]
internal partial struct TpmsSessionAuditInfo
{
    /// <summary>TPMI_YES_NO.</summary>
    [Check(nameof(TpmCheck.YesNo))] public byte ExclusiveSession;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> SessionDigest;
}

/// <summary>TPMS_CREATION_INFO (Part 2, 10.12.7): TPM2_CertifyCreation.</summary>
[TpmStruct("TPMS_CREATION_INFO")]
internal partial struct TpmsCreationInfo
{
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> ObjectName;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> CreationHash;
}

/// <summary>TPMS_NV_CERTIFY_INFO (Part 2, 10.12.8): TPM2_NV_Certify of a range.</summary>
[TpmStruct("TPMS_NV_CERTIFY_INFO")]
internal partial struct TpmsNvCertifyInfo
{
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> IndexName;
    public ushort Offset;
    /// <summary>TPM2B_MAX_NV_BUFFER.</summary>
    [Sized(State.NvIndices.MaxBufferSize)] public ReadOnlyMemory<byte> NvContents;
}

/// <summary>TPMS_NV_DIGEST_CERTIFY_INFO (Part 2, 10.12.9): TPM2_NV_Certify of the whole index (size and offset 0).</summary>
[TpmStruct("TPMS_NV_DIGEST_CERTIFY_INFO")]
internal partial struct TpmsNvDigestCertifyInfo
{
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> IndexName;
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> NvDigest;
}

/// <summary>TPMS_TIME_ATTEST_INFO (Part 2, 10.12.2): TPM2_GetTime.</summary>
[TpmStruct("TPMS_TIME_ATTEST_INFO")]
internal partial struct TpmsTimeAttestInfo
{
    public TpmsTimeInfo Time;
    public ulong FirmwareVersion;
}

/// <summary>TPMU_ATTEST (Part 2, 10.12.11), selected by the TPMI_ST_ATTEST type.</summary>
[TpmUnion("TPMU_ATTEST", typeof(TpmSt))]
internal partial struct TpmuAttest
{
    [Arm(TpmSt.AttestCertify)] public TpmsCertifyInfo Certify;
    [Arm(TpmSt.AttestCreation)] public TpmsCreationInfo Creation;
    [Arm(TpmSt.AttestQuote)] public TpmsQuoteInfo Quote;
    [Arm(TpmSt.AttestCommandAudit)] public TpmsCommandAuditInfo CommandAudit;
    [Arm(TpmSt.AttestSessionAudit)] public TpmsSessionAuditInfo SessionAudit;
    [Arm(TpmSt.AttestTime)] public TpmsTimeAttestInfo Time;
    [Arm(TpmSt.AttestNv)] public TpmsNvCertifyInfo Nv;
    [Arm(TpmSt.AttestNvDigest)] public TpmsNvDigestCertifyInfo NvDigest;
}

/// <summary>TPMS_ATTEST (Part 2, 10.12.12). For a signer outside the endorsement and platform
/// hierarchies, resetCount, restartCount and firmwareVersion are obfuscated (Part 3, 18.1).</summary>
[TpmStruct("TPMS_ATTEST")]
internal partial struct TpmsAttest
{
    /// <summary>TPM_GENERATED_VALUE.</summary>
    public uint Magic;
    /// <summary>TPMI_ST_ATTEST.</summary>
    public TpmSt Type;
    /// <summary>TPM2B_NAME: the Qualified Name of the signing key (TPM_RH_NULL's handle for an unsigned structure).</summary>
    [Sized(TpmLimits.MaxNameSize)] public ReadOnlyMemory<byte> QualifiedSigner;
    /// <summary>TPM2B_DATA: the caller's qualifyingData.</summary>
    [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> ExtraData;
    public TpmsClockInfo ClockInfo;
    public ulong FirmwareVersion;
    [Selector(nameof(Type))] public TpmuAttest Attested;
}
