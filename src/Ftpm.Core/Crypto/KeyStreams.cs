using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Ports;
using Ftpm.State;

namespace Ftpm.Crypto;

/// <summary>
/// The bits a primary key is made from (Part 1, 27.1 "Primary Keys": the same seed and template must
/// give the same key): KDFa (SP 800-108 counter mode over HMAC, Part 1, 11.4.10.2) run as one
/// unbounded stream, K(i) = HMAC(seed, [i]32 || label || 0x00 || contextU || contextV || [0]32).
/// The counter runs on across calls; the length field is 0, marking a stream of no fixed length, so no
/// output of it equals a KDFa output of a stated length. The reference feeds a KDFa-seeded DRBG in the
/// same place; exact equality with its keys is not a goal.
/// Derived objects (Part 1, "Derived Objects"; TPM2_CreateLoaded under a derivation parent) use the
/// same stream with the length field TPM_MAX_DERIVATION_BITS, as the reference's KDF generator does:
/// K(1) || K(2) || ... of one KDFa of that length, so the keys equal the reference's.
/// </summary>
internal sealed class KdfStream : IKeyStream, IDisposable
{
    readonly ICrypto _crypto;
    readonly TpmAlgId _hashAlg;
    readonly byte[] _key;
    readonly byte[] _input;
    readonly byte[] _block = new byte[TpmLimits.MaxDigestSize];
    int _blockUsed, _blockLength;
    uint _counter;

    public KdfStream(ICrypto crypto, TpmAlgId hashAlg, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> contextU, ReadOnlySpan<byte> contextV, uint lengthBits = 0)
    {
        _crypto = crypto;
        _hashAlg = hashAlg;
        _key = seed.ToArray();
        bool hasZero = !label.IsEmpty && label[^1] == 0;
        _input = new byte[4 + label.Length + (hasZero ? 0 : 1) + contextU.Length + contextV.Length + 4];
        int at = 4;
        label.CopyTo(_input.AsSpan(at)); at += label.Length;
        if (!hasZero) _input[at++] = 0;
        contextU.CopyTo(_input.AsSpan(at)); at += contextU.Length;
        contextV.CopyTo(_input.AsSpan(at)); at += contextV.Length;
        BinaryPrimitives.WriteUInt32BigEndian(_input.AsSpan(at), lengthBits);
    }

    public void Generate(Span<byte> output)
    {
        while (!output.IsEmpty)
        {
            if (_blockUsed == _blockLength)
            {
                BinaryPrimitives.WriteUInt32BigEndian(_input, ++_counter);
                _blockLength = _crypto.Hmac(_hashAlg, _key, _input, _block);
                _blockUsed = 0;
            }
            int n = Math.Min(output.Length, _blockLength - _blockUsed);
            _block.AsSpan(_blockUsed, n).CopyTo(output);
            _blockUsed += n;
            output = output[n..];
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        CryptographicOperations.ZeroMemory(_block);
    }
}

/// <summary>The TPM's DRBG as a key stream: ordinary (non-primary) keys are random.</summary>
internal sealed class DrbgStream(Drbg drbg) : IKeyStream
{
    public void Generate(Span<byte> output) => drbg.Generate(output);
}
