using System.Buffers.Binary;

namespace Ftpm.Marshal;

/// <summary>
/// Reads TPM wire data (big-endian, Part 1 "Marshaling") forward over a command buffer.
/// Failures are response codes, never exceptions: a short read is TPM_RC_INSUFFICIENT and a
/// size above its maximum is TPM_RC_SIZE (Part 2 marshaling rules). Sized buffers are returned
/// as slices of the underlying memory, never copied. Always pass by <c>ref</c>.
/// </summary>
internal ref struct TpmReader
{
    readonly ReadOnlyMemory<byte> _memory;
    readonly ReadOnlySpan<byte> _span;
    int _position;

    public TpmReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _span.Length - _position;
    public readonly bool HasData => _position < _span.Length;
    public readonly ReadOnlySpan<byte> RemainingSpan => _span[_position..];

    /// <summary>A reader over the next <paramref name="length"/> bytes; this reader skips them.</summary>
    public TpmRc ReadSubReader(int length, out TpmReader sub)
    {
        if (length > Remaining) { sub = default; return TpmRc.Insufficient; }
        sub = new TpmReader(_memory.Slice(_position, length));
        _position += length;
        return TpmRc.Success;
    }

    public readonly TpmRc PeekUInt16(out ushort value)
    {
        if (Remaining < 2) { value = 0; return TpmRc.Insufficient; }
        value = BinaryPrimitives.ReadUInt16BigEndian(_span[_position..]);
        return TpmRc.Success;
    }

    public TpmRc ReadUInt8(out byte value)
    {
        if (Remaining < 1) { value = 0; return TpmRc.Insufficient; }
        value = _span[_position++];
        return TpmRc.Success;
    }

    public TpmRc ReadUInt16(out ushort value)
    {
        if (Remaining < 2) { value = 0; return TpmRc.Insufficient; }
        value = BinaryPrimitives.ReadUInt16BigEndian(_span[_position..]);
        _position += 2;
        return TpmRc.Success;
    }

    public TpmRc ReadUInt32(out uint value)
    {
        if (Remaining < 4) { value = 0; return TpmRc.Insufficient; }
        value = BinaryPrimitives.ReadUInt32BigEndian(_span[_position..]);
        _position += 4;
        return TpmRc.Success;
    }

    public TpmRc ReadUInt64(out ulong value)
    {
        if (Remaining < 8) { value = 0; return TpmRc.Insufficient; }
        value = BinaryPrimitives.ReadUInt64BigEndian(_span[_position..]);
        _position += 8;
        return TpmRc.Success;
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes as a slice.</summary>
    public TpmRc ReadBytes(int length, out ReadOnlyMemory<byte> value)
    {
        if (length < 0 || Remaining < length) { value = default; return TpmRc.Insufficient; }
        value = _memory.Slice(_position, length);
        _position += length;
        return TpmRc.Success;
    }

    /// <summary>A TPM2B: UINT16 size, then that many bytes (at most <paramref name="maxSize"/>, else TPM_RC_SIZE).</summary>
    public TpmRc ReadSized(int maxSize, out ReadOnlyMemory<byte> value)
    {
        value = default;
        var rc = ReadUInt16(out ushort size);
        if (rc != TpmRc.Success) return rc;
        if (size > maxSize) return TpmRc.Size;
        return ReadBytes(size, out value);
    }

    /// <summary>A buffer with a one-octet size (TPMS_PCR_SELECT's sizeofSelect).</summary>
    public TpmRc ReadSized8(int maxSize, out ReadOnlyMemory<byte> value)
    {
        value = default;
        var rc = ReadUInt8(out byte size);
        if (rc != TpmRc.Success) return rc;
        if (size > maxSize) return TpmRc.Value;
        return ReadBytes(size, out value);
    }
}
