using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ftpm.Marshal;
using Ftpm.Provisioning;

namespace Ftpm.Cli;

/// <summary>
/// Manufacturing-time EK provisioning (TCG EK Credential Profile for TPM Family 2.0): for each template,
/// the EK is made with TPM2_CreatePrimary in the endorsement hierarchy, a certificate for its public key
/// is issued by a local CA, and the DER certificate is stored in the profile's NV index, defined by the
/// platform with the attributes the profile asks for (PPWRITE, PPREAD, OWNERREAD, AUTHREAD, NO_DA,
/// PLATFORMCREATE, WRITEDEFINE) and write-locked. Drives an in-process <see cref="Tpm"/> through its
/// command interface, as a manufacturing line drives a real one.
/// </summary>
sealed class EkProvisioner(Tpm tpm, TextWriter log)
{
    /// <summary>TPMA_NV of an EK certificate index: PPWRITE | WRITEDEFINE | PPREAD | OWNERREAD | AUTHREAD
    /// | NO_DA | PLATFORMCREATE, an ordinary index.</summary>
    public const uint CertificateAttributes = 0x00000001 | 0x00002000 | 0x00010000 | 0x00020000 | 0x00040000 | 0x02000000 | 0x40000000;

    const uint Platform = 0x4000000C, Endorsement = 0x4000000B, PasswordSession = 0x40000009;

    /// <summary>TCG OIDs (TCG EK Credential Profile, 3.x): tcg-at-tpmManufacturer, tcg-at-tpmModel,
    /// tcg-at-tpmVersion, and the extended key usage tcg-kp-EKCertificate.</summary>
    const string TpmManufacturer = "2.23.133.2.1", TpmModel = "2.23.133.2.2", TpmVersion = "2.23.133.2.3", EkCertificateUsage = "2.23.133.8.1";

    /// <summary>The templates named (names or profile names, comma- or space-separated; none: rsa and
    /// ecc, the low range), or null with a message for a name that is none.</summary>
    public static List<EkTemplate>? ParseTemplates(IEnumerable<string>? names, TextWriter error)
    {
        var given = (names ?? []).SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (given.Count == 0) given = ["rsa", "ecc"];
        var templates = new List<EkTemplate>();
        foreach (var name in given)
        {
            if (EkTemplates.Find(name) is not { } template)
            {
                error.WriteLine($"ftpm: unknown EK template {name}; known: {string.Join(", ", EkTemplates.All.Select(t => t.Name))}");
                return null;
            }
            if (!templates.Contains(template)) templates.Add(template);
        }
        return templates;
    }

    /// <summary>Provisions <paramref name="templates"/> on a TPM that is powered off (a state folder just
    /// opened): power on and Startup, each template, orderly Shutdown, power off. Returns the CA
    /// certificate's path.</summary>
    public static string ProvisionAll(Tpm tpm, IReadOnlyList<EkTemplate> templates, string caDirectory, TextWriter log)
    {
        using var ca = LoadOrCreateCa(caDirectory, log, out var caPath);
        var provisioner = new EkProvisioner(tpm, log);
        provisioner.Start();
        foreach (var template in templates)
            provisioner.Provision(template, ca, Path.Combine(caDirectory, $"ek-{template.Name}.der"));
        provisioner.Stop();
        tpm.PowerOff();
        log.WriteLine($"EK CA certificate: {caPath}");
        return caPath;
    }

    /// <summary>Starts the TPM (power on, TPM2_Startup(CLEAR)).</summary>
    public void Start()
    {
        tpm.PowerOn();
        var rc = Run(0x144, [], [], Cmd.U16(0x0000), out _, sessions: false);
        if (rc != 0 && rc != 0x100) throw new InvalidOperationException($"TPM2_Startup failed: 0x{rc:X}");
    }

    /// <summary>Orderly shutdown (TPM2_Shutdown(CLEAR)) so that the next start is a clean TPM Reset.</summary>
    public void Stop() => Run(0x145, [], [], Cmd.U16(0x0000), out _, sessions: false);

