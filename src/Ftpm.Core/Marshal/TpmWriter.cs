using System.Buffers.Binary;

namespace Ftpm.Marshal;

/// <summary>
/// Writes TPM wire data (big-endian) forward into a response buffer sized for the largest
/// response. Running past the end is a bug in the engine (the buffer is sized by
/// MAX_RESPONSE_SIZE), so it throws and the dispatcher enters failure mode. Always pass by <c>ref</c>.
/// </summary>
internal ref struct TpmWriter
{
    readonly Span<byte> _span;
    int _position;

    public TpmWriter(Span<byte> span) { _span = span; _position = 0; }

    public readonly int Position => _position;
    public readonly Span<byte> Written => _span[.._position];
    public readonly int Capacity => _span.Length;

    public void WriteUInt8(byte value) => _span[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_span[_position..], value);
        _position += 8;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    /// <summary>A TPM2B: UINT16 size then the bytes.</summary>
    public void WriteSized(scoped ReadOnlySpan<byte> value)
    {
        WriteUInt16(checked((ushort)value.Length));
        WriteBytes(value);
    }

    /// <summary>A buffer with a one-octet size.</summary>
    public void WriteSized8(scoped ReadOnlySpan<byte> value)
    {
        WriteUInt8(checked((byte)value.Length));
        WriteBytes(value);
    }

    /// <summary>Reserves <paramref name="length"/> bytes to be filled in by the caller; returns them.</summary>
    public Span<byte> Reserve(int length)
    {
        var s = _span.Slice(_position, length);
        _position += length;
        return s;
    }

    /// <summary>Starts a UINT16 size prefix (TPM2B holding a structure); close it with <see cref="EndSize16"/>.</summary>
    public int BeginSize16() { int at = _position; _position += 2; return at; }

    /// <summary>Fills in the UINT16 size reserved at <paramref name="at"/> with the bytes written since.</summary>
    public readonly void EndSize16(int at) =>
        BinaryPrimitives.WriteUInt16BigEndian(_span[at..], checked((ushort)(_position - at - 2)));

    /// <summary>Starts a UINT32 size prefix (parameterSize, authorizationSize).</summary>
    public int BeginSize32() { int at = _position; _position += 4; return at; }

    public readonly void EndSize32(int at) =>
        BinaryPrimitives.WriteUInt32BigEndian(_span[at..], (uint)(_position - at - 4));

    /// <summary>Moves the position back (to drop a partly written response).</summary>
    public void Rewind(int position) => _position = position;
}
