using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Marshal;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// What the object commands share (the reference keeps it in Object_spt.c): the consistency checks of a
/// public area and its sensitive creation data (Part 1, 27 "Object Attributes"; Part 3, 12.1), making an
/// object's secret from a key stream, the protection of a sensitive area under its parent (Part 1, 23
/// "Protected Storage"), and creation data with its ticket (Part 1, 26 / Part 3, 12.1).
/// </summary>
internal static class ObjectSupport
{
    /// <summary>The checks of a public area (template or loaded) against itself and its parent (null for
    /// a primary or an external object: its parent is a hierarchy, which counts as fixedTPM), in the order
    /// of the reference's PublicAttributesValidation (Part 1, 27.2 "Object Attributes"; Part 2, 8.3
    /// TPMA_OBJECT), then <see cref="SchemeChecks"/>. Codes, numbered with <paramref name="param"/>:
    /// TPM_RC_HASH (no nameAlg); TPM_RC_SIZE (authPolicy not a digest of nameAlg); TPM_RC_ATTRIBUTES
    /// when fixedParent and fixedTPM differ under a fixedTPM parent or a hierarchy, for fixedTPM under a
    /// parent that is not, for restricted with sign equal to decrypt, for a key other than KEYEDHASH that
    /// neither signs nor decrypts, for fixedTPM with encryptedDuplication, for encryptedDuplication that
    /// differs from a duplicable parent's, and under a derivation parent for a child that is not
    /// fixedParent or whose fixedTPM differs from the parent's.
    /// <paramref name="schemesOnly"/> keeps only the scheme checks (the reference's SchemeChecks alone):
    /// TPM2_LoadExternal of a public area without a sensitive area, or of any object with nameAlg
    /// TPM_ALG_NULL, checks no attributes, no nameAlg and no authPolicy (Part 3, 12.3).</summary>
    public static TpmRc ValidatePublic(in TpmtPublic p, TpmKey? parent, int param, bool schemesOnly = false)
    {
        var rc = schemesOnly ? TpmRc.Success : AttributeChecks(p, parent);
        if (rc == TpmRc.Success) rc = SchemeChecks(p, parent);
        return rc == TpmRc.Success ? rc : rc.AtParameter(param);
    }

    static TpmRc AttributeChecks(in TpmtPublic p, TpmKey? parent)
    {
        var a = p.ObjectAttributes;
        bool fixedTpm = Has(a, TpmaObject.FixedTpm), fixedParent = Has(a, TpmaObject.FixedParent);
        bool sign = Has(a, TpmaObject.Sign), decrypt = Has(a, TpmaObject.Decrypt);
        bool encryptedDuplication = Has(a, TpmaObject.EncryptedDuplication);
        if (p.NameAlg == TpmAlgId.Null) return TpmRc.Hash;
        if (p.AuthPolicy.Length != 0 && p.AuthPolicy.Length != TpmAlgorithms.DigestSize(p.NameAlg)) return TpmRc.Size;
        // Part 1, 27.2.1-27.2.2: under a fixedTPM parent (a hierarchy is one) an object that cannot leave
        // its parent cannot leave the TPM, and the reverse; under a duplicable parent nothing is fixedTPM.
        if (parent is null || parent.Has(TpmaObject.FixedTpm))
        {
            if (fixedParent != fixedTpm) return TpmRc.Attributes;
        }
        else if (fixedTpm)
        {
            return TpmRc.Attributes;
        }
        // Part 1, 27.2.9-27.2.11: a restricted key either signs or decrypts; only a data object (KEYEDHASH)
        // does neither.
        if (sign == decrypt)
        {
            if (Has(a, TpmaObject.Restricted)) return TpmRc.Attributes;
            if (p.Type != TpmAlgId.KeyedHash && !sign) return TpmRc.Attributes;
        }
        // Part 1, 27.2.7: encryptedDuplication means nothing for an object that cannot be duplicated, and
        // a duplicable parent passes its value on.
        if (fixedTpm && encryptedDuplication) return TpmRc.Attributes;
        if (parent is not null && !parent.Has(TpmaObject.FixedTpm) && encryptedDuplication != parent.Has(TpmaObject.EncryptedDuplication))
            return TpmRc.Attributes;
        // Part 1, "Derived Objects": a derived object cannot leave its parent and is fixedTPM exactly when
        // its derivation parent is.
        if (parent is { IsDerivationParent: true } && (fixedTpm != parent.Has(TpmaObject.FixedTpm) || !fixedParent))
            return TpmRc.Attributes;
        return TpmRc.Success;
    }