    /// <summary>Provisions one template; false when its certificate index already exists (left as it is).</summary>
    public bool Provision(EkTemplate template, X509Certificate2 ca, string certificateFile)
    {
        if (IndexExists(template.CertificateIndex))
        {
            log.WriteLine($"{template.Name} ({template.Profile}): NV index 0x{template.CertificateIndex:X8} already holds a certificate, left as it is");
            return false;
        }
        var publicKey = CreateEk(template);
        var certificate = Issue(template, publicKey, ca);
        var der = certificate.RawData;
        WriteIndex(template.CertificateIndex, der);
        File.WriteAllBytes(certificateFile, der);
        log.WriteLine($"{template.Name} ({template.Profile}): EK certificate in NV index 0x{template.CertificateIndex:X8} ({der.Length} octets), copy in {certificateFile}");
        return true;
    }

    /// <summary>TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) with the template; returns the EK's public key as a
    /// SubjectPublicKeyInfo and flushes the key.</summary>
    PublicKey CreateEk(EkTemplate template)
    {
        var parameters = Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(template.PublicArea), Cmd.Sized([]), Cmd.U32(0));
        uint rc = Run(0x131, [Endorsement], [[]], parameters, out var response);
        if (rc != 0) throw new InvalidOperationException($"TPM2_CreatePrimary({template.Name}) failed: 0x{rc:X}");
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(10));
        // handle, parameterSize, then outPublic (TPM2B_PUBLIC).
        var outPublic = response.AsSpan(18);
        int size = BinaryPrimitives.ReadUInt16BigEndian(outPublic);
        var reader = new TpmReader(outPublic.Slice(2, size).ToArray());
        if (TpmtPublic.Read(ref reader, out var pub) != TpmRc.Success) throw new InvalidDataException("CreatePrimary returned a public area that does not parse");
        Run(0x165, [], [], Cmd.U32(handle), out _, sessions: false);

        if (pub.Type == TpmAlgId.Rsa)
        {
            uint exponent = pub.Parameters.RsaDetail.Exponent;
            using var rsa = RSA.Create(new RSAParameters
            {
                Modulus = pub.Unique.Rsa.ToArray(),
                Exponent = exponent == 0 ? [0x01, 0x00, 0x01] : TrimmedBigEndian(exponent),
            });
            return PublicKey.CreateFromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo(), out _);
        }
        var curve = pub.Parameters.EccDetail.CurveId switch
        {
            TpmEccCurve.NistP256 => ECCurve.NamedCurves.nistP256,
            TpmEccCurve.NistP384 => ECCurve.NamedCurves.nistP384,
            TpmEccCurve.NistP521 => ECCurve.NamedCurves.nistP521,
            var other => throw new NotSupportedException($"curve {other}"),
        };
        using var ecc = ECDiffieHellman.Create(new ECParameters
        {
            Curve = curve,
            Q = new ECPoint { X = pub.Unique.Ecc.X.ToArray(), Y = pub.Unique.Ecc.Y.ToArray() },
        });
        return PublicKey.CreateFromSubjectPublicKeyInfo(ecc.ExportSubjectPublicKeyInfo(), out _);
    }

    static byte[] TrimmedBigEndian(uint value)
    {
        var bytes = Cmd.U32(value);
        int i = 0;
        while (i < 3 && bytes[i] == 0) i++;
        return bytes[i..];
    }

    /// <summary>The EK certificate (TCG EK Credential Profile, 3.2): an empty subject with the TPM's
    /// manufacturer, model and version in a critical subjectAltName directoryName, keyEncipherment (RSA)
    /// or keyAgreement (ECC), not a CA, extended key usage tcg-kp-EKCertificate.</summary>
    X509Certificate2 Issue(EkTemplate template, PublicKey publicKey, X509Certificate2 ca)
    {
        var request = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), publicKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            template.Type == TpmAlgId.Rsa ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509Extension("2.5.29.17", SubjectAltName(), true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(EkCertificateUsage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = ca.NotAfter.ToUniversalTime() < notBefore.AddYears(20) ? new DateTimeOffset(ca.NotAfter.ToUniversalTime()) : notBefore.AddYears(20);
        // The EK's key is of another algorithm than the CA's, so the CA's key signs through a generator.
        using var caKey = ca.GetECDsaPrivateKey() ?? throw new InvalidDataException("the EK CA has no ECDSA private key");
        var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, serial);
        return certificate;
    }

    /// <summary>GeneralNames { directoryName { tpmManufacturer "id:4654504D", tpmModel "ftpm",
    /// tpmVersion "id:00010000" } }: the manufacturer is TPM_PT_MANUFACTURER ("FTPM").</summary>
    static byte[] SubjectAltName()
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
        using (w.PushSequence())
        using (w.PushSetOf())
        {
            foreach (var (oid, value) in new[] { (TpmManufacturer, "id:4654504D"), (TpmModel, "ftpm"), (TpmVersion, "id:00010000") })
            {
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(oid);
                    w.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                }
            }
        }
        return w.Encode();
    }

    bool IndexExists(uint index) =>
        Run(0x169, [index], [], [], out _, sessions: false) == 0;   // TPM2_NV_ReadPublic

    /// <summary>NV_DefineSpace by the platform, NV_Write in 1024-octet pieces, NV_WriteLock.</summary>
    void WriteIndex(uint index, byte[] data)
    {
        var nvPublic = Cmd.Cat(Cmd.U32(index), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(CertificateAttributes), Cmd.Sized([]), Cmd.U16((ushort)data.Length));
        uint rc = Run(0x12A, [Platform], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(nvPublic)), out _);
        if (rc != 0) throw new InvalidOperationException($"TPM2_NV_DefineSpace(0x{index:X8}) failed: 0x{rc:X}");
        for (int offset = 0; offset < data.Length; offset += 1024)
        {
            var piece = data.AsSpan(offset, Math.Min(1024, data.Length - offset)).ToArray();
            rc = Run(0x137, [Platform, index], [[]], Cmd.Cat(Cmd.Sized(piece), Cmd.U16((ushort)offset)), out _);
            if (rc != 0) throw new InvalidOperationException($"TPM2_NV_Write(0x{index:X8}) failed: 0x{rc:X}");
        }
        rc = Run(0x138, [Platform, index], [[]], [], out _);
        if (rc != 0) throw new InvalidOperationException($"TPM2_NV_WriteLock(0x{index:X8}) failed: 0x{rc:X}");
    }

    /// <summary>Runs a command; <paramref name="passwords"/> holds one empty-or-not password per
    /// authorized handle (the first handles). Returns the response code.</summary>
    uint Run(uint code, uint[] handles, byte[][] passwords, byte[] parameters, out byte[] response, bool sessions = true)
    {
        var body = new List<byte>();
        foreach (var h in handles) body.AddRange(Cmd.U32(h));
        if (sessions)
        {
            var area = passwords.SelectMany(p => Cmd.Cat(Cmd.U32(PasswordSession), Cmd.U16(0), [0x01], Cmd.Sized(p))).ToArray();
            body.AddRange(Cmd.U32((uint)area.Length));
            body.AddRange(area);
        }
        body.AddRange(parameters);
        var command = Cmd.Cat(Cmd.U16(sessions ? (ushort)0x8002 : (ushort)0x8001), Cmd.U32((uint)(10 + body.Count)), Cmd.U32(code), body.ToArray());
        response = tpm.Execute(0, command);
        return BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));
    }

    /// <summary>The CA beside the state: its certificate (PEM) and PKCS#8 key (PEM, owner-only), made on first
    /// use as a self-signed ECDSA P-384 CA valid for 30 years.</summary>
    public static X509Certificate2 LoadOrCreateCa(string directory, TextWriter log, out string certificatePath)
    {
        Directory.CreateDirectory(directory);
        certificatePath = Path.Combine(directory, "ca.pem");
        string keyPath = Path.Combine(directory, "ca-key.pem");
        if (File.Exists(certificatePath) && File.Exists(keyPath))
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest($"CN=ftpm EK CA {Environment.MachineName}, O=ftpm", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddDays(-1);
        using var ca = request.CreateSelfSigned(now, now.AddYears(30));
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyPath, keyPem);
        File.WriteAllText(certificatePath, ca.ExportCertificatePem() + "\n");
        log.WriteLine($"new EK CA: certificate {certificatePath}, key {keyPath}");
        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }

    static class Cmd
    {
        public static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return b; }
        public static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
        public static byte[] Sized(byte[] v) => [.. U16((ushort)v.Length), .. v];
        public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    }
}
