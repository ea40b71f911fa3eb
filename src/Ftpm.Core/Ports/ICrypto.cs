namespace Ftpm.Ports;

/// <summary>
/// The crypto port, shaped like the PSA Crypto API (psa_hash_*, psa_mac_*, ...): the engine names
/// an algorithm and hands over buffers; it never does big-number arithmetic itself. A firmware build
/// plugs its own implementation in here. Algorithms are TPM_ALG_IDs.
/// </summary>
public interface ICrypto
{
    /// <summary>psa_hash_compute: writes the digest of <paramref name="data"/>; returns its length.</summary>
    int Hash(TpmAlgId hashAlg, ReadOnlySpan<byte> data, Span<byte> digest);

    /// <summary>psa_hash_setup: a multi-part hash.</summary>
    IHashOperation HashSetup(TpmAlgId hashAlg);

    /// <summary>psa_mac_compute with HMAC: writes HMAC(key, data) under <paramref name="hashAlg"/>; returns its length.</summary>
    int Hmac(TpmAlgId hashAlg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac);

    /// <summary>psa_mac_setup with HMAC: a multi-part HMAC (HMAC sequences, session HMACs over long data).</summary>
    IHashOperation HmacSetup(TpmAlgId hashAlg, ReadOnlySpan<byte> key);

    /// <summary>psa_cipher_encrypt/decrypt: a block cipher (<paramref name="alg"/> TPM_ALG_AES) in a TPM mode
    /// (TPM_ALG_CFB, CBC, CTR, OFB, ECB). <paramref name="iv"/> holds the IV on entry and the chaining value
    /// on return (TPM2_EncryptDecrypt's ivOut). CFB, CTR and OFB take any length; CBC and ECB a whole number
    /// of blocks (the caller checks and answers TPM_RC_SIZE).</summary>
    void Cipher(TpmAlgId alg, TpmAlgId mode, bool encrypt, ReadOnlySpan<byte> key, Span<byte> iv,
        ReadOnlySpan<byte> input, Span<byte> output);
}

/// <summary>A multi-part hash (psa_hash_operation_t). Clone supports psa_hash_clone, needed to save a sequence's context.</summary>
public interface IHashOperation : IDisposable
{
    TpmAlgId Algorithm { get; }
    void Update(ReadOnlySpan<byte> data);
    /// <summary>psa_hash_finish: writes the digest and ends the operation; returns the digest length.</summary>
    int Finish(Span<byte> digest);
    IHashOperation Clone();
}