    /// <summary>The scheme checks of a public area (the reference's SchemeChecks; Part 2, 12.2.3): TPM_RC_SCHEME
    /// for a scheme of the wrong kind, a scheme on a key that both signs and decrypts or on a storage key,
    /// a signing scheme without a hash, a restricted signing key without a scheme, an HMAC key without
    /// HMAC, a decrypting KEYEDHASH key without XOR or a derivation parent whose XOR does not name
    /// KDF1_SP800_108, a decrypting SYMCIPHER key with a MAC mode; TPM_RC_HASH for a derivation parent
    /// without a hash; TPM_RC_SYMMETRIC for an asymmetric key other than a storage key with a cipher, a
    /// storage key without one, or a non-duplicable storage key whose cipher differs from its parent's;
    /// TPM_RC_HASH for such a key whose nameAlg differs from its parent's; TPM_RC_KDF for an ECC key
    /// with a KDF. Unnumbered.</summary>
    static TpmRc SchemeChecks(in TpmtPublic p, TpmKey? parent)
    {
        var a = p.ObjectAttributes;
        bool restricted = Has(a, TpmaObject.Restricted), sign = Has(a, TpmaObject.Sign), decrypt = Has(a, TpmaObject.Decrypt);
        TpmtSymDefObject? symmetric = null;
        switch (p.Type)
        {
            case TpmAlgId.SymCipher:
                symmetric = p.Parameters.SymDetail.Sym;
                // A decrypting key names a cipher mode (or none), not a MAC.
                if (decrypt && p.Parameters.SymDetail.Sym.Mode.Sym == TpmAlgId.Cmac) return TpmRc.Scheme;
                break;
            case TpmAlgId.KeyedHash:
            {
                var scheme = p.Parameters.KeyedHashDetail.Scheme;
                if (sign == decrypt)
                {
                    if (scheme.Scheme != TpmAlgId.Null) return TpmRc.Scheme;
                }
                else if (sign)
                {
                    if (scheme.Scheme != TpmAlgId.Hmac) return TpmRc.Scheme;
                }
                else
                {
                    // A restricted decrypting KEYEDHASH key is a derivation parent: its children come from
                    // KDFa (KDF1_SP800_108, the one derivation this TPM has) under the XOR scheme's hash.
                    if (scheme.Scheme != TpmAlgId.Xor) return TpmRc.Scheme;
                    if (restricted)
                    {
                        if (scheme.Details.Xor.Kdf != TpmAlgId.Kdf1Sp800_108) return TpmRc.Scheme;
                        if (TpmAlgorithms.DigestSize(scheme.Details.Xor.HashAlg) == 0) return TpmRc.Hash;
                    }
                }
                break;
            }
            case TpmAlgId.MlDsa:
            case TpmAlgId.HashMlDsa:
            {
                var rc = MlDsaSchemeChecks(p);
                if (rc != TpmRc.Success) return rc;
                break;
            }
            case TpmAlgId.MlKem:
            {
                var rcKem = MlKemObjects.SchemeChecks(p, out var kemSymmetric);
                if (rcKem != TpmRc.Success) return rcKem;
                symmetric = kemSymmetric;
                break;
            }
            default:
            {
                bool rsa = p.Type == TpmAlgId.Rsa;
                var sym = rsa ? p.Parameters.RsaDetail.Symmetric : p.Parameters.EccDetail.Symmetric;
                symmetric = sym;
                var scheme = rsa ? p.Parameters.RsaDetail.Scheme.Scheme : p.Parameters.EccDetail.Scheme.Scheme;
                var schemeHash = rsa ? p.Parameters.RsaDetail.Scheme.Details.AnySig.HashAlg
                    : scheme == TpmAlgId.EcDaa ? p.Parameters.EccDetail.Scheme.Details.Ecdaa.HashAlg
                    : p.Parameters.EccDetail.Scheme.Details.AnySig.HashAlg;
                if (sign == decrypt)
                {
                    // No way to name a signing and a decryption scheme at once.
                    if (scheme != TpmAlgId.Null) return TpmRc.Scheme;
                }
                else if (sign)
                {
                    if (IsSigningScheme(p.Type, scheme))
                    {
                        if (schemeHash == TpmAlgId.Null) return TpmRc.Scheme;
                    }
                    else if (restricted || scheme != TpmAlgId.Null)
                    {
                        return TpmRc.Scheme;
                    }
                }
                else if (restricted ? scheme != TpmAlgId.Null : scheme != TpmAlgId.Null && !IsDecryptScheme(p.Type, scheme))
                {
                    return TpmRc.Scheme;
                }
                // Part 2, 12.2.3.5/6: only a storage key names the cipher of its children's protection.
                if ((!restricted || !decrypt) && sym.Algorithm != TpmAlgId.Null) return TpmRc.Symmetric;
                // An ECC key carries no KDF of its own, whatever its attributes: the 1.84 reference's SchemeChecks
                // refuses any (TPM_RC_KDF), as libtpms does, so TPM2_ECC_Encrypt/ECC_Decrypt always take the
                // KDF from their inScheme (Part 3, 14.8/14.9: the key's is then TPM_ALG_NULL). v185 adds one:
                // HKDF marks a DHKEM key (Part 1 v185, 44.4) for TPM2_Encapsulate/Decapsulate, and only on an
                // unrestricted decryption ECDH key (Part 2 v185, TPMS_ECC_PARMS: NULL in all other cases).
                var kdf = p.Parameters.EccDetail.Kdf.Scheme;
                bool kemKey = !restricted && decrypt && !sign && scheme == TpmAlgId.Ecdh;
                if (!rsa && kdf != TpmAlgId.Null && !(kemKey && kdf == TpmAlgId.Hkdf)) return TpmRc.Kdf;
                break;
            }
        }
        if (symmetric is { } s && restricted && decrypt)
        {
            if (s.Algorithm == TpmAlgId.Null) return TpmRc.Symmetric;
            // A parent that cannot be duplicated protects its children as its own parent does (Part 1,
            // 27.2.x): same nameAlg, same cipher.
            if (Has(a, TpmaObject.FixedParent) && parent is not null && parent.Type != TpmAlgId.KeyedHash)
            {
                if (p.NameAlg != parent.NameAlg) return TpmRc.Hash;
                var ps = parent.ProtectionSymmetric;
                if (ps.Algorithm != s.Algorithm || ps.KeyBits.Sym != s.KeyBits.Sym || ps.Mode.Sym != s.Mode.Sym) return TpmRc.Symmetric;
            }
        }
        return TpmRc.Success;
    }

    static bool Has(TpmaObject a, TpmaObject flag) => (a & flag) == flag;

    /// <summary>The checks of an ML-DSA or HashML-DSA public area (Part 2 v185, 12.2.3.6-7 and Table 233: these
    /// types only sign): TPM_RC_ATTRIBUTES for a key with decrypt SET or sign CLEAR, or a restricted key with
    /// allowExternalMu YES (Part 3 v185, 20.1: allowExternalMu implies restricted CLEAR, and a restricted
    /// ML-DSA key can never sign an external μ); TPM_RC_HASH for a HashML-DSA pre-hash that has no object
    /// identifier for HashML-DSA's M′ (FIPS 204, 5.4). Unnumbered.</summary>
    static TpmRc MlDsaSchemeChecks(in TpmtPublic p)
    {
        var a = p.ObjectAttributes;
        if (Has(a, TpmaObject.Decrypt) || !Has(a, TpmaObject.Sign)) return TpmRc.Attributes;
        if (p.Type == TpmAlgId.MlDsa)
        {
            if (p.Parameters.MlDsaDetail.AllowExternalMu != 0 && Has(a, TpmaObject.Restricted)) return TpmRc.Attributes;
        }
        else if (Crypto.MlDsaMessage.HashOid(p.Parameters.HashMlDsaDetail.HashAlg).IsEmpty)
        {
            return TpmRc.Hash;
        }
        return TpmRc.Success;
    }

