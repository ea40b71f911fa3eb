namespace Ftpm.Ports;

/// <summary>
/// The crypto port, shaped like the PSA Crypto API (psa_hash_*, psa_mac_*, ...): the engine names
/// an algorithm and hands over buffers; it never does big-number arithmetic itself. A firmware build
/// plugs its own implementation in here. Algorithms are TPM_ALG_IDs.
/// </summary>
public partial interface ICrypto
{
    /// <summary>psa_hash_compute: writes the digest of <paramref name="data"/>; returns its length.</summary>
    int Hash(TpmAlgId hashAlg, ReadOnlySpan<byte> data, Span<byte> digest);

    /// <summary>psa_hash_setup: a multi-part hash.</summary>
    IHashOperation HashSetup(TpmAlgId hashAlg);

    /// <summary>psa_mac_compute with HMAC: writes HMAC(key, data) under <paramref name="hashAlg"/>; returns its length.</summary>
    int Hmac(TpmAlgId hashAlg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac);

    /// <summary>psa_mac_setup with HMAC: a multi-part HMAC (HMAC sequences, session HMACs over long data).</summary>
    IHashOperation HmacSetup(TpmAlgId hashAlg, ReadOnlySpan<byte> key);

    /// <summary>psa_mac_setup with a block-cipher MAC: <paramref name="macAlg"/> TPM_ALG_CMAC (NIST SP 800-38B)
    /// under <paramref name="cipher"/> TPM_ALG_AES and a key of that cipher's size. The operation's
    /// <see cref="IHashOperation.Finish"/> writes the one-block tag; Clone copies the state (MAC
    /// sequences are context-saved). TPM2_MAC and TPM2_MAC_Start with a SYMCIPHER key use it.</summary>
    IHashOperation MacSetup(TpmAlgId macAlg, TpmAlgId cipher, ReadOnlySpan<byte> key);

    /// <summary>psa_cipher_encrypt/decrypt: a block cipher (<paramref name="alg"/> TPM_ALG_AES) in a TPM mode
    /// (TPM_ALG_CFB, CBC, CTR, OFB, ECB). <paramref name="iv"/> holds the IV on entry and the chaining value
    /// on return (TPM2_EncryptDecrypt's ivOut). CFB, CTR and OFB take any length; CBC and ECB a whole number
    /// of blocks (the caller checks and answers TPM_RC_SIZE).</summary>
    void Cipher(TpmAlgId alg, TpmAlgId mode, bool encrypt, ReadOnlySpan<byte> key, Span<byte> iv,
        ReadOnlySpan<byte> input, Span<byte> output);

    // ---- Asymmetric keys (psa_generate_key, psa_import_key, psa_key_derivation_output_key) ----
    // A loaded key is an opaque IAsymmetricKey, the analogue of a psa_key_id_t: the backend keeps
    // it in whatever form its operations are fastest with. Inputs that do not form a key return
    // null (the engine answers with the spec's code); nothing here throws for bad key material.

    /// <summary>An RSA key pair of <paramref name="keyBits"/> bits and public exponent
    /// <paramref name="exponent"/> (0 means 2^16 + 1), its primes drawn from <paramref name="random"/>.
    /// Deterministic in the stream: primary keys pass a KDFa stream over the hierarchy seed
    /// (Part 1, 27.1 "Primary Keys"), ordinary keys the DRBG. Null for an exponent that is not an
    /// odd number of at least 3.</summary>
    IAsymmetricKey? RsaGenerate(int keyBits, uint exponent, IKeyStream random);

    /// <summary>An RSA key from its public modulus and exponent (0: 2^16 + 1) and, for a key pair,
    /// one prime factor (TPMT_SENSITIVE holds only p, Part 2, 12.3.2.3). Null when the prime does not
    /// divide the modulus or the numbers form no key (TPM_RC_BINDING / TPM_RC_KEY).</summary>
    IAsymmetricKey? RsaImport(ReadOnlySpan<byte> modulus, uint exponent, ReadOnlySpan<byte> prime);

    /// <summary>An ECC key pair on <paramref name="curve"/>: the private value is
    /// d = (c mod (n - 1)) + 1 for c of bitlen(n) + 64 bits drawn from <paramref name="random"/>
    /// (FIPS 186-5 A.2.1, "extra random bits"), so it is deterministic in the stream.</summary>
    IAsymmetricKey? EccGenerate(TpmEccCurve curve, IKeyStream random);

