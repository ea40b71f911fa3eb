using System.Security.Cryptography;

namespace Ftpm.Crypto;

// HKDF (RFC 5869): System.Security.Cryptography.HKDF.
public sealed partial class PlatformCrypto
{
    public int HkdfExtract(TpmAlgId hashAlg, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, Span<byte> prk) =>
        HKDF.Extract(ToName(hashAlg), ikm, salt, prk);

    public void HkdfExpand(TpmAlgId hashAlg, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output) =>
        HKDF.Expand(ToName(hashAlg), prk, output, info);
}
