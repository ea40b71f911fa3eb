using System.Runtime.CompilerServices;

namespace Ftpm.Marshal;

/// <summary>TPM2B_DIGEST (Part 2, 10.4.2): a digest of at most sizeof(TPMU_HA).</summary>
[TpmStruct("TPM2B_DIGEST")]
internal partial struct Tpm2bDigest
{
    [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> Buffer;
}

/// <summary>TPMU_HA (Part 2, 10.3.1): a digest whose length is given by its hash algorithm.</summary>
[TpmUnion("TPMU_HA", typeof(TpmAlgId))]
[EmptyArm(TpmAlgId.Null)]
internal partial struct TpmuHa
{
    [Arm(TpmAlgId.Sha1, FixedSize = 20)]
    [Arm(TpmAlgId.Sha256, FixedSize = 32)]
    [Arm(TpmAlgId.Sha384, FixedSize = 48)]
    [Arm(TpmAlgId.Sha512, FixedSize = 64)]
    public ReadOnlyMemory<byte> Digest;
}

/// <summary>TPMT_HA (Part 2, 10.3.2). Where a command reads one (TPML_DIGEST_VALUES, an HMAC signature)
/// TPM_ALG_NULL is not allowed (TPM_RC_HASH), as the reference unmarshals it there.</summary>
[TpmStruct("TPMT_HA")]
internal partial struct TpmtHa
{
    [Check(nameof(TpmCheck.Hash))] public TpmAlgId HashAlg;
    [Selector(nameof(HashAlg))] public TpmuHa Digest;
}

/// <summary>Storage for the entries of a TPML_DIGEST_VALUES (HASH_COUNT).</summary>
[InlineArray(TpmLimits.HashCount)]
internal struct TpmtHaArray { TpmtHa _element; }

/// <summary>TPML_DIGEST_VALUES (Part 2, 10.9.4).</summary>
[TpmStruct("TPML_DIGEST_VALUES")]
internal partial struct TpmlDigestValues
{
    public uint Count;
    [List(nameof(Count))] public TpmtHaArray Digests;
}

/// <summary>Storage for the entries of a TPML_DIGEST (at most 8).</summary>
[InlineArray(TpmLimits.MaxDigestListCount)]
internal struct Tpm2bDigestArray { Tpm2bDigest _element; }

/// <summary>TPML_DIGEST (Part 2, 10.9.2).</summary>
[TpmStruct("TPML_DIGEST")]
internal partial struct TpmlDigest
{
    public uint Count;
    [List(nameof(Count))] public Tpm2bDigestArray Digests;
}
