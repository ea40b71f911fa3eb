namespace Ftpm.Marshal;

/// <summary>TPMA_ALGORITHM (Part 2, 8.2): what kind of algorithm a TPM_ALG_ID is.</summary>
[Flags]
public enum TpmaAlgorithm : uint
{
    None = 0,
    Asymmetric = 1u << 0,
    Symmetric = 1u << 1,
    Hash = 1u << 2,
    Object = 1u << 3,
    Signing = 1u << 8,
    Encrypting = 1u << 9,
    Method = 1u << 10,
}

/// <summary>TPMS_ALG_PROPERTY (Part 2, 10.8.1): one entry of GetCapability(TPM_CAP_ALGS).</summary>
[TpmStruct("TPMS_ALG_PROPERTY")]
internal partial struct TpmsAlgProperty
{
    public TpmAlgId Alg;
    public TpmaAlgorithm AlgProperties;
}

/// <summary>Storage for the entries of a TPML_ALG (MAX_ALG_LIST_SIZE).</summary>
[System.Runtime.CompilerServices.InlineArray(TpmlAlg.MaxCount)]
internal struct TpmAlgIdArray { TpmAlgId _element; }

/// <summary>TPML_ALG (Part 2, 10.9.3): a list of algorithms, at most MAX_ALG_LIST_SIZE (64); a longer
/// count fails to unmarshal with TPM_RC_SIZE.</summary>
[TpmStruct("TPML_ALG")]
internal partial struct TpmlAlg
{
    public const int MaxCount = 64;

    public uint Count;
    [List(nameof(Count))] public TpmAlgIdArray Algorithms;
}

/// <summary>
/// The algorithms, key sizes and curves ftpm implements: the one list behind
/// GetCapability(TPM_CAP_ALGS), TPM_CAP_ECC_CURVES and the TPMI_ checks of <see cref="TpmCheck"/>
/// (an algorithm a TPMI_ type names but that is not listed here fails to unmarshal, as in a real
/// TPM built without it). Adding RSA, ECC, AES ... is adding rows here (with their key sizes and
/// curves) once the crypto port does them. Belongs beside <see cref="TpmAlgorithms"/>.
/// </summary>
internal static class ImplementedAlgorithms
{
    // Attributes as the reference's AlgorithmCap.c table gives them (Part 2, 8.2 and 6.3).
    // KEYEDHASH objects carry HMAC keys and sealed data; XOR is the obfuscation of Part 1, 11.4.6.3
    // and KDF1_SP800_108 is KDFa (Part 1, 11.4.10.2), both built on HMAC.
    static readonly TpmsAlgProperty[] Table =
    [
        // ---- keys issue: RSA, AES, MGF1 (OAEP and PSS) ----
        new() { Alg = TpmAlgId.Rsa, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Object },
        new() { Alg = TpmAlgId.Sha1, AlgProperties = TpmaAlgorithm.Hash },
        new() { Alg = TpmAlgId.Hmac, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.Aes, AlgProperties = TpmaAlgorithm.Symmetric },
        new() { Alg = TpmAlgId.Mgf1, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Method },
        new() { Alg = TpmAlgId.KeyedHash, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Object | TpmaAlgorithm.Signing | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.Xor, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Hash },
        new() { Alg = TpmAlgId.Sha256, AlgProperties = TpmaAlgorithm.Hash },
        new() { Alg = TpmAlgId.Sha384, AlgProperties = TpmaAlgorithm.Hash },
        new() { Alg = TpmAlgId.Sha512, AlgProperties = TpmaAlgorithm.Hash },
        // ---- keys issue: RSA and ECC schemes, KDFe, ECC, SYMCIPHER, block cipher modes ----
        new() { Alg = TpmAlgId.RsaSsa, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.RsaEs, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.RsaPss, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.Oaep, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.EcDsa, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Signing | TpmaAlgorithm.Method },
        new() { Alg = TpmAlgId.Ecdh, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Method },
        // ---- ECC issue: the split and anonymous schemes (Commit, ZGen_2Phase) ----
        new() { Alg = TpmAlgId.EcDaa, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.EcSchnorr, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.EcMqv, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Method },
        // v185: HKDF (RFC 5869), the KDF of the ECC KEM (TPM2_Encapsulate/Decapsulate, Part 1 v185, 44.4).
        new() { Alg = TpmAlgId.Hkdf, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Method },
        new() { Alg = TpmAlgId.Kdf1Sp800_56A, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Method },
        // KDF2: the mask of TPM2_ECC_Encrypt/ECC_Decrypt (Part 1 annex C ECC encryption).
        new() { Alg = TpmAlgId.Kdf2, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Method },
        new() { Alg = TpmAlgId.Kdf1Sp800_108, AlgProperties = TpmaAlgorithm.Hash | TpmaAlgorithm.Method },
        new() { Alg = TpmAlgId.Ecc, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Object },
        new() { Alg = TpmAlgId.SymCipher, AlgProperties = TpmaAlgorithm.Object },
        // ---- AES-CMAC (NIST SP 800-38B): TPM2_MAC and TPM2_MAC_Start with SYMCIPHER keys ----
        new() { Alg = TpmAlgId.Cmac, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.Ctr, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.Ofb, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.Cbc, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.Cfb, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.Ecb, AlgProperties = TpmaAlgorithm.Symmetric | TpmaAlgorithm.Encrypting },
        // ---- v185 post-quantum object types (Part 2 v185, 6.3): ML-KEM (FIPS 203), ML-DSA and HashML-DSA (FIPS 204) ----
        new() { Alg = TpmAlgId.MlKem, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Object | TpmaAlgorithm.Encrypting },
        new() { Alg = TpmAlgId.MlDsa, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Object | TpmaAlgorithm.Signing },
        new() { Alg = TpmAlgId.HashMlDsa, AlgProperties = TpmaAlgorithm.Asymmetric | TpmaAlgorithm.Object | TpmaAlgorithm.Signing },
    ];

    /// <summary>The implemented algorithms in ascending TPM_ALG_ID order (GetCapability pages through them).</summary>
    public static ReadOnlySpan<TpmsAlgProperty> All => Table;

    public static bool IsImplemented(TpmAlgId alg)
    {
        foreach (var entry in Table)
            if (entry.Alg == alg) return true;
        return false;
    }

    /// <summary>TPMI_AES_KEY_BITS: the implemented AES key sizes.</summary>
    public static ReadOnlySpan<ushort> AesKeyBits => [128, 192, 256];

    /// <summary>TPMI_AES_KEY_BITS, TPMI_SM4_KEY_BITS, TPMI_CAMELLIA_KEY_BITS: whether a block cipher
    /// is implemented with this key size.</summary>
    public static bool IsSymKeySize(TpmAlgId alg, ushort keyBits) => alg switch
    {
        TpmAlgId.Aes => AesKeyBits.Contains(keyBits),
        _ => false,
    };

    /// <summary>TPMI_RSA_KEY_BITS: the implemented RSA modulus sizes.</summary>
    public static ReadOnlySpan<ushort> RsaKeyBits => [1024, 2048, 3072, 4096];

    /// <summary>TPMI_ECC_CURVE and TPM_CAP_ECC_CURVES: the implemented curves, ascending.</summary>
    public static ReadOnlySpan<TpmEccCurve> EccCurves =>
        [TpmEccCurve.NistP256, TpmEccCurve.NistP384, TpmEccCurve.NistP521, TpmEccCurve.BnP256];
}
