using System.Security.Cryptography;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// ML-KEM objects (v185: Part 1, 47; Part 2, 11.2.6 and 12.2.3.8): what <see cref="ObjectSupport"/> does for
/// them. The private key is the 64-octet seed d || z (TPM2B_PRIVATE_KEY_MLKEM), the public key (unique) the
/// FIPS 203 encapsulation key. An ML-KEM key decrypts and never signs; a restricted one is a storage key that
/// names its children's cipher (TPMS_MLKEM_PARMS.symmetric), an unrestricted one has symmetric NULL.
/// </summary>
internal static class MlKemObjects
{
    /// <summary>TPM2B_PRIVATE_KEY_MLKEM's size (Part 2 v185, Table 207).</summary>
    public const int SeedSize = 64;

    /// <summary>The scheme checks of an ML-KEM public area (Part 2 v185, Table 232-233), unnumbered:
    /// TPM_RC_ATTRIBUTES with sign SET (Table 233 lets an ML-KEM key only decrypt); TPM_RC_SYMMETRIC for a
    /// cipher on a key that is not a restricted decryption key (a storage key without one is refused by the
    /// shared check after it). The parameter set was checked when the area was unmarshaled (TPM_RC_PARMS).</summary>
    public static TpmRc SchemeChecks(in TpmtPublic p, out TpmtSymDefObject symmetric)
    {
        var a = p.ObjectAttributes;
        symmetric = p.Parameters.MlKemDetail.Symmetric;
        if ((a & TpmaObject.Sign) != 0) return TpmRc.Attributes;
        bool storage = (a & (TpmaObject.Restricted | TpmaObject.Decrypt)) == (TpmaObject.Restricted | TpmaObject.Decrypt);
        if (!storage && symmetric.Algorithm != TpmAlgId.Null) return TpmRc.Symmetric;
        return TpmRc.Success;
    }

    /// <summary>
    /// A new ML-KEM key from <paramref name="stream"/>: d || z are the next 64 octets (FIPS 203's
    /// ML-KEM.KeyGen draws d, then z; Part 1 v185, 47.2 samples the seed from the entropy source of 24.6). For
    /// a primary the stream is ftpm's KDFa stream over the hierarchy seed, keyed by the Name of the whole
    /// template (the parameter set included) and the use string "Primary Object Creation", after the
    /// seedValue of a storage key. Part 1 v185, 24.6.3 makes the DRBG of primary objects a vendor option and
    /// Part 4 v185, which would fix the reference's choice, is not published: this order is ftpm's, so an
    /// ML-KEM primary is reproducible on ftpm but need not equal another TPM's from the same seed.
    /// Null when the backend does not implement the parameter set.
    /// </summary>
    public static IAsymmetricKey? Generate(ICrypto crypto, in TpmtPublic p, IKeyStream stream, out ReadOnlyMemory<byte> unique)
    {
        unique = default;
        Span<byte> seed = stackalloc byte[SeedSize];
        stream.Generate(seed);
        var key = crypto.MlKemFromSeed(p.Parameters.MlKemDetail.ParameterSet, seed);
        CryptographicOperations.ZeroMemory(seed);
        if (key is null) return null;
        var ek = new byte[TpmLimits.MaxMlKemPubSize];
        var (n, _) = key.ExportPublic(ek, []);
        unique = ek.AsMemory(0, n);
        return key;
    }

    /// <summary>The key of a loaded object from its seed (Load, Import, context and persistent objects):
    /// TPM_RC_KEY for a unique that is not the parameter set's encapsulation-key size; TPM_RC_KEY_SIZE for a
    /// seed that is not 64 octets; TPM_RC_BINDING when the seed's encapsulation key is not the public area's
    /// unique (compared in constant time). Unnumbered. Only d enters the encapsulation key: z (the
    /// implicit-rejection secret) cannot be checked against the public area, and is protected by the integrity
    /// of the private area it comes from.</summary>
    public static TpmRc Complete(ICrypto crypto, in TpmtPublic p, ReadOnlySpan<byte> seed, out IAsymmetricKey? key)
    {
        key = null;
        if (p.Unique.MlKem.Length != MlParameterSets.PublicKeySize(p.Parameters.MlKemDetail.ParameterSet)) return TpmRc.Key;
        if (seed.Length != SeedSize) return TpmRc.KeySize;
        var k = crypto.MlKemFromSeed(p.Parameters.MlKemDetail.ParameterSet, seed);
        if (k is null) return TpmRc.Binding;
        var ek = new byte[TpmLimits.MaxMlKemPubSize];
        var (n, _) = k.ExportPublic(ek, []);
        if (!CryptographicOperations.FixedTimeEquals(ek.AsSpan(0, n), p.Unique.MlKem.Span))
        {
            k.Dispose();
            return TpmRc.Binding;
        }
        key = k;
        return TpmRc.Success;
    }

    /// <summary>A public-only ML-KEM key (LoadExternal without a sensitive area): TPM_RC_KEY (unnumbered) for an
    /// encapsulation key of the wrong size for its parameter set or one that fails FIPS 203's modulus check.</summary>
    public static TpmRc LoadPublic(ICrypto crypto, in TpmtPublic p, out IAsymmetricKey? key)
    {
        key = crypto.MlKemImportPublic(p.Parameters.MlKemDetail.ParameterSet, p.Unique.MlKem.Span);
        return key is null ? TpmRc.Key : TpmRc.Success;
    }
}
