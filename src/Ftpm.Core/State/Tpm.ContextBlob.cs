using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Marshal;

namespace Ftpm;

// Protection of saved contexts (Part 1, 30.x "Context Protection"): TPMS_CONTEXT.contextBlob is
// integrity || encrypted(sequence || state). The key and IV come from KDFa over the hierarchy's proof
// with sequence and handle as context; integrity is an HMAC with the proof over totalResetCount,
// clearCount (stClear objects only), sequence, handle and the ciphertext, so a blob dies with its hierarchy's proof or at the next
// TPM Reset, and cannot be moved to another sequence or handle. Sessions and objects share it.
public sealed partial class Tpm
{
    /// <summary>CONTEXT_INTEGRITY_HASH_ALG and CONTEXT_ENCRYPT_ALG (TPM_PT_CONTEXT_HASH, _SYM, _SYM_SIZE).</summary>
    const TpmAlgId ContextHash = TpmAlgId.Sha256;
    const int ContextKeyBytes = 32;
    const int ContextIvBytes = 16;
    const int ContextIntegritySize = 2 + 32;

    /// <summary>Builds the contextBlob (TPM2B_CONTEXT_DATA's buffer) for <paramref name="state"/> in the
    /// command's scratch area.</summary>
    internal ReadOnlyMemory<byte> ContextBlob(uint hierarchy, uint savedHandle, ulong sequence, ReadOnlySpan<byte> state)
    {
        int plainLength = 8 + state.Length;
        var memory = Scratch(ContextIntegritySize + plainLength);
        var blob = memory.Span;
        var encrypted = blob[ContextIntegritySize..];
        BinaryPrimitives.WriteUInt64BigEndian(encrypted, sequence);
        state.CopyTo(encrypted[8..]);
        CipherContext(hierarchy, savedHandle, sequence, encrypted, encrypt: true);
        BinaryPrimitives.WriteUInt16BigEndian(blob, 32);
        ContextIntegrity(hierarchy, savedHandle, sequence, encrypted, blob.Slice(2, 32));
        return memory;
    }

    /// <summary>Checks and decrypts a contextBlob; returns the state. Codes as the reference's ContextLoad
    /// (numbered with the context parameter by the caller): TPM_RC_SIZE for an integrity of the wrong size
    /// or a blob too short to hold the sequence, TPM_RC_INTEGRITY for an HMAC that does not match;
    /// TPM_RC_INSUFFICIENT when the blob cannot even hold the integrity's size.</summary>
    internal TpmRc OpenContextBlob(ReadOnlySpan<byte> blob, uint hierarchy, uint savedHandle, ulong sequence, out byte[] state)
    {
        state = [];
        if (blob.Length < 2) return TpmRc.Insufficient;
        int integritySize = BinaryPrimitives.ReadUInt16BigEndian(blob);
        if (integritySize > blob.Length - 2) return TpmRc.Insufficient;
        if (integritySize != 32) return TpmRc.Size;
        var encrypted = blob[ContextIntegritySize..];
        if (encrypted.Length < 8) return TpmRc.Size;
        Span<byte> expected = stackalloc byte[32];
        ContextIntegrity(hierarchy, savedHandle, sequence, encrypted, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, blob.Slice(2, 32))) return TpmRc.Integrity;
        var plain = encrypted.ToArray();
        CipherContext(hierarchy, savedHandle, sequence, plain, encrypt: false);
        // The HMAC held, so the blob is this TPM's: a sequence that does not match is a bug.
        if (BinaryPrimitives.ReadUInt64BigEndian(plain) != sequence) throw new InvalidOperationException("context sequence mismatch");
        state = plain[8..];
        CryptographicOperations.ZeroMemory(plain);
        return TpmRc.Success;
    }

    void CipherContext(uint hierarchy, uint savedHandle, ulong sequence, Span<byte> data, bool encrypt)
    {
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, sequence);
        Span<byte> handle = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(handle, savedHandle);
        Span<byte> material = stackalloc byte[ContextKeyBytes + ContextIvBytes];
        Kdf.KdfA(_crypto, ContextHash, ProofOf(hierarchy), "CONTEXT"u8, seq, handle, material);
        var output = new byte[data.Length];
        _crypto.Cipher(TpmAlgId.Aes, TpmAlgId.Cfb, encrypt, material[..ContextKeyBytes], material[ContextKeyBytes..], data, output);
        output.CopyTo(data);
        CryptographicOperations.ZeroMemory(output);
        CryptographicOperations.ZeroMemory(material);
    }

    void ContextIntegrity(uint hierarchy, uint savedHandle, ulong sequence, ReadOnlySpan<byte> encrypted, Span<byte> hmac)
    {
        using var h = _crypto.HmacSetup(ContextHash, ProofOf(hierarchy));
        Span<byte> header = stackalloc byte[8 + 4 + 8 + 4];
        BinaryPrimitives.WriteUInt64BigEndian(header, _persistent.TotalResetCount);
        int at = 8;
        // An stClear object's context (savedHandle 0x80000002) also binds clearCount, so it cannot be
        // loaded after the next TPM Restart (the reference's ComputeContextIntegrity).
        if (savedHandle == Commands.Context.SavedStClear)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header[at..], _persistent.ClearCount);
            at += 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(header[at..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(header[(at + 8)..], savedHandle);
        h.Update(header[..(at + 12)]);
        h.Update(encrypted);
        h.Finish(hmac);
    }
}
