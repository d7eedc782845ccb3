using System.Buffers;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Output buffer for a JPEG being written: marker bytes and entropy-coded bits with 0xFF byte
/// stuffing. The buffer is rented from the shared pool and kept between images (call
/// <see cref="Reset"/>), so steady-state writing allocates nothing.
/// </summary>
internal sealed class JpegBitWriter : IDisposable
{
    private byte[] _buffer;
    private int _position;
    private ulong _accumulator; // the low _bitCount bits are pending, oldest first
    private int _bitCount;

    /// <summary>Creates a writer with an initial pooled buffer.</summary>
    public JpegBitWriter(int initialCapacity = 64 * 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>Size of the current buffer.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Bytes written so far.</summary>
    public int Position => _position;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _position);

    /// <summary>Forgets everything written.</summary>
    public void Reset()
    {
        _position = 0;
        _accumulator = 0;
        _bitCount = 0;
    }

    /// <summary>Writes one byte (marker data; no stuffing).</summary>
    public void WriteByte(int value)
    {
        Ensure(1);
        _buffer[_position++] = (byte)value;
    }

    /// <summary>Writes a big-endian 16-bit value (marker data).</summary>
    public void WriteUInt16(int value)
    {
        Ensure(2);
        _buffer[_position++] = (byte)(value >> 8);
        _buffer[_position++] = (byte)value;
    }

    /// <summary>Writes a marker: 0xFF then <paramref name="code"/>.</summary>
    public void WriteMarker(int code)
    {
        Ensure(2);
        _buffer[_position++] = 0xFF;
        _buffer[_position++] = (byte)code;
    }

    /// <summary>Appends the low <paramref name="size"/> bits (1..28) of <paramref name="code"/> to the entropy-coded data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBits(uint code, int size)
    {
        // Fewer than 36 bits are pending between calls, so 28 more still fit in 64.
        _accumulator = (_accumulator << size) | (code & ((1u << size) - 1));
        _bitCount += size;
        if (_bitCount >= 36)
        {
            DrainBytes();
        }
    }

    /// <summary>
    /// Ends a scan's entropy-coded data as libjpeg's flush_bits does: the partial byte is
    /// filled with 1 bits, then the bit buffer is empty.
    /// </summary>
    public void FlushBits()
    {
        WriteBits(0x7F, 7);
        DrainBytes();
        _accumulator = 0;
        _bitCount = 0;
    }

    /// <summary>Copies the written bytes to <paramref name="output"/>.</summary>
    public void CopyTo(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(_position);
        _buffer.AsSpan(0, _position).CopyTo(span);
        output.Advance(_position);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Moves all whole bytes from the accumulator to the buffer, stuffing a zero after each 0xFF.</summary>
    private void DrainBytes()
    {
        Ensure(16);
        var buffer = _buffer;
        int pos = _position;
        int n = _bitCount;
        ulong acc = _accumulator;
        while (n >= 8)
        {
            n -= 8;
            byte b = (byte)(acc >> n);
            buffer[pos++] = b;
            if (b == 0xFF)
            {
                buffer[pos++] = 0;
            }
        }

        _position = pos;
        _bitCount = n;
        _accumulator = acc & ((1UL << n) - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int count)
    {
        if (_position + count > _buffer.Length)
        {
            Grow(count);
        }
    }

    private void Grow(int count)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
