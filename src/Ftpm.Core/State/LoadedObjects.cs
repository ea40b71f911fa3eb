using Ftpm.Ports;

namespace Ftpm.State;

/// <summary>Something that occupies a transient object slot: a key, sealed data or a sequence.</summary>
internal abstract class TpmObject
{
    /// <summary>The object's authValue (for sequences: the auth given to the start command).</summary>
    public byte[] AuthValue = [];

    /// <summary>TPMA_OBJECT noDA: a wrong authValue does not count towards dictionary-attack lockout.</summary>
    public virtual bool NoDa => true;

    /// <summary>The object's Name (Part 1, 16): nameAlg || H(publicArea) for keys and data. A sequence
    /// has nameAlg TPM_ALG_NULL and so the Empty Buffer as its Name (as the reference and ESAPI have it:
    /// cpHash of SequenceUpdate under an HMAC session depends on it).</summary>
    public virtual byte[] Name { get; set; } = [];

    /// <summary>Releases what the object holds (hash states, secrets).</summary>
    public virtual void Dispose() => System.Security.Cryptography.CryptographicOperations.ZeroMemory(AuthValue);
}

/// <summary>A hash or event sequence (Part 1, 32.4; Part 3, 17.3).</summary>
internal sealed class HashSequence : TpmObject
{
    /// <summary>TPM_ALG_NULL for an event sequence, which hashes into every implemented bank.</summary>
    public TpmAlgId HashAlg;

    /// <summary>One operation, or one per bank of <see cref="TpmAlgorithms.Hashes"/> for an event sequence.</summary>
    public IHashOperation[] Operations = [];

    /// <summary>Whether the first octets hashed began with TPM_GENERATED_VALUE: such data gets no
    /// ticket, so a restricted key cannot be made to sign something that looks TPM-made (Part 1, 32.4).</summary>
    public bool StartsWithGenerated;
    public int FirstBytesSeen;
    public readonly byte[] FirstBytes = new byte[4];

    public bool IsEvent => HashAlg == TpmAlgId.Null;

    /// <summary>An HMAC sequence (TPM2_HMAC_Start, Part 3, 17.2): <see cref="Operations"/> holds one HMAC operation.</summary>
    public bool IsHmac;

    /// <summary>v185: what a sign or verify sequence (TPM2_SignSequenceStart, TPM2_VerifySequenceStart) keeps
    /// besides its message operation; null for hash, HMAC and event sequences.</summary>
    public SignatureSequence? Signature;

    /// <summary>A copy with its own hash states (ContextSave and ContextLoad of sequences).</summary>
    public HashSequence Clone()
    {
        var copy = new HashSequence
        {
            HashAlg = HashAlg,
            IsHmac = IsHmac,
            Signature = Signature?.Clone(),
            StartsWithGenerated = StartsWithGenerated,
            FirstBytesSeen = FirstBytesSeen,
            AuthValue = (byte[])AuthValue.Clone(),
            Operations = new IHashOperation[Operations.Length],
        };
        FirstBytes.CopyTo(copy.FirstBytes, 0);
        for (int i = 0; i < Operations.Length; i++) copy.Operations[i] = Operations[i].Clone();
        return copy;
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        if (FirstBytesSeen < 4)
        {
            int n = Math.Min(4 - FirstBytesSeen, data.Length);
            data[..n].CopyTo(FirstBytes.AsSpan(FirstBytesSeen));
            FirstBytesSeen += n;
        }
        foreach (var op in Operations) op.Update(data);
        Signature?.Ticket?.Update(data);
    }

    public override void Dispose()
    {
        foreach (var op in Operations) op.Dispose();
        Signature?.Ticket?.Dispose();
        base.Dispose();
    }
}

/// <summary>The state of a v185 sign or verify sequence (Part 3 v185, 17.5 and 17.6) beside its message
/// operation (<see cref="HashSequence.Operations"/>[0]: μ of ML-DSA, the pre-hash of HashML-DSA, the scheme's
/// hash of an RSA or ECC key, the HMAC of a KEYEDHASH key).</summary>
internal sealed class SignatureSequence
{
    /// <summary>A verify sequence (TPM2_VerifySequenceStart); else a sign sequence.</summary>
    public bool Verify;
    /// <summary>The Name of the key the sequence was started with: the complete command must name the same
    /// key (TPM_RC_SIGN_CONTEXT_KEY).</summary>
    public byte[] KeyName = [];
    /// <summary>The key's signing scheme and its hash (TPM_ALG_NULL for ML-DSA).</summary>
    public TpmAlgId Scheme, HashAlg;
    /// <summary>TPM2B_SIGNATURE_CTX given at the start (HashML-DSA puts it in M′ at the end).</summary>
    public byte[] Context = [];
    /// <summary>A verify sequence of a key outside the null hierarchy: HMAC(proof, TPM_ST_MESSAGE_VERIFIED ||
    /// message ...) under the key's nameAlg, fed with the message as it streams in (Part 2 v185, 10.6.5).</summary>
    public IHashOperation? Ticket;
    public uint Hierarchy;

    public SignatureSequence Clone() => new()
    {
        Verify = Verify, KeyName = KeyName, Scheme = Scheme, HashAlg = HashAlg, Context = Context,
        Ticket = Ticket?.Clone(), Hierarchy = Hierarchy,
    };
}

/// <summary>
/// The transient object slots (Part 1, 30.3). Handles are TRANSIENT_FIRST + slot; a full table
/// gives TPM_RC_OBJECT_MEMORY.
/// </summary>
internal sealed class LoadedObjects
{
    /// <summary>MAX_LOADED_OBJECTS, reported as TPM_PT_HR_TRANSIENT_MIN.</summary>
    public const int Capacity = 3;
    public const uint TransientFirst = 0x80000000;

    readonly TpmObject?[] _slots = new TpmObject?[Capacity];

    public TpmObject? Get(uint handle)
    {
        uint slot = handle - TransientFirst;
        return slot < Capacity ? _slots[slot] : null;
    }

    public int Count
    {
        get { int n = 0; foreach (var o in _slots) if (o is not null) n++; return n; }
    }

    public bool HasFreeSlot => Count < Capacity;

    /// <summary>Puts <paramref name="obj"/> in a free slot and returns its handle, or fails with TPM_RC_OBJECT_MEMORY.</summary>
    public TpmRc Add(TpmObject obj, out uint handle)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is not null) continue;
            _slots[i] = obj;
            handle = TransientFirst + (uint)i;
            return TpmRc.Success;
        }
        handle = 0;
        return TpmRc.ObjectMemory;
    }

    public void Remove(uint handle)
    {
        uint slot = handle - TransientFirst;
        if (slot >= Capacity) return;
        _slots[slot]?.Dispose();
        _slots[slot] = null;
    }

    /// <summary>Handles of the loaded objects, ascending.</summary>
    public IEnumerable<uint> Handles()
    {
        for (int i = 0; i < _slots.Length; i++)
            if (_slots[i] is not null) yield return TransientFirst + (uint)i;
    }

    public void Clear()
    {
        for (int i = 0; i < _slots.Length; i++) Remove(TransientFirst + (uint)i);
    }
}
