using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>
/// Part 3, 18 "Attestation Commands": Certify, CertifyCreation, Quote, GetSessionAuditDigest,
/// GetCommandAuditDigest, GetTime, CertifyX509, and NV_Certify (Part 3, 31.16), which signs the same
/// TPMS_ATTEST. Each fills the common fields (<see cref="Fill"/>, the reference's FillInAttestInfo),
/// its own arm of TPMU_ATTEST, and signs the marshaled structure (<see cref="SignAndWrite"/>,
/// SignAttestInfo). The structure starts with TPM_GENERATED_VALUE, which TPM2_Hash and
/// TPM2_SequenceComplete never give a ticket for: that is what lets a restricted key sign attestations
/// and nothing a caller could pass off as one (Part 1, "Restricted signing keys").
/// </summary>
internal static partial class Attestation
{
    /// <summary>TPMI_DH_OBJECT+: the signing key, or TPM_RH_NULL for an unsigned structure.</summary>
    const HandleKinds Signer = HandleKinds.Object | HandleKinds.Null;

    /// <summary>TPMI_RH_NV_AUTH: the index itself, the owner or the platform.</summary>
    const HandleKinds NvAuth = HandleKinds.NvIndex | HandleKinds.Owner | HandleKinds.Platform;

    public static readonly CommandInfo[] Commands =
    [
        new Command<CertifyIn>(TpmCc.Certify, Certify)
        {
            Handles = [new(HandleKinds.Object, AuthRole.Admin), new(Signer, AuthRole.User)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
        new Command<CertifyCreationIn>(TpmCc.CertifyCreation, CertifyCreation)
        {
            Handles = [new(Signer, AuthRole.User), new(HandleKinds.Object)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
        new Command<QuoteIn>(TpmCc.Quote, Quote)
        {
            Handles = [new(Signer, AuthRole.User)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
        new Command<GetSessionAuditDigestIn>(TpmCc.GetSessionAuditDigest, GetSessionAuditDigest)
        {
            Handles = [new(HandleKinds.Endorsement, AuthRole.User), new(Signer, AuthRole.User), new(HandleKinds.HmacSession)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
        // TPMA_CC nv: resetting the audit digest may count the audit counter in NV (the reference's table).
        new Command<GetCommandAuditDigestIn>(TpmCc.GetCommandAuditDigest, GetCommandAuditDigest)
        {
            Handles = [new(HandleKinds.Endorsement, AuthRole.User), new(Signer, AuthRole.User)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true, WritesNv = true,
        },
        new Command<GetTimeIn>(TpmCc.GetTime, GetTime)
        {
            Handles = [new(HandleKinds.Endorsement, AuthRole.User), new(Signer, AuthRole.User)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
        new Command<CertifyX509In>(TpmCc.CertifyX509, CertifyX509)
        {
            Handles = [new(HandleKinds.Object, AuthRole.Admin), new(Signer, AuthRole.User)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
        new Command<NvCertifyIn>(TpmCc.NvCertify, NvCertify)
        {
            Handles = [new(Signer, AuthRole.User), new(NvAuth, AuthRole.User), new(HandleKinds.NvIndex)],
            DecryptFirstParameter = true, EncryptFirstResponseParameter = true,
        },
    ];

    /// <summary>TPM_GENERATED_VALUE (Part 2, 6.2): 0xFF 'T' 'C' 'G'.</summary>
    internal const uint TpmGeneratedValue = 0xFF544347;

    // ---- Shared: signer, common fields, signing (the reference's Attest_spt.c) -----------------

    /// <summary>The signer of an attestation and how it signs (the reference's IsSigningObject and
    /// CryptSelectSignScheme). TPM_RH_NULL signs nothing: scheme and hash are TPM_ALG_NULL.</summary>
    struct SignerInfo
    {
        public TpmKey? Key;
        public TpmAlgId Scheme;
        public TpmAlgId HashAlg;
        public ushort EcdaaCount;

        /// <summary>ECDAA is anonymous (Part 1, "Anonymous signing"): no qualifiedSigner, extraData or
        /// Qualified Name of the certified object in the structure.</summary>
        public readonly bool Anonymous => Scheme == TpmAlgId.EcDaa;
    }

    /// <summary>Codes: TPM_RC_KEY (handle <paramref name="handleNumber"/>) for an object that cannot sign
    /// (not a signing key, a symmetric key, only its public part loaded, a sequence); TPM_RC_SCHEME
    /// (parameter <paramref name="schemeParameter"/>) for a scheme the key cannot use.</summary>
    static TpmRc SelectSigner(Tpm tpm, uint handle, in TpmtSigScheme requested, int handleNumber, int schemeParameter, out SignerInfo signer)
    {
        signer = new SignerInfo { Scheme = TpmAlgId.Null, HashAlg = TpmAlgId.Null };
        if (handle == (uint)TpmRh.Null) return TpmRc.Success;
        var key = tpm.KeyOf(handle);
        if (key is null || !key.HasSensitive || !key.Has(TpmaObject.Sign) || key.Type == TpmAlgId.SymCipher)
            return TpmRc.Key.AtHandle(handleNumber);
        var rc = Signing.SelectScheme(key, requested, out signer.Scheme, out signer.HashAlg);
        if (rc != TpmRc.Success) return rc.AtParameter(schemeParameter);
        signer.Key = key;
        if (signer.Scheme == TpmAlgId.EcDaa) signer.EcdaaCount = requested.Details.Ecdaa.Count;
        return TpmRc.Success;
    }

    /// <summary>The common fields of TPMS_ATTEST (Part 3, 18.1; the reference's FillInAttestInfo): magic,
    /// type, the signer's Qualified Name (TPM_RH_NULL's handle when unsigned, empty when anonymous), the
    /// caller's qualifyingData as extraData (empty when anonymous), clockInfo and firmwareVersion.
    /// For a signer outside the endorsement and platform hierarchies, resetCount, restartCount and
    /// firmwareVersion are offset by KDFa(shProof, "OBFUSCATE", qualifiedSigner): a key of the storage
    /// hierarchy cannot be used to tell two TPMs, or two boots, apart (Part 1, "Privacy").</summary>
    static TpmsAttest Fill(Tpm tpm, in SignerInfo signer, TpmSt type, ReadOnlyMemory<byte> qualifyingData)
    {
        var attest = new TpmsAttest
        {
            Magic = TpmGeneratedValue,
            Type = type,
            QualifiedSigner = signer.Key is null ? Tpm.HandleName((uint)TpmRh.Null) : signer.Anonymous ? ReadOnlyMemory<byte>.Empty : signer.Key.QualifiedName,
            ExtraData = signer.Anonymous ? ReadOnlyMemory<byte>.Empty : qualifyingData,
            ClockInfo = tpm.ClockInfo,
            FirmwareVersion = FirmwareVersion,
        };
        uint hierarchy = signer.Key?.Hierarchy ?? (uint)TpmRh.Null;
        if (hierarchy is not ((uint)TpmRh.Endorsement or (uint)TpmRh.Platform))
        {
            Span<byte> mask = stackalloc byte[16];
            Kdf.KdfA(tpm.Crypto, TpmAlgId.Sha256, tpm.ProofOf((uint)TpmRh.Owner), "OBFUSCATE"u8, attest.QualifiedSigner.Span, [], mask);
            unchecked
            {
                attest.FirmwareVersion += BinaryPrimitives.ReadUInt64BigEndian(mask);
                attest.ClockInfo.ResetCount += BinaryPrimitives.ReadUInt32BigEndian(mask[8..]);
                attest.ClockInfo.RestartCount += BinaryPrimitives.ReadUInt32BigEndian(mask[12..]);
            }
            CryptographicOperations.ZeroMemory(mask);
        }
        return attest;
    }

    /// <summary>TPM_PT_FIRMWARE_VERSION_1 || TPM_PT_FIRMWARE_VERSION_2.</summary>
    static ulong FirmwareVersion => ((ulong)Capability.FirmwareVersion1 << 32) | Capability.FirmwareVersion2;

    /// <summary>Writes TPM2B_ATTEST and its TPMT_SIGNATURE (the reference's SignAttestInfo): the signature
    /// is over H_hashAlg(attestationData), or for an anonymous scheme with qualifyingData over
    /// H_hashAlg(qualifyingData || H_hashAlg(attestationData)). TPM_RH_NULL gives the TPM_ALG_NULL
    /// signature. A signed structure reveals Clock, so the TPM is no longer orderly (an unorderly power
    /// loss must then move Clock on). Codes: TPM_RC_SCHEME (parameter <paramref name="schemeParameter"/>)
    /// when the key cannot carry the scheme; TPM_RC_VALUE for an ECDAA count that is not outstanding.</summary>
    static TpmRc SignAndWrite(Tpm tpm, ref TpmWriter w, in TpmsAttest attest, in SignerInfo signer, ReadOnlySpan<byte> qualifyingData, int schemeParameter)
    {
        int at = w.BeginSize16();
        int start = w.Position;
        attest.Write(ref w);
        w.EndSize16(at);
        if (signer.Key is null)
        {
            w.WriteUInt16((ushort)TpmAlgId.Null);
            return TpmRc.Success;
        }
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n;
        if (signer.Scheme == TpmAlgId.MlDsa)
        {
            // Pure ML-DSA signs the message itself (Part 3 v185, 20.1, Table 115): μ of the marshaled
            // TPMS_ATTEST with an empty context. HashML-DSA signs its pre-hash, computed below.
            using var mu = MlDsaMessage.BeginPure(tpm.Crypto, signer.Key.Asymmetric!, []);
            mu.Update(w.Written[start..]);
            n = mu.Finish(digest);
        }
        else
        {
            n = tpm.Crypto.Hash(signer.HashAlg, w.Written[start..], digest);
        }
        if (signer.Anonymous && !qualifyingData.IsEmpty)
        {
            using var op = tpm.Crypto.HashSetup(signer.HashAlg);
            op.Update(qualifyingData);
            op.Update(digest[..n]);
            n = op.Finish(digest);
        }
        return Sign(tpm, ref w, signer, digest[..n], schemeParameter);
    }

    /// <summary>Writes the TPMT_SIGNATURE of <paramref name="digest"/> and leaves the TPM unorderly.</summary>
    static TpmRc Sign(Tpm tpm, ref TpmWriter w, in SignerInfo signer, scoped ReadOnlySpan<byte> digest, int schemeParameter)
    {
        var rc = signer.Scheme switch
        {
            TpmAlgId.EcDaa => Signing.WriteEcdaaSignature(tpm, ref w, signer.Key!, signer.HashAlg, signer.EcdaaCount, digest),
            TpmAlgId.MlDsa or TpmAlgId.HashMlDsa => Signing.WriteMessageSignature(tpm, ref w, signer.Key!, signer.Scheme, signer.HashAlg, digest, []),
            _ => Signing.WriteSignature(tpm, ref w, signer.Key!, signer.Scheme, signer.HashAlg, digest),
        };
        if (rc != TpmRc.Success) return rc == TpmRc.Scheme ? rc.AtParameter(schemeParameter) : rc;
        NvIndices.ClearOrderly(tpm);
        return TpmRc.Success;
    }

    // ---- TPM2_Certify (18.2) ---------------------------------------------------------------------

    [TpmParameters]
    internal partial struct CertifyIn
    {
        /// <summary>TPM2B_DATA.</summary>
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public TpmtSigScheme InScheme;
    }

    /// <summary>TPM2_Certify (Part 3, 18.2): the certified object's Name and Qualified Name (empty for an
    /// anonymous scheme) in a TPMS_CERTIFY_INFO. Codes: TPM_RC_KEY (H2), TPM_RC_SCHEME (P2).</summary>
    static TpmRc Certify(Tpm tpm, ref CommandContext c, in CertifyIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[1], p.InScheme, 2, CertifyIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        var certified = tpm.KeyOf(c.Handles[0]);
        var name = certified?.Name ?? tpm.NameOf(c.Handles[0]);
        var qualifiedName = certified?.QualifiedName ?? [];

        var attest = Fill(tpm, signer, TpmSt.AttestCertify, p.QualifyingData);
        attest.Attested.Certify = new TpmsCertifyInfo
        {
            Name = name,
            QualifiedName = signer.Anonymous ? ReadOnlyMemory<byte>.Empty : qualifiedName,
        };
        return SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, CertifyIn.Param.InScheme);
    }

    // ---- TPM2_CertifyCreation (18.3) ---------------------------------------------------------------

    [TpmParameters]
    internal partial struct CertifyCreationIn
    {
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public Tpm2bDigest CreationHash;
        public TpmtSigScheme InScheme;
        public TpmtTkCreation CreationTicket;
    }

    /// <summary>TPM2_CertifyCreation (Part 3, 18.3): proves that the TPM created the object with the
    /// creation data hashing to creationHash, by checking the creation ticket that Create or CreatePrimary
    /// returned. Codes: TPM_RC_TAG (P4) for a ticket that is not TPM_ST_CREATION and TPM_RC_VALUE (P4) for
    /// a hierarchy that is none (the unmarshal of TPMT_TK_CREATION); TPM_RC_KEY (H1), TPM_RC_SCHEME (P3);
    /// TPM_RC_TICKET (P4) for a ticket that was not made for this object and creationHash.</summary>
    static TpmRc CertifyCreation(Tpm tpm, ref CommandContext c, in CertifyCreationIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[0], p.InScheme, 1, CertifyCreationIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        var certified = tpm.KeyOf(c.Handles[1]);
        if (certified is null || !TicketMatches(tpm, p.CreationTicket, certified, p.CreationHash.Buffer.Span))
            return TpmRc.Ticket.AtParameter(CertifyCreationIn.Param.CreationTicket);

        var attest = Fill(tpm, signer, TpmSt.AttestCreation, p.QualifyingData);
        attest.Attested.Creation = new TpmsCreationInfo { ObjectName = certified.Name, CreationHash = p.CreationHash.Buffer };
        return SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, CertifyCreationIn.Param.InScheme);
    }

    static bool TicketMatches(Tpm tpm, in TpmtTkCreation ticket, TpmKey certified, ReadOnlySpan<byte> creationHash)
    {
        if (certified.NameAlg == TpmAlgId.Null) return false;
        Span<byte> expected = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = ObjectSupport.CreationTicket(tpm, ticket.Hierarchy, certified.NameAlg, certified.Name, creationHash, expected);
        return CryptographicOperations.FixedTimeEquals(expected[..n], ticket.Digest.Buffer.Span);
    }

    // ---- TPM2_Quote (18.4) -------------------------------------------------------------------------

    [TpmParameters]
    internal partial struct QuoteIn
    {
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public TpmtSigScheme InScheme;
        public TpmlPcrSelection PcrSelect;
    }

    /// <summary>TPM2_Quote (Part 3, 18.4): the selection (only allocated PCRs kept) and the digest of those
    /// PCRs under the scheme's hash. Codes: TPM_RC_KEY (H1), TPM_RC_SCHEME (P2) also for TPM_RH_NULL, which
    /// has no hash to digest the PCRs with (as the reference answers); selection errors from the
    /// unmarshal: TPM_RC_HASH, TPM_RC_VALUE (sizeofSelect) and TPM_RC_SIZE (count), all P3.</summary>
    static TpmRc Quote(Tpm tpm, ref CommandContext c, in QuoteIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[0], p.InScheme, 1, QuoteIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        // Pure ML-DSA has no scheme hash: its quote digests the PCRs with the AK's nameAlg (Part 3 v185 gives
        // no hash for this case; the nameAlg is the one the key has).
        var pcrHash = signer.Scheme == TpmAlgId.MlDsa ? signer.Key!.NameAlg : signer.HashAlg;
        if (pcrHash == TpmAlgId.Null) return TpmRc.Scheme.AtParameter(QuoteIn.Param.InScheme);

        var selection = ObjectSupport.FilterPcrs(tpm, p.PcrSelect);
        Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n = ObjectSupport.PcrDigest(tpm, pcrHash, selection, digest);
        var attest = Fill(tpm, signer, TpmSt.AttestQuote, p.QualifyingData);
        attest.Attested.Quote = new TpmsQuoteInfo { PcrSelect = selection, PcrDigest = digest[..n].ToArray() };
        return SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, QuoteIn.Param.InScheme);
    }

    // ---- TPM2_GetSessionAuditDigest (18.5) ---------------------------------------------------------

    [TpmParameters]
    internal partial struct GetSessionAuditDigestIn
    {
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public TpmtSigScheme InScheme;
    }

    /// <summary>TPM2_GetSessionAuditDigest (Part 3, 18.5): an audit session's digest and whether it is the
    /// exclusive audit session. Codes: TPM_RC_KEY (H2), TPM_RC_SCHEME (P2); TPM_RC_TYPE (H3) for a session
    /// that has not been used for audit.</summary>
    static TpmRc GetSessionAuditDigest(Tpm tpm, ref CommandContext c, in GetSessionAuditDigestIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[1], p.InScheme, 2, GetSessionAuditDigestIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        uint handle = c.Handles[2];
        var session = tpm.Sessions.Get(handle);
        if (session is not { IsAudit: true }) return TpmRc.Type.AtHandle(3);

        var attest = Fill(tpm, signer, TpmSt.AttestSessionAudit, p.QualifyingData);
        attest.Attested.SessionAudit = new TpmsSessionAuditInfo
        {
            ExclusiveSession = tpm.ExclusiveAuditSession == handle ? (byte)1 : (byte)0,
            SessionDigest = session.AuditDigest.ToArray(),
        };
        return SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, GetSessionAuditDigestIn.Param.InScheme);
    }

    // ---- TPM2_GetCommandAuditDigest (18.6) ---------------------------------------------------------

    [TpmParameters]
    internal partial struct GetCommandAuditDigestIn
    {
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public TpmtSigScheme InScheme;
    }

    /// <summary>TPM2_GetCommandAuditDigest (Part 3, 18.6): the audit counter, the audit hash, the command
    /// audit digest and commandDigest, the digest of the audited command codes (each a UINT32, in
    /// order). A signed digest starts over: the next audited command begins a new digest and counts
    /// (Part 1, "Command Audit"). Codes: TPM_RC_KEY (H2), TPM_RC_SCHEME (P2).</summary>
    static TpmRc GetCommandAuditDigest(Tpm tpm, ref CommandContext c, in GetCommandAuditDigestIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[1], p.InScheme, 2, GetCommandAuditDigestIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        var persistent = tpm.Persistent;
        var hashAlg = persistent.AuditHashAlg;
        Span<byte> commandDigest = stackalloc byte[TpmLimits.MaxDigestSize];
        int n;
        using (var op = tpm.Crypto.HashSetup(hashAlg))
        {
            Span<byte> code = stackalloc byte[4];
            foreach (var cc in persistent.AuditCommands)
            {
                BinaryPrimitives.WriteUInt32BigEndian(code, (uint)cc);
                op.Update(code);
            }
            n = op.Finish(commandDigest);
        }
        // A single octet marks a digest that starts over at the next audited command (Tpm.CommandAudit).
        byte[] auditDigest = tpm.CommandAuditDigest.Length == 1 ? [] : tpm.CommandAuditDigest.ToArray();

        var attest = Fill(tpm, signer, TpmSt.AttestCommandAudit, p.QualifyingData);
        attest.Attested.CommandAudit = new TpmsCommandAuditInfo
        {
            AuditCounter = persistent.AuditCounter,
            DigestAlg = hashAlg,
            AuditDigest = auditDigest,
            CommandDigest = commandDigest[..n].ToArray(),
        };
        rc = SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, GetCommandAuditDigestIn.Param.InScheme);
        if (rc == TpmRc.Success && signer.Key is not null && tpm.CommandAuditDigest.Length != 1) tpm.CommandAuditDigest = [];
        return rc;
    }

    // ---- TPM2_GetTime (18.7) -----------------------------------------------------------------------

    [TpmParameters]
    internal partial struct GetTimeIn
    {
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public TpmtSigScheme InScheme;
    }

    /// <summary>TPM2_GetTime (Part 3, 18.7): Time, Clock and firmwareVersion in the clear in
    /// TPMS_TIME_ATTEST_INFO (the privacy administrator, the endorsement hierarchy, authorized it).
    /// Codes: TPM_RC_KEY (H2), TPM_RC_SCHEME (P2).</summary>
    static TpmRc GetTime(Tpm tpm, ref CommandContext c, in GetTimeIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[1], p.InScheme, 2, GetTimeIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        var attest = Fill(tpm, signer, TpmSt.AttestTime, p.QualifyingData);
        attest.Attested.Time = new TpmsTimeAttestInfo { Time = tpm.TimeInfo, FirmwareVersion = FirmwareVersion };
        return SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, GetTimeIn.Param.InScheme);
    }

    // ---- TPM2_NV_Certify (Part 3, 31.16) -----------------------------------------------------------

    [TpmParameters]
    internal partial struct NvCertifyIn
    {
        [Sized(TpmLimits.MaxDataSize)] public ReadOnlyMemory<byte> QualifyingData;
        public TpmtSigScheme InScheme;
        public ushort Size;
        public ushort Offset;
    }

    /// <summary>TPM2_NV_Certify (Part 3, 31.16): size octets of the index from offset in a
    /// TPMS_NV_CERTIFY_INFO, or, when size and offset are both 0, the digest of the whole index under the
    /// scheme's hash in a TPMS_NV_DIGEST_CERTIFY_INFO (TPM_ST_ATTEST_NV_DIGEST). Codes, in the reference's
    /// order: TPM_RC_KEY (H1), TPM_RC_SCHEME (P2); TPM_RC_NV_LOCKED, TPM_RC_NV_AUTHORIZATION,
    /// TPM_RC_NV_UNINITIALIZED (the read access checks); TPM_RC_NV_RANGE when offset + size runs past the
    /// end; TPM_RC_VALUE (P3) for a size above MAX_NV_BUFFER_SIZE.</summary>
    static TpmRc NvCertify(Tpm tpm, ref CommandContext c, in NvCertifyIn p)
    {
        var rc = SelectSigner(tpm, c.Handles[0], p.InScheme, 1, NvCertifyIn.Param.InScheme, out var signer);
        if (rc != TpmRc.Success) return rc;
        var index = tpm.Nv.Get(c.Handles[2])!;
        rc = NvStorage.ReadAccessChecks(c.Handles[1], index);
        if (rc != TpmRc.Success) return rc;
        if (p.Size + p.Offset > index.DataSize) return TpmRc.NvRange;
        if (p.Size > NvIndices.MaxBufferSize) return TpmRc.Value.AtParameter(NvCertifyIn.Param.Size);

        TpmsAttest attest;
        var name = index.Name(tpm.Crypto);
        if (p.Size != 0 || p.Offset != 0)
        {
            attest = Fill(tpm, signer, TpmSt.AttestNv, p.QualifyingData);
            attest.Attested.Nv = new TpmsNvCertifyInfo { IndexName = name, Offset = p.Offset, NvContents = index.Data.AsSpan(p.Offset, p.Size).ToArray() };
        }
        else
        {
            // Unsigned (TPM_RH_NULL): there is no hash, and the digest is empty. A pure ML-DSA signer digests
            // with its nameAlg, as its quotes do.
            Span<byte> digest = stackalloc byte[TpmLimits.MaxDigestSize];
            var nvHash = signer.Scheme == TpmAlgId.MlDsa ? signer.Key!.NameAlg : signer.HashAlg;
            int n = nvHash == TpmAlgId.Null ? 0 : tpm.Crypto.Hash(nvHash, index.Data.AsSpan(0, index.DataSize), digest);
            attest = Fill(tpm, signer, TpmSt.AttestNvDigest, p.QualifyingData);
            attest.Attested.NvDigest = new TpmsNvDigestCertifyInfo { IndexName = name, NvDigest = digest[..n].ToArray() };
        }
        return SignAndWrite(tpm, ref c.Out, attest, signer, p.QualifyingData.Span, NvCertifyIn.Param.InScheme);
    }
}
