using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// An opened PCR dataset: its validated index, class names, image counts, and reads of record
/// prefixes at a chosen scan group. Thread-safe: any number of readers may read records at once.
/// </summary>
public sealed class PcrDataset
{
    /// <summary>
    /// The most classes a dataset may have: 1,048,576 (2^20). A dataset written by the published converter stores no class names,
    /// so its classes are implied by its largest label; such a label must also be below the image count plus 1,024 (room for classes
    /// without images). A label beyond either bound is a <see cref="PcrFormatException"/> naming the record and the label.
    /// </summary>
    public const int MaxClassCount = 1 << 20;

    /// <summary>How many more classes than images a dataset without class names may imply (class folders without images).</summary>
    internal const int MaxClassesWithoutImages = 1024;

    private long _bytesRead;
    private readonly long[] _bytesReadByScan; // [scan group]: bytes read by reads at that scan group; [0]: metadata-only reads
    private readonly long[] _firstRow;
    private readonly byte[] _indexBytes;

    private PcrDataset(IPcrByteSource source, PcrIndex index, byte[] indexBytes, IReadOnlyList<PcrRecordInfo> records, IReadOnlyList<string> classNames,
        IReadOnlyList<PcrDamagedRecord> damaged)
    {
        Source = source;
        Index = index;
        _indexBytes = indexBytes;
        Records = records;
        ClassNames = classNames;
        DamagedRecords = damaged;
        _firstRow = new long[records.Count + 1];
        int maxScans = 0;
        for (int r = 0; r < records.Count; r++)
        {
            _firstRow[r + 1] = _firstRow[r] + records[r].ImageCount;
            maxScans = Math.Max(maxScans, records[r].ScanGroupCount);
        }
        ScanGroupCount = maxScans;
        _bytesReadByScan = new long[maxScans + 1];
    }

    /// <summary>Gets where the dataset's bytes come from.</summary>
    public IPcrByteSource Source { get; }

    /// <summary>Gets the dataset's index.</summary>
    public PcrIndex Index { get; }

    /// <summary>Gets the records in row order (all of the index's records, less any <see cref="DamagedRecords"/>).</summary>
    public IReadOnlyList<PcrRecordInfo> Records { get; }

    /// <summary>Gets the records left out because they were missing or damaged when the dataset was opened with <c>skipDamagedRecords</c>; otherwise empty.</summary>
    public IReadOnlyList<PcrDamagedRecord> DamagedRecords { get; }

    /// <summary>
    /// Gets the class name of every label: the stored names, or, for datasets written by the published
    /// converter (which stores none), the label numbers as text ("0", "1", ...).
    /// </summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Gets the number of scan groups of full fidelity: the largest L of any record.</summary>
    public int ScanGroupCount { get; }

    /// <summary>Gets the number of images (rows) in the dataset, repeated images included.</summary>
    public long ImageCount => _firstRow[^1];

    /// <summary>
    /// Gets the bytes read from record files through this dataset so far, by every view and cursor on it at every scan group
    /// (each <see cref="Data.PcrDataView.BytesRead"/> counts one view's share); <see cref="GetBytesRead(int)"/> splits it by scan group.
    /// Opening the dataset is not counted.
    /// </summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>
    /// Gets the bytes read from record files through this dataset by reads at scan group <paramref name="scan"/>, whichever view
    /// asked: for example what training at scan group 3 read, beside what testing at full fidelity read. Scan group 0 counts
    /// reads of metadata only (labels and paths, as cursors without the image column do).
    /// </summary>
    /// <param name="scan">The scan group, 0..<see cref="ScanGroupCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scan"/> is outside 0..<see cref="ScanGroupCount"/>.</exception>
    public long GetBytesRead(int scan)
    {
        if (scan < 0 || scan > ScanGroupCount)
            throw new ArgumentOutOfRangeException(nameof(scan), scan, $"The scan group must be between 0 (metadata only) and {ScanGroupCount} for this dataset.");
        return Interlocked.Read(ref _bytesReadByScan[scan]);
    }

    /// <summary>
    /// Returns this dataset (same index, records and classes, so the same row ids) reading its records through
    /// <paramref name="source"/> instead, with counters of its own: <paramref name="source"/> must serve the same files.
    /// </summary>
    internal PcrDataset ReadingThrough(IPcrByteSource source) => new(source, Index, _indexBytes, Records, ClassNames, DamagedRecords);

    /// <summary>Counts <paramref name="bytes"/> read from <see cref="Source"/> at <paramref name="scan"/> by a reader of its own (one made by <see cref="ReadingThrough"/>).</summary>
    internal void CountRead(int scan, long bytes)
    {
        Interlocked.Add(ref _bytesRead, bytes);
        Interlocked.Add(ref _bytesReadByScan[scan], bytes);
    }

