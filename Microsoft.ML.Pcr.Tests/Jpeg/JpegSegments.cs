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

    /// <summary>
    /// Positions of the marker that follows each scan's entropy-coded data, found by walking the file's markers
    /// (an oracle independent of the library's scan cutter and writer).
    /// </summary>
    public static int[] ScanEnds(byte[] jpeg)
    {
        var ends = new List<int>();
        int p = 2;
        while (p + 1 < jpeg.Length)
        {
            if (jpeg[p] != 0xFF) throw new InvalidDataException($"marker expected at {p}");
            int m = jpeg[p + 1];
            if (m == 0xFF) { p++; continue; }
            if (m == 0xD9) break;
            p += 2 + ((jpeg[p + 2] << 8) | jpeg[p + 3]);
            if (m != 0xDA) continue;

            // Entropy data: 0xFF is followed by 0x00 (stuffing), RSTn or fill 0xFF; anything else is the next marker.
            while (!(jpeg[p] == 0xFF && jpeg[p + 1] != 0 && jpeg[p + 1] != 0xFF && (jpeg[p + 1] < 0xD0 || jpeg[p + 1] > 0xD7))) p++;
            ends.Add(p);
        }
        return [.. ends];
    }
}
