using System.Buffers;
using Google.Protobuf;
using Microsoft.ML.Pcr.Format.Proto;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// Writes a PCR dataset: record files <c>PCR_&lt;n&gt;.pcr</c> and the index <c>PCR_index.pb</c>,
/// readable by the published tooling, with this project's extensions (class names, image counts,
/// relative paths, CRC-32C of every segment, a checksum of the index), into a directory or any <see cref="IPcrByteSink"/>
/// (for example a container of Azure Blob Storage). Records are written invisibly (under temporary names in a directory,
/// as uncommitted blocks in a blob container) and committed by <see cref="Complete"/>, records first and index last, so an
/// interrupted write never leaves something that looks like a complete dataset. A writer holds the sink's writer lock
/// (<c>.pcr-writer.lock</c>) from construction to <see cref="Dispose"/>, so a second writer into the same place is refused at
/// once; the lock of a writer that was killed is taken over. <see cref="WriteRecord"/> may be called from several threads.
/// </summary>
public sealed class PcrWriter : IDisposable
{
    internal const string PartialSuffix = DirectoryByteSink.PartialSuffix;
    private const string WriterName = "Pcr.MLNet";

    private readonly IPcrByteSink _sink;
    private readonly string[] _classNames;
    private readonly PcrWriterOptions _options;
    private readonly SortedDictionary<int, PcrRecordInfo> _records = [];
    private readonly List<PcrImageEntry> _pending = [];
    private readonly Lock _lock = new();
    private readonly IDisposable _writerLock;
    private readonly bool _slice;
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
        : this(new DirectoryByteSink(directory), classNames, options, heldLock: null, slice: false)
    {
    }

    /// <summary>Creates a writer into <paramref name="sink"/>: a directory, a container of object storage, or another sink.</summary>
    /// <param name="sink">Where the files go.</param>
    /// <param name="classNames">The class name of every label, label i at position i.</param>
    /// <param name="options">Writer options; null for defaults.</param>
    /// <exception cref="IOException">
    /// Another writer is writing into the sink; or <see cref="PcrWriterOptions.Overwrite"/> is false and the sink already
    /// holds a PCR dataset or the temporary files of an interrupted write.
    /// </exception>
    public PcrWriter(IPcrByteSink sink, IReadOnlyList<string> classNames, PcrWriterOptions? options = null)
        : this(sink, classNames, options, heldLock: null, slice: false)
    {
    }

