using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The <see cref="IDataView"/> of a PCR dataset at one scan group. Rows are images in record order
/// (or shuffled: random record order, then a random permutation inside each record); cursors read each
/// record's prefix in one read and read the next record ahead. <see cref="WithScan(int)"/> gives the same
/// view at another scan group without reopening anything, so the scan group can change between epochs.
/// </summary>
public sealed class PcrDataView : IDataView
{
    private readonly PcrLoader.Options _options;
    private readonly int[] _records; // this worker's records, positions in Dataset.Records
    private readonly long _rowCount;
    private long _bytesRead;
    private readonly HashSet<int> _skippedRecords = [];

    internal PcrDataView(PcrDataset dataset, PcrLoader.Options options)
    {
        Dataset = dataset;
        _options = options;
        Scan = options.Scan ?? dataset.ScanGroupCount;
        dataset.CheckScan(Scan);
        HasImagePaths = dataset.Index.RelativePathsStored;
        if (dataset.ClassNames.Count == 0)
            throw new PcrFormatException("the dataset has no classes", dataset.Source.Describe(PcrIndex.FileName));
        Schema = BuildSchema(dataset.ClassNames, options, HasImagePaths);
        _records = [.. Enumerable.Range(0, dataset.Records.Count).Where(r => r % options.WorkerCount == options.WorkerIndex)];
        if (_records.Length == 0)
            throw new ArgumentException(
                $"Worker {options.WorkerIndex} of {options.WorkerCount} (PcrLoader.Options.WorkerIndex, WorkerCount) would get no records: " +
                $"records are the unit of sharding and the dataset has {dataset.Records.Count}, fewer than the {options.WorkerCount} workers. " +
                $"Use at most {dataset.Records.Count} workers, or convert with a smaller ImageFolderConversionOptions.ImagesPerRecord.", nameof(options));
        foreach (int r in _records) _rowCount += dataset.Records[r].ImageCount;
    }

    private PcrDataView(PcrDataView other, int scan, int[]? records = null)
    {
        Dataset = other.Dataset;
        _options = other._options;
        Scan = scan;
        HasImagePaths = other.HasImagePaths;
        Schema = other.Schema;
        _records = records ?? other._records;
        if (records is null) _rowCount = other._rowCount;
        else foreach (int r in records) _rowCount += Dataset.Records[r].ImageCount;
    }

    /// <summary>Gets the dataset the view reads.</summary>
    public PcrDataset Dataset { get; }

    /// <summary>Gets the scan group every image is read at (1..<see cref="ScanGroupCount"/>).</summary>
    public int Scan { get; }

    /// <summary>Gets the number of scan groups of full fidelity (L).</summary>
    public int ScanGroupCount => Dataset.ScanGroupCount;

    /// <summary>Gets the records this view reads (all of them, or this worker's shard), as positions in <see cref="PcrDataset.Records"/>.</summary>
    public IReadOnlyList<int> RecordIndices => _records;

    /// <summary>
    /// Gets the bytes this view's own cursors have read from record files. Views made from it by <see cref="WithScan(int)"/> or
    /// <see cref="SplitByRecords(double, int)"/> count their own reads; the total over every view of the dataset is
    /// <see cref="PcrDataset.BytesRead"/>, and <see cref="PcrDataset.GetBytesRead(int)"/> splits it by scan group.
    /// </summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>
    /// Gets how many distinct corrupt records were skipped (only with <see cref="PcrLoader.Options.SkipCorruptRecords"/>):
    /// those found damaged when the dataset was opened and those whose read failed during iteration.
    /// </summary>
    public long SkippedRecords
    {
        get
        {
            lock (_skippedRecords) return _skippedRecords.Count + Dataset.DamagedRecords.Count;
        }
    }

    /// <summary>Gets whether the view has the image path column (the dataset stores original paths).</summary>
    public bool HasImagePaths { get; }

    /// <summary>Gets the bytes one full pass over this view reads at scan group <see cref="Scan"/>, when only labels and images are needed.</summary>
    public long BytesPerPass => PcrRecordInfo.SumPrefixLengths(_records.Select(r => Dataset.Records[r]), Scan);

    /// <inheritdoc/>
    public DataViewSchema Schema { get; }

    /// <summary>Gets true: cursors can be shuffled (random record order and a random order inside each record).</summary>
    public bool CanShuffle => true;

    internal PcrLoader.Options Options => _options;

    /// <summary>
    /// Returns this view at scan group <paramref name="scan"/>: same dataset, schema and options, nothing reopened.
    /// Cursors already open keep their scan group.
    /// </summary>
    /// <param name="scan">The scan group, 1..<see cref="ScanGroupCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scan"/> is outside 1..<see cref="ScanGroupCount"/>.</exception>
    public PcrDataView WithScan(int scan)
    {
        Dataset.CheckScan(scan);
        return scan == Scan ? this : new PcrDataView(this, scan);
    }

