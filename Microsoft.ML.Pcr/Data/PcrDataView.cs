using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The <see cref="IDataView"/> of a PCR dataset at one scan group. Rows are images in record order
/// (or shuffled: random record order, then a random permutation inside each record); cursors read each
/// record's prefix in one read and read the next record ahead. <see cref="WithScan(int)"/> gives the same
/// view at another scan group without reopening anything, so the scan group can change between epochs.
/// </summary>
/// <remarks>
/// <para>
/// Epochs and workers. The view is at one epoch (<see cref="Epoch"/>, 0 unless <see cref="ForEpoch(int)"/> chose another).
/// When shuffled, the epoch's global record order is a function of the seed and the epoch only, and each image's place inside
/// its record a function of the seed, the epoch and the record: never of the number of workers or cursors. Worker
/// <see cref="WorkerIndex"/> of <see cref="WorkerCount"/> reads the positions p of that order with p mod WorkerCount =
/// WorkerIndex, whole records, each in one read of its prefix. Every worker yields the same number of rows per epoch: the
/// images of the ceil(records / workers) largest records, the most any share can hold. A worker whose share holds fewer
/// rows pads: it repeats its own first rows of the epoch, in the same order, until it has that many (the repeats get
/// distinct row ids). So together the workers yield every image once per epoch, plus those repeats; with one worker
/// there are none.
/// </para>
/// <para>
/// Resuming. <see cref="GetPosition(DataViewRowCursor)"/> tells where a cursor is in the epoch as a
/// <see cref="PcrCursorPosition"/>; in a new process, <see cref="ResumeFrom(PcrCursorPosition)"/> on a view of the same
/// dataset, seed and workers gives a view whose cursors yield exactly the rows the interrupted epoch had not yet yielded.
/// </para>
/// </remarks>
public sealed class PcrDataView : IDataView
{
    private readonly PcrLoader.Options _options;  // resolved: WorkerIndex and WorkerCount are set
    private readonly int[] _records;              // the view's records (all of them, or one side of a split), ascending positions in Dataset.Records
    private readonly long _rowsPerWorker;
    private readonly long _resumedRows;           // rows of the epoch skipped by ResumeFrom
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
        _records = [.. Enumerable.Range(0, dataset.Records.Count)];
        if (_records.Length < WorkerCount)
            throw new ArgumentException(
                $"Worker {WorkerIndex} of {WorkerCount} (PcrLoader.Options.WorkerIndex, WorkerCount, or RANK, WORLD_SIZE) would get no records: " +
                $"records are the unit of sharding and the dataset has {dataset.Records.Count}, fewer than the {WorkerCount} workers. " +
                $"Use at most {dataset.Records.Count} workers, or convert with a smaller ImageFolderConversionOptions.ImagesPerRecord.", nameof(options));
        _rowsPerWorker = PcrEpochPlan.RowsPerWorker(dataset, _records, WorkerCount);
        DatasetIdentity = ComputeIdentity(dataset, _records);
    }

    private PcrDataView(PcrDataView other, int scan, int epoch, long resumedRows, int[]? records = null, PcrDataset? dataset = null)
    {
        Dataset = dataset ?? other.Dataset;
        _options = other._options;
        Scan = scan;
        Epoch = epoch;
        _resumedRows = resumedRows;
        HasImagePaths = other.HasImagePaths;
        Schema = other.Schema;
        _records = records ?? other._records;
        _rowsPerWorker = records is null ? other._rowsPerWorker : PcrEpochPlan.RowsPerWorker(Dataset, _records, WorkerCount);
        DatasetIdentity = records is null ? other.DatasetIdentity : ComputeIdentity(Dataset, _records);
    }

    /// <summary>Gets the dataset the view reads.</summary>
    public PcrDataset Dataset { get; }

    /// <summary>Gets the scan group every image is read at (1..<see cref="ScanGroupCount"/>).</summary>
    public int Scan { get; }

    /// <summary>Gets the number of scan groups of full fidelity (L).</summary>
    public int ScanGroupCount => Dataset.ScanGroupCount;

    /// <summary>
    /// Gets the records this worker reads in the view's epoch, as positions in <see cref="PcrDataset.Records"/>, in the order it reads
    /// them (shuffled when <see cref="PcrLoader.Options.Shuffle"/> is set), without the padding repeats. With one worker and no
    /// shuffle: every record of the view, in order.
    /// </summary>
    public IReadOnlyList<int> RecordIndices => Plan(OptionsSeed, 0).Share;

    /// <summary>Gets the epoch this view's cursors read (0 unless <see cref="ForEpoch(int)"/> or <see cref="ResumeFrom(PcrCursorPosition)"/> chose another).</summary>
    public int Epoch { get; }

    /// <summary>Gets this process's worker index: <see cref="PcrLoader.Options.WorkerIndex"/>, or the <c>RANK</c> environment variable when that was unset, or 0.</summary>
    public int WorkerIndex => _options.WorkerIndex!.Value;

    /// <summary>Gets the number of workers: <see cref="PcrLoader.Options.WorkerCount"/>, or the <c>WORLD_SIZE</c> environment variable when that was unset, or 1.</summary>
    public int WorkerCount => _options.WorkerCount!.Value;

    /// <summary>
    /// Gets a short text that identifies what the view reads: a hash (XxHash64) of its records' names, lengths, image counts and segment lengths
    /// (so one side of a <see cref="SplitByRecords(double, int)"/> has its own). <see cref="ResumeFrom(PcrCursorPosition)"/>
    /// refuses a position taken on a view with another identity.
    /// </summary>
    public string DatasetIdentity { get; }

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
    public long BytesPerPass => PcrRecordInfo.SumPrefixLengths(Plan(OptionsSeed, _resumedRows).Steps.Select(step => Dataset.Records[step.Record]), Scan);

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
        return scan == Scan ? this : new PcrDataView(this, scan, Epoch, _resumedRows);
    }

    /// <summary>
    /// Returns this view at epoch <paramref name="epoch"/>: same dataset, scan group, workers and options, nothing reopened. A shuffled
    /// view reads another order in every epoch, the same one for the same seed and epoch in every process and for any number of
    /// workers; an unshuffled view reads the same order in every epoch. Call it once per epoch: <c>view.ForEpoch(e)</c>.
    /// </summary>
    /// <param name="epoch">The epoch, 0 or more.</param>
    /// <returns>The view at that epoch, from its start (a view made by <see cref="ResumeFrom(PcrCursorPosition)"/> no longer skips rows).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public PcrDataView ForEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return epoch == Epoch && _resumedRows == 0 ? this : new PcrDataView(this, Scan, epoch, 0);
    }

    /// <summary>
    /// Returns where <paramref name="cursor"/> is in this view's epoch, to be saved and given to <see cref="ResumeFrom(PcrCursorPosition)"/>
    /// in another process. The row the cursor is on counts as consumed: resuming yields the rows after it.
    /// </summary>
    /// <param name="cursor">A cursor from this view's <see cref="GetRowCursor"/> (not one of a cursor set, whose rows interleave).</param>
    /// <returns>The position: this view's identity, the cursor's seed, the epoch, scan group, workers and rows consumed.</returns>
    /// <exception cref="ArgumentException">The cursor is not one of this view's.</exception>
    /// <exception cref="InvalidOperationException">The cursor is one of a cursor set of more than one.</exception>
    public PcrCursorPosition GetPosition(DataViewRowCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (cursor is not PcrLoaderCursor ours || !ReferenceEquals(ours.View, this))
            throw new ArgumentException(
                "The cursor is not one of this view's: pass a cursor from this view's GetRowCursor. For a cursor of transforms appended to the view, " +
                "count the rows consumed and call GetPosition(rowsConsumed).", nameof(cursor));
        if (!ours.ReadsWholePlan)
            throw new InvalidOperationException("The cursor is one of a cursor set, which read the epoch's rows in parallel; a position needs a single cursor from GetRowCursor.");
        return new PcrCursorPosition(DatasetIdentity, ours.Seed, Epoch, Scan, WorkerIndex, WorkerCount, _resumedRows + ours.RowsPassed);
    }

    /// <summary>
    /// Returns the position after <paramref name="rowsConsumed"/> rows of this view's epoch, for loops that count rows instead of
    /// holding the cursor (an enumerable from <c>CreateEnumerable</c>, a batching loop). The order is the one of cursors ML.NET
    /// does not shuffle (<see cref="PcrLoader.Options.Shuffle"/> and <see cref="PcrLoader.Options.Seed"/>).
    /// </summary>
    /// <param name="rowsConsumed">The rows this view's cursor has yielded, 0..<see cref="GetRowCount"/>; for a resumed view, counted from where it resumed.</param>
    /// <returns>The position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rowsConsumed"/> is negative or more than the view yields.</exception>
    public PcrCursorPosition GetPosition(long rowsConsumed)
    {
        long rows = _rowsPerWorker - _resumedRows;
        if (rowsConsumed < 0 || rowsConsumed > rows)
            throw new ArgumentOutOfRangeException(nameof(rowsConsumed), rowsConsumed, $"The rows consumed must be between 0 and {rows}, the rows this view yields.");
        return new PcrCursorPosition(DatasetIdentity, OptionsSeed, Epoch, Scan, WorkerIndex, WorkerCount, _resumedRows + rowsConsumed);
    }

    /// <summary>
    /// Returns a view whose cursors yield exactly the rows of <paramref name="position"/>'s epoch that had not been yielded when it
    /// was taken, at its scan group: the record it stopped in is read again and its consumed rows are skipped. Continue with
    /// <c>ForEpoch(position.Epoch + 1)</c>. The order of the rest is fixed by the position, so a <see cref="Random"/> passed to
    /// <see cref="GetRowCursor"/> of the resumed view is not used.
    /// </summary>
    /// <param name="position">A position from <see cref="GetPosition(DataViewRowCursor)"/> or <see cref="GetPosition(long)"/>, perhaps in another process.</param>
    /// <returns>The resumed view.</returns>
    /// <exception cref="ArgumentException">
    /// The position was taken on another dataset or split side, with another seed (cursors shuffled by a Random ML.NET passed have
    /// a seed of their own), for other workers, or past the end of the epoch.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The position's scan group is outside 1..<see cref="ScanGroupCount"/>.</exception>
    public PcrDataView ResumeFrom(PcrCursorPosition position)
    {
        ArgumentNullException.ThrowIfNull(position);
        if (position.DatasetIdentity != DatasetIdentity)
            throw new ArgumentException(
                $"The position was taken on a view with identity {position.DatasetIdentity}, but this view's is {DatasetIdentity}: another dataset, " +
                "another version of it, or another side of a split.", nameof(position));
        if (position.Seed != OptionsSeed)
            throw new ArgumentException(
                $"The position's order was shuffled with {DescribeSeed(position.Seed)}, but this view's is {DescribeSeed(OptionsSeed)} " +
                "(PcrLoader.Options.Shuffle and Seed); use the options the interrupted run used.", nameof(position));
        if (position.WorkerIndex != WorkerIndex || position.WorkerCount != WorkerCount)
            throw new ArgumentException(
                $"The position is worker {position.WorkerIndex} of {position.WorkerCount}'s, but this view is worker {WorkerIndex} of {WorkerCount}: " +
                "each worker resumes its own position, with the same number of workers.", nameof(position));
        if (position.RowsConsumed > _rowsPerWorker)
            throw new ArgumentException(
                $"The position has {position.RowsConsumed} rows consumed, but a worker's epoch has {_rowsPerWorker}.", nameof(position));
        Dataset.CheckScan(position.Scan, nameof(position));
        return new PcrDataView(this, position.Scan, position.Epoch, position.RowsConsumed);
    }

    private static string DescribeSeed(int? seed) => seed is int s ? $"seed {s}" : "no shuffle";

    /// <summary>The seed of cursors ML.NET does not shuffle: the options' seed when they shuffle, else none.</summary>
    private int? OptionsSeed => _options.Shuffle ? _options.Seed : null;

    private PcrEpochPlan Plan(int? seed, long skipRows) =>
        new(Dataset, _records, seed, Epoch, WorkerIndex, WorkerCount, _rowsPerWorker, skipRows);

    private static string ComputeIdentity(PcrDataset dataset, int[] records)
    {
        var hash = new System.IO.Hashing.XxHash64();
        Span<byte> number = stackalloc byte[8];
        foreach (int r in records)
        {
            PcrRecordInfo info = dataset.Records[r];
            hash.Append(System.Text.Encoding.UTF8.GetBytes(info.Name));
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(number, info.Length);
            hash.Append(number);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(number, info.ImageCount);
            hash.Append(number);
            foreach (int length in info.SegmentLengths)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(number, length);
                hash.Append(number);
            }
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>
    /// Splits this view's records (all workers' records: the split is the same in every worker, and each side is then shared among
    /// the workers as the view is) into a training and a test view, both <see cref="PcrDataView"/>s of the same dataset, so that
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
        if (Math.Min(trainRecords.Length, testRecords.Length) < WorkerCount)
            throw new InvalidOperationException(
                $"Each side of a split is shared among the {WorkerCount} workers, but the split gives {trainRecords.Length} training and {testRecords.Length} test records; " +
                "choose another test fraction, fewer workers, or convert with a smaller ImageFolderConversionOptions.ImagesPerRecord.");
        return new PcrTrainTestData(new PcrDataView(this, Scan, Epoch, 0, trainRecords), new PcrDataView(this, Scan, Epoch, 0, testRecords));
    }

    /// <summary>Gets the view's records (all workers' records), ascending positions in <see cref="PcrDataset.Records"/>.</summary>
    internal IReadOnlyList<int> Records => _records;

    /// <summary>
    /// Returns this view over only <paramref name="records"/> (some of its own records), at the same scan group, epoch and workers, from
    /// the epoch's start; with <paramref name="readThrough"/> (this view's dataset read through another byte source, from
    /// <see cref="PcrDataset.ReadingThrough"/>) its cursors read the records there and count their bytes on it.
    /// </summary>
    internal PcrDataView Subset(IEnumerable<int> records, PcrDataset? readThrough = null)
    {
        int[] chosen = [.. records.Distinct().Order()];
        if (chosen.Length < WorkerCount || chosen.Any(r => Array.BinarySearch(_records, r) < 0))
            throw new ArgumentException($"A subset needs at least {WorkerCount} of the view's own records.", nameof(records));
        if (readThrough is not null && !ReferenceEquals(readThrough.Index, Dataset.Index))
            throw new ArgumentException("The dataset read through must be this view's dataset (PcrDataset.ReadingThrough).", nameof(readThrough));
        return new PcrDataView(this, Scan, Epoch, 0, chosen, readThrough);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The rows this worker yields in the epoch (the same for every worker and epoch, padding included; see <see cref="PcrDataView"/>),
    /// less those a resumed view skips. Unknown (null) with <see cref="PcrLoader.Options.SkipCorruptRecords"/>.
    /// </remarks>
    public long? GetRowCount() => _options.SkipCorruptRecords ? null : _rowsPerWorker - _resumedRows;

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

        // A Random from ML.NET draws this cursor's seed; a resumed view's order is fixed by its position.
        int? seed = rand is not null && _resumedRows == 0 ? rand.Next() : OptionsSeed;
        PcrEpochPlan plan = Plan(seed, _resumedRows);

        n = Math.Clamp(n, 1, Math.Max(1, plan.Steps.Length));
        var cursors = new DataViewRowCursor[n];
        for (int i = 0; i < n; i++)
        {
            // Cursor i reads plan steps i, i+n, ...: Batch (the step's place in the epoch) is unique across cursors.
            var steps = new List<int>();
            for (int p = i; p < plan.Steps.Length; p += n) steps.Add(p);
            cursors[i] = new PcrLoaderCursor(this, active, plan, [.. steps], readsWholePlan: n == 1);
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