    /// <summary>
    /// Creates a writer; with <paramref name="heldLock"/>, on a sink its caller has locked and checked already. With
    /// <paramref name="slice"/>, the writer writes one worker's slice of a conversion (<see cref="CompleteSlice"/>) beside the
    /// other workers': it touches only its own files.
    /// </summary>
    internal PcrWriter(IPcrByteSink sink, IReadOnlyList<string> classNames, PcrWriterOptions? options, IDisposable? heldLock, bool slice)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(classNames);
        _options = options ?? new PcrWriterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ImagesPerRecord, 1, "options.ImagesPerRecord");
        _sink = sink;
        _slice = slice;
        _classNames = [.. classNames];
        if (_classNames.Length > PcrDataset.MaxClassCount)
            throw new ArgumentOutOfRangeException(nameof(classNames), _classNames.Length, $"A dataset may have at most {PcrDataset.MaxClassCount} classes.");
        _writerLock = heldLock ?? sink.AcquireLock(PcrWriterLock.FileName);
        try
        {
            if (heldLock is null && !_options.Overwrite)
            {
                IReadOnlyList<string> files = sink.List();
                if (files.Contains(PcrIndex.FileName, StringComparer.Ordinal))
                    throw new IOException($"'{sink.Location}' already holds a PCR dataset; set PcrWriterOptions.Overwrite to replace it.");
                string[] leftovers = FindTemporaryFiles(files);
                if (leftovers.Length > 0)
                    throw new IOException($"An earlier write into '{sink.Location}' was interrupted: it left {DescribeFiles(leftovers)}; set PcrWriterOptions.Overwrite to remove them and write.");
            }
            // Nothing else writes here while the lock is held: every temporary file is a leftover of an interrupted write.
            if (_options.Overwrite && !slice) RemoveTemporaryFiles(sink);
        }
        catch
        {
            _writerLock.Dispose();
            throw;
        }
    }

    /// <summary>Gets where the dataset is written: the sink's <see cref="IPcrByteSink.Location"/> (for a directory, its full path).</summary>
    public string OutputDirectory => _sink.Location;

    /// <summary>Gets the sink the dataset is written into.</summary>
    public IPcrByteSink Sink => _sink;

    /// <summary>
    /// Writes the record with sequence number <paramref name="recordNumber"/> holding <paramref name="images"/>
    /// in the given order, as the record file <c>PCR_&lt;recordNumber&gt;.pcr</c>, which becomes visible when the dataset completes.
    /// Thread-safe; each number may be written once. Numbers may have gaps (for example a batch whose every image was skipped):
    /// the index lists the records by ascending number, and readers take record names from the index.
    /// </summary>
    /// <param name="recordNumber">The record's sequence number, 0 or more.</param>
    /// <param name="images">The record's images, at least one.</param>
    /// <returns>The record's layout.</returns>
    /// <exception cref="PcrFormatException">An image is not a valid progressive JPEG.</exception>
    public PcrRecordInfo WriteRecord(int recordNumber, IReadOnlyList<PcrImageEntry> images)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordNumber);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("A record needs at least one image.", nameof(images));
        ThrowIfDone();

        string name = PcrIndex.GetRecordFileName(recordNumber);
        lock (_lock)
        {
            if (_records.ContainsKey(recordNumber))
                throw new InvalidOperationException($"Record {recordNumber} was already written.");
            _records[recordNumber] = null!; // reserve the number while writing outside the lock
        }
        try
        {
            PcrRecordInfo info;
            using (Stream stream = _sink.Create(name))
                info = RecordSerializer.Write(stream, name, images, _classNames.Length, _options.StoreRelativePaths);
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
    /// Writes the remaining images and the index, and commits everything, records first and index last, replacing a
    /// previous dataset when <see cref="PcrWriterOptions.Overwrite"/> is set: the previous index goes first, so from then
    /// until the new index is committed the sink holds no dataset that opens.
    /// </summary>
    /// <returns>The index of the dataset written.</returns>
    /// <exception cref="InvalidOperationException">No image was written.</exception>
    public PcrIndex Complete()
    {
        ThrowIfDone();
        if (_pending.Count > 0) FlushPending();
        if (_records.Count == 0) throw new InvalidOperationException("No image was written; a PCR dataset needs at least one.");
        PcrIndex index = BuildIndex();
        CommitIndexed(index, PcrIndex.FileName, replacePrevious: true);
        return index;
    }

    /// <summary>
    /// Completes one worker's slice of a conversion: commits its records and then <paramref name="manifestName"/>, an index
    /// over this slice's records only (possibly none), which <see cref="Conversion.ImageFolderConverter.Merge(IPcrByteSink)"/>
    /// reads. Nothing of the other slices, and no dataset index, is touched.
    /// </summary>
    internal PcrIndex CompleteSlice(string manifestName)
    {
        ThrowIfDone();
        if (_pending.Count > 0) FlushPending();
        PcrIndex index = BuildIndex();
        CommitIndexed(index, manifestName, replacePrevious: false);
        return index;
    }

    /// <summary>
    /// Deletes the temporary files of this project's naming in the directory (this write's, when it did not complete, and, unless the
    /// writer writes a slice beside other workers, those an interrupted earlier write left), and releases the writer lock. A completed
    /// dataset is left as it is. In a blob container, blocks that were never committed are invisible and the service discards them.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_slice) RemoveTemporaryFiles(_sink);
            else if (_sink is DirectoryByteSink && !_completed)
                foreach (int number in _records.Keys) TryDelete(_sink, PcrIndex.GetRecordFileName(number) + PartialSuffix);
        }
        finally
        {
            _writerLock.Dispose();
        }
    }

    /// <summary>Lists the temporary files of this project's naming (<c>PCR_*.partial</c>: records and index being written) among <paramref name="files"/>.</summary>
    internal static string[] FindTemporaryFiles(IEnumerable<string> files) =>
        [.. files.Where(f => f.StartsWith("PCR_", StringComparison.Ordinal) && f.EndsWith(PartialSuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    /// <summary>Says which files <paramref name="paths"/> are, for messages: their count and the first few names.</summary>
    internal static string DescribeFiles(IReadOnlyList<string> paths)
    {
        const int Shown = 3;
        string names = string.Join(", ", paths.Take(Shown).Select(Path.GetFileName));
        return paths.Count == 1 ? $"1 temporary file ({names})" : $"{paths.Count} temporary files ({names}{(paths.Count > Shown ? ", ..." : "")})";
    }

    /// <summary>Whether <paramref name="fileName"/> is a record file of this project's naming (<c>PCR_*.pcr</c>).</summary>
    internal static bool IsRecordFile(string fileName) =>
        fileName.StartsWith("PCR_", StringComparison.Ordinal) && fileName.EndsWith(".pcr", StringComparison.Ordinal);

    /// <summary>
    /// Commits <paramref name="recordNames"/> and then the staged <paramref name="indexName"/>. With <paramref name="replacePrevious"/>, the
    /// previous index goes first, and record files the new index does not name (of a previous, longer dataset) go before the new index lands.
    /// </summary>
    internal static void CommitDataset(IPcrByteSink sink, IReadOnlyCollection<string> recordNames, string indexName, bool replacePrevious, Action<string>? commitRecord = null)
    {
        if (replacePrevious)
        {
            sink.Delete(PcrIndex.FileName);
            var kept = new HashSet<string>(recordNames, StringComparer.Ordinal);
            foreach (string file in sink.List())
                if (IsRecordFile(file) && !kept.Contains(file)) sink.Delete(file);
        }
        foreach (string name in recordNames) (commitRecord ?? sink.Commit)(name);
        sink.Commit(indexName);
        // Slices of an earlier sliced conversion (or the ones just merged) describe no other dataset once the index is in place.
        if (replacePrevious)
            foreach (string file in sink.List())
                if (file.StartsWith(SliceManifest.Prefix, StringComparison.Ordinal)) sink.Delete(file);
    }

    private PcrIndex BuildIndex() =>
        new([.. _records.Values], _classNames, PcrIndex.CurrentFormatVersion, WriterName, _options.StoreRelativePaths, _options.ConversionFingerprint, isChecksummed: true);

    private void CommitIndexed(PcrIndex index, string indexName, bool replacePrevious)
    {
        using (Stream stream = _sink.Create(indexName))
            stream.Write(index.ToBytes());
        CommitDataset(_sink, [.. index.Records.Select(r => r.Name)], indexName, replacePrevious);
        _completed = true;
    }

    private static void RemoveTemporaryFiles(IPcrByteSink sink)
    {
        foreach (string partial in FindTemporaryFiles(sink.List())) TryDelete(sink, partial);
    }

    private void FlushPending()
    {
        WriteRecord(_records.Count == 0 ? 0 : _records.Keys.Max() + 1, _pending);
        _pending.Clear();
    }

    private void ThrowIfDone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The dataset is already complete.");
    }

    private static void TryDelete(IPcrByteSink sink, string fileName)
    {
        try { sink.Delete(fileName); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Lays out and writes one record file: metadata, then scan groups 1..L.</summary>
    private static class RecordSerializer
    {
        public static PcrRecordInfo Write(Stream file, string name, IReadOnlyList<PcrImageEntry> images, int classCount, bool storePaths)
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
                file.Flush();
            }
            return new PcrRecordInfo(name, lengths, crc, count);
        }
    }
}