    /// <summary>The parameter set of an ML-DSA or HashML-DSA public area.</summary>
    public static TpmMlDsaParms MlDsaParameterSet(in TpmtPublic p) =>
        p.Type == TpmAlgId.MlDsa ? p.Parameters.MlDsaDetail.ParameterSet : p.Parameters.HashMlDsaDetail.ParameterSet;

    /// <summary>The RSA public exponent of a key being loaded (the reference's CryptValidateKeys): 0 (the
    /// default, 2^16 + 1) or at least 7, else TPM_RC_VALUE (unnumbered: the public area's). Exponents
    /// the backend cannot use fail later as a key that is not one.</summary>
    public static TpmRc CheckRsaExponent(in TpmtPublic p) =>
        p.Type == TpmAlgId.Rsa && p.Parameters.RsaDetail.Exponent is > 0 and < 7 ? TpmRc.Value : TpmRc.Success;

    /// <summary>The RSA public exponent of a key being generated (the reference's CryptRsaGenerateKey): 0
    /// (2^16 + 1) or a prime of at least 2^16 + 1, else TPM_RC_RANGE (unnumbered, as the reference and
    /// swtpm answer). A 32-bit trial division, no big-number arithmetic.</summary>
    public static TpmRc CheckRsaGenerationExponent(uint exponent)
    {
        if (exponent == 0) return TpmRc.Success;
        if (exponent < 65537 || exponent % 2 == 0) return TpmRc.Range;
        for (uint d = 3; d <= exponent / d; d += 2)
            if (exponent % d == 0) return TpmRc.Range;
        return TpmRc.Success;
    }

    static bool IsSigningScheme(TpmAlgId type, TpmAlgId scheme) => type == TpmAlgId.Rsa
        ? scheme is TpmAlgId.RsaSsa or TpmAlgId.RsaPss
        : scheme is TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.EcSchnorr or TpmAlgId.Sm2;

    static bool IsDecryptScheme(TpmAlgId type, TpmAlgId scheme) => type == TpmAlgId.Rsa
        ? scheme is TpmAlgId.RsaEs or TpmAlgId.Oaep
        : scheme is TpmAlgId.Ecdh or TpmAlgId.EcMqv;

    /// <summary>The checks of object creation (Part 3, 12.1 Create, 12.9 CreateLoaded, 24.1 CreatePrimary),
    /// in the reference's order (CreateChecks, then AdjustAuthSize): TPM_RC_ATTRIBUTES
    /// (<paramref name="publicParam"/>) when sensitiveDataOrigin is CLEAR and no data is given, when an
    /// ordinary object is given data while sensitiveDataOrigin is SET (a primary's data is then extra
    /// input to its derivation), for sealed data the TPM would make, for a restricted KEYEDHASH or SYMCIPHER
    /// key (a parent) given its secret while fixedParent or fixedTPM is SET (a caller who knows a parent's
    /// secret can unwrap or derive its children outside the TPM), for an asymmetric key given its
    /// secret; then those of <see cref="ValidatePublic"/> (<paramref name="publicParam"/>); then TPM_RC_SIZE
    /// (<paramref name="sensitiveParam"/>) for a userAuth, trailing zeros removed, longer than nameAlg's
    /// digest; TPM_RC_KEY_SIZE (unnumbered, as the reference's CryptSymKeyValidate) for a SYMCIPHER key
    /// given with the wrong size.</summary>
    public static TpmRc CreateChecks(in TpmtPublic p, in TpmsSensitiveCreate s, TpmKey? parent, int sensitiveParam, int publicParam)
    {
        var a = p.ObjectAttributes;
        bool origin = Has(a, TpmaObject.SensitiveDataOrigin);
        int dataSize = s.Data.Length;
        if (!origin && dataSize == 0) return TpmRc.Attributes.AtParameter(publicParam);
        if (parent is not null && origin && dataSize != 0) return TpmRc.Attributes.AtParameter(publicParam);
        switch (p.Type)
        {
            case TpmAlgId.KeyedHash or TpmAlgId.SymCipher:
                if (p.Type == TpmAlgId.KeyedHash && !Has(a, TpmaObject.Sign) && !Has(a, TpmaObject.Decrypt) && origin)
                    return TpmRc.Attributes.AtParameter(publicParam);
                if (Has(a, TpmaObject.Restricted) && !origin && (a & (TpmaObject.FixedParent | TpmaObject.FixedTpm)) != 0)
                    return TpmRc.Attributes.AtParameter(publicParam);
                break;
            default:
                if (!origin) return TpmRc.Attributes.AtParameter(publicParam);
                break;
        }
        var rc = ValidatePublic(p, parent, publicParam);
        if (rc != TpmRc.Success) return rc;
        if (TrimmedLength(s.UserAuth.Span) > TpmAlgorithms.DigestSize(p.NameAlg)) return TpmRc.Size.AtParameter(sensitiveParam);
        if (p.Type == TpmAlgId.SymCipher && !origin && dataSize * 8 != p.Parameters.SymDetail.Sym.KeyBits.Sym) return TpmRc.KeySize;
        return TpmRc.Success;
    }

    static int TrimmedLength(ReadOnlySpan<byte> value)
    {
        int n = value.Length;
        while (n > 0 && value[n - 1] == 0) n--;
        return n;
    }

    /// <summary>RSA key generation is the long operation the host may cancel (TPM_RC_CANCELED; the
    /// reference's CryptRsaGenerateKey asks _plat__IsCanceled before each attempt at a prime pair, so a
    /// cancel already signaled when generation starts gives TPM_RC_CANCELED, unnumbered). The crypto port
    /// generates a key in one call, so ftpm asks once, before it; ECC key generation is not cancelable.</summary>
    internal static bool RsaGenerationCancelled(Tpm tpm) => tpm.Platform.Cancelled;

