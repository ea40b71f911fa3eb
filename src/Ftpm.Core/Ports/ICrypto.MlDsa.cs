namespace Ftpm.Ports;

// ML-DSA (FIPS 204) and HashML-DSA, the v185 signing keys (Part 1 v185, "ML-DSA"; Part 2 v185, 11.2.7).
// The engine computes the message representative μ itself (SHAKE256 over tr || M′, FIPS 204 Algorithm 7
// line 6) through MlDsaMuSetup, so pure ML-DSA, HashML-DSA, external μ and the streamed sign and verify
// sequences all reduce to signing and verifying μ.
public partial interface ICrypto
{
    /// <summary>ML-DSA.KeyGen_internal (FIPS 204, Algorithm 6) from the 32-octet seed ξ: the key pair whose
    /// private part the TPM stores as TPM2B_PRIVATE_KEY_MLDSA. Null for a parameter set the backend does not
    /// implement or a seed of another length.</summary>
    IAsymmetricKey? MlDsaGenerate(TpmMlDsaParms parameterSet, ReadOnlySpan<byte> seed);

    /// <summary>An ML-DSA public key (pkEncode, FIPS 204 Algorithm 22) and optionally its seed ξ (empty for a
    /// public key). Null when the encoding has the wrong length, or the seed does not give this public key
    /// (TPM_RC_KEY / TPM_RC_BINDING).</summary>
    IAsymmetricKey? MlDsaImport(TpmMlDsaParms parameterSet, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> seed);

    /// <summary>A SHAKE256 operation that has absorbed tr = H(pk, 64) of <paramref name="key"/>; the engine
    /// adds M′ (the domain byte, the context and the message, or HashML-DSA's OID and digest) and
    /// <see cref="IHashOperation.Finish"/> writes the 64-octet μ.</summary>
    IHashOperation MlDsaMuSetup(IAsymmetricKey key);

    /// <summary>ML-DSA.Sign_internal from μ (FIPS 204, Algorithm 7 line 7 on) with the 32-octet
    /// <paramref name="random"/> rnd (all zeros: deterministic signing). A backend that cannot take rnd
    /// (a platform's hedged external-μ signing) may draw its own. Returns the signature length, or -1 for a
    /// key without its private part.</summary>
    int MlDsaSignMu(IAsymmetricKey key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> random, Span<byte> signature);

    /// <summary>ML-DSA.Verify_internal from μ (FIPS 204, Algorithm 8): whether <paramref name="signature"/>
    /// is valid for μ under <paramref name="key"/>.</summary>
    bool MlDsaVerifyMu(IAsymmetricKey key, ReadOnlySpan<byte> mu, ReadOnlySpan<byte> signature);
}
