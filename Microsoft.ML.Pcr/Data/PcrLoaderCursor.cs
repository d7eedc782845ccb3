using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// A cursor over some record reads of a worker's epoch (<see cref="PcrEpochPlan"/>) of a <see cref="PcrDataView"/>: reads each
/// record's prefix in one read (only the metadata when no image column is active), keeps up to
/// <see cref="PcrLoader.Options.ReadAheadRecords"/> further reads in flight, and hands out typed getters.
/// Image bytes are copied once, from the record's read buffer into the getter's destination.
/// </summary>
internal sealed class PcrLoaderCursor : DataViewRowCursor
{
    private readonly PcrDataView _view;
    private readonly bool[] _active;
    private readonly PcrEpochPlan _plan;
    private readonly int[] _steps;   // the positions in _plan.Steps this cursor reads
    private readonly int _readScan;
    private readonly Queue<(int Step, Task<PcrRecordPrefix> Read)> _inFlight = new();
    private readonly CancellationTokenSource _cancelReads = new();
    private int _nextToStart;

    private PcrRecordPrefix? _current;
    private PcrEpochPlan.Step _step;
    private int[] _permutation = [];
    private int _indexInStep;
    private long _position = -1;
    private long _rowsPassed;
    private long _batch;
    private bool _disposed;

    public PcrLoaderCursor(PcrDataView view, bool[] active, PcrEpochPlan plan, int[] steps, bool readsWholePlan)
    {
        _view = view;
        _active = active;
        _plan = plan;
        _steps = steps;
        ReadsWholePlan = readsWholePlan;
        // Labels and paths live in the metadata segment: without an image column, read only that.
        _readScan = active[1] ? view.Scan : 0;
    }

    /// <summary>Gets the view the cursor was made by.</summary>
    internal PcrDataView View => _view;

    /// <summary>Gets the shuffle seed of the cursor's order (the options' seed, or one drawn from the Random ML.NET passed), or null.</summary>
    internal int? Seed => _plan.Seed;

    /// <summary>Gets whether this cursor reads every row of the view (it is not one of a cursor set), so that its rows passed are a position.</summary>
    internal bool ReadsWholePlan { get; }

    /// <summary>Gets the rows of the plan passed so far: rows yielded (the current one included) and rows of records skipped as corrupt.</summary>
    internal long RowsPassed => _rowsPassed;

    public override DataViewSchema Schema => _view.Schema;

    public override long Position => _position;

    public override long Batch => _batch;

    public override bool IsColumnActive(DataViewSchema.Column column) => column.Index >= 0 && column.Index < _active.Length && _active[column.Index];

    public override bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_current is not null && ++_indexInStep < _step.Count)
            {
                _position++;
                _rowsPassed++;
                return true;
            }
            _current?.Dispose();
            _current = null;
            if (!TryTakeNextRecord()) return false;
            _indexInStep = -1;
        }
    }

    private bool TryTakeNextRecord()
    {
        while (true)
        {
            if (_inFlight.Count == 0 && !TryStartNextRead()) return false;
            var (index, read) = _inFlight.Dequeue();
            // Keep ReadAheadRecords further reads in flight while this record is consumed.
            while (_inFlight.Count < _view.Options.ReadAheadRecords && TryStartNextRead()) { }
            PcrEpochPlan.Step step = _plan.Steps[index];
            try
            {
                _current = read.GetAwaiter().GetResult();
            }
            catch (PcrFormatException e) when (_view.Options.SkipCorruptRecords && !e.DatasetReplaced) // a replaced dataset is not a damaged record
            {
                _view.AddSkippedRecord(step.Record);
                _rowsPassed += step.Count;
                continue;
            }
            _view.AddBytesRead(_current.BytesRead);
            _step = step;
            _batch = _plan.FirstStep + index;
            if (_permutation.Length < _current.ImageCount) _permutation = new int[_current.ImageCount];
            _plan.Permute(step.Record, _permutation.AsSpan(0, _current.ImageCount));
            return true;
        }
    }

    private bool TryStartNextRead()
    {
        if (_nextToStart >= _steps.Length) return false;
        int index = _steps[_nextToStart++];
        int record = _plan.Steps[index].Record;
        // Read-ahead uses the byte source's asynchronous reads (no thread blocks on the I/O); without read-ahead the
        // cursor's own thread reads synchronously.
        _inFlight.Enqueue((index, _view.Options.ReadAheadRecords == 0
            ? RunNow(() => _view.Dataset.ReadRecordPrefix(record, _readScan, _view.Options.VerifyChecksums))
            : _view.Dataset.ReadRecordPrefixAsync(record, _readScan, _view.Options.VerifyChecksums, _cancelReads.Token)));
        return true;
    }

    // Without read-ahead the read happens on the cursor's thread; its failure surfaces when the record is taken, as a read-ahead one would.
    private static Task<PcrRecordPrefix> RunNow(Func<PcrRecordPrefix> read)
    {
        try
        {
            return Task.FromResult(read());
        }
        catch (Exception e)
        {
            return Task.FromException<PcrRecordPrefix>(e);
        }
    }

    private int CurrentImage
    {
        get
        {
            if (_current is null) throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");
            return _permutation[_step.First + _indexInStep];
        }
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!IsColumnActive(column))
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
        Delegate getter = column.Index switch
        {
            0 => (ValueGetter<uint>)GetLabel,
            1 => (ValueGetter<VBuffer<byte>>)GetImage,
            _ => (ValueGetter<ReadOnlyMemory<char>>)GetPath,
        };
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    // Labels were checked against the class count when the record was read.
    private void GetLabel(ref uint value) => value = (uint)_current!.GetLabel(CurrentImage) + 1; // ML.NET keys are 1-based; 0 means missing

    private void GetImage(ref VBuffer<byte> value)
    {
        int image = CurrentImage;
        int length = _current!.GetImageLength(image);
        var editor = VBufferEditor.Create(ref value, length);
        _current.CopyImage(image, editor.Values);
        value = editor.Commit();
    }

    private void GetPath(ref ReadOnlyMemory<char> value) => value = (_current!.GetRelativePath(CurrentImage) ?? "").AsMemory();

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) =>
    {
        int image = CurrentImage;
        // Padding repeats rows: the repeat round keeps their ids unique.
        id = new DataViewRowId((ulong)(_view.Dataset.GetFirstRow(_step.Record) + image), (ulong)_step.Round);
    };

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (disposing)
        {
            _current?.Dispose();
            _current = null;
            _cancelReads.Cancel();
            while (_inFlight.Count > 0)
            {
                var (_, read) = _inFlight.Dequeue();
                try { read.GetAwaiter().GetResult().Dispose(); }
                catch (Exception) { } // a failed or cancelled read-ahead nobody asked for
            }
            _cancelReads.Dispose();
        }
        base.Dispose(disposing);
    }
}