    /// <summary>Makes an object from its template: its secret and its public unique field from
    /// <paramref name="stream"/> (a KDFa stream for primaries, the DRBG otherwise) unless the caller gave
    /// the secret; a seedValue of nameAlg's digest size for storage keys (their children's protection)
    /// and KEYEDHASH/SYMCIPHER objects (unique = H(seedValue || secret), Part 1, 27.3.3).
    /// <paramref name="seedAfterSecret"/> draws the secret first and the seedValue after it, the order of
    /// the reference's CryptCreateObject: derived objects use it so that they equal the reference's for
    /// the same parent secret, label and context. Primary keys keep the order they were always made in
    /// (seedValue first), so keys wrapped under a recreated primary stay loadable.</summary>
    public static TpmRc GenerateObject(Tpm tpm, in TpmtPublic template, in TpmsSensitiveCreate sensitive, IKeyStream stream,
        int publicParam, out TpmKey key, bool seedAfterSecret = false)
    {
        key = null!;
        var crypto = tpm.Crypto;
        var p = template;
        int digestSize = TpmAlgorithms.DigestSize(p.NameAlg);
        bool storage = Has(p.ObjectAttributes, TpmaObject.Restricted | TpmaObject.Decrypt);
        byte[] seed = [];
        byte[] secret = [];
        IAsymmetricKey? asymmetric = null;
        switch (p.Type)
        {
            case TpmAlgId.Rsa:
            case TpmAlgId.Ecc:
            {
                if (p.Type == TpmAlgId.Rsa)
                {
                    var rc0 = CheckRsaGenerationExponent(p.Parameters.RsaDetail.Exponent);
                    if (rc0 != TpmRc.Success) return rc0;
                    if (RsaGenerationCancelled(tpm)) return TpmRc.Canceled;
                }
                if (storage && !seedAfterSecret) { seed = new byte[digestSize]; stream.Generate(seed); }
                asymmetric = p.Type == TpmAlgId.Rsa
                    ? crypto.RsaGenerate(p.Parameters.RsaDetail.KeyBits, p.Parameters.RsaDetail.Exponent, stream)
                    : crypto.EccGenerate(p.Parameters.EccDetail.CurveId, stream);
                if (asymmetric is null) return TpmRc.Value.AtParameter(publicParam);
                if (storage && seedAfterSecret) { seed = new byte[digestSize]; stream.Generate(seed); }
                var first = new byte[TpmLimits.MaxRsaKeyBytes];
                var second = new byte[TpmLimits.MaxEccKeyBytes];
                var (n1, n2) = asymmetric.ExportPublic(first, second);
                p.Unique = p.Type == TpmAlgId.Rsa
                    ? new TpmuPublicId { Rsa = first.AsMemory(0, n1) }
                    : new TpmuPublicId { Ecc = new TpmsEccPoint { X = first.AsMemory(0, n1), Y = second.AsMemory(0, n2) } };
                break;
            }
            case TpmAlgId.MlDsa:
            case TpmAlgId.HashMlDsa:
            {
                // Part 1 v185, 46.2: the private key is the seed ξ, drawn from the object's entropy source
                // (24.6): the DRBG for an ordinary key, the primary seed's KDFa stream for a primary (24.6.3).
                // An ML-DSA key is never a parent, so it has no seedValue.
                Span<byte> xi = stackalloc byte[MlParameterSets.MlDsaPrivateSeedSize];
                stream.Generate(xi);
                asymmetric = crypto.MlDsaGenerate(MlDsaParameterSet(p), xi);
                CryptographicOperations.ZeroMemory(xi);
                if (asymmetric is null) return TpmRc.Parms.AtParameter(publicParam);
                var pk = new byte[TpmLimits.MaxMlDsaPubSize];
                var (n, _) = asymmetric.ExportPublic(pk, []);
                p.Unique = new TpmuPublicId { MlDsa = pk.AsMemory(0, n) };
                break;
            }
            case TpmAlgId.MlKem:
            {
                if (storage && !seedAfterSecret) { seed = new byte[digestSize]; stream.Generate(seed); }
                asymmetric = MlKemObjects.Generate(crypto, p, stream, out var ek);
                if (asymmetric is null) return TpmRc.Parms.AtParameter(publicParam);
                if (storage && seedAfterSecret) { seed = new byte[digestSize]; stream.Generate(seed); }
                p.Unique = new TpmuPublicId { MlKem = ek };
                break;
            }
            case TpmAlgId.KeyedHash:
            case TpmAlgId.SymCipher:
            {
                seed = new byte[digestSize];
                if (!seedAfterSecret) stream.Generate(seed);
                // With sensitiveDataOrigin SET the TPM makes the secret; a primary's data was input to the stream.
                if (sensitive.Data.Length != 0 && !Has(p.ObjectAttributes, TpmaObject.SensitiveDataOrigin))
                {
                    secret = sensitive.Data.ToArray();
                }
                else
                {
                    // A KEYEDHASH secret is a digest of its scheme's hash (HMAC, or XOR for a
                    // derivation parent), else of nameAlg.
                    var keyedHash = p.Parameters.KeyedHashDetail.Scheme;
                    int size = p.Type == TpmAlgId.SymCipher
                        ? p.Parameters.SymDetail.Sym.KeyBits.Sym / 8
                        : TpmAlgorithms.DigestSize(keyedHash.Scheme switch
                        {
                            TpmAlgId.Hmac => keyedHash.Details.Hmac.HashAlg,
                            TpmAlgId.Xor => keyedHash.Details.Xor.HashAlg,
                            _ => p.NameAlg,
                        });
                    secret = new byte[size];
                    stream.Generate(secret);
                }
                if (seedAfterSecret) stream.Generate(seed);
                p.Unique = new TpmuPublicId { Digest = ObfuscatedUnique(crypto, p.NameAlg, seed, secret) };
                break;
            }
        }
        var rc = TpmKey.FromPublicArea(crypto, TpmKey.Marshal(p), out key);
        if (rc != TpmRc.Success)
        {
            asymmetric?.Dispose();
            return rc;
        }
        key.HasSensitive = true;
        key.AuthValue = sensitive.UserAuth.ToArray();
        key.SeedValue = seed;
        key.SensitiveData = secret;
        key.Asymmetric = asymmetric;
        return TpmRc.Success;
    }

    /// <summary>unique of a KEYEDHASH or SYMCIPHER object: H_nameAlg(seedValue || secret) (Part 1, 27.3.3).</summary>
    static byte[] ObfuscatedUnique(ICrypto crypto, TpmAlgId nameAlg, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> secret)
    {
        var data = new byte[seed.Length + secret.Length];
        seed.CopyTo(data);
        secret.CopyTo(data.AsSpan(seed.Length));
        var digest = new byte[TpmAlgorithms.DigestSize(nameAlg)];
        crypto.Hash(nameAlg, data, digest);
        CryptographicOperations.ZeroMemory(data);
        return digest;
    }

