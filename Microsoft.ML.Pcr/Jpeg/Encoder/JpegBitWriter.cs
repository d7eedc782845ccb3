using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Pcr.Jpeg.Encoder;

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
        _buffer[_position++] = JpegMarkers.Prefix;
        _buffer[_position++] = (byte)code;
    }

    /// <summary>Appends the low <paramref name="size"/> bits (1..32) of <paramref name="code"/> to the entropy-coded data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBits(uint code, int size)
    {
        // Fewer than 32 bits are pending between calls, so 32 more still fit in 64.
        _accumulator = (_accumulator << size) | (code & (uint)((1UL << size) - 1));
        _bitCount += size;
        if (_bitCount >= 32)
        {
            Drain32();
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

    /// <summary>
    /// Huffman-codes recorded tokens (see <see cref="TokenSink.Pack"/>): each becomes its symbol's
    /// code followed by its extra bits; <paramref name="codes"/> holds (code &lt;&lt; 8) | length at
    /// table * 512 + symbol, 0 for the raw-bits pseudo-symbol 256, so raw tokens need no branch.
    /// Every symbol recorded was counted, so each has a code.
    /// </summary>
    public void WriteTokens(ReadOnlySpan<uint> tokens, uint[] codes)
    {
        const int Chunk = 4096;
        ulong acc = _accumulator;
        int n = _bitCount;
        ref uint codeBase = ref MemoryMarshal.GetArrayDataReference(codes);
        for (int start = 0; start < tokens.Length; start += Chunk)
        {
            var chunk = tokens.Slice(start, Math.Min(Chunk, tokens.Length - start));

            // A token is at most 32 bits: 4 bytes, 8 with stuffing.
            Ensure((chunk.Length * 8) + 16);
            var buffer = _buffer;
            int pos = _position;
            foreach (uint t in chunk)
            {
                int size = (int)((t >> 9) & 31);
                uint e = Unsafe.Add(ref codeBase, (int)(((t >> 5) & 0x600) | (t & 0x1FF)));
                acc = (acc << (int)(size + (e & 0xFF))) | ((ulong)(e >> 8) << size) | (t >> 16);
                n += size + (int)(e & 0xFF);
                if (n >= 32)
                {
                    n -= 32;
                    uint word = (uint)(acc >> n);
                    if ((((~word) - 0x01010101u) & word & 0x80808080u) == 0)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(pos, 4), word);
                        pos += 4;
                    }
                    else
                    {
                        pos = WriteStuffed(buffer, pos, word);
                    }

                    acc &= (1UL << n) - 1;
                }
            }

            _position = pos;
        }

        _accumulator = acc;
        _bitCount = n;
    }

    /// <summary>Copies the written bytes to <paramref name="output"/>, in as many pieces as it hands out.</summary>
    public void CopyTo(IBufferWriter<byte> output)
    {
        var rest = _buffer.AsSpan(0, _position);
        while (!rest.IsEmpty)
        {
            var span = output.GetSpan(rest.Length);
            int n = Math.Min(span.Length, rest.Length);
            rest[..n].CopyTo(span);
            output.Advance(n);
            rest = rest[n..];
        }
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

    /// <summary>Moves the oldest 32 pending bits to the buffer: one store when none of the 4 bytes is 0xFF.</summary>
    private void Drain32()
    {
        Ensure(8);
        int n = _bitCount - 32;
        uint word = (uint)(_accumulator >> n);
        if ((((~word) - 0x01010101u) & word & 0x80808080u) == 0)
        {
            // No 0xFF byte (a zero byte in ~word would be one): no stuffing needed.
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_position, 4), word);
            _position += 4;
        }
        else
        {
            _position = WriteStuffed(_buffer, _position, word);
        }

        _bitCount = n;
        _accumulator &= (1UL << n) - 1;
    }

    /// <summary>Writes the 4 bytes of <paramref name="word"/>, a zero after each 0xFF; returns the new position.</summary>
    private static int WriteStuffed(byte[] buffer, int pos, uint word)
    {
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            byte b = (byte)(word >> shift);
            buffer[pos++] = b;
            if (b == JpegMarkers.Prefix)
            {
                buffer[pos++] = 0;
            }
        }

        return pos;
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
            if (b == JpegMarkers.Prefix)
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
