using System.Buffers;
using Google.Protobuf;
using Microsoft.ML.Pcr.Format.Proto;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// The first scan groups of one record, read in one piece and parsed in place: labels, paths and,
/// for every image, where its partial scans lie in the read buffer. An image's bytes are copied
/// once, from that buffer into the caller's destination. Owns a pooled buffer: dispose it.
/// </summary>
public sealed class PcrRecordPrefix : IDisposable
{
    private byte[]? _buffer;
    private int[]? _partials; // [image][scan] -> (start, length) pairs, scans 1..Scan
    private readonly int[] _labels;
    private readonly string[]? _paths;

    private PcrRecordPrefix(PcrRecordInfo record, int scan, byte[] buffer, int length, int[] labels, string[]? paths, int[] partials)
    {
        Record = record;
        Scan = scan;
        _buffer = buffer;
        BytesRead = length;
        _labels = labels;
        _paths = paths;
        _partials = partials;
    }

    /// <summary>Gets the record this prefix belongs to.</summary>
    public PcrRecordInfo Record { get; }

    /// <summary>Gets the scan group the images are at (at most the record's <see cref="PcrRecordInfo.ScanGroupCount"/>).</summary>
    public int Scan { get; }

    /// <summary>Gets the number of bytes read from the record file.</summary>
    public long BytesRead { get; }

    /// <summary>Gets the number of images in the record.</summary>
    public int ImageCount => _labels.Length;

    /// <summary>Gets the 0-based class label of image <paramref name="image"/>.</summary>
    public int GetLabel(int image) => _labels[image];

    /// <summary>Gets the original path (relative to the ImageFolder root) of image <paramref name="image"/>, or <see langword="null"/> when not stored.</summary>
    public string? GetRelativePath(int image) => _paths?[image];

    /// <summary>Gets the length of image <paramref name="image"/>'s JPEG at scan group <see cref="Scan"/>, EOI included.</summary>
    public int GetImageLength(int image) => GetImageLength(image, Scan);

    /// <summary>
    /// Gets the length of image <paramref name="image"/>'s JPEG at scan group <paramref name="scan"/> (1..<see cref="Scan"/>:
    /// a prefix read at one scan group holds the images at every lower one too; a whole record also answers for higher
    /// scan groups, with its images whole), EOI included.
    /// </summary>
    public int GetImageLength(int image, int scan)
    {
        ReadOnlySpan<int> parts = Partials(image, scan);
        int total = 0;
        for (int j = 0; j < parts.Length; j += 2) total += parts[j + 1];
        return total + (EndsWithEoi(parts) ? 0 : 2);
    }

    /// <summary>
    /// Writes image <paramref name="image"/>'s JPEG at scan group <see cref="Scan"/> (its first partial scans,
    /// then an EOI marker if they do not end with one) into <paramref name="destination"/>.
    /// </summary>
    /// <returns>The number of bytes written, <see cref="GetImageLength(int)"/>.</returns>
    public int CopyImage(int image, Span<byte> destination) => CopyImage(image, Scan, destination);

    /// <summary>
    /// Writes image <paramref name="image"/>'s JPEG at scan group <paramref name="scan"/> (1..<see cref="Scan"/>) into
    /// <paramref name="destination"/>: its partial scans up to that scan group, then an EOI marker if they do not end with one.
    /// This is the one place an image at a scan group is assembled; a read at <paramref name="scan"/> gives the same bytes.
    /// </summary>
    /// <returns>The number of bytes written, <see cref="GetImageLength(int, int)"/>.</returns>
    public int CopyImage(int image, int scan, Span<byte> destination)
    {
        ReadOnlySpan<int> parts = Partials(image, scan);
        ReadOnlySpan<byte> buffer = Buffer;
        int pos = 0;
        for (int j = 0; j < parts.Length; j += 2)
        {
            buffer.Slice(parts[j], parts[j + 1]).CopyTo(destination[pos..]);
            pos += parts[j + 1];
        }
        if (!EndsWithEoi(parts))
        {
            destination[pos++] = JpegMarkers.Prefix;
            destination[pos++] = JpegMarkers.EOI;
        }
        return pos;
    }

    /// <summary>Returns image <paramref name="image"/>'s JPEG at scan group <see cref="Scan"/> as a new array.</summary>
    public byte[] GetImage(int image) => GetImage(image, Scan);