    /// <summary>The object's TPMT_SENSITIVE, marshaled, with <paramref name="authValue"/> (ObjectChangeAuth
    /// writes a new one). The caller wipes the result.</summary>
    public static byte[] SensitiveArea(TpmKey key, ReadOnlySpan<byte> authValue)
    {
        byte[] secret;
        if (key.Asymmetric is { } asymmetric)
        {
            var buffer = new byte[TpmLimits.MaxRsaKeyBytes];
            int n = asymmetric.ExportPrivate(buffer);
            secret = buffer[..n];
            CryptographicOperations.ZeroMemory(buffer);
        }
        else
        {
            secret = key.SensitiveData;
        }
        var s = new TpmtSensitive
        {
            SensitiveType = key.Type,
            AuthValue = authValue.ToArray(),
            SeedValue = key.SeedValue,
            Sensitive = key.Type switch
            {
                TpmAlgId.Rsa => new TpmuSensitiveComposite { Rsa = secret },
                TpmAlgId.Ecc => new TpmuSensitiveComposite { Ecc = secret },
                TpmAlgId.KeyedHash => new TpmuSensitiveComposite { Bits = secret },
                TpmAlgId.MlDsa or TpmAlgId.HashMlDsa => new TpmuSensitiveComposite { MlDsa = secret },
                TpmAlgId.MlKem => new TpmuSensitiveComposite { MlKem = secret },
                _ => new TpmuSensitiveComposite { Sym = secret },
            },
        };
        var output = new byte[2048];
        var w = new TpmWriter(output);
        s.Write(ref w);
        var result = w.Written.ToArray();
        CryptographicOperations.ZeroMemory(output);
        if (key.Asymmetric is not null) CryptographicOperations.ZeroMemory(secret);
        return result;
    }

    /// <summary>Makes a loaded object from its public area and TPMT_SENSITIVE (Load, persistent objects,
    /// ContextLoad). Codes: TPM_RC_TYPE (sensitive type differs from the public type), TPM_RC_SIZE (an
    /// authValue longer than nameAlg's digest, a seedValue of another size), TPM_RC_KEY (a modulus or
    /// point of the wrong size), TPM_RC_VALUE (an RSA exponent from 1 to 6), TPM_RC_KEY_SIZE (an RSA
    /// prime that is not half the modulus), TPM_RC_BINDING (the secret does not belong to the public area),
    /// TPM_RC_SENSITIVE (sensitive area that does not unmarshal). Unnumbered: the caller numbers them.</summary>
    public static TpmRc LoadKey(Tpm tpm, byte[] publicArea, ReadOnlySpan<byte> sensitiveArea, out TpmKey key) =>
        LoadKey(tpm, publicArea, sensitiveArea, out key, null);

    /// <summary><see cref="LoadKey(Tpm, byte[], ReadOnlySpan{byte}, out TpmKey)"/>, with the backend key
    /// taken from <paramref name="saved"/> when given: the key of a context this TPM saved and whose blob
    /// passed its integrity check, so the sensitive area is that key's and importing it again would only
    /// repeat its checks.</summary>
    public static TpmRc LoadKey(Tpm tpm, byte[] publicArea, ReadOnlySpan<byte> sensitiveArea, out TpmKey key, SharedAsymmetricKey? saved)
    {
        var rc = TpmKey.FromPublicArea(tpm.Crypto, publicArea, out key);
        if (rc != TpmRc.Success) return rc;
        var copy = sensitiveArea.ToArray();
        try
        {
            var reader = new TpmReader(copy);
            if (TpmtSensitive.Read(ref reader, out var s) != TpmRc.Success || reader.HasData) return TpmRc.Sensitive;
            rc = CompleteKey(tpm, key, in s, saved);
            if (rc != TpmRc.Success) { key.Dispose(); key = null!; }
            return rc;
        }
        finally { CryptographicOperations.ZeroMemory(copy); }
    }

    /// <summary>Makes a public-only object from a public area (LoadExternal without a sensitive area,
    /// contexts of such objects). Codes (unnumbered), as the reference's CryptValidateKeys: the public
    /// area's unmarshal codes; TPM_RC_KEY for a modulus, coordinate or KEYEDHASH/SYMCIPHER unique of
    /// the wrong size, or a modulus the backend cannot use; TPM_RC_ECC_POINT for a point that is not on
    /// the curve.</summary>
    public static TpmRc LoadPublicKey(Tpm tpm, byte[] publicArea, out TpmKey key)
    {
        var rc = TpmKey.FromPublicArea(tpm.Crypto, publicArea, out key);
        if (rc != TpmRc.Success) return rc;
        var p = key.Public;
        switch (p.Type)
        {
            case TpmAlgId.Rsa:
                if (p.Unique.Rsa.Length * 8 != p.Parameters.RsaDetail.KeyBits) rc = TpmRc.Key;
                else key.Asymmetric = tpm.Crypto.RsaImport(p.Unique.Rsa.Span, p.Parameters.RsaDetail.Exponent, []);
                if (rc == TpmRc.Success && key.Asymmetric is null) rc = TpmRc.Key;
                break;
            case TpmAlgId.Ecc:
            {
                int size = EccKeyBytes(p.Parameters.EccDetail.CurveId);
                if (p.Unique.Ecc.X.Length != size || p.Unique.Ecc.Y.Length != size) { rc = TpmRc.Key; break; }
                key.Asymmetric = tpm.Crypto.EccImport(p.Parameters.EccDetail.CurveId, p.Unique.Ecc.X.Span, p.Unique.Ecc.Y.Span, []);
                if (key.Asymmetric is null) rc = TpmRc.EccPoint;
                break;
            }
            case TpmAlgId.MlDsa:
            case TpmAlgId.HashMlDsa:
            {
                var set = MlDsaParameterSet(p);
                if (p.Unique.MlDsa.Length != MlParameterSets.PublicKeySize(set)) { rc = TpmRc.Key; break; }
                key.Asymmetric = tpm.Crypto.MlDsaImport(set, p.Unique.MlDsa.Span, []);
                if (key.Asymmetric is null) rc = TpmRc.Key;
                break;
            }
            case TpmAlgId.MlKem:
                rc = MlKemObjects.LoadPublic(tpm.Crypto, p, out key.Asymmetric);
                break;
            default:
                // KEYEDHASH and SYMCIPHER: unique is a digest of nameAlg (empty without one).
                if (p.Unique.Digest.Length != TpmAlgorithms.DigestSize(p.NameAlg)) rc = TpmRc.Key;
                break;
        }
        if (rc != TpmRc.Success) { key.Dispose(); key = null!; }
        return rc;
    }

