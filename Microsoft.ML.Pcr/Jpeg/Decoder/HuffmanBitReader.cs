using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// The bit reader of Huffman-coded scans: a 64-bit buffer filled a byte at a time with FF 00
/// unstuffing. Like libjpeg's jpeg_fill_bit_buffer it stops at a marker and from then on supplies
/// zero bits; it remembers how many of the buffered bits are such padding so the decoder can tell
/// when an MCU consumed bits past the real data (libjpeg's JWRN_HIT_MARKER and insufficient_data).
/// </summary>
internal ref struct HuffmanBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private ulong _acc;
    private int _bits;
    private int _padBits;
    private bool _consumedPadding;

    // The last position the top-up may read eight bytes from: the bytes up to eight past it hold no FF (no stuffing, no
    // marker), as a scan of whole words ahead found. Only the top-up reads it, and scans again when it is passed; the
    // buffer's other paths test the bytes they read. A stale value is always behind the position (every FF it stopped
    // short of is passed by the byte-at-a-time fill first), so it needs no reset.
    private int _wordLimit;

    /// <summary>Starts reading entropy data where <paramref name="m"/> stands.</summary>
    public HuffmanBitReader(scoped in JpegMarkerReader m)
    {
        _data = m.Data;
        _pos = m.Position;
        UnreadMarker = m.UnreadMarker;
        HitEnd = false;
        _acc = 0;
        _bits = 0;
        _padBits = 0;
        _consumedPadding = false;
        _wordLimit = -1;
    }

    /// <summary>The marker that ended the data, once one was met; 0 before.</summary>
    public int UnreadMarker { get; private set; }

    /// <summary>Whether the input ended inside the entropy data.</summary>
    public bool HitEnd { get; private set; }

    /// <summary>Whether bits past the end of the real data (zero padding) have been consumed.</summary>
    public readonly bool ConsumedPadding => _consumedPadding || _bits < _padBits;

    /// <summary>
    /// For hot loops that keep the bit count in a local: <see cref="ConsumedPadding"/> is exactly
    /// <c>bits &lt; PaddingLimit</c>. It changes only when the buffer is filled (or restarted), so a loop reads it
    /// again after each <see cref="Refill"/>.
    /// </summary>
    public readonly int PaddingLimit => _consumedPadding ? int.MaxValue : _padBits;

    /// <summary>Hands the position and any marker read back to the marker reader.</summary>
    public readonly void SyncTo(scoped ref JpegMarkerReader m)
    {
        m.Position = _pos;
        m.UnreadMarker = UnreadMarker;
        if (HitEnd)
        {
            m.HitEnd = true;
        }
    }

    /// <summary>Restarts after the marker reader processed a restart marker: buffered bits are discarded.</summary>
    public void ResyncFrom(scoped in JpegMarkerReader m)
    {
        _pos = m.Position;
        UnreadMarker = m.UnreadMarker;
        _acc = 0;
        _bits = 0;
        _padBits = 0;
        _consumedPadding = false;
    }

    /// <summary>The bit buffer (valid bits are the low <see cref="Bits"/>), for hot loops that keep it in registers.</summary>
    public readonly ulong Acc => _acc;

    /// <summary>Number of valid bits in <see cref="Acc"/>.</summary>
    public readonly int Bits => _bits;

    /// <summary>Takes back a bit buffer a hot loop worked on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Restore(ulong acc, int bits)
    {
        _acc = acc;
        _bits = bits;
    }

    /// <summary>
    /// Refills a hot loop's bit buffer to at least 57 bits and hands it back (the fields are left as they were: the loop
    /// hands its buffer back with <see cref="Restore"/>). Inline: the common case, eight bytes none of which is FF before
    /// any marker, as <see cref="Fill"/>'s fast path; the rest is a call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (ulong Acc, int Bits) Refill(ulong acc, int bits)
    {
        if (TryRefillFast(ref acc, ref bits))
        {
            return (acc, bits);
        }

        return RefillSlow(acc, bits);
    }

    /// <summary>
    /// <see cref="Refill"/> with the byte-at-a-time path inline too, for a loop that must make no call: a call makes the
    /// JIT keep the loop's values in the few callee-saved registers or on the stack, even when the call is rarely taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (ulong Acc, int Bits) RefillWithoutCall(ulong acc, int bits)
    {
        if (TryRefillFast(ref acc, ref bits))
        {
            return (acc, bits);
        }

        return FillBytes(acc, bits);
    }

    /// <summary>
    /// Tops a hot loop's bit buffer up to 56-63 bits when no marker has been met and the next eight bytes hold no FF (no
    /// stuffing, no marker), which is almost always; otherwise leaves it as it is. The bytes it reads ahead of where a
    /// loop refilling below 32 bits would stand can be given back with <see cref="Unread"/>, so that a loop can top up
    /// at every symbol (no branch on the bit count) and still stand where the refilling one would whenever that matters.
    /// </summary>
    /// <param name="acc">The bit buffer.</param>
    /// <param name="bits">Valid bits in <paramref name="acc"/>, at most 63.</param>
    /// <param name="added">Bits read (a multiple of 8, possibly 0).</param>
    /// <returns>Whether the buffer could be topped up.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTopUp(ref ulong acc, ref int bits, out int added)
    {
        if (_pos > _wordLimit && (UnreadMarker != 0 || !ScanWordsAhead()))
        {
            added = 0;
            return false;
        }

        // Up to 56 + (bits mod 8): whole bytes, so the new count depends on the old one by two bit operations.
        ulong w = BinaryPrimitives.ReverseEndianness(WordAt(_pos));
        int filled = (bits & 7) | 56;
        added = filled - bits;
        _pos += added >> 3;
        acc = (acc << added) | ((w >> 1) >> (63 - added));
        bits = filled;
        return true;
    }

    // Moves the top-up's limit on past up to 32 words without an FF from the position; whether one at least was found.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ScanWordsAhead()
    {
        int at = _pos;
        int last = Math.Min(_data.Length - 8, at + 248);
        while (at <= last && !HoldsFf(WordAt(at)))
        {
            at += 8;
        }

        _wordLimit = at - 8;
        return at != _pos;
    }

    // The eight bytes at pos (at most the data's length - 8), in memory order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ulong WordAt(int pos) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_data), pos));

    // Whether any of the eight bytes of word is FF (in either byte order).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HoldsFf(ulong word)
    {
        ulong inv = ~word;
        return ((inv - 0x0101010101010101UL) & ~inv & 0x8080808080808080UL) != 0;
    }

    /// <summary>Gives back the last <paramref name="count"/> bits read (whole bytes <see cref="TryTopUp"/> read) to the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unread(ref ulong acc, ref int bits, int count)
    {
        acc >>= count;
        bits -= count;
        _pos -= count >> 3;
    }

    // Eight bytes at once when none of them is FF (no stuffing, no marker) before any marker. Before a marker no padding is
    // buffered (_padBits is 0), so FillBytes' padding check has nothing to record.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryRefillFast(ref ulong acc, ref int bits)
    {
        if (UnreadMarker == 0 && bits <= 56 && _pos <= _data.Length - 8)
        {
            ulong w = BinaryPrimitives.ReadUInt64BigEndian(_data.Slice(_pos, 8));
            if (!HoldsFf(w))
            {
                int n = (63 - bits) >> 3;
                _pos += n;
                acc = (acc << (n * 8)) | (w >> (64 - (n * 8)));
                bits += n * 8;
                return true;
            }
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (ulong Acc, int Bits) RefillSlow(ulong acc, int bits) => FillBytes(acc, bits);

    /// <summary>Makes sure at least 32 bits are buffered: enough for a code of up to 16 bits and up to 16 value bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Ensure32()
    {
        if (_bits < 32)
        {
            Fill();
        }
    }

    /// <summary>Decodes one Huffman symbol; call <see cref="Ensure32"/> first.</summary>
    /// <returns>The symbol, or -1 for a bit pattern that matches no code (17 bits consumed, as libjpeg).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecodeSymbol(HuffmanTable t)
    {
        int entry = HuffmanTable.LookaheadEntry(ref MemoryMarshal.GetArrayDataReference(t.Lookup), _acc, _bits);
        if (entry != 0)
        {
            _bits -= entry & 0xFF;
            return entry >> 8;
        }

        return DecodeLong(t);
    }

    /// <summary>Decodes a code longer than the lookahead (or a bad one: -1); at least 17 bits must be buffered.</summary>
    public int DecodeLong(HuffmanTable t) => t.DecodeLong(_acc, ref _bits);

    /// <summary>Reads <paramref name="n"/> (0..16) bits; the caller made sure they are buffered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetBits(int n)
    {
        _bits -= n;
        return (int)(_acc >> _bits) & ((1 << n) - 1);
    }

    /// <summary>Reads one bit, refilling when needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetBit()
    {
        if (_bits < 1)
        {
            Fill();
        }

        _bits--;
        return (int)(_acc >> _bits) & 1;
    }

    /// <summary>Reads <paramref name="n"/> (0..16) bits and sign-extends them as JPEG's EXTEND does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetSigned(int n)
    {
        int r = GetBits(n);
        return r < (1 << (n - 1)) ? r - (1 << n) + 1 : r;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fill() => (_acc, _bits) = RefillWithoutCall(_acc, _bits);

    // A byte at a time, with FF 00 unstuffing, up to at least 57 bits; after a marker, zero bits counted as padding.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (ulong Acc, int Bits) FillBytes(ulong acc, int bits)
    {
        if (bits < _padBits)
        {
            _consumedPadding = true;
            _padBits = bits;
        }

        var data = _data;
        while (bits <= 56)
        {
            if (UnreadMarker != 0)
            {
                // After a marker libjpeg supplies zero bits.
                acc <<= 8;
                bits += 8;
                _padBits += 8;
                continue;
            }

            int c = NextByte(data);
            if (c == JpegMarkers.Prefix)
            {
                // Skip fill FFs; FF 00 is a data FF, anything else is a marker that ends the data.
                do
                {
                    c = NextByte(data);
                }
                while (c == JpegMarkers.Prefix);

                if (c != 0)
                {
                    UnreadMarker = c;
                    continue;
                }

                c = JpegMarkers.Prefix;
            }

            acc = (acc << 8) | (uint)c;
            bits += 8;
        }

        return (acc, bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int NextByte(ReadOnlySpan<byte> data)
    {
        int pos = _pos++;
        if ((uint)pos < (uint)data.Length)
        {
            return data[pos];
        }

        // Past the end libjpeg's stdio source supplies FF D9 (a fake EOI), which ends the data within two bytes.
        HitEnd = true;
        return JpegMarkerReader.ByteAfterEnd(pos, data.Length);
    }
}
