using System.Buffers.Binary;
using Ftpm.Auth;
using Ftpm.Dispatch;

namespace Ftpm;

// Tickets of the authorization commands (Part 1, 10.4 "Tickets"; Part 2, 10.7): an HMAC with the proof
// of a hierarchy, so that only this TPM can have made them, and only until that proof changes.
// Their HMAC uses the context integrity hash (SHA-256).
public sealed partial class Tpm
{
    /// <summary>Set in a ticket's timeout when it expires at the next TPM Reset (the reference's EXPIRATION_BIT).</summary>
    internal const ulong ExpirationBit = 1UL << 63;

    /// <summary>TPMT_TK_AUTH digest (Part 2, 10.7.5): HMAC(proof, tag || cpHashA || policyRef || authName ||
    /// timeout [|| timeEpoch [|| totalResetCount]]); the epoch and reset count tie a ticket with a timeout to
    /// this power cycle and, for expiresOnReset, to this TPM Reset.</summary>
    internal byte[] ComputeAuthTicket(TpmSt tag, uint hierarchy, ulong timeout, bool expiresOnReset,
        ReadOnlySpan<byte> cpHashA, ReadOnlySpan<byte> policyRef, ReadOnlySpan<byte> authName)
    {
        using var h = _crypto.HmacSetup(ContextHash, ProofOf(hierarchy));
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)tag);
        h.Update(buffer[..2]);
        h.Update(cpHashA);
        h.Update(policyRef);
        h.Update(authName);
        BinaryPrimitives.WriteUInt64BigEndian(buffer, timeout);
        h.Update(buffer);
        if (timeout != 0)
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer, _timeEpoch);
            h.Update(buffer);
            if (expiresOnReset)
            {
                BinaryPrimitives.WriteUInt64BigEndian(buffer, _persistent.TotalResetCount);
                h.Update(buffer);
            }
        }
        var digest = new byte[TpmAlgorithms.DigestSize(ContextHash)];
        h.Finish(digest);
        return digest;
    }

    /// <summary>TPMT_TK_VERIFIED digest (Part 2, 10.7.3): HMAC(proof, TPM_ST_VERIFIED || digest || keyName),
    /// with the key's nameAlg as TPM2_VerifySignature makes it (Commands/Signing.cs); the nameAlg is the
    /// first two octets of keyName, so TPM2_PolicyAuthorize can recompute it without the key.</summary>
    internal byte[] ComputeVerifiedTicket(uint hierarchy, TpmAlgId nameAlg, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> keyName) =>
        ComputeVerifiedTicket(TpmSt.Verified, hierarchy, nameAlg, digest, keyName, TpmAlgId.Null);

    /// <summary>TPMT_TK_VERIFIED hmac of any v185 tag (Part 2 v185, 10.6.5, equation 5): HMAC(proof, tag ||
    /// digestOrMessage || keyName || metadata), metadata being the verified digest's hash for
    /// TPM_ST_DIGEST_VERIFIED and empty otherwise; under the key's nameAlg, as TPM_ST_VERIFIED tickets
    /// always were here, so TPM2_PolicyAuthorize recomputes any of them from keySign alone.</summary>
    internal byte[] ComputeVerifiedTicket(TpmSt tag, uint hierarchy, TpmAlgId nameAlg, ReadOnlySpan<byte> digestOrMessage,
        ReadOnlySpan<byte> keyName, TpmAlgId digestHash)
    {
        using var h = BeginVerifiedTicket(tag, hierarchy, nameAlg);
        h.Update(digestOrMessage);
        return FinishVerifiedTicket(h, nameAlg, keyName, tag == TpmSt.DigestVerified ? digestHash : TpmAlgId.Null);
    }

    /// <summary>The HMAC of a verified ticket up to its digestOrMessage, for a message that streams in.</summary>
    internal Ports.IHashOperation BeginVerifiedTicket(TpmSt tag, uint hierarchy, TpmAlgId nameAlg)
    {
        var h = _crypto.HmacSetup(nameAlg, ProofOf(hierarchy));
        Span<byte> buffer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)tag);
        h.Update(buffer);
        return h;
    }

    /// <summary>Ends a verified ticket's HMAC with keyName and the metadata (a hash algorithm, or none for
    /// TPM_ALG_NULL).</summary>
    internal static byte[] FinishVerifiedTicket(Ports.IHashOperation h, TpmAlgId nameAlg, ReadOnlySpan<byte> keyName, TpmAlgId metadata)
    {
        h.Update(keyName);
        if (metadata != TpmAlgId.Null)
        {
            Span<byte> buffer = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)metadata);
            h.Update(buffer);
        }
        var result = new byte[TpmAlgorithms.DigestSize(nameAlg)];
        h.Finish(result);
        return result;
    }

    /// <summary>The hierarchy an entity belongs to (the reference's EntityGetHierarchy): a permanent handle
    /// is its own (lockout and PCRs count as the owner's), an object its own (keys issue), an NV index the
    /// platform's when platform-created, else the owner's (NV issue).</summary>
    internal uint HierarchyOf(uint handle) => KindOf(handle) switch
    {
        HandleKinds.Platform => (uint)TpmRh.Platform,
        HandleKinds.Endorsement => (uint)TpmRh.Endorsement,
        HandleKinds.Null => (uint)TpmRh.Null,
        HandleKinds.Transient or HandleKinds.Persistent => KeyOf(handle) is { } key ? key.Hierarchy : (uint)TpmRh.Null,
        HandleKinds.NvIndex => NvHierarchy(handle),
        _ => (uint)TpmRh.Owner,
    };
}