    /// <summary>Gets the row number of the first image of record <paramref name="record"/>.</summary>
    public long GetFirstRow(int record) => _firstRow[record];

    /// <summary>Returns the bytes a full pass at <paramref name="scan"/> reads: the sum of every record's prefix.</summary>
    /// <param name="scan">The scan group, 1..<see cref="ScanGroupCount"/>.</param>
    public long GetPrefixBytes(int scan)
    {
        CheckScan(scan);
        return PcrRecordInfo.SumPrefixLengths(Records, scan);
    }

    /// <summary>Opens the PCR dataset in <paramref name="directory"/>.</summary>
    /// <param name="directory">A directory holding <c>PCR_index.pb</c> and the record files.</param>
    /// <exception cref="FileNotFoundException">The directory does not exist or has no <c>PCR_index.pb</c>.</exception>
    /// <exception cref="PcrFormatException">The index or a record is malformed, or a record is missing or too short.</exception>
    public static PcrDataset Open(string directory) => Open(new FileByteSource(directory));

    /// <summary>Opens the PCR dataset that <paramref name="source"/> holds.</summary>
    /// <param name="source">Where the index and record files are read from.</param>
    /// <param name="skipDamagedRecords">
    /// Whether records that are missing, shorter than the index says or whose metadata is unreadable are left out (and
    /// listed in <see cref="DamagedRecords"/>) instead of failing. The index itself must be valid either way.
    /// </param>
    /// <exception cref="FileNotFoundException">The source has no <c>PCR_index.pb</c>.</exception>
    /// <exception cref="PcrFormatException">The index or a record is malformed, or a record is missing or too short.</exception>
    public static PcrDataset Open(IPcrByteSource source, bool skipDamagedRecords = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        string indexPath = source.Describe(PcrIndex.FileName);
        long indexLength = source.GetLength(PcrIndex.FileName);
        if (indexLength < 0)
            throw new FileNotFoundException($"'{source.Location}' holds no PCR index ({PcrIndex.FileName}).", indexPath);
        if (indexLength > int.MaxValue)
            throw new PcrFormatException($"the index is {indexLength} bytes long", indexPath);
        var bytes = new byte[indexLength];
        int read = source.Read(PcrIndex.FileName, 0, bytes);
        if (read < bytes.Length) bytes = bytes[..read];
        PcrIndex index = PcrIndex.Parse(bytes, indexPath);

        // Datasets of the published converter carry neither image counts nor class names: read every metadata segment once.
        // The index's own record infos stay as parsed; the dataset holds copies with the counts filled in.
        bool readMetadata = index.ClassNames is null || index.Records.Any(r => r.ImageCount < 0);
        var records = new List<PcrRecordInfo>(index.Records.Count);
        var maxLabels = new List<int>(index.Records.Count);
        var damaged = new List<PcrDamagedRecord>();
        foreach (PcrRecordInfo r in index.Records)
        {
            try
            {
                long length = source.GetLength(r.Name);
                if (length < 0)
                    throw new PcrFormatException("the record is listed in the index but its file is missing", source.Describe(r.Name), r.Name);
                if (length < r.Length)
                    throw new PcrFormatException($"the index says the record is {r.Length} bytes long, the file has {length}", source.Describe(r.Name), r.Name);
                PcrRecordInfo known = r;
                int maxLabel = -1;
                if (readMetadata)
                {
                    using PcrRecordPrefix meta = Completed(ReadPrefixAsync(source, r, 0, verifyChecksums: true, useAsync: false, CancellationToken.None)).Prefix;
                    known = r.WithImageCount(meta.ImageCount);
                    for (int i = 0; i < meta.ImageCount; i++) maxLabel = Math.Max(maxLabel, meta.GetLabel(i));
                }
                records.Add(known);
                maxLabels.Add(maxLabel);
            }
            catch (PcrFormatException e) when (skipDamagedRecords)
            {
                damaged.Add(new PcrDamagedRecord(r.Name, e.Message));
            }
            catch (PcrFormatException e) when (IndexChanged(source, bytes))
            {
                throw Replaced(e, source, r.Name);
            }
        }
        if (index.ClassNames is null) DropRecordsWithImpossibleLabels(source, records, maxLabels, damaged, skipDamagedRecords);
        if (records.Count == 0)
            throw new PcrFormatException($"none of the {index.Records.Count} records is readable; the first: {damaged[0].Reason}", indexPath);

        int classCount = index.ClassNames?.Count ?? (maxLabels.Count == 0 ? 0 : maxLabels.Max() + 1);
        IReadOnlyList<string> classNames = index.ClassNames
            ?? [.. Enumerable.Range(0, classCount).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        return new PcrDataset(source, index, bytes, records, classNames, damaged);
    }

    // Without stored class names, the largest label decides the class count (and the size of the schema built from it): a damaged label
    // such as 104,190,271 would otherwise build a hundred million class names. Labels must be below the image count plus a margin for
    // classes without images, and below MaxClassCount; a record holding a larger one is damaged.
    private static void DropRecordsWithImpossibleLabels(IPcrByteSource source, List<PcrRecordInfo> records, List<int> maxLabels, List<PcrDamagedRecord> damaged, bool skip)
    {
        long images = records.Sum(r => (long)r.ImageCount);
        long bound = Math.Min(MaxClassCount, images + MaxClassesWithoutImages);
        for (int r = records.Count - 1; r >= 0; r--)
        {
            if (maxLabels[r] < bound) continue;
            string name = records[r].Name;
            var e = new PcrFormatException(
                $"label {maxLabels[r]} implies more classes than a dataset of {images} images may have (labels must be below {bound}: the image count plus {MaxClassesWithoutImages}, at most {MaxClassCount})",
                source.Describe(name), name);
            if (!skip) throw e;
            damaged.Add(new PcrDamagedRecord(name, e.Message));
            records.RemoveAt(r);
            maxLabels.RemoveAt(r);
        }
    }

    /// <summary>Whether the index in <paramref name="source"/> is no longer <paramref name="opened"/> (replaced, removed or being rewritten).</summary>
    private static bool IndexChanged(IPcrByteSource source, byte[] opened)
    {
        try
        {
            long length = source.GetLength(PcrIndex.FileName);
            if (length != opened.Length) return true;
            var now = new byte[opened.Length];
            return source.Read(PcrIndex.FileName, 0, now) != opened.Length || !now.AsSpan().SequenceEqual(opened);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static PcrFormatException Replaced(PcrFormatException e, IPcrByteSource source, string record) =>
        new($"the dataset was replaced while it was being read: its index changed after it was opened ({e.Reason}); open the dataset again",
            source.Describe(record), record, inner: e) { DatasetReplaced = true };

    /// <summary>
    /// Reads record <paramref name="record"/> at scan group <paramref name="scan"/>: exactly the
    /// prefix <c>offsets[0] + ... + offsets[scan]</c> of its file, in one read, checking the stored
    /// CRC-32C of every segment read.
    /// </summary>
    /// <param name="record">The record's position in <see cref="Records"/>.</param>
    /// <param name="scan">The scan group, 1..<see cref="ScanGroupCount"/>; records with fewer scan groups are read whole.</param>
    /// <param name="verifyChecksums">Whether to check the stored CRC-32C of every segment read (when the index has them).</param>
    /// <exception cref="PcrFormatException">The record is malformed, truncated or fails its checksum.</exception>
    public PcrRecordPrefix ReadRecord(int record, int scan, bool verifyChecksums = true)
    {
        CheckScan(scan);
        return ReadRecordPrefix(record, scan, verifyChecksums);
    }

    /// <summary>
    /// Reads only the metadata segment of record <paramref name="record"/>: its labels and, when stored, relative paths,
    /// without any image bytes (the returned prefix is at scan group 0 and holds no images to copy).
    /// </summary>
    /// <param name="record">The record's position in <see cref="Records"/>.</param>
    /// <param name="verifyChecksums">Whether to check the stored CRC-32C of the metadata (when the index has one).</param>
    /// <exception cref="PcrFormatException">The metadata is malformed, truncated or fails its checksum.</exception>
    public PcrRecordPrefix ReadMetadata(int record, bool verifyChecksums = true) => ReadRecordPrefix(record, 0, verifyChecksums);

    /// <summary>
    /// Reads record <paramref name="record"/> at scan group <paramref name="scan"/> as <see cref="ReadRecord"/> does, with the
    /// byte source's asynchronous read (<see cref="IPcrByteSource.ReadAsync"/>), so that no thread waits on the I/O: what
    /// read-ahead over object storage needs. The checksums are checked and the prefix parsed when the bytes are in.
    /// </summary>
    /// <param name="record">The record's position in <see cref="Records"/>.</param>
    /// <param name="scan">The scan group, 1..<see cref="ScanGroupCount"/>; records with fewer scan groups are read whole.</param>
    /// <param name="verifyChecksums">Whether to check the stored CRC-32C of every segment read (when the index has them).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="PcrFormatException">The record is malformed, truncated or fails its checksum.</exception>
    public Task<PcrRecordPrefix> ReadRecordAsync(int record, int scan, bool verifyChecksums = true, CancellationToken cancellationToken = default)
    {
        CheckScan(scan);
        return ReadRecordPrefixAsync(record, scan, verifyChecksums, cancellationToken);
    }

    /// <summary>As <see cref="ReadRecord"/>, but scan 0 reads only the metadata (labels and paths).</summary>
    internal PcrRecordPrefix ReadRecordPrefix(int record, int scan, bool verifyChecksums) =>
        Completed(ReadRecordPrefixAsync(record, scan, verifyChecksums, useAsync: false, CancellationToken.None));

    /// <summary>As <see cref="ReadRecordAsync"/>, but scan 0 reads only the metadata (labels and paths).</summary>
    internal Task<PcrRecordPrefix> ReadRecordPrefixAsync(int record, int scan, bool verifyChecksums, CancellationToken cancellationToken) =>
        ReadRecordPrefixAsync(record, scan, verifyChecksums, useAsync: true, cancellationToken).AsTask();

    /// <summary>
    /// The one read of a record's prefix behind the synchronous and asynchronous reads (dotnet/runtime's <c>useAsync</c> idiom):
    /// with <paramref name="useAsync"/> false the source's <see cref="IPcrByteSource.Read"/> is called and the returned task has
    /// completed (an async method that never suspends allocates nothing); with true, <see cref="IPcrByteSource.ReadAsync"/> is awaited.
    /// Both async methods pool their state machine boxes, so that the asynchronous read allocates no more than a single <c>async Task</c> did.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PcrRecordPrefix> ReadRecordPrefixAsync(int record, int scan, bool verifyChecksums, bool useAsync, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(record);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(record, Records.Count);
        PcrRecordInfo info = Records[record];
        (PcrRecordPrefix Prefix, int Read) result;
        try
        {
            result = await ReadPrefixAsync(Source, info, scan, verifyChecksums, useAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (PcrFormatException e) when (IndexChanged(Source, _indexBytes))
        {
            // A record shorter than the index says, failing its checksum or gone, while the index is no longer the one opened:
            // a conversion replaced the dataset under this reader.
            throw Replaced(e, Source, info.Name);
        }
        return Counted(result.Prefix, scan, result.Read);
    }

    /// <summary>Counts a read at <paramref name="scan"/> and checks its labels against the classes (disposing the prefix when one is out of range).</summary>
    private PcrRecordPrefix Counted(PcrRecordPrefix prefix, int scan, int read)
    {
        Interlocked.Add(ref _bytesRead, read);
        Interlocked.Add(ref _bytesReadByScan[scan], read);
        for (int i = 0; i < prefix.ImageCount; i++)
        {
            int label = prefix.GetLabel(i);
            if (label >= ClassNames.Count)
            {
                string name = prefix.Record.Name;
                prefix.Dispose();
                throw new PcrFormatException($"image {i} has label {label}, but the dataset has {ClassNames.Count} classes", Source.Describe(name), name);
            }
        }
        return prefix;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the valid range when <paramref name="scan"/> is outside 1..L.</summary>
    internal void CheckScan(int scan, string paramName = "scan")
    {
        if (scan < 1 || scan > ScanGroupCount)
            throw new ArgumentOutOfRangeException(paramName, scan, $"The scan group must be between 1 and {ScanGroupCount} (full fidelity) for this dataset.");
    }

    /// <summary>
    /// Reads and parses the prefix of <paramref name="record"/> at <paramref name="scan"/> into a pooled buffer (which the prefix
    /// owns), synchronously or not as <see cref="ReadRecordPrefixAsync(int, int, bool, bool, CancellationToken)"/> says; a missing
    /// file is a <see cref="PcrFormatException"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(PcrRecordPrefix Prefix, int Read)> ReadPrefixAsync(IPcrByteSource source, PcrRecordInfo record, int scan,
        bool verifyChecksums, bool useAsync, CancellationToken cancellationToken)
    {
        int effectiveScan = Math.Min(scan, record.ScanGroupCount);
        int length = checked((int)record.GetPrefixLength(effectiveScan));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        string file = source.Describe(record.Name);
        int read;
        try
        {
            if (useAsync)
                read = await source.ReadAsync(record.Name, 0, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            else
                read = source.Read(record.Name, 0, buffer.AsSpan(0, length));
        }
        catch (FileNotFoundException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new PcrFormatException("the record's file is missing", file, record.Name, inner: e);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return (PcrRecordPrefix.Parse(record, effectiveScan, buffer, read, verifyChecksums, file), read);
    }

    /// <summary>The result of a read made with <c>useAsync: false</c>, which has completed by the time it returns.</summary>
    private static T Completed<T>(ValueTask<T> read)
    {
        Debug.Assert(read.IsCompleted, "a read with useAsync: false completes before it returns");
        return read.GetAwaiter().GetResult();
    }
}
