namespace Ftpm.Provisioning;

/// <summary>One endorsement key template of the TCG EK Credential Profile for TPM Family 2.0 (annex B):
/// the TPMT_PUBLIC that TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) takes, and the NV index where the EK
/// certificate for the key it makes is stored.</summary>
/// <param name="Name">A short name (the algorithm names tpm2_createek uses where it has one).</param>
/// <param name="Profile">The profile's template name (L-1, H-6, ...).</param>
/// <param name="CertificateIndex">The NV index of the EK certificate.</param>
/// <param name="PublicArea">The marshaled TPMT_PUBLIC.</param>
public sealed record EkTemplate(string Name, string Profile, uint CertificateIndex, byte[] PublicArea)
{
    /// <summary>TPM_ALG_RSA or TPM_ALG_ECC.</summary>
    public TpmAlgId Type => (TpmAlgId)(PublicArea[0] << 8 | PublicArea[1]);
}

/// <summary>
/// The EK templates of the TCG EK Credential Profile (version 2.5, annex B) as data: the default
/// low-range templates (L-1 RSA 2048, L-2 ECC NIST P-256), whose authPolicy is PolicyA =
/// PolicySecret(TPM_RH_ENDORSEMENT) and whose unique field is zero-filled, and the high-range templates
/// for RSA 2048/3072 and ECC NIST P-256/P-384 (H-1, H-2, H-3, H-6), with userWithAuth SET, the PolicyB
/// of their nameAlg and an empty unique field. tpm2_createek makes the same keys (rsa, ecc, rsa3072,
/// ecc384), and tpm2_getekcertificate reads the certificates from these indices.
/// </summary>
public static class EkTemplates
{
    // TPMA_OBJECT: fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt
    // (low range); the high range adds userWithAuth.
    const string AttributesLow = "000300B2";
    const string AttributesHigh = "000300F2";

    /// <summary>PolicyA: TPM2_PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256.</summary>
    const string PolicyASha256 = "837197674484B3F81A90CC8D46A5D724FD52D76E06520B64F2A1DA1B331469AA";
    /// <summary>PolicyB of the high range, SHA-256 and SHA-384.</summary>
    const string PolicyBSha256 = "CA3D0A99A2B93906F7A3342414EFCFB3A385D44CD1FD459089D19B5071C0B7A0";
    const string PolicyBSha384 = "B26E7D28D11A50BC53D882BCF5FD3A1A074148BB35D3B4E4CB1C0AD9BDE419CACB47BA09699646150F9FC000F3F80E12";

    // TPMT_SYM_DEF_OBJECT: AES-128 or AES-256 in CFB mode.
    const string Aes128Cfb = "0006" + "0080" + "0043";
    const string Aes256Cfb = "0006" + "0100" + "0043";

    /// <summary>L-1: RSA 2048, SHA-256, PolicyA, AES-128-CFB, 256 zero octets of unique.</summary>
    public static readonly EkTemplate Rsa2048 = new("rsa", "L-1", 0x01C00002, Hex(
        "0001", "000B", AttributesLow, "0020", PolicyASha256, Aes128Cfb, "0010", "0800", "00000000",
        "0100", new string('0', 512)));

    /// <summary>L-2: ECC NIST P-256, SHA-256, PolicyA, AES-128-CFB, two 32-octet zero coordinates.</summary>
    public static readonly EkTemplate EccP256 = new("ecc", "L-2", 0x01C0000A, Hex(
        "0023", "000B", AttributesLow, "0020", PolicyASha256, Aes128Cfb, "0010", "0003", "0010",
        "0020", new string('0', 64), "0020", new string('0', 64)));

    /// <summary>H-1: RSA 2048, SHA-256, PolicyB, AES-128-CFB.</summary>
    public static readonly EkTemplate Rsa2048High = new("rsa2048_high", "H-1", 0x01C00012, Hex(
        "0001", "000B", AttributesHigh, "0020", PolicyBSha256, Aes128Cfb, "0010", "0800", "00000000", "0000"));

    /// <summary>H-2: ECC NIST P-256, SHA-256, PolicyB, AES-128-CFB.</summary>
    public static readonly EkTemplate EccP256High = new("ecc256_high", "H-2", 0x01C00014, Hex(
        "0023", "000B", AttributesHigh, "0020", PolicyBSha256, Aes128Cfb, "0010", "0003", "0010", "0000", "0000"));

    /// <summary>H-3: ECC NIST P-384, SHA-384, PolicyB, AES-256-CFB.</summary>
    public static readonly EkTemplate EccP384 = new("ecc384", "H-3", 0x01C00016, Hex(
        "0023", "000C", AttributesHigh, "0030", PolicyBSha384, Aes256Cfb, "0010", "0004", "0010", "0000", "0000"));

    /// <summary>H-6: RSA 3072, SHA-384, PolicyB, AES-256-CFB.</summary>
    public static readonly EkTemplate Rsa3072 = new("rsa3072", "H-6", 0x01C0001C, Hex(
        "0001", "000C", AttributesHigh, "0030", PolicyBSha384, Aes256Cfb, "0010", "0C00", "00000000", "0000"));

    /// <summary>Every template, low range first.</summary>
    public static IReadOnlyList<EkTemplate> All { get; } = [Rsa2048, EccP256, Rsa2048High, EccP256High, EccP384, Rsa3072];

    /// <summary>The template called <paramref name="name"/> (<see cref="EkTemplate.Name"/> or its profile
    /// name, case-insensitive), or null.</summary>
    public static EkTemplate? Find(string name)
    {
        foreach (var t in All)
            if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(t.Profile, name, StringComparison.OrdinalIgnoreCase))
                return t;
        return null;
    }

    static byte[] Hex(params string[] parts) => Convert.FromHexString(string.Concat(parts));
}
