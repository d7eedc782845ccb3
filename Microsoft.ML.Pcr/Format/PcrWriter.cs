using System.Buffers;
using Google.Protobuf;
using Microsoft.ML.Pcr.Format.Proto;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// Writes a PCR dataset: record files <c>PCR_&lt;n&gt;.pcr</c> and the index <c>PCR_index.pb</c>,
/// readable by the published tooling, with this project's extensions (class names, image counts,
/// relative paths, CRC-32C of every segment, a checksum of the index). Records are written under temporary names and
/// renamed into place by <see cref="Complete"/>, index last, so an interrupted write never leaves something that looks
/// like a complete dataset. A writer holds a lock file (<c>.pcr-writer.lock</c>) in its directory from construction to
/// <see cref="Dispose"/>, so a second writer into the same directory is refused at once; the lock of a writer that was
/// killed is taken over. <see cref="WriteRecord"/> may be called from several threads.
/// </summary>
public sealed class PcrWriter : IDisposable
{
    internal const string PartialSuffix = ".partial";
    private const string WriterName = "Pcr.MLNet";

    private readonly string _directory;
    private readonly string[] _classNames;
    private readonly PcrWriterOptions _options;
    private readonly SortedDictionary<int, PcrRecordInfo> _records = [];
    private readonly List<PcrImageEntry> _pending = [];
    private readonly Lock _lock = new();
    private readonly PcrWriterLock _directoryLock;
    private bool _completed;
    private bool _disposed;

    /// <summary>Creates a writer into <paramref name="directory"/> (created if absent).</summary>
    /// <param name="directory">The output directory.</param>
    /// <param name="classNames">The class name of every label, label i at position i.</param>
    /// <param name="options">Writer options; null for defaults.</param>
    /// <exception cref="IOException">
    /// Another writer is writing into the directory; or <see cref="PcrWriterOptions.Overwrite"/> is false and the directory already
    /// holds a PCR dataset or the temporary files of an interrupted write.
    /// </exception>
    public PcrWriter(string directory, IReadOnlyList<string> classNames, PcrWriterOptions? options = null)
        : this(directory, classNames, options, heldLock: null)
    {
    }

