using System.Buffers.Binary;
using Ftpm.Dispatch;
using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm.Commands;

/// <summary>Part 3, 15.4 TPM2_Hash and 17 "Hash/HMAC/Event Sequences": HashSequenceStart,
/// MAC_Start (HMAC_Start's command code), SequenceUpdate, SequenceComplete, EventSequenceComplete.</summary>
internal static partial class HashMac
{
    public static readonly CommandInfo[] Commands =
    [
        new Command<HashIn, HashOut>(TpmCc.Hash, Hash) { DecryptFirstParameter = true, EncryptFirstResponseParameter = true },
        new Command<HashSequenceStartIn>(TpmCc.HashSequenceStart, HashSequenceStart) { ReturnsHandle = true, DecryptFirstParameter = true },
        new Command<MacStartIn>(TpmCc.MacStart, MacStart) { Handles = [new(HandleKinds.Object, AuthRole.User)], ReturnsHandle = true, DecryptFirstParameter = true },
        new Command<SequenceUpdateIn>(TpmCc.SequenceUpdate, SequenceUpdate) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true },
        new Command<SequenceCompleteIn, SequenceCompleteOut>(TpmCc.SequenceComplete, SequenceComplete) { Handles = [new(HandleKinds.Object, AuthRole.User)], DecryptFirstParameter = true, EncryptFirstResponseParameter = true, Flushed = true },
        new Command<EventSequenceCompleteIn, Pcr.PcrEventOut>(TpmCc.EventSequenceComplete, EventSequenceComplete)
        {
            Handles = [new(HandleKinds.Pcr | HandleKinds.Null, AuthRole.User), new(HandleKinds.Object, AuthRole.User)],
            DecryptFirstParameter = true,
            Flushed = true,
        },
    ];

    /// <summary>TPM_GENERATED_VALUE (Part 2, 6.2): data starting with it gets no hash-check ticket.</summary>
    const uint TpmGeneratedValue = 0xFF544347;

    [TpmParameters]
    internal partial struct HashIn
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Data;
        [Check(nameof(TpmCheck.Hash))] public TpmAlgId HashAlg;
        [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    }

    /// <summary>TPM2_Hash (Part 3, 15.4): the digest and, unless the data starts with
    /// TPM_GENERATED_VALUE or the hierarchy is TPM_RH_NULL, a TPMT_TK_HASHCHECK ticket.
    /// Codes: TPM_RC_SIZE (P1) above 1024 octets, TPM_RC_HASH (P2), TPM_RC_VALUE (P3).</summary>
    static TpmRc Hash(Tpm tpm, ref CommandContext c, in HashIn p, out HashOut o)
    {
        var digest = tpm.Scratch(TpmAlgorithms.DigestSize(p.HashAlg));
        tpm.Crypto.Hash(p.HashAlg, p.Data.Span, digest.Span);
        bool generated = p.Data.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(p.Data.Span) == TpmGeneratedValue;
        o = new HashOut
        {
            OutHash = digest,
            Validation = HashCheckTicket(tpm, generated ? (uint)TpmRh.Null : p.Hierarchy, p.HashAlg, digest.Span),
        };
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct HashOut
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> OutHash;
        public TpmtTkHashcheck Validation;
    }

    /// <summary>TPMT_TK_HASHCHECK (Part 1, 10.4.2 ticket): HMAC(proof, TPM_ST_HASHCHECK || digest) under
    /// the digest's hash, in the command's scratch area; the NULL ticket is {TPM_ST_HASHCHECK, TPM_RH_NULL, empty}.</summary>
    internal static TpmtTkHashcheck HashCheckTicket(Tpm tpm, uint hierarchy, TpmAlgId hashAlg, ReadOnlySpan<byte> digest)
    {
        var ticket = new TpmtTkHashcheck { Tag = TpmSt.HashCheck, Hierarchy = hierarchy };
        if (hierarchy == (uint)TpmRh.Null) return ticket;
        Span<byte> data = stackalloc byte[2 + TpmLimits.MaxDigestSize];
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)TpmSt.HashCheck);
        digest.CopyTo(data[2..]);
        var hmac = tpm.Scratch(TpmAlgorithms.DigestSize(hashAlg));
        tpm.Crypto.Hmac(hashAlg, tpm.ProofOf(hierarchy), data[..(2 + digest.Length)], hmac.Span);
        ticket.Digest.Buffer = hmac;
        return ticket;
    }

    [TpmParameters]
    internal partial struct HashSequenceStartIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> Auth;
        [Check(nameof(TpmCheck.Hash), AllowNull = true)] public TpmAlgId HashAlg;
    }

    /// <summary>TPM2_HashSequenceStart (Part 3, 17.3): a hash sequence, or with TPM_ALG_NULL an
    /// event sequence over every bank. Codes: TPM_RC_SIZE (P1) for an auth longer than a digest,
    /// TPM_RC_HASH (P2), TPM_RC_OBJECT_MEMORY when no slot is free.</summary>
    static TpmRc HashSequenceStart(Tpm tpm, ref CommandContext c, in HashSequenceStartIn p)
    {
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;

        var sequence = new HashSequence
        {
            HashAlg = p.HashAlg,
            AuthValue = Tpm.TrimTrailingZeros(p.Auth.Span).ToArray(),
        };
        if (sequence.IsEvent)
        {
            var hashes = TpmAlgorithms.Hashes;
            sequence.Operations = new Ports.IHashOperation[hashes.Length];
            for (int b = 0; b < hashes.Length; b++) sequence.Operations[b] = tpm.Crypto.HashSetup(hashes[b]);
        }
        else
        {
            sequence.Operations = [tpm.Crypto.HashSetup(p.HashAlg)];
        }
        return tpm.Objects.Add(sequence, out c.ResponseHandle);
    }

    [TpmParameters]
    internal partial struct MacStartIn
    {
        [Sized(TpmLimits.MaxAuthSize)] public ReadOnlyMemory<byte> Auth;
        /// <summary>TPMI_ALG_MAC_SCHEME+ (TPMI_ALG_HASH+ in TPM2_HMAC_Start, whose wire form this is).</summary>
        [Check(nameof(TpmCheck.MacScheme), AllowNull = true)] public TpmAlgId InScheme;
    }

    /// <summary>TPM2_MAC_Start (Part 3, 17.2; TPM2_HMAC_Start generalised and sharing its command code): an
    /// HMAC sequence keyed with a KEYEDHASH key's secret, or a CMAC sequence under a SYMCIPHER key. Codes:
    /// TPM_RC_SIZE (P1) for an auth longer than a digest, TPM_RC_SYMMETRIC (P2) for an inScheme that is
    /// neither a hash nor CMAC, those of <see cref="Symmetric.SelectMac"/>, TPM_RC_OBJECT_MEMORY when no
    /// slot is free. SequenceComplete of a MAC sequence returns the MAC and a NULL ticket.</summary>
    static TpmRc MacStart(Tpm tpm, ref CommandContext c, in MacStartIn p)
    {
        var rc = Symmetric.SelectMac(tpm, c.Handles[0], p.InScheme, MacStartIn.Param.InScheme, out var key, out var macAlg);
        if (rc != TpmRc.Success) return rc;
        if (!tpm.Objects.HasFreeSlot) return TpmRc.ObjectMemory;

        var sequence = new HashSequence
        {
            HashAlg = macAlg,
            IsHmac = true,
            AuthValue = Tpm.TrimTrailingZeros(p.Auth.Span).ToArray(),
            Operations = [Symmetric.MacSetup(tpm, key, macAlg)],
        };
        return tpm.Objects.Add(sequence, out c.ResponseHandle);
    }

    [TpmParameters]
    internal partial struct SequenceUpdateIn
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Buffer;
    }

    /// <summary>The sequence object behind a handle, or TPM_RC_MODE for an object that is no hash/event sequence.</summary>
    static TpmRc GetSequence(Tpm tpm, uint handle, int handleNumber, out HashSequence sequence)
    {
        sequence = (tpm.Objects.Get(handle) as HashSequence)!;
        return sequence is null ? TpmRc.Mode.AtHandle(handleNumber) : TpmRc.Success;
    }

    /// <summary>TPM2_SequenceUpdate (Part 3, 17.4). Codes: TPM_RC_MODE (H1) for an object that is
    /// not a sequence, TPM_RC_SIZE (P1) above 1024 octets.</summary>
    static TpmRc SequenceUpdate(Tpm tpm, ref CommandContext c, in SequenceUpdateIn p)
    {
        var rc = GetSequence(tpm, c.Handles[0], 1, out var sequence);
        if (rc != TpmRc.Success) return rc;
        sequence.Update(p.Buffer.Span);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct SequenceCompleteIn
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Buffer;
        [Check(nameof(TpmCheck.Hierarchy), AllowNull = true)] public uint Hierarchy;
    }

    /// <summary>TPM2_SequenceComplete (Part 3, 17.5): the digest and a hash-check ticket; the sequence
    /// is flushed. Codes: TPM_RC_MODE (H1) for an event sequence or a non-sequence object,
    /// TPM_RC_VALUE (P2) for a hierarchy that is none.</summary>
    static TpmRc SequenceComplete(Tpm tpm, ref CommandContext c, in SequenceCompleteIn p, out SequenceCompleteOut o)
    {
        o = default;
        var rc = GetSequence(tpm, c.Handles[0], 1, out var sequence);
        if (rc != TpmRc.Success) return rc;
        // A v185 sign or verify sequence ends only with its own complete command.
        if (sequence.IsEvent || sequence.Signature is not null) return TpmRc.Mode.AtHandle(1);

        sequence.Update(p.Buffer.Span);
        var digest = tpm.Scratch(TpmLimits.MaxDigestSize);
        digest = digest[..sequence.Operations[0].Finish(digest.Span)];
        // An HMAC sequence gets no hash-check ticket (Part 3, 17.5: a NULL ticket).
        bool generated = sequence.IsHmac ||
            sequence.FirstBytesSeen >= 4 && BinaryPrimitives.ReadUInt32BigEndian(sequence.FirstBytes) == TpmGeneratedValue;
        o.Result = digest;
        o.Validation = HashCheckTicket(tpm, generated ? (uint)TpmRh.Null : p.Hierarchy, sequence.HashAlg, digest.Span);
        tpm.Objects.Remove(c.Handles[0]);
        return TpmRc.Success;
    }

    [TpmParameters]
    internal partial struct SequenceCompleteOut
    {
        [Sized(TpmLimits.MaxDigestSize)] public ReadOnlyMemory<byte> Result;
        public TpmtTkHashcheck Validation;
    }

    [TpmParameters]
    internal partial struct EventSequenceCompleteIn
    {
        [Sized(TpmLimits.MaxDigestBuffer)] public ReadOnlyMemory<byte> Buffer;
    }

    /// <summary>TPM2_EventSequenceComplete (Part 3, 17.6): a digest per bank, extended into the PCR
    /// (unless TPM_RH_NULL); the sequence is flushed. Codes: TPM_RC_MODE (H2) for a hash sequence,
    /// TPM_RC_LOCALITY when the PCR cannot be extended from this locality.</summary>
    static TpmRc EventSequenceComplete(Tpm tpm, ref CommandContext c, in EventSequenceCompleteIn p, out Pcr.PcrEventOut o)
    {
        o = default;
        var rc = GetSequence(tpm, c.Handles[1], 2, out var sequence);
        if (rc != TpmRc.Success) return rc;
        if (!sequence.IsEvent) return TpmRc.Mode.AtHandle(2);
        uint handle = c.Handles[0];
        int pcr = handle == (uint)TpmRh.Null ? -1 : (int)handle;
        if (pcr >= 0 && !Pcr.LocalityAllows(PcrBanks.AttributesOf(pcr).ExtendLocalities, c.Locality)) return TpmRc.Locality;

        sequence.Update(p.Buffer.Span);
        var hashes = TpmAlgorithms.Hashes;
        o.Digests.Count = (uint)hashes.Length;
        for (int bank = 0; bank < hashes.Length; bank++)
        {
            var digest = tpm.Scratch(TpmLimits.MaxDigestSize);
            digest = digest[..sequence.Operations[bank].Finish(digest.Span)];
            o.Digests.Digests[bank] = Pcr.Digest(hashes[bank], digest);
            if (pcr >= 0 && tpm.Pcrs.IsAllocated(bank, pcr)) tpm.Pcrs.Extend(tpm.Crypto, bank, pcr, digest.Span);
        }
        if (pcr >= 0) tpm.Pcrs.Changed(pcr);
        tpm.Objects.Remove(c.Handles[1]);
        return TpmRc.Success;
    }
}