    /// <summary>The octet size of a curve's coordinates (Part 4's curve tables; 0 for a curve not listed).</summary>
    static int EccKeyBytes(TpmEccCurve curve) => curve switch
    {
        TpmEccCurve.NistP192 => 24,
        TpmEccCurve.NistP224 => 28,
        TpmEccCurve.NistP256 or TpmEccCurve.BnP256 or TpmEccCurve.Sm2P256 => 32,
        TpmEccCurve.NistP384 => 48,
        TpmEccCurve.NistP521 => 66,
        TpmEccCurve.BnP638 => 80,
        _ => 0,
    };

    static TpmRc CompleteKey(Tpm tpm, TpmKey key, in TpmtSensitive s, SharedAsymmetricKey? saved = null)
    {
        var p = key.Public;
        int digestSize = TpmAlgorithms.DigestSize(p.NameAlg);
        // An object without a Name (nameAlg TPM_ALG_NULL, only LoadExternal makes one) has no digest to
        // bound its authValue or seedValue, and no unique to bind a KEYEDHASH/SYMCIPHER secret to.
        bool named = p.NameAlg != TpmAlgId.Null;
        if (s.SensitiveType != p.Type) return TpmRc.Type;
        if (named && s.AuthValue.Length > digestSize) return TpmRc.Size;
        if (named && s.SeedValue.Length != 0 && s.SeedValue.Length != digestSize) return TpmRc.Size;
        switch (p.Type)
        {
            case TpmAlgId.Rsa:
            {
                // The reference's CryptValidateKeys: a full-size modulus (top bit set), an exponent of 0
                // (2^16 + 1) or at least 7, and a prime of half the modulus size (top bit set).
                var modulus = p.Unique.Rsa.Span;
                if (modulus.Length * 8 != p.Parameters.RsaDetail.KeyBits || modulus[0] < 0x80) return TpmRc.Key;
                if (CheckRsaExponent(p) != TpmRc.Success) return TpmRc.Value;
                var prime = s.Sensitive.Rsa.Span;
                if (prime.Length * 2 != modulus.Length || prime[0] < 0x80) return TpmRc.KeySize;
                if (saved is not null) { key.Asymmetric = saved.Key; key.SharedAsymmetric = saved.Acquire(); break; }
                key.Asymmetric = tpm.Crypto.RsaImport(modulus, p.Parameters.RsaDetail.Exponent, prime);
                if (key.Asymmetric is null) return TpmRc.Binding;
                break;
            }
            case TpmAlgId.Ecc:
                if (saved is not null) { key.Asymmetric = saved.Key; key.SharedAsymmetric = saved.Acquire(); break; }
                key.Asymmetric = tpm.Crypto.EccImport(p.Parameters.EccDetail.CurveId, p.Unique.Ecc.X.Span, p.Unique.Ecc.Y.Span, s.Sensitive.Ecc.Span);
                if (key.Asymmetric is null) return TpmRc.Binding;
                break;
            case TpmAlgId.MlDsa:
            case TpmAlgId.HashMlDsa:
            {
                // The seed ξ (Part 2 v185, Table 211: exactly 32 octets) must give the public key.
                var set = MlDsaParameterSet(p);
                if (p.Unique.MlDsa.Length != MlParameterSets.PublicKeySize(set)) return TpmRc.Key;
                if (s.Sensitive.MlDsa.Length != MlParameterSets.MlDsaPrivateSeedSize) return TpmRc.KeySize;
                key.Asymmetric = tpm.Crypto.MlDsaImport(set, p.Unique.MlDsa.Span, s.Sensitive.MlDsa.Span);
                if (key.Asymmetric is null) return TpmRc.Binding;
                break;
            }
            case TpmAlgId.MlKem:
            {
                var rcKem = MlKemObjects.Complete(tpm.Crypto, p, s.Sensitive.MlKem.Span, out key.Asymmetric);
                if (rcKem != TpmRc.Success) return rcKem;
                break;
            }
            case TpmAlgId.KeyedHash:
            case TpmAlgId.SymCipher:
            {
                var secret = p.Type == TpmAlgId.KeyedHash ? s.Sensitive.Bits.Span : s.Sensitive.Sym.Span;
                if (p.Type == TpmAlgId.SymCipher && secret.Length * 8 != p.Parameters.SymDetail.Sym.KeyBits.Sym) return TpmRc.KeySize;
                if (named)
                {
                    var expected = ObfuscatedUnique(tpm.Crypto, p.NameAlg, s.SeedValue.Span, secret);
                    if (!CryptographicOperations.FixedTimeEquals(expected, p.Unique.Digest.Span)) return TpmRc.Binding;
                }
                key.SensitiveData = secret.ToArray();
                break;
            }
        }
        key.HasSensitive = true;
        key.AuthValue = s.AuthValue.ToArray();
        key.SeedValue = s.SeedValue.ToArray();
        return TpmRc.Success;
    }

    // ---- Protection of the sensitive area (Part 1, 23) ------------------------------------------

    /// <summary>The keys of an outer wrapper for an object named <paramref name="name"/>: symKey =
    /// KDFa(hashAlg, seed, "STORAGE", name, ∅, keyBits) and HMACkey = KDFa(hashAlg, seed, "INTEGRITY", ∅,
    /// ∅, digest bits) (Part 1, 23.4 and 23.5). The seed is a storage parent's seedValue, or for a
    /// credential or duplication blob the seed shared through <see cref="SecretSharing"/>.</summary>
    static void ProtectionKeys(Tpm tpm, TpmAlgId hashAlg, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> name, Span<byte> symKey, Span<byte> hmacKey)
    {
        Kdf.KdfA(tpm.Crypto, hashAlg, seed, "STORAGE"u8, name, [], symKey);
        Kdf.KdfA(tpm.Crypto, hashAlg, seed, "INTEGRITY"u8, [], [], hmacKey);
    }

