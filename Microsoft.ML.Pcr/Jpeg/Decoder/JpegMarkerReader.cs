using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Walks the byte stream of a JPEG the way libjpeg's marker reader (jdmarker.c) and its stdio data
/// source do: it finds markers, reads segment parameters, and handles restart markers inside
/// entropy-coded data, including libjpeg's resynchronisation rules for damaged files.
/// </summary>
/// <remarks>
/// The end of the input behaves like libjpeg's stdio source at end of file: it reads as a fake EOI
/// marker (and sets <see cref="HitEnd"/>), so a truncated file ends its scan with zero-filled data
/// exactly as jpegtran does. A marker segment that runs past the end reads the endless FF D9 FF D9 ...
/// that the stdio source supplies, so the outcome is jpegtran's: an error from the segment's own
/// checks (whose message then says the data ended), or an end of image (for example a sequential
/// file cut inside its SOS header still yields an all-zero image, as jpegtran's does).
/// </remarks>
internal ref struct JpegMarkerReader
{
    /// <summary>The marker code libjpeg uses for EOI; also what the end of the input reads as.</summary>
    public const int Eoi = JpegMarkers.EOI;

    /// <summary>The marker code of RST0 (RST1..RST7 follow).</summary>
    public const int Rst0 = JpegMarkers.RST0;

    private readonly ReadOnlySpan<byte> _data;
    private readonly string? _source;

    /// <summary>Creates a reader over a whole JPEG.</summary>
    public JpegMarkerReader(ReadOnlySpan<byte> data, string? source)
    {
        _data = data;
        _source = source;
        Position = 0;
        UnreadMarker = 0;
        HitEnd = false;
    }

    /// <summary>The whole input.</summary>
    public readonly ReadOnlySpan<byte> Data => _data;

    /// <summary>Index of the next unread byte.</summary>
    public int Position { get; set; }

    /// <summary>
    /// libjpeg's <c>unread_marker</c>: a marker already read (by the entropy decoder or a resync) but
    /// not yet processed; 0 when none.
    /// </summary>
    public int UnreadMarker { get; set; }

    /// <summary>Whether the end of the input was reached where more data was needed (libjpeg's JWRN_JPEG_EOF).</summary>
    public bool HitEnd { get; set; }

    /// <summary>Throws the project's format exception naming the source and <paramref name="position"/>.</summary>
    public readonly PcrFormatException Fail(string reason, int position) =>
        new(HitEnd ? reason + " (the data runs past the end inside a marker segment)" : reason, file: _source, position: position);

    /// <summary>Throws the project's format exception at the current position.</summary>
    public readonly PcrFormatException Fail(string reason) => Fail(reason, Position);

    /// <summary>Requires the input to start with SOI (FF D8), as libjpeg's first_marker does.</summary>
    public void ReadFirstMarker()
    {
        if (_data.Length == 0)
        {
            throw Fail("empty input, not a JPEG", 0);
        }

        if (_data.Length < 2 || _data[0] != JpegMarkers.Prefix || _data[1] != JpegMarkers.SOI)
        {
            throw Fail("not a JPEG file: it does not start with an SOI marker (FF D8)", 0);
        }

        Position = 2;
    }

    /// <summary>
    /// libjpeg's next_marker: skips any bytes up to an FF, swallows fill FFs and stuffed FF 00 pairs,
    /// and returns the marker code. The end of the input returns <see cref="Eoi"/>.
    /// </summary>
    /// <param name="discarded">Set to the number of garbage bytes skipped (libjpeg warns about them).</param>
    public int NextMarker(out int discarded)
    {
        discarded = 0;
        var data = _data;
        int pos = Position;
        while (true)
        {
            while (pos < data.Length && data[pos] != JpegMarkers.Prefix)
            {
                pos++;
                discarded++;
            }

            // Swallow the FF and any fill FFs after it.
            while (pos < data.Length && data[pos] == JpegMarkers.Prefix)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                // libjpeg's stdio source inserts a fake EOI at end of file.
                Position = pos;
                HitEnd = true;
                return Eoi;
            }

            int c = data[pos++];
            if (c != 0)
            {
                Position = pos;
                return c;
            }

            // FF 00 is stuffed data, not a marker: discard it and keep looking.
            discarded += 2;
        }
    }

    /// <summary>Reads one byte of marker parameters (past the end: see the remarks on the type).</summary>
    public int ReadByte()
    {
        int pos = Position;
        if ((uint)pos < (uint)_data.Length)
        {
            Position = pos + 1;
            return _data[pos];
        }

        HitEnd = true;
        Position = pos + 1;
        return ByteAfterEnd(pos, _data.Length);
    }

    /// <summary>
    /// The byte libjpeg's stdio source supplies at <paramref name="pos"/> past the end of a
    /// <paramref name="length"/>-byte input: endless FF D9 pairs, aligned on the real end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ByteAfterEnd(int pos, int length) => ((pos - length) & 1) == 0 ? JpegMarkers.Prefix : Eoi;

    /// <summary>Reads a big-endian 16-bit value of marker parameters.</summary>
    public int ReadUInt16()
    {
        int hi = ReadByte();
        return (hi << 8) | ReadByte();
    }

    /// <summary>Skips <paramref name="count"/> bytes of a segment (nothing when count is not positive, as libjpeg).</summary>
    public void Skip(int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (count > _data.Length - Position)
        {
            HitEnd = true;
        }

        // Positions past the end stay small: count is at most 65535.
        Position += count;
    }

    /// <summary>
    /// libjpeg's read_restart_marker: expects RSTn with n = <paramref name="nextRestartNum"/> and, when
    /// another marker comes instead, applies jpeg_resync_to_restart's rules. Advances the counter.
    /// </summary>
    /// <param name="nextRestartNum">The expected restart number (0..7); advanced modulo 8.</param>
    /// <param name="warnings">Where the corruption warnings go.</param>
    public void ReadRestartMarker(ref int nextRestartNum, JpegWarnings warnings)
    {
        if (UnreadMarker == 0)
        {
            UnreadMarker = NextMarker(out int discarded);
            if (discarded != 0)
            {
                warnings.Add(JpegWarnings.ExtraneousBytes);
            }
        }

        if (UnreadMarker == Rst0 + nextRestartNum)
        {
            UnreadMarker = 0;
        }
        else
        {
            Resync(nextRestartNum, warnings);
        }

        nextRestartNum = (nextRestartNum + 1) & 7;
    }

    /// <summary>
    /// libjpeg's default jpeg_resync_to_restart: discard the marker (1), scan forward to the next
    /// marker (2), or leave it unread so the decoder fills an empty segment with zeros (3).
    /// </summary>
    private void Resync(int desired, JpegWarnings warnings)
    {
        warnings.Add(JpegWarnings.MissingRestartMarker);
        int marker = UnreadMarker;
        while (true)
        {
            int action;
            if (marker < JpegMarkers.SOF0)
            {
                action = 2;
            }
            else if (marker < Rst0 || marker > Rst0 + 7)
            {
                action = 3;
            }
            else if (marker == Rst0 + ((desired + 1) & 7) || marker == Rst0 + ((desired + 2) & 7))
            {
                action = 3;
            }
            else if (marker == Rst0 + ((desired - 1) & 7) || marker == Rst0 + ((desired - 2) & 7))
            {
                action = 2;
            }
            else
            {
                action = 1;
            }

            switch (action)
            {
                case 1:
                    UnreadMarker = 0;
                    return;
                case 2:
                    // NextMarker always advances or reaches the end, which reads as EOI (action 3).
                    marker = NextMarker(out _);
                    UnreadMarker = marker;
                    break;
                default:
                    return;
            }
        }
    }
}
