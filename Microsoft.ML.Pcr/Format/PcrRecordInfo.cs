namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// One record of a PCR dataset as the index describes it: its file name, the lengths of its
/// segments (metadata, then scan groups 1..L) and, when this project wrote it, the image count
/// and a CRC-32C of every segment.
/// </summary>
public sealed class PcrRecordInfo
{
    private readonly int[] _segmentLengths;
    private readonly long[] _prefixEnds;
    private readonly uint[]? _crc;

    internal PcrRecordInfo(string name, int[] segmentLengths, uint[]? segmentCrc32C, int imageCount)
    {
        Name = name;
        _segmentLengths = segmentLengths;
        _crc = segmentCrc32C;
        ImageCount = imageCount;
        _prefixEnds = new long[segmentLengths.Length];
        long end = 0;
        for (int i = 0; i < segmentLengths.Length; i++)
        {
            end += segmentLengths[i];
            _prefixEnds[i] = end;
        }
    }

    /// <summary>Gets the record's file name as the index gives it (for example <c>PCR_0.pcr</c>).</summary>
    public string Name { get; }

    /// <summary>Gets L: the number of scan groups stored in the record.</summary>
    public int ScanGroupCount => _segmentLengths.Length - 1;

    /// <summary>
    /// Gets the number of images in the record, or -1 when the index does not store it (datasets of the published converter);
    /// the records of an opened <see cref="PcrDataset"/> always know it.
    /// </summary>
    public int ImageCount { get; }

    /// <summary>Gets the segment lengths: <c>[metadata, scan group 1, ..., scan group L]</c>.</summary>
    public ReadOnlySpan<int> SegmentLengths => _segmentLengths;

    /// <summary>Gets whether the index stores a CRC-32C for every segment of this record.</summary>
    public bool HasChecksums => _crc is not null;

    /// <summary>Gets the length of the whole record (all scan groups).</summary>
    public long Length => _prefixEnds[^1];

    /// <summary>
    /// Returns how many bytes from the start of the record file hold the metadata and scan groups
    /// 1..<paramref name="scan"/>: <c>offsets[0] + ... + offsets[scan]</c>. A scan above
    /// <see cref="ScanGroupCount"/> gives the whole record (its images have no more scans).
    /// </summary>
    /// <param name="scan">The scan group, 0 (metadata only) or more.</param>
    public long GetPrefixLength(int scan)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scan);
        return _prefixEnds[Math.Min(scan, ScanGroupCount)];
    }

    /// <summary>
    /// Returns how many bytes a pass over <paramref name="records"/> at scan group <paramref name="scan"/> reads: the sum of their
    /// <see cref="GetPrefixLength(int)"/>.
    /// </summary>
    /// <param name="records">The records.</param>
    /// <param name="scan">The scan group, 0 (metadata only) or more.</param>
    public static long SumPrefixLengths(IEnumerable<PcrRecordInfo> records, int scan)
    {
        ArgumentNullException.ThrowIfNull(records);
        long total = 0;
        foreach (PcrRecordInfo r in records) total += r.GetPrefixLength(scan);
        return total;
    }

    /// <summary>Gets the CRC-32C of segment <paramref name="segment"/> (0 = metadata), when stored.</summary>
    internal bool TryGetCrc(int segment, out uint crc)
    {
        crc = _crc is null ? 0 : _crc[segment];
        return _crc is not null;
    }

    internal int[] SegmentLengthArray => _segmentLengths;

    /// <summary>The same layout under another file name.</summary>
    internal PcrRecordInfo WithName(string name) => new(name, _segmentLengths, _crc, ImageCount);

    /// <summary>The same record with its image count known (read from its metadata).</summary>
    internal PcrRecordInfo WithImageCount(int imageCount) => imageCount == ImageCount ? this : new(Name, _segmentLengths, _crc, imageCount);

    internal uint[]? Crc32CArray => _crc;

    /// <summary>Whether two index entries for the same record agree (the published converter lists each record once per scan group).</summary>
    internal bool SameLayout(PcrRecordInfo other) =>
        _segmentLengths.AsSpan().SequenceEqual(other._segmentLengths)
        && (_crc is null || other._crc is null || _crc.AsSpan().SequenceEqual(other._crc))
        && (ImageCount < 0 || other.ImageCount < 0 || ImageCount == other.ImageCount);
}