    /// <summary>An outer wrapper (the reference's ProduceOuterWrap without an IV): integrity (TPM2B_DIGEST
    /// of HMAC(HMACkey, encData || name) under <paramref name="hashAlg"/>) || encData, where encData is
    /// <paramref name="data"/> encrypted with <paramref name="symmetric"/> in CFB mode with a zero IV.</summary>
    public static byte[] ProduceOuterWrap(Tpm tpm, TpmAlgId hashAlg, in TpmtSymDefObject symmetric, ReadOnlySpan<byte> seed,
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        int digestSize = TpmAlgorithms.DigestSize(hashAlg);
        Span<byte> symKey = stackalloc byte[symmetric.KeyBits.Sym / 8];
        Span<byte> hmacKey = stackalloc byte[digestSize];
        ProtectionKeys(tpm, hashAlg, seed, name, symKey, hmacKey);
        var result = new byte[2 + digestSize + data.Length];
        var encrypted = result.AsSpan(2 + digestSize);
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        tpm.Crypto.Cipher(symmetric.Algorithm, TpmAlgId.Cfb, true, symKey, iv, data, encrypted);
        BinaryPrimitives.WriteUInt16BigEndian(result, (ushort)digestSize);
        OuterHmac(tpm, hashAlg, hmacKey, encrypted, name, result.AsSpan(2, digestSize));
        CryptographicOperations.ZeroMemory(symKey);
        CryptographicOperations.ZeroMemory(hmacKey);
        return result;
    }

    /// <summary>Removes an outer wrapper (the reference's UnwrapOuter without an IV): the integrity is
    /// checked in constant time before anything is decrypted. Codes (unnumbered): TPM_RC_INSUFFICIENT or
    /// TPM_RC_SIZE when the integrity TPM2B_DIGEST does not unmarshal; TPM_RC_INTEGRITY when it is not the
    /// HMAC this seed and name give.</summary>
    public static TpmRc UnwrapOuter(Tpm tpm, TpmAlgId hashAlg, in TpmtSymDefObject symmetric, ReadOnlySpan<byte> seed,
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> blob, out byte[] data)
    {
        data = [];
        if (blob.Length < 2) return TpmRc.Insufficient;
        int size = BinaryPrimitives.ReadUInt16BigEndian(blob);
        if (size > TpmLimits.MaxDigestSize) return TpmRc.Size;
        if (size > blob.Length - 2) return TpmRc.Insufficient;
        var integrity = blob.Slice(2, size);
        var encrypted = blob[(2 + size)..];
        int digestSize = TpmAlgorithms.DigestSize(hashAlg);
        Span<byte> symKey = stackalloc byte[symmetric.KeyBits.Sym / 8];
        Span<byte> hmacKey = stackalloc byte[digestSize];
        ProtectionKeys(tpm, hashAlg, seed, name, symKey, hmacKey);
        Span<byte> mac = stackalloc byte[digestSize];
        OuterHmac(tpm, hashAlg, hmacKey, encrypted, name, mac);
        CryptographicOperations.ZeroMemory(hmacKey);
        if (!CryptographicOperations.FixedTimeEquals(mac, integrity))
        {
            CryptographicOperations.ZeroMemory(symKey);
            return TpmRc.Integrity;
        }
        data = new byte[encrypted.Length];
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        tpm.Crypto.Cipher(symmetric.Algorithm, TpmAlgId.Cfb, false, symKey, iv, encrypted, data);
        CryptographicOperations.ZeroMemory(symKey);
        return TpmRc.Success;
    }

    /// <summary>Moves a secret a command returns (a credential, a duplication blob without an outer wrapper,
    /// an inner wrapper key) into the command's scratch area, which is wiped once the response is
    /// marshaled, and wipes <paramref name="value"/>.</summary>
    public static ReadOnlyMemory<byte> MoveToScratch(Tpm tpm, byte[] value)
    {
        var memory = tpm.Scratch(value.Length);
        value.CopyTo(memory.Span);
        CryptographicOperations.ZeroMemory(value);
        return memory;
    }

    /// <summary>TPM2B_PRIVATE contents for a sensitive area under <paramref name="parent"/>: the outer
    /// wrapper of TPM2B_SENSITIVE with the parent's nameAlg, cipher and seedValue (Part 1, 23.4-23.5).</summary>
    public static byte[] Wrap(Tpm tpm, TpmKey parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> sensitive)
    {
        var plain = new byte[2 + sensitive.Length];
        BinaryPrimitives.WriteUInt16BigEndian(plain, (ushort)sensitive.Length);
        sensitive.CopyTo(plain.AsSpan(2));
        var result = ProduceOuterWrap(tpm, parent.NameAlg, parent.ProtectionSymmetric, parent.SeedValue, name, plain);
        CryptographicOperations.ZeroMemory(plain);
        return result;
    }

    static void OuterHmac(Tpm tpm, TpmAlgId hashAlg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> encrypted, ReadOnlySpan<byte> name, Span<byte> mac)
    {
        using var op = tpm.Crypto.HmacSetup(hashAlg, key);
        op.Update(encrypted);
        op.Update(name);
        Span<byte> full = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = op.Finish(full);
        full[..n].CopyTo(mac);
    }

    /// <summary>The TPMT_SENSITIVE inside a TPM2B_PRIVATE, after checking its integrity in constant time.
    /// TPM_RC_INTEGRITY for any private area that was not made by this parent for this name;
    /// TPM_RC_SENSITIVE when the decrypted TPM2B_SENSITIVE is malformed. Unnumbered.</summary>
    public static TpmRc Unwrap(Tpm tpm, TpmKey parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> priv, out byte[] sensitive)
    {
        sensitive = [];
        int digestSize = TpmAlgorithms.DigestSize(parent.NameAlg);
        if (priv.Length < 2 + digestSize || BinaryPrimitives.ReadUInt16BigEndian(priv) != digestSize) return TpmRc.Integrity;
        var rc = UnwrapOuter(tpm, parent.NameAlg, parent.ProtectionSymmetric, parent.SeedValue, name, priv, out var plain);
        if (rc != TpmRc.Success) return TpmRc.Integrity;
        if (plain.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(plain) != plain.Length - 2)
        {
            CryptographicOperations.ZeroMemory(plain);
            return TpmRc.Sensitive;
        }
        sensitive = plain[2..];
        CryptographicOperations.ZeroMemory(plain);
        return TpmRc.Success;
    }