    /// <summary>An ECC public key (x, y) and optionally its private value d (empty for a public key).
    /// Null when the point is not on the curve, or d is out of range or does not match the point.</summary>
    IAsymmetricKey? EccImport(TpmEccCurve curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, ReadOnlySpan<byte> d);

    /// <summary>psa_sign_hash: signs <paramref name="digest"/> with TPM_ALG_RSASSA, RSAPSS, ECDSA or
    /// ECSCHNORR under <paramref name="hashAlg"/>. RSA signatures are modulus-sized; ECC signatures are
    /// r || s, each padded to the curve's octet size. ECSCHNORR is the TCG's (Part 1, annex C, and the
    /// reference's): k random, r = H(x(k·G) || digest) truncated to the order's octets, s = k + r·d mod n.
    /// Returns the length, or -1 when the scheme cannot be used with this key or digest
    /// (TPM_RC_SCHEME/VALUE).</summary>
    int Sign(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, Span<byte> signature);

    /// <summary>psa_verify_hash: true when <paramref name="signature"/> (as <see cref="Sign"/> writes
    /// it) is valid for <paramref name="digest"/>.</summary>
    bool Verify(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature);

    /// <summary>psa_asymmetric_encrypt with RSA: TPM_ALG_RSAES (PKCS#1 v1.5), TPM_ALG_OAEP (MGF1 with
    /// <paramref name="hashAlg"/>, <paramref name="label"/> as given, including any terminating zero)
    /// or TPM_ALG_NULL (raw: the message, as a number, must be below the modulus). Writes a
    /// modulus-sized result; returns its length or -1 when the message does not fit (TPM_RC_VALUE).</summary>
    int RsaEncrypt(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> message, Span<byte> output);

    /// <summary>psa_asymmetric_decrypt with RSA, the schemes of <see cref="RsaEncrypt"/>. Padding is
    /// checked in constant time (a timing difference between padding failures is an oracle:
    /// Bleichenbacher, Manger). Returns the message length, or -1 for a ciphertext that does not
    /// decrypt (TPM_RC_VALUE). TPM_ALG_NULL returns the whole modulus-sized value.</summary>
    int RsaDecrypt(IAsymmetricKey key, TpmAlgId scheme, TpmAlgId hashAlg, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> ciphertext, Span<byte> output);

    /// <summary>The point d·P for the private key <paramref name="key"/> and the point (x, y) on its
    /// curve (TPM2_ECDH_ZGen, the "Z" of ECDH before any KDF). Writes both coordinates, each padded
    /// to the curve's size; false when (x, y) is not on the curve or the product is the point at
    /// infinity (TPM_RC_ECC_POINT / TPM_RC_NO_RESULT).</summary>
    bool EccMultiply(IAsymmetricKey key, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, Span<byte> outX, Span<byte> outY);

    // ---- ECC curves and points (TPM2_ECC_Parameters, TPM2_Commit, TPM2_ZGen_2Phase) ----
    // An ephemeral scalar r with its point r·G is an EccGenerate key from a KDFa stream (Part 1, C.2:
    // r is derived from the commit nonce and counter, so it needs no storage); a scalar times a point is
    // EccMultiply. These add what is left: the curve's constants, a point check, the hash-to-field of
    // TPM2_Commit, and the two operations that combine scalars modulo n.

    /// <summary>The domain parameters of <paramref name="curve"/> (the psa_ecc_family_t's constants),
    /// each a big-endian number without leading zero octets; null for a curve the backend does not
    /// implement (TPM2_ECC_Parameters: TPM_RC_VALUE).</summary>
    EccCurveParameters? EccGetCurve(TpmEccCurve curve);

    /// <summary>Whether (x, y) is a point of <paramref name="curve"/> other than the identity, with
    /// coordinates below the prime (TPM_RC_ECC_POINT otherwise).</summary>
    bool EccIsOnCurve(TpmEccCurve curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y);