    /// <summary>Creates a writer; with <paramref name="heldLock"/>, on a directory its caller has locked and checked already.</summary>
    internal PcrWriter(string directory, IReadOnlyList<string> classNames, PcrWriterOptions? options, PcrWriterLock? heldLock)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(classNames);
        _options = options ?? new PcrWriterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ImagesPerRecord, 1, "options.ImagesPerRecord");
        _directory = Path.GetFullPath(directory);
        _classNames = [.. classNames];
        if (_classNames.Length > PcrDataset.MaxClassCount)
            throw new ArgumentOutOfRangeException(nameof(classNames), _classNames.Length, $"A dataset may have at most {PcrDataset.MaxClassCount} classes.");
        if (heldLock is null) System.IO.Directory.CreateDirectory(_directory);
        _directoryLock = heldLock ?? PcrWriterLock.Acquire(_directory);
        try
        {
            if (heldLock is null && !_options.Overwrite)
            {
                if (File.Exists(Path.Combine(_directory, PcrIndex.FileName)))
                    throw new IOException($"'{_directory}' already holds a PCR dataset; set PcrWriterOptions.Overwrite to replace it.");
                string[] leftovers = FindTemporaryFiles(_directory);
                if (leftovers.Length > 0)
                    throw new IOException($"An earlier write into '{_directory}' was interrupted: it left {DescribeFiles(leftovers)}; set PcrWriterOptions.Overwrite to remove them and write.");
            }
            // Nothing else writes here while the lock is held: every temporary file is a leftover of an interrupted write.
            if (_options.Overwrite) RemoveTemporaryFiles(_directory);
        }
        catch
        {
            _directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>Gets the output directory.</summary>
    public string OutputDirectory => _directory;

    /// <summary>
    /// Writes the record with sequence number <paramref name="recordNumber"/> holding <paramref name="images"/>
    /// in the given order. Thread-safe; each number may be written once. Records are named <c>PCR_0.pcr</c>,
    /// <c>PCR_1.pcr</c>, ... by ascending sequence number when the dataset completes, so numbers may have gaps
    /// (for example a batch whose every image was skipped).
    /// </summary>
    /// <param name="recordNumber">The record's sequence number, 0 or more.</param>
    /// <param name="images">The record's images, at least one.</param>
    /// <returns>The record's layout (its final name is given by <see cref="Complete"/>).</returns>
    /// <exception cref="PcrFormatException">An image is not a valid progressive JPEG.</exception>
    public PcrRecordInfo WriteRecord(int recordNumber, IReadOnlyList<PcrImageEntry> images)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordNumber);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("A record needs at least one image.", nameof(images));
        ThrowIfDone();

        string name = TemporaryName(recordNumber);
        lock (_lock)
        {
            if (_records.ContainsKey(recordNumber))
                throw new InvalidOperationException($"Record {recordNumber} was already written.");
            _records[recordNumber] = null!; // reserve the number while writing outside the lock
        }
        try
        {
            PcrRecordInfo info = RecordSerializer.Write(Path.Combine(_directory, name), name, images, _classNames.Length, _options.StoreRelativePaths);
            lock (_lock) _records[recordNumber] = info;
            return info;
        }
        catch
        {
            lock (_lock) _records.Remove(recordNumber);
            throw;
        }
    }

    /// <summary>
    /// Adds one image; every <see cref="PcrWriterOptions.ImagesPerRecord"/> images make a record.
    /// Not for use together with concurrent <see cref="WriteRecord"/> calls.
    /// </summary>
    /// <param name="image">The image; its bytes must stay valid until its record is written.</param>
    public void Add(PcrImageEntry image)
    {
        ThrowIfDone();
        _pending.Add(image);
        if (_pending.Count == _options.ImagesPerRecord) FlushPending();
    }

    /// <summary>
    /// Writes the remaining images, the index, and renames everything into place, replacing a
    /// previous dataset when <see cref="PcrWriterOptions.Overwrite"/> is set.
    /// </summary>
    /// <returns>The index of the dataset written.</returns>
    /// <exception cref="InvalidOperationException">No image was written.</exception>
    public PcrIndex Complete()
    {
        ThrowIfDone();
        if (_pending.Count > 0) FlushPending();
        if (_records.Count == 0) throw new InvalidOperationException("No image was written; a PCR dataset needs at least one.");

        // Final names PCR_0, PCR_1, ... by ascending sequence number.
        var temporary = new List<string>(_records.Count);
        var records = new List<PcrRecordInfo>(_records.Count);
        foreach (PcrRecordInfo r in _records.Values)
        {
            temporary.Add(r.Name);
            records.Add(r.WithName(PcrIndex.GetRecordFileName(records.Count)));
        }
        var index = new PcrIndex(records, _classNames, PcrIndex.CurrentFormatVersion, WriterName, _options.StoreRelativePaths,
            _options.ConversionFingerprint, isChecksummed: true);
        string indexPath = Path.Combine(_directory, PcrIndex.FileName);
        File.WriteAllBytes(indexPath + PartialSuffix, index.ToBytes());

        RemovePreviousDataset(indexPath);
        for (int i = 0; i < records.Count; i++)
            File.Move(Path.Combine(_directory, temporary[i]), Path.Combine(_directory, records[i].Name), overwrite: true);
        File.Move(indexPath + PartialSuffix, indexPath, overwrite: true);
        _completed = true;
        return index;
    }

    /// <summary>
    /// Deletes every temporary file of this project's naming in the directory (this write's, when it did not complete, and those an
    /// interrupted earlier write left), and releases the directory's lock. A completed dataset is left as it is.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            RemoveTemporaryFiles(_directory);
        }
        finally
        {
            _directoryLock.Dispose();
        }
    }

    /// <summary>Lists the temporary files of this project's naming (<c>PCR_*.partial</c>: records and index being written) in <paramref name="directory"/>.</summary>
    internal static string[] FindTemporaryFiles(string directory) =>
        System.IO.Directory.Exists(directory) ? [.. System.IO.Directory.EnumerateFiles(directory, "PCR_*" + PartialSuffix).Order(StringComparer.Ordinal)] : [];

    /// <summary>Says which files <paramref name="paths"/> are, for messages: their count and the first few names.</summary>
    internal static string DescribeFiles(IReadOnlyList<string> paths)
    {
        const int Shown = 3;
        string names = string.Join(", ", paths.Take(Shown).Select(Path.GetFileName));
        return paths.Count == 1 ? $"1 temporary file ({names})" : $"{paths.Count} temporary files ({names}{(paths.Count > Shown ? ", ..." : "")})";
    }

    private static void RemoveTemporaryFiles(string directory)
    {
        foreach (string partial in FindTemporaryFiles(directory)) TryDelete(partial);
    }

    private void FlushPending()
    {
        WriteRecord(_records.Count == 0 ? 0 : _records.Keys.Max() + 1, _pending);
        _pending.Clear();
    }

    private static string TemporaryName(int recordNumber) => $"PCR_{recordNumber}.pcr{PartialSuffix}";

    // The old index goes first, so that from here until the new index lands nothing looks complete. With Overwrite, records an
    // interrupted write renamed into place without an index go too.
    private void RemovePreviousDataset(string indexPath)
    {
        if (!File.Exists(indexPath) && !_options.Overwrite) return;
        File.Delete(indexPath);
        foreach (string file in System.IO.Directory.EnumerateFiles(_directory, "PCR_*"))
        {
            string name = Path.GetFileName(file);
            if (!name.EndsWith(PartialSuffix, StringComparison.Ordinal) && name.EndsWith(".pcr", StringComparison.Ordinal))
                File.Delete(file);
        }
    }

    private void ThrowIfDone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The dataset is already complete.");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Lays out and writes one record file: metadata, then scan groups 1..L.</summary>
    private static class RecordSerializer
    {
        public static PcrRecordInfo Write(string path, string name, IReadOnlyList<PcrImageEntry> images, int classCount, bool storePaths)
        {
            int count = images.Count;
            var ends = new int[count][];
            var meta = new MetadataRecord { Version = 1 };
            int levels = 0;
            for (int i = 0; i < count; i++)
            {
                PcrImageEntry image = images[i];
                if ((uint)image.Label >= (uint)classCount)
                    throw new ArgumentOutOfRangeException(nameof(images), image.Label, $"Image {i} ({image.RelativePath}) has label {image.Label}; labels must be in [0, {classCount}).");
                ends[i] = image.ScanEnds.IsEmpty
                    ? JpegScanCutter.FindScanEnds(image.ProgressiveJpeg.Span, image.RelativePath)
                    : image.ScanEnds.ToArray();
                if (ends[i].Length == 0 || ends[i][^1] > image.ProgressiveJpeg.Length)
                    throw new ArgumentException($"Image {i} ({image.RelativePath}) has scan ends that do not fit its {image.ProgressiveJpeg.Length} bytes.", nameof(images));
                levels = Math.Max(levels, ends[i].Length);
                meta.Labels.Add(image.Label);
                if (storePaths) meta.RelativePaths.Add(image.RelativePath ?? "");
            }
            meta.ProgressiveLevels = levels;

            byte[] metaBytes = meta.ToByteArray();
            var lengths = new int[levels + 1];
            lengths[0] = metaBytes.Length;
            long total = metaBytes.Length;
            for (int s = 1; s <= levels; s++)
            {
                long segment = 0;
                for (int i = 0; i < count; i++)
                {
                    int len = JpegScanCutter.GetPartial(ends[i], s).Length;
                    segment += 1 + ProtoWire.VarintSize((ulong)len) + len;
                }
                if (segment > int.MaxValue)
                    throw new InvalidOperationException($"Scan group {s} of record {name} would be {segment} bytes; use fewer images per record.");
                lengths[s] = (int)segment;
                total += segment;
            }

            if (total > Array.MaxLength) // a reader reads a record's prefix in one piece
                throw new InvalidOperationException($"Record {name} would be {total} bytes; use fewer images per record.");

            // Streamed: each partial goes from the image's bytes through the file buffer, and each segment's CRC-32C is
            // computed on the way, so no record-sized buffer is ever held.
            var crc = new uint[levels + 1];
            crc[0] = Crc32C.Compute(metaBytes);
            var segmentCrc = new Crc32C();
            Span<byte> header = stackalloc byte[1 + 10];
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                file.Write(metaBytes);
                for (int s = 1; s <= levels; s++)
                {
                    segmentCrc.Reset();
                    for (int i = 0; i < count; i++)
                    {
                        (int start, int len) = JpegScanCutter.GetPartial(ends[i], s);
                        int headerLength = 0;
                        header[headerLength++] = ProtoWire.ImageBytesTag;
                        ProtoWire.WriteVarint(header, ref headerLength, (ulong)len);
                        ReadOnlySpan<byte> partial = images[i].ProgressiveJpeg.Span.Slice(start, len);
                        file.Write(header[..headerLength]);
                        file.Write(partial);
                        segmentCrc.Append(header[..headerLength]);
                        segmentCrc.Append(partial);
                    }
                    crc[s] = segmentCrc.Value;
                }
                file.Flush(flushToDisk: false);
            }
            return new PcrRecordInfo(name, lengths, crc, count);
        }
    }
}