    /// <summary>
    /// Splits this view's records into a training and a test view, both <see cref="PcrDataView"/>s of the same dataset, so that
    /// each keeps <see cref="WithScan(int)"/>: train at a low scan group and test at full fidelity on the same split with
    /// <c>split.TrainSet.WithScan(3)</c> and <c>split.TestSet.WithScan(view.ScanGroupCount)</c>. The split is by record (a
    /// seeded random choice of round(<paramref name="testFraction"/> x records) records, at least one on each side), so each side
    /// reads only its own records' prefixes at its own scan group; records of a converted dataset hold shuffled images, so both
    /// sides see every class. ML.NET's <c>TrainTestSplit</c> works on a PCR view too, but returns plain views without
    /// <see cref="WithScan(int)"/>.
    /// </summary>
    /// <param name="testFraction">The share of records in the test set, strictly between 0 and 1. Default 0.1.</param>
    /// <param name="seed">The seed of the choice: the same seed gives the same split in every process. Default 0.</param>
    /// <returns>The two views, at this view's scan group; their records are disjoint and together are this view's.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not strictly between 0 and 1.</exception>
    /// <exception cref="InvalidOperationException">The view has fewer than two records.</exception>
    public PcrTrainTestData SplitByRecords(double testFraction = 0.1, int seed = 0)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be strictly between 0 and 1.");
        if (_records.Length < 2)
            throw new InvalidOperationException(
                $"A split by records needs at least 2 records; this view has {_records.Length}. Convert with a smaller ImageFolderConversionOptions.ImagesPerRecord.");
        int[] order = (int[])_records.Clone();
        new Random(seed).Shuffle(order);
        int test = Math.Clamp((int)Math.Round(testFraction * order.Length, MidpointRounding.AwayFromZero), 1, order.Length - 1);
        int[] testRecords = [.. order.Take(test).Order()];
        int[] trainRecords = [.. order.Skip(test).Order()];
        return new PcrTrainTestData(new PcrDataView(this, Scan, trainRecords), new PcrDataView(this, Scan, testRecords));
    }

    /// <inheritdoc/>
    public long? GetRowCount() => _options.SkipCorruptRecords ? null : _rowCount;

    /// <inheritdoc/>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        GetRowCursorSet(columnsNeeded, 1, rand)[0];

    /// <inheritdoc/>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        bool[] active = new bool[Schema.Count];
        foreach (DataViewSchema.Column c in columnsNeeded)
        {
            if (c.Index < 0 || c.Index >= active.Length || c.Name != Schema[c.Index].Name)
                throw new ArgumentException($"Column '{c.Name}' is not a column of this view's schema.", nameof(columnsNeeded));
            active[c.Index] = true;
        }

        int? seed = rand is not null ? rand.Next() : _options.Shuffle ? _options.Seed : null;
        int[] order = (int[])_records.Clone();
        if (seed is int s) new Random(s).Shuffle(order);

        n = Math.Clamp(n, 1, Math.Max(1, order.Length));
        var cursors = new DataViewRowCursor[n];
        for (int i = 0; i < n; i++)
        {
            // Cursor i reads order positions i, i+n, ...: disjoint records, and Batch (the order position) is unique across cursors.
            var positions = new List<int>();
            for (int p = i; p < order.Length; p += n) positions.Add(p);
            cursors[i] = new PcrLoaderCursor(this, active, order, [.. positions], seed);
        }
        return cursors;
    }

    internal void AddBytesRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    internal void AddSkippedRecord(int record)
    {
        lock (_skippedRecords) _skippedRecords.Add(record);
    }

    internal static DataViewSchema BuildSchema(IReadOnlyList<string> classNames, PcrLoader.Options options, bool withPaths)
    {
        int classes = classNames.Count;
        var names = new ReadOnlyMemory<char>[classes];
        for (int i = 0; i < classes; i++) names[i] = classNames[i].AsMemory();

        var annotations = new DataViewSchema.Annotations.Builder();
        // "KeyValues" is ML.NET's annotation kind for key names (AnnotationUtils.Kinds.KeyValues is internal).
        annotations.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, classes),
            (ref VBuffer<ReadOnlyMemory<char>> value) =>
            {
                var editor = VBufferEditor.Create(ref value, classes);
                names.CopyTo(editor.Values);
                value = editor.Commit();
            });

        var builder = new DataViewSchema.Builder();
        builder.AddColumn(options.LabelColumnName, new KeyDataViewType(typeof(uint), classes), annotations.ToAnnotations());
        builder.AddColumn(options.ImageColumnName, new VectorDataViewType(NumberDataViewType.Byte));
        if (withPaths) builder.AddColumn(options.ImagePathColumnName, TextDataViewType.Instance);
        return builder.ToSchema();
    }
}
