namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>Finds marker segments in a well-formed test JPEG (up to and including the first SOS) to forge them.</summary>
internal static class JpegSegments
{
    /// <summary>Offsets of the FF byte of each segment marker before the first scan's data, with the marker code.</summary>
    public static List<(int Offset, int Marker)> List(byte[] jpeg)
    {
        var result = new List<(int, int)>();
        int pos = 2;
        while (pos + 4 <= jpeg.Length)
        {
            if (jpeg[pos] != 0xFF)
            {
                break;
            }

            int marker = jpeg[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }

            result.Add((pos, marker));
            if (marker == 0xDA)
            {
                break;
            }

            pos += 2 + ((jpeg[pos + 2] << 8) | jpeg[pos + 3]);
        }

        return result;
    }

    /// <summary>Offset of the FF of the first segment with <paramref name="marker"/>.</summary>
    public static int Find(byte[] jpeg, int marker)
    {
        foreach (var (offset, m) in List(jpeg))
        {
            if (m == marker)
            {
                return offset;
            }
        }

        throw new InvalidOperationException($"marker 0x{marker:X2} not found");
    }
}