    // ---- Creation data and ticket (Part 3, 12.1 and 24.1) ----------------------------------------

    /// <summary>TPMS_CREATION_DATA at most: the PCR selection, its digest, locality, parentNameAlg, the
    /// parent's Name and Qualified Name, outsideInfo.</summary>
    const int MaxCreationDataSize = 4 + TpmLimits.HashCount * (2 + 1 + TpmLimits.PcrSelectMax) + (2 + TpmLimits.MaxDigestSize) +
        1 + 2 + 2 * (2 + TpmLimits.MaxNameSize) + (2 + TpmLimits.MaxDataSize);

    /// <summary>creationData, creationHash and creationTicket of Create, CreatePrimary (Part 3, 12.1 and
    /// 24.1): the PCR digest of <paramref name="pcrs"/> under the object's nameAlg (the selection as
    /// reported keeps only allocated PCRs, as the reference's PCRComputeCurrentDigest filters it), the
    /// locality, the parent's Names and outsideInfo; the ticket is <see cref="CreationTicket"/> of the
    /// object's hierarchy, the null hierarchy included (its proof changes at TPM Reset, so such a ticket
    /// lives as long as the object can), as the reference's TicketComputeCreation makes it, so that
    /// TPM2_CertifyCreation works for every object. Digests are in the command's scratch area; the other
    /// buffers are the callers'.</summary>
    public static void CreationOutputs(Tpm tpm, TpmKey key, in TpmlPcrSelection pcrs, ReadOnlyMemory<byte> outsideInfo,
        TpmAlgId parentNameAlg, ReadOnlyMemory<byte> parentName, ReadOnlyMemory<byte> parentQualifiedName, byte locality,
        out TpmsCreationData creationData, out ReadOnlyMemory<byte> creationHash, out TpmtTkCreation creationTicket)
    {
        var nameAlg = key.NameAlg;
        var selection = FilterPcrs(tpm, pcrs);
        var pcrDigest = tpm.Scratch(TpmLimits.MaxDigestSize);
        creationData = new TpmsCreationData
        {
            PcrSelect = selection,
            PcrDigest = pcrDigest[..PcrDigest(tpm, nameAlg, selection, pcrDigest.Span)],
            Locality = locality < 5 ? (byte)(1 << locality) : locality,
            ParentNameAlg = parentNameAlg,
            ParentName = parentName,
            ParentQualifiedName = parentQualifiedName,
            OutsideInfo = outsideInfo,
        };
        // creationHash is over the marshaled TPMS_CREATION_DATA (without its size prefix).
        Span<byte> marshaled = stackalloc byte[MaxCreationDataSize];
        var w = new TpmWriter(marshaled);
        creationData.Write(ref w);
        var hash = tpm.Scratch(TpmLimits.MaxDigestSize);
        creationHash = hash[..tpm.Crypto.Hash(nameAlg, w.Written, hash.Span)];

        var ticket = tpm.Scratch(TpmLimits.MaxDigestSize);
        creationTicket = new TpmtTkCreation { Tag = TpmSt.Creation, Hierarchy = key.Hierarchy };
        creationTicket.Digest.Buffer = ticket[..CreationTicket(tpm, key.Hierarchy, nameAlg, key.Name, creationHash.Span, ticket.Span)];
    }

    /// <summary>The digest of a TPMT_TK_CREATION (Part 1, ticket; Part 2, 10.7.3): HMAC(proof of
    /// <paramref name="hierarchy"/>, TPM_ST_CREATION || Name || creationHash) under the object's nameAlg.
    /// TPM2_CertifyCreation recomputes it to check a ticket.</summary>
    public static int CreationTicket(Tpm tpm, uint hierarchy, TpmAlgId nameAlg, ReadOnlySpan<byte> name,
        ReadOnlySpan<byte> creationHash, Span<byte> ticket)
    {
        using var op = tpm.Crypto.HmacSetup(nameAlg, tpm.ProofOf(hierarchy));
        Span<byte> tag = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(tag, (ushort)TpmSt.Creation);
        op.Update(tag);
        op.Update(name);
        op.Update(creationHash);
        return op.Finish(ticket);
    }

    /// <summary>A copy of <paramref name="pcrs"/> that keeps only PCRs allocated in their bank (the
    /// reference's FilterPcr): what TPM2_Quote and creation data report as selected.</summary>
    public static TpmlPcrSelection FilterPcrs(Tpm tpm, in TpmlPcrSelection pcrs)
    {
        var filtered = pcrs;
        for (int i = 0; i < (int)pcrs.Count; i++)
        {
            var selection = pcrs.PcrSelections[i];
            int bank = TpmAlgorithms.HashIndex(selection.Hash);
            var bits = selection.PcrSelect.ToArray();
            for (int pcr = 0; pcr < bits.Length * 8; pcr++)
                if (pcr >= TpmLimits.PcrCount || bank < 0 || !tpm.Pcrs.IsAllocated(bank, pcr))
                    bits[pcr / 8] &= (byte)~(1 << (pcr % 8));
            filtered.PcrSelections[i] = selection with { PcrSelect = bits };
        }
        return filtered;
    }

    /// <summary>H_hashAlg of the selected PCRs' values, banks in selection order, PCRs ascending
    /// (Part 1, 17.6.6 "PCR digest"); PCRs not allocated in a bank are skipped.</summary>
    public static int PcrDigest(Tpm tpm, TpmAlgId hashAlg, in TpmlPcrSelection pcrs, Span<byte> digest)
    {
        using var op = tpm.Crypto.HashSetup(hashAlg);
        for (int i = 0; i < (int)pcrs.Count; i++)
        {
            var selection = pcrs.PcrSelections[i];
            int bank = TpmAlgorithms.HashIndex(selection.Hash);
            var bits = selection.PcrSelect.Span;
            for (int pcr = 0; pcr < bits.Length * 8 && pcr < TpmLimits.PcrCount; pcr++)
            {
                if ((bits[pcr / 8] & (1 << (pcr % 8))) == 0 || !tpm.Pcrs.IsAllocated(bank, pcr)) continue;
                op.Update(tpm.Pcrs.Value(bank, pcr));
            }
        }
        return op.Finish(digest);
    }
}
