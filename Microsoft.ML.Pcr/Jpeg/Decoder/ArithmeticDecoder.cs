using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// The binary arithmetic decoder of JPEG (ITU-T T.81 Annex D) with libjpeg's register layout
/// (jdarith.c): C holds the code base and the input bit buffer, A the interval, CT the bit counter.
/// A marker, or the end of the input, ends the data and from then on zero bytes are fed in.
/// </summary>
internal ref struct ArithmeticDecoder
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private long _c;
    private long _a;

    /// <summary>Starts decoding where <paramref name="m"/> stands.</summary>
    public ArithmeticDecoder(scoped in JpegMarkerReader m)
    {
        _data = m.Data;
        _pos = m.Position;
        UnreadMarker = m.UnreadMarker;
        HitEnd = false;
        _c = 0;
        _a = 0;
        Ct = -16;
    }

    /// <summary>libjpeg's CT; -1 flags a decoding error that makes the rest of the segment be skipped.</summary>
    public int Ct { get; set; }

    /// <summary>The marker that ended the data, once one was met; 0 before.</summary>
    public int UnreadMarker { get; private set; }

    /// <summary>Whether the input ended inside the entropy data.</summary>
    public bool HitEnd { get; private set; }

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

    /// <summary>Restarts the coder after the marker reader processed a restart marker.</summary>
    public void ResyncFrom(scoped in JpegMarkerReader m)
    {
        _pos = m.Position;
        UnreadMarker = m.UnreadMarker;
        _c = 0;
        _a = 0;
        Ct = -16; // forces reading two bytes into C
        FillBytes = 0;
    }

    /// <summary>Decodes one binary decision with the adaptive state <paramref name="st"/>, updating it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Decode(ref byte st)
    {
        while (_a < 0x8000)
        {
            if (--Ct < 0)
            {
                Shift();
            }

            _a <<= 1;
        }

        int sv = st;
        int qe = ArithmeticTables.States[sv & 0x7F];
        int nl = qe & 0xFF;
        int nm = (qe >> 8) & 0xFF;
        qe >>= 16;

        long temp = _a - qe;
        _a = temp;
        temp <<= Ct;
        if (_c >= temp)
        {
            _c -= temp;
            if (_a < qe)
            {
                _a = qe;
                st = (byte)((sv & 0x80) ^ nm); // conditional exchange: MPS after all
            }
            else
            {
                _a = qe;
                st = (byte)((sv & 0x80) ^ nl);
                sv ^= 0x80;
            }
        }
        else if (_a < 0x8000)
        {
            if (_a < qe)
            {
                st = (byte)((sv & 0x80) ^ nl);
                sv ^= 0x80;
            }
            else
            {
                st = (byte)((sv & 0x80) ^ nm);
            }
        }

        return sv >> 7;
    }

    private void Shift()
    {
        int data = 0;
        if (UnreadMarker != 0)
        {
            FillBytes++;
        }
        else
        {
            data = NextByte();
            if (data == JpegMarkers.Prefix)
            {
                do
                {
                    data = NextByte();
                }
                while (data == JpegMarkers.Prefix);

                if (data == 0)
                {
                    data = JpegMarkers.Prefix; // FF 00 is a stuffed data FF
                }
                else
                {
                    SetMarker(data);
                    data = 0;
                }
            }
        }

        _c = (_c << 8) | (uint)data;
        if ((Ct += 8) < 0 && ++Ct == 0)
        {
            // Still reading the two initial bytes: this sets A to 0x10000 after the caller's shift.
            _a = 0x8000;
        }
    }

    /// <summary>
    /// Zero bytes supplied since the marker that ended the data (libjpeg feeds zeros there). A whole scan needs only
    /// the few the encoder left out of its final flush (jcarith.c drops trailing zero bytes), so many more mean the
    /// scan's data is missing and what is decoded comes from the zeros alone.
    /// </summary>
    public int FillBytes { get; private set; }

    private void SetMarker(int code) => UnreadMarker = code;

    private int NextByte()
    {
        int pos = _pos++;
        if ((uint)pos < (uint)_data.Length)
        {
            return _data[pos];
        }

        // Past the end libjpeg's stdio source supplies FF D9 (a fake EOI), which ends the data within two bytes.
        HitEnd = true;
        return JpegMarkerReader.ByteAfterEnd(pos, _data.Length);
    }
}
