namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Cuts a progressive JPEG into the partial scans a PCR record stores. Partial 1 runs from the
/// start of the file to the end of scan 1's entropy-coded data; partial j from the end of scan
/// j-1 to the end of scan j, so tables defined between scans travel with the scan that follows
/// them. The end of a scan is the position of the first marker after its data that is neither
/// a stuffed <c>FF 00</c> nor a restart marker; fill bytes (<c>FF FF ...</c>) before that marker
/// stay with the scan, as the published converter's cutter (JSK) leaves them. The last end is
/// the position of the EOI marker, which no partial includes.
/// </summary>
public static class JpegScanCutter
{
    /// <summary>
    /// Returns where partial scan <paramref name="scan"/> (1-based) lies in an image with scan ends <paramref name="scanEnds"/>:
    /// <c>[e_(scan-1), e_scan)</c> with <c>e_0 = 0</c>; empty past the image's last scan.
    /// </summary>
    internal static (int Start, int Length) GetPartial(ReadOnlySpan<int> scanEnds, int scan)
    {
        if (scan > scanEnds.Length) return (0, 0);
        int start = scan == 1 ? 0 : scanEnds[scan - 2];
        return (start, scanEnds[scan - 1] - start);
    }

    /// <summary>
    /// Returns, for each scan j (1..n), the position <c>e_j</c> where its entropy-coded data ends;
    /// the last is the position of EOI.
    /// </summary>
    /// <param name="jpeg">A complete JPEG (progressive or sequential).</param>
    /// <param name="sourceName">The file the bytes came from, for error messages.</param>
    /// <exception cref="PcrFormatException">The bytes are not a JPEG, are truncated or malformed, or hold no scan.</exception>
    public static int[] FindScanEnds(ReadOnlySpan<byte> jpeg, string? sourceName = null)
    {
        var ends = new List<int>(16);
        if (jpeg.Length < 4 || jpeg[0] != JpegMarkers.Prefix || jpeg[1] != JpegMarkers.SOI)
            throw new PcrFormatException(jpeg.Length == 0 ? "empty file, not a JPEG" : "not a JPEG (no SOI marker at the start)", sourceName, position: 0);

        int pos = 2;
        while (true)
        {
            int markerStart = SkipToMarker(jpeg, pos, sourceName, out byte marker);
            pos = markerStart + 2;
            if (marker == JpegMarkers.EOI)
            {
                if (ends.Count == 0)
                    throw new PcrFormatException("the JPEG holds no scan", sourceName, position: markerStart);
                ends[^1] = markerStart; // segments between the last scan and EOI travel with the last partial
                return [.. ends];
            }
            if (JpegMarkers.IsStandalone(marker))
            {
                if (marker == JpegMarkers.SOI)
                    throw new PcrFormatException("a second SOI marker", sourceName, position: markerStart);
                continue; // TEM or a stray RSTn between segments: no length field
            }
            if (pos + 2 > jpeg.Length)
                throw new PcrFormatException($"truncated in the length of marker FF {marker:X2}", sourceName, position: pos);
            int length = (jpeg[pos] << 8) | jpeg[pos + 1];
            if (length < 2)
                throw new PcrFormatException($"marker FF {marker:X2} has invalid length {length}", sourceName, position: pos);
            if (pos + length > jpeg.Length)
                throw new PcrFormatException($"marker FF {marker:X2} segment of {length} bytes runs past the end of the data", sourceName, position: markerStart);
            pos += length;
            if (marker == JpegMarkers.SOS)
            {
                pos = SkipEntropyCodedData(jpeg, pos, sourceName);
                ends.Add(pos);
            }
        }
    }

    /// <summary>
    /// From <paramref name="pos"/> (just after an SOS header), returns the position of the marker
    /// that ends the scan: the last FF before the first marker code that is not 00 or RSTn.
    /// </summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> jpeg, int pos, string? sourceName)
    {
        int end = JpegMarkers.EntropyDataEnd(jpeg, pos);
        if (end >= jpeg.Length)
            throw new PcrFormatException("truncated: the data ends inside a scan, with no EOI", sourceName, position: jpeg.Length);
        return end;
    }

    /// <summary>Finds the next marker at or after <paramref name="pos"/>, allowing fill bytes; returns the position of its last FF.</summary>
    private static int SkipToMarker(ReadOnlySpan<byte> jpeg, int pos, string? sourceName, out byte marker)
    {
        if (pos >= jpeg.Length)
            throw new PcrFormatException("truncated: no EOI marker", sourceName, position: pos);
        if (jpeg[pos] != JpegMarkers.Prefix)
            throw new PcrFormatException($"expected a marker, found byte {jpeg[pos]:X2}", sourceName, position: pos);
        while (pos + 1 < jpeg.Length && jpeg[pos + 1] == JpegMarkers.Prefix) pos++;
        if (pos + 1 >= jpeg.Length)
            throw new PcrFormatException("truncated: no EOI marker", sourceName, position: pos);
        marker = jpeg[pos + 1];
        if (marker == JpegMarkers.Stuffed)
            throw new PcrFormatException("invalid marker FF 00 outside entropy-coded data", sourceName, position: pos);
        return pos;
    }
}