    /// <summary>Returns image <paramref name="image"/>'s JPEG at scan group <paramref name="scan"/> (1..<see cref="Scan"/>) as a new array.</summary>
    public byte[] GetImage(int image, int scan)
    {
        var bytes = new byte[GetImageLength(image, scan)];
        CopyImage(image, scan, bytes);
        return bytes;
    }

    /// <summary>
    /// Gets how many JPEG scans image <paramref name="image"/>'s JPEG holds at scan group <see cref="Scan"/>: its
    /// non-empty partials up to that scan group (an image with fewer scans than the record's scan groups stops early).
    /// </summary>
    public int GetScanCount(int image)
    {
        ReadOnlySpan<int> parts = Partials(image, Scan);
        int n = 0;
        for (int j = 0; j < parts.Length; j += 2) if (parts[j + 1] > 0) n++;
        return n;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_buffer is { } b) ArrayPool<byte>.Shared.Return(b);
        if (_partials is { } p) ArrayPool<int>.Shared.Return(p);
        _buffer = null;
        _partials = null;
    }

    private ReadOnlySpan<byte> Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PcrRecordPrefix));

    private ReadOnlySpan<int> Partials(int image, int scan)
    {
        int[] p = _partials ?? throw new ObjectDisposedException(nameof(PcrRecordPrefix));
        ArgumentOutOfRangeException.ThrowIfNegative(image);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(image, ImageCount);
        // A whole record (fewer scan groups than the dataset) gives its images whole at any higher scan group, as a read does.
        if (scan > Scan && Scan == Record.ScanGroupCount) scan = Scan;
        if (scan < 1 || scan > Scan)
            throw new ArgumentOutOfRangeException(nameof(scan), scan, $"The scan group must be between 1 and {Scan}, the scan group this prefix was read at.");
        return p.AsSpan(image * Scan * 2, scan * 2);
    }

    private bool EndsWithEoi(ReadOnlySpan<int> parts)
    {
        // The last two bytes of the concatenation, which may straddle partials.
        ReadOnlySpan<byte> buffer = Buffer;
        int last = -1, previous = -1;
        for (int j = parts.Length - 2; j >= 0 && previous < 0; j -= 2)
        {
            for (int i = parts[j + 1] - 1; i >= 0 && previous < 0; i--)
            {
                byte b = buffer[parts[j] + i];
                if (last < 0) last = b; else previous = b;
            }
        }
        return previous == JpegMarkers.Prefix && last == JpegMarkers.EOI;
    }

    /// <summary>
    /// Parses a prefix that holds the metadata and scan groups 1..<paramref name="scan"/> of
    /// <paramref name="record"/>. Takes ownership of <paramref name="buffer"/> (a pooled array).
    /// </summary>
    internal static PcrRecordPrefix Parse(PcrRecordInfo record, int scan, byte[] buffer, int length, bool verifyChecksums, string file)
    {
        try
        {
            return ParseCore(record, scan, buffer, length, verifyChecksums, file);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static PcrRecordPrefix ParseCore(PcrRecordInfo record, int scan, byte[] buffer, int length, bool verifyChecksums, string file)
    {
        ReadOnlySpan<int> lengths = record.SegmentLengths;
        if (length != record.GetPrefixLength(scan))
            throw new PcrFormatException($"the file ends after {length} bytes, but scan group {scan} ends at byte {record.GetPrefixLength(scan)}", file, record.Name);

        ReadOnlySpan<byte> data = buffer.AsSpan(0, length);
        if (verifyChecksums && record.HasChecksums)
        {
            int start = 0;
            for (int s = 0; s <= scan; s++)
            {
                record.TryGetCrc(s, out uint expected);
                uint actual = Crc32C.Compute(data.Slice(start, lengths[s]));
                if (actual != expected)
                    throw new PcrFormatException(
                        $"CRC-32C mismatch in {(s == 0 ? "the metadata" : $"scan group {s}")} (bytes {start}..{start + lengths[s]}): stored {expected:x8}, computed {actual:x8}",
                        file, record.Name, start);
                start += lengths[s];
            }
        }

        MetadataRecord meta;
        try
        {
            meta = MetadataRecord.Parser.ParseFrom(data[..lengths[0]]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new PcrFormatException($"the metadata is not a valid MetadataRecord ({e.Message})", file, record.Name, 0, e);
        }
        ValidateMetadata(meta, record, file);

        int images = meta.Labels.Count;
        int[] labels = [.. meta.Labels];
        string[]? paths = meta.RelativePaths.Count == images && images > 0 ? [.. meta.RelativePaths] : null;

        int[] partials = ArrayPool<int>.Shared.Rent(Math.Max(1, images * scan * 2));
        try
        {
            int segmentStart = lengths[0];
            for (int s = 1; s <= scan; s++)
            {
                ReadScanGroup(data.Slice(segmentStart, lengths[s]), segmentStart, s, scan, images, partials, record, file);
                segmentStart += lengths[s];
            }
            for (int i = 0; i < images && scan > 0; i++)
            {
                if (partials[i * scan * 2 + 1] == 0)
                    throw new PcrFormatException($"image {i} has an empty first scan (no JPEG header)", file, record.Name);
            }
        }
        catch
        {
            ArrayPool<int>.Shared.Return(partials);
            throw;
        }
        return new PcrRecordPrefix(record, scan, buffer, length, labels, paths, partials);
    }

    private static void ValidateMetadata(MetadataRecord meta, PcrRecordInfo record, string file)
    {
        if (meta.Version == 2)
            throw new PcrFormatException("record version 2 (raw concatenated scan groups) is not supported; convert the dataset with version 1 (ScanGroup messages)", file, record.Name);
        if (meta.Version is not (0 or 1))
            throw new PcrFormatException($"unknown record version {meta.Version}", file, record.Name);
        if (meta.ProgressiveLevels != record.ScanGroupCount)
            throw new PcrFormatException($"the metadata says {meta.ProgressiveLevels} scan groups, the index lists {record.ScanGroupCount}", file, record.Name);
        if (record.ImageCount >= 0 && meta.Labels.Count != record.ImageCount)
            throw new PcrFormatException($"the metadata has {meta.Labels.Count} labels, the index says {record.ImageCount} images", file, record.Name);
        if (meta.RelativePaths.Count != 0 && meta.RelativePaths.Count != meta.Labels.Count)
            throw new PcrFormatException($"{meta.RelativePaths.Count} paths for {meta.Labels.Count} images", file, record.Name);
        for (int i = 0; i < meta.Labels.Count; i++)
        {
            if (meta.Labels[i] < 0)
                throw new PcrFormatException($"image {i} has negative label {meta.Labels[i]}", file, record.Name);
        }
    }

    // A ScanGroup holds exactly one image_bytes entry per image; other fields are skipped.
    private static void ReadScanGroup(ReadOnlySpan<byte> segment, int segmentStart, int s, int scan, int images, int[] partials, PcrRecordInfo record, string file)
    {
        int pos = 0, entry = 0;
        while (pos < segment.Length)
        {
            int tagPos = pos;
            if (!ProtoWire.TryReadVarint(segment, ref pos, out ulong tag))
                throw new PcrFormatException($"scan group {s} is truncated", file, record.Name, segmentStart + tagPos);
            int wireType = (int)(tag & 7);
            if (tag >> 3 == 1 && wireType == ProtoWire.WireLengthDelimited)
            {
                if (!ProtoWire.TryReadVarint(segment, ref pos, out ulong len) || len > (ulong)(segment.Length - pos))
                    throw new PcrFormatException($"scan group {s}: image entry {entry} runs past the end of the segment", file, record.Name, segmentStart + tagPos);
                if (entry >= images)
                    throw new PcrFormatException($"scan group {s} has more entries than the record's {images} images", file, record.Name, segmentStart + tagPos);
                int at = (entry * scan + (s - 1)) * 2;
                partials[at] = segmentStart + pos;
                partials[at + 1] = (int)len;
                pos += (int)len;
                entry++;
            }
            else if (!ProtoWire.TrySkipField(segment, ref pos, wireType))
            {
                throw new PcrFormatException($"scan group {s} holds a malformed field", file, record.Name, segmentStart + tagPos);
            }
        }
        if (entry != images)
            throw new PcrFormatException($"scan group {s} has {entry} entries for {images} images", file, record.Name, segmentStart);
    }
}