    /// <summary>Writes <paramref name="value"/> (a big-endian number of any length) modulo the curve's
    /// prime p, padded to the curve's octet size (TPM2_Commit's x2 = H(s2) mod p, Part 3, 19.2).
    /// Returns the length written, or -1 for a curve the backend does not implement.</summary>
    int EccReduceToField(TpmEccCurve curve, ReadOnlySpan<byte> value, Span<byte> output);

    /// <summary>The second phase of a split signature, TPM_ALG_ECDAA (Part 1, annex C; Part 3, 19.1; the reference's
    /// signing with a commit): <paramref name="commit"/> holds the r that TPM2_Commit used. With a random
    /// nonceK in [1, n-1], T = H(nonceK || digest) under <paramref name="hashAlg"/> and
    /// s = r + T·d mod n, writes nonceK || s, each padded to the curve's octet size. Returns the length,
    /// or -1 when the keys are not ECC key pairs on one curve or the hash is not implemented.</summary>
    int SignEcdaa(IAsymmetricKey key, IAsymmetricKey commit, TpmAlgId hashAlg, ReadOnlySpan<byte> digest, Span<byte> signature);

    /// <summary>The full MQV primitive C(2e, 2s, ECC MQV) of SP 800-56A (5.7.2.3) for party A: static
    /// key <paramref name="staticKey"/>, ephemeral key <paramref name="ephemeralKey"/>, party B's static
    /// point QsB and ephemeral point QeB. implicitsig = (de + avf(Qe)·ds) mod n and
    /// P = h·implicitsig·(QeB + avf(QeB)·QsB); writes P's coordinates (Z is its x), each padded to the
    /// curve's size. False when a point is not on the curve or P is the identity.</summary>
    bool EccMqv(IAsymmetricKey staticKey, IAsymmetricKey ephemeralKey, ReadOnlySpan<byte> qsBX, ReadOnlySpan<byte> qsBY,
        ReadOnlySpan<byte> qeBX, ReadOnlySpan<byte> qeBY, Span<byte> outX, Span<byte> outY);
}

/// <summary>The constants of an elliptic curve y^2 = x^3 + ax + b over GF(p) (Part 2, TPMS_ALGORITHM_DETAIL_ECC):
/// big-endian numbers without leading zero octets.</summary>
public sealed class EccCurveParameters
{
    /// <summary>The size of the curve's field elements in bits.</summary>
    public required ushort KeySize { get; init; }
    public required byte[] P { get; init; }
    public required byte[] A { get; init; }
    public required byte[] B { get; init; }
    public required byte[] GX { get; init; }
    public required byte[] GY { get; init; }
    /// <summary>The order of G.</summary>
    public required byte[] N { get; init; }
    /// <summary>The cofactor.</summary>
    public required byte[] H { get; init; }
}

/// <summary>A loaded asymmetric key (psa_key_id_t): RSA or ECC, a key pair or a public key.</summary>
public interface IAsymmetricKey : IDisposable
{
    /// <summary>TPM_ALG_RSA or TPM_ALG_ECC.</summary>
    TpmAlgId Type { get; }

    /// <summary>RSA: the modulus size in bits; ECC: the curve's key size.</summary>
    int KeyBits { get; }

    /// <summary>The curve of an ECC key (TPM_ECC_NONE for RSA).</summary>
    TpmEccCurve Curve { get; }

    bool HasPrivate { get; }

    /// <summary>psa_export_public_key: RSA, the modulus (KeyBits / 8 octets) in <paramref name="first"/>
    /// and nothing in <paramref name="second"/>; ECC, x and y each of the curve's octet size.
    /// Returns the lengths written.</summary>
    (int First, int Second) ExportPublic(Span<byte> first, Span<byte> second);

    /// <summary>psa_export_key of the private part as the TPM stores it: RSA, the prime p
    /// (KeyBits / 16 octets); ECC, d (the curve's octet size). Returns the length.</summary>
    int ExportPrivate(Span<byte> output);
}

/// <summary>The bits a key generation consumes (psa_key_derivation_operation_t as an input to
/// psa_key_derivation_output_key): a DRBG for ordinary keys, a KDFa stream for primary keys.</summary>
public interface IKeyStream
{
    /// <summary>Fills <paramref name="output"/> with the next octets of the stream.</summary>
    void Generate(Span<byte> output);
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
