using System.Buffers.Binary;
using System.Formats.Asn1;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

// TPM2_CertifyX509 (Part 3, 18.8): the caller sends a partial TBSCertificate (RFC 5280, 4.1) holding
// issuer, validity, subject, extensions and optionally the signature algorithm; the TPM adds version,
// serialNumber, the algorithm (when missing) and the subjectPublicKeyInfo of the certified key, signs
// the DER of the whole TBSCertificate and returns what it added, the TBS digest and the signature.
// Because the signed data begins with a DER SEQUENCE tag (0x30), never TPM_GENERATED_VALUE, a
// restricted key may sign it.
internal static partial class Attestation
{
    [TpmParameters]
    internal partial struct CertifyX509In
    {
        /// <summary>TPM2B_DATA, reserved: must be empty.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> Reserved;
        public TpmtSigScheme InScheme;
        /// <summary>TPM2B_MAX_BUFFER.</summary>
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> PartialCertificate;
    }

    static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);
    static readonly Asn1Tag VersionTag = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>The octets of the serial number: at most this many of the digest (the reference's
    /// SIZE_OF_X509_SERIAL_NUMBER; RFC 5280 allows 20).</summary>
    const int SerialNumberSize = 20;

    /// <summary>
    /// TPM2_CertifyX509 (Part 3, 18.8). serialNumber is H_nameAlg(signer)(every caller-supplied or added
    /// TBS part from signature to extensions || signer's Name || object's Name), cut to 20 octets, so the
    /// same request gives the same certificate. Codes: TPM_RC_SIZE (P1) for a non-empty reserved;
    /// TPM_RC_KEY (H2), also for TPM_RH_NULL (a certificate needs a signature); TPM_RC_SCHEME (P2);
    /// TPM_RC_ASYMMETRIC (H1) for an object that is no RSA or ECC key; TPM_RC_SIZE (P3) for a
    /// partialCertificate that is not one DER SEQUENCE; TPM_RC_VALUE (P3) for contents other than 3 or 4
    /// SEQUENCEs and one [3] extensions, an unreadable extension, a missing keyUsage, or a keyUsage the
    /// key's attributes do not allow (sign for digitalSignature/keyCertSign/cRLSign, decrypt for the
    /// encipherment and agreement bits, fixedTPM for nonRepudiation, restricted for keyEncipherment);
    /// TPM_RC_RESERVED_BITS (P3) for keyUsage bits beyond decipherOnly; TPM_RC_ATTRIBUTES (H1) when a
    /// TCG TPMA_OBJECT extension differs from the key's attributes; TPM_RC_SCHEME (H2) when the TPM
    /// must supply the signature algorithm and has none for the scheme (ECDAA, RSAPSS, an unknown hash).
    /// </summary>
    static TpmRc CertifyX509(Tpm tpm, ref CommandContext c, in CertifyX509In p)
    {
        if (!p.Reserved.IsEmpty) return TpmRc.Size.AtParameter(CertifyX509In.Param.Reserved);
        var rc = SelectSigner(tpm, c.Handles[1], p.InScheme, 2, CertifyX509In.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        if (signer.Key is null) return TpmRc.Key.AtHandle(2);
        var subject = tpm.KeyOf(c.Handles[0]);
        var publicKey = subject is null ? null : SubjectPublicKeyInfo(subject);
        if (publicKey is null) return TpmRc.Asymmetric.AtHandle(1);

        rc = SplitPartialCertificate(p.PartialCertificate, out var sequences, out int count, out var extensions);
        if (rc != TpmRc.Success) return rc.AtParameter(CertifyX509In.Param.PartialCertificate);
        // The last three SEQUENCEs are issuer, validity, subject; a fourth before them is the algorithm.
        var algorithm = count == 4 ? sequences[0].ToArray() : SignatureAlgorithm(signer);
        // An ML-DSA signature covers the message, not a digest this command makes (and CertifyX509 is
        // deprecated since v184): ML-DSA signers are refused like any scheme without an X.509 encoding here.
        if (algorithm is null || signer.Scheme is TpmAlgId.MlDsa or TpmAlgId.HashMlDsa) return TpmRc.Scheme.AtHandle(2);
        rc = CheckExtensions(subject!, extensions);
        if (rc != TpmRc.Success) return rc == TpmRc.Attributes ? rc.AtHandle(1) : rc.AtParameter(CertifyX509In.Param.PartialCertificate);
        var issuer = sequences[count - 3];
        var validity = sequences[count - 2];
        var subjectName = sequences[count - 1];

        // serialNumber
        Span<byte> serial = stackalloc byte[TpmLimits.MaxDigestSize];
        int serialSize;
        using (var op = tpm.Crypto.HashSetup(signer.Key.NameAlg))
        {
            op.Update(algorithm);
            op.Update(issuer.Span);
            op.Update(validity.Span);
            op.Update(subjectName.Span);
            op.Update(publicKey);
            op.Update(extensions.Span);
            op.Update(signer.Key.Name);
            op.Update(subject!.Name);
            serialSize = Math.Min(op.Finish(serial), SerialNumberSize);
        }
        var version = new AsnWriter(AsnEncodingRules.DER);
        using (version.PushSequence(VersionTag)) version.WriteInteger(2);
        var serialNumber = new AsnWriter(AsnEncodingRules.DER);
        serialNumber.WriteIntegerUnsigned(Minimal(serial[..serialSize]));

        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteEncodedValue(version.Encode());
            tbs.WriteEncodedValue(serialNumber.Encode());
            tbs.WriteEncodedValue(algorithm);
            tbs.WriteEncodedValue(issuer.Span);
            tbs.WriteEncodedValue(validity.Span);
            tbs.WriteEncodedValue(subjectName.Span);
            tbs.WriteEncodedValue(publicKey);
            tbs.WriteEncodedValue(extensions.Span);
        }
        var added = new AsnWriter(AsnEncodingRules.DER);
        using (added.PushSequence())
        {
            added.WriteEncodedValue(version.Encode());
            added.WriteEncodedValue(serialNumber.Encode());
            if (count == 3) added.WriteEncodedValue(algorithm);
            added.WriteEncodedValue(publicKey);
        }
        var addedBytes = added.Encode();
        if (addedBytes.Length > TpmLimits.MaxDigestBuffer) return TpmRc.Size.AtParameter(CertifyX509In.Param.PartialCertificate);

        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = tpm.Crypto.Hash(signer.HashAlg, tbs.Encode(), digest);
        c.Out.WriteSized(addedBytes);
        c.Out.WriteSized(digest[..n]);
        return Sign(tpm, ref c.Out, signer, digest[..n], CertifyX509In.Param.InScheme);
    }

    /// <summary>The elements of the partial certificate: up to four SEQUENCEs and the one [3] extensions.
    /// Codes (unnumbered): TPM_RC_SIZE when the input is not exactly one SEQUENCE, TPM_RC_VALUE for
    /// anything else out of place.</summary>
    static TpmRc SplitPartialCertificate(ReadOnlyMemory<byte> partial, out ReadOnlyMemory<byte>[] sequences, out int count, out ReadOnlyMemory<byte> extensions)
    {
        sequences = new ReadOnlyMemory<byte>[4];
        count = 0;
        extensions = default;
        AsnReader contents;
        try
        {
            var outer = new AsnReader(partial, AsnEncodingRules.DER);
            if (outer.PeekTag() != Asn1Tag.Sequence) return TpmRc.Size;
            contents = outer.ReadSequence();
            if (outer.HasData) return TpmRc.Size;
        }
        catch (AsnContentException) { return TpmRc.Size; }
        try
        {
            bool haveExtensions = false;
            while (contents.HasData)
            {
                var tag = contents.PeekTag();
                var element = contents.ReadEncodedValue();
                if (tag == Asn1Tag.Sequence)
                {
                    if (count == 4) return TpmRc.Value;
                    sequences[count++] = element;
                }
                else if (tag == ExtensionsTag && !haveExtensions)
                {
                    extensions = element;
                    haveExtensions = true;
                }
                else return TpmRc.Value;
            }
            return count >= 3 && haveExtensions ? TpmRc.Success : TpmRc.Value;
        }
        catch (AsnContentException) { return TpmRc.Value; }
    }

    const string OidKeyUsage = "2.5.29.15";
    /// <summary>tcg-tpmaObject (TCG, 2.23.133.10.1.1.1): the TPMA_OBJECT of the certified key.</summary>
    const string OidTpmaObject = "2.23.133.10.1.1.1";

    const uint UsageDigitalSignature = 0x80000000, UsageNonRepudiation = 0x40000000, UsageKeyEncipherment = 0x20000000,
        UsageDataEncipherment = 0x10000000, UsageKeyAgreement = 0x08000000, UsageKeyCertSign = 0x04000000,
        UsageCrlSign = 0x02000000, UsageEncipherOnly = 0x01000000, UsageDecipherOnly = 0x00800000;

    /// <summary>The extensions against the key (the reference's X509ProcessExtensions): a TPMA_OBJECT
    /// extension must equal the key's attributes (TPM_RC_ATTRIBUTES); keyUsage (TPMA_X509_KEY_USAGE,
    /// Part 2, 8.12: the BIT STRING read from its first bit as bit 31) is required and must fit the key.</summary>
    static TpmRc CheckExtensions(TpmKey key, ReadOnlyMemory<byte> encoded)
    {
        uint? tpma = null, usage = null;
        try
        {
            var outer = new AsnReader(encoded, AsnEncodingRules.DER);
            var list = outer.ReadSequence(ExtensionsTag).ReadSequence();
            while (list.HasData)
            {
                var extension = list.ReadSequence();
                string oid = extension.ReadObjectIdentifier();
                if (extension.HasData && extension.PeekTag() == Asn1Tag.Boolean) extension.ReadBoolean();
                var value = extension.ReadOctetString();
                if (oid == OidTpmaObject && tpma is null) tpma = BitStringValue(value);
                else if (oid == OidKeyUsage && usage is null) usage = BitStringValue(value);
            }
        }
        catch (AsnContentException) { return TpmRc.Value; }
        if (tpma is { } a && a != (uint)key.Attributes) return TpmRc.Attributes;
        if (usage is not { } u) return TpmRc.Value;
        if ((u & 0x007FFFFF) != 0) return TpmRc.ReservedBits;
        bool badSign = (u & (UsageDigitalSignature | UsageKeyCertSign | UsageCrlSign)) != 0 && !key.Has(TpmaObject.Sign);
        bool badDecrypt = (u & (UsageKeyEncipherment | UsageDataEncipherment | UsageKeyAgreement | UsageEncipherOnly | UsageDecipherOnly)) != 0
            && !key.Has(TpmaObject.Decrypt);
        bool badFixedTpm = (u & UsageNonRepudiation) != 0 && !key.Has(TpmaObject.FixedTpm);
        bool badRestricted = (u & UsageKeyEncipherment) != 0 && !key.Has(TpmaObject.Restricted);
        return badSign || badDecrypt || badFixedTpm || badRestricted ? TpmRc.Value : TpmRc.Success;
    }

    /// <summary>An unsigned big-endian value without its redundant leading zero octets (DER INTEGER is
    /// minimal; AsnWriter refuses otherwise).</summary>
    static ReadOnlySpan<byte> Minimal(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0) i++;
        return value[i..];
    }

    /// <summary>A DER BIT STRING of at most 32 bits, its first bit as bit 31 of the result.</summary>
    static uint BitStringValue(byte[] octetString)
    {
        var reader = new AsnReader(octetString, AsnEncodingRules.DER);
        var bits = reader.ReadBitString(out _);
        reader.ThrowIfNotEmpty();
        if (bits.Length > 4) throw new AsnContentException();
        Span<byte> value = stackalloc byte[4];
        value.Clear();
        bits.CopyTo(value);
        return BinaryPrimitives.ReadUInt32BigEndian(value);
    }

    /// <summary>The AlgorithmIdentifier of the signer's scheme (RFC 4055 / RFC 5758): RSASSA-PKCS1-v1_5
    /// and ECDSA with SHA-1/256/384/512; null where the TPM has none to offer.</summary>
    static byte[]? SignatureAlgorithm(in SignerInfo signer)
    {
        string? oid = (signer.Scheme, signer.HashAlg) switch
        {
            (TpmAlgId.RsaSsa, TpmAlgId.Sha1) => "1.2.840.113549.1.1.5",
            (TpmAlgId.RsaSsa, TpmAlgId.Sha256) => "1.2.840.113549.1.1.11",
            (TpmAlgId.RsaSsa, TpmAlgId.Sha384) => "1.2.840.113549.1.1.12",
            (TpmAlgId.RsaSsa, TpmAlgId.Sha512) => "1.2.840.113549.1.1.13",
            (TpmAlgId.EcDsa, TpmAlgId.Sha1) => "1.2.840.10045.4.1",
            (TpmAlgId.EcDsa, TpmAlgId.Sha256) => "1.2.840.10045.4.3.2",
            (TpmAlgId.EcDsa, TpmAlgId.Sha384) => "1.2.840.10045.4.3.3",
            (TpmAlgId.EcDsa, TpmAlgId.Sha512) => "1.2.840.10045.4.3.4",
            _ => null,
        };
        if (oid is null) return null;
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(oid);
            // PKCS #1 algorithms carry an explicit NULL parameter; ECDSA ones none (RFC 5758, 3.2).
            if (signer.Scheme == TpmAlgId.RsaSsa) w.WriteNull();
        }
        return w.Encode();
    }

    /// <summary>The SubjectPublicKeyInfo of an RSA (rsaEncryption, RFC 8017) or ECC (id-ecPublicKey with a
    /// named curve, uncompressed point, RFC 5480) key; null for other objects or curves.</summary>
    static byte[]? SubjectPublicKeyInfo(TpmKey key)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        switch (key.Type)
        {
            case TpmAlgId.Rsa:
            {
                uint exponent = key.Public.Parameters.RsaDetail.Exponent;
                Span<byte> e = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(e, exponent == 0 ? 65537u : exponent);
                var rsaKey = new AsnWriter(AsnEncodingRules.DER);
                using (rsaKey.PushSequence())
                {
                    rsaKey.WriteIntegerUnsigned(Minimal(key.Public.Unique.Rsa.Span));
                    rsaKey.WriteIntegerUnsigned(Minimal(e));
                }
                using (w.PushSequence())
                {
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                        w.WriteNull();
                    }
                    w.WriteBitString(rsaKey.Encode());
                }
                return w.Encode();
            }
            case TpmAlgId.Ecc:
            {
                var (curve, size) = key.Public.Parameters.EccDetail.CurveId switch
                {
                    TpmEccCurve.NistP256 => ("1.2.840.10045.3.1.7", 32),
                    TpmEccCurve.NistP384 => ("1.3.132.0.34", 48),
                    TpmEccCurve.NistP521 => ("1.3.132.0.35", 66),
                    _ => ((string?)null, 0),
                };
                var point = key.Public.Unique.Ecc;
                if (curve is null || point.X.Length > size || point.Y.Length > size) return null;
                var encoded = new byte[1 + 2 * size];
                encoded[0] = 0x04;
                point.X.Span.CopyTo(encoded.AsSpan(1 + size - point.X.Length));
                point.Y.Span.CopyTo(encoded.AsSpan(1 + 2 * size - point.Y.Length));
                using (w.PushSequence())
                {
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier("1.2.840.10045.2.1");
                        w.WriteObjectIdentifier(curve);
                    }
                    w.WriteBitString(encoded);
                }
                return w.Encode();
            }
            default:
                return null;
        }
    }
}
