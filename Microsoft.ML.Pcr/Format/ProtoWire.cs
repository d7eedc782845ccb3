namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// The few pieces of the protobuf wire format that the hot paths use directly on spans, so
/// that a scan group's image entries are located without allocating a message per image.
/// </summary>
internal static class ProtoWire
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireStartGroup = 3;
    public const int WireEndGroup = 4;
    public const int WireFixed32 = 5;

    /// <summary>The tag of <c>ScanGroup.image_bytes</c> (field 1, length-delimited).</summary>
    public const byte ImageBytesTag = (1 << 3) | WireLengthDelimited;

    /// <summary>Reads a varint at <paramref name="pos"/>; returns false when it is truncated or longer than 10 bytes.</summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if ((uint)pos >= (uint)data.Length) return false;
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    /// <summary>Skips one field of wire type <paramref name="wireType"/>; returns false on truncated or unknown data.</summary>
    public static bool TrySkipField(ReadOnlySpan<byte> data, ref int pos, int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                return TryReadVarint(data, ref pos, out _);
            case WireFixed64:
                pos += 8;
                return pos <= data.Length;
            case WireFixed32:
                pos += 4;
                return pos <= data.Length;
            case WireLengthDelimited:
                if (!TryReadVarint(data, ref pos, out ulong len) || len > (ulong)(data.Length - pos)) return false;
                pos += (int)len;
                return true;
            default:
                return false; // groups are not used by the PCR messages
        }
    }

    /// <summary>Number of bytes the varint encoding of <paramref name="value"/> takes.</summary>
    public static int VarintSize(ulong value)
    {
        int n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> as a varint at <paramref name="pos"/>.</summary>
    public static void WriteVarint(Span<byte> data, ref int pos, ulong value)
    {
        while (value >= 0x80)
        {
            data[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }
        data[pos++] = (byte)value;
    }
}
