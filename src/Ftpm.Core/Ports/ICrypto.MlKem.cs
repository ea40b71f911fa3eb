namespace Ftpm.Ports;

/// <summary>ML-KEM (FIPS 203; Part 1 v185, 47): the key-encapsulation operations of the crypto port, in the
/// shape of PSA's psa_key_encapsulate / psa_key_decapsulate. Parameter sets are the TPMI_MLKEM_PARMS values
/// (Part 2 v185, Table 205): 1 ML-KEM-512, 2 ML-KEM-768, 3 ML-KEM-1024. A key is an
/// <see cref="IAsymmetricKey"/> of type TPM_ALG_MLKEM whose KeyBits is 512, 768 or 1024, ExportPublic writes
/// the encapsulation key (FIPS 203 Algorithm 19's ek) into its first buffer and ExportPrivate the 64-octet
/// seed d || z, the only private form the TPM stores (Part 1 v185, 47.2).</summary>
public partial interface ICrypto
{
    /// <summary>ML-KEM.KeyGen_internal(d, z) (FIPS 203, Algorithm 16) from <paramref name="seed"/> = d || z
    /// (64 octets). Null for a parameter set the backend does not implement or a seed of another size.</summary>
    IAsymmetricKey? MlKemFromSeed(TpmMlKemParms parameterSet, ReadOnlySpan<byte> seed);

    /// <summary>An encapsulation key alone (TPM2_LoadExternal of a public area). Null unless it passes the
    /// encapsulation-key checks of FIPS 203, 7.2 (its length, and every coefficient below q).</summary>
    IAsymmetricKey? MlKemImportPublic(TpmMlKemParms parameterSet, ReadOnlySpan<byte> encapsulationKey);

    /// <summary>ML-KEM.Encaps (FIPS 203, Algorithm 20): writes the 32-octet shared secret and the ciphertext,
    /// returns the ciphertext's length. The message m is drawn from <paramref name="random"/> (the TPM's
    /// DRBG); a backend that cannot take its randomness from outside (a platform KEM) uses its own approved
    /// RNG instead.</summary>
    int MlKemEncapsulate(IAsymmetricKey key, IKeyStream random, Span<byte> sharedSecret, Span<byte> ciphertext);

    /// <summary>ML-KEM.Decaps (FIPS 203, Algorithm 21) with implicit rejection: writes the 32-octet shared
    /// secret. False when the key has no private part or the ciphertext is not the parameter set's size (the
    /// ciphertext check of FIPS 203, 7.3); a ciphertext of the right size always yields a secret.</summary>
    bool MlKemDecapsulate(IAsymmetricKey key, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret);
}
