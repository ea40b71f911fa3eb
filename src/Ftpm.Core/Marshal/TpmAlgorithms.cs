namespace Ftpm;

/// <summary>Facts about the algorithms ftpm implements.</summary>
public static class TpmAlgorithms
{
    /// <summary>The hashes this TPM implements, in TPM_ALG_ID order (the order GetCapability lists banks).</summary>
    public static ReadOnlySpan<TpmAlgId> Hashes => [TpmAlgId.Sha1, TpmAlgId.Sha256, TpmAlgId.Sha384, TpmAlgId.Sha512];

    public static bool IsHash(TpmAlgId alg) =>
        alg is TpmAlgId.Sha1 or TpmAlgId.Sha256 or TpmAlgId.Sha384 or TpmAlgId.Sha512;

    /// <summary>Digest size in octets of an implemented hash; 0 for anything else (including TPM_ALG_NULL).</summary>
    public static int DigestSize(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => 20,
        TpmAlgId.Sha256 => 32,
        TpmAlgId.Sha384 => 48,
        TpmAlgId.Sha512 => 64,
        _ => 0,
    };

    /// <summary>Index of a hash in <see cref="Hashes"/>, or -1.</summary>
    public static int HashIndex(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => 0,
        TpmAlgId.Sha256 => 1,
        TpmAlgId.Sha384 => 2,
        TpmAlgId.Sha512 => 3,
        _ => -1,
    };
}
