namespace Ftpm.Ports;

/// <summary>HKDF (RFC 5869; TPM_ALG_HKDF, Part 2 v185): the KDF of the ECC KEM (DHKEM of RFC 9180, Part 1
/// v185, 44.4), in the two steps RFC 9180's LabeledExtract and LabeledExpand use (psa_key_derivation with
/// PSA_ALG_HKDF_EXTRACT / PSA_ALG_HKDF_EXPAND).</summary>
public partial interface ICrypto
{
    /// <summary>HKDF-Extract: PRK = HMAC-Hash(salt, ikm), an empty salt standing for HashLen zero octets.
    /// Returns the PRK's length (the digest size).</summary>
    int HkdfExtract(TpmAlgId hashAlg, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, Span<byte> prk);

    /// <summary>HKDF-Expand: fills <paramref name="output"/> (at most 255 digests) from the PRK and info.</summary>
    void HkdfExpand(TpmAlgId hashAlg, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output);
}
