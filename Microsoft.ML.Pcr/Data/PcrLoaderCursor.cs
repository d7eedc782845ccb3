using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// A cursor over some records of a <see cref="PcrDataView"/>: reads each record's prefix in one read
/// (only the metadata when no image column is active), keeps up to
/// <see cref="PcrLoader.Options.ReadAheadRecords"/> further reads in flight, and hands out typed getters.
/// Image bytes are copied once, from the record's read buffer into the getter's destination.
/// </summary>
internal sealed class PcrLoaderCursor : DataViewRowCursor
{
    private readonly PcrDataView _view;
    private readonly bool[] _active;
    private readonly int[] _order;       // all records of the view in (shuffled) order
    private readonly int[] _positions;   // the positions in _order this cursor reads
    private readonly int? _seed;
    private readonly int _readScan;
    private readonly Queue<(int Position, Task<PcrRecordPrefix> Read)> _inFlight = new();
    private readonly CancellationTokenSource _cancelReads = new();
    private int _nextToStart;

    private PcrRecordPrefix? _current;
    private int _currentRecord = -1;
    private int[] _permutation = [];
    private int _indexInRecord;
    private long _position = -1;
    private long _batch;
    private bool _disposed;

    public PcrLoaderCursor(PcrDataView view, bool[] active, int[] order, int[] positions, int? seed)
    {
        _view = view;
        _active = active;
        _order = order;
        _positions = positions;
        _seed = seed;
        // Labels and paths live in the metadata segment: without an image column, read only that.
        _readScan = active[1] ? view.Scan : 0;
    }

    public override DataViewSchema Schema => _view.Schema;

    public override long Position => _position;

    public override long Batch => _batch;

    public override bool IsColumnActive(DataViewSchema.Column column) => column.Index >= 0 && column.Index < _active.Length && _active[column.Index];

    public override bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_current is not null && ++_indexInRecord < _current.ImageCount)
            {
                _position++;
                return true;
            }
            _current?.Dispose();
            _current = null;
            if (!TryTakeNextRecord()) return false;
            _indexInRecord = -1;
        }
    }

    private bool TryTakeNextRecord()
    {
        while (true)
        {
            if (_inFlight.Count == 0 && !TryStartNextRead()) return false;
            var (position, read) = _inFlight.Dequeue();
            // Keep ReadAheadRecords further reads in flight while this record is consumed.
            while (_inFlight.Count < _view.Options.ReadAheadRecords && TryStartNextRead()) { }
            try
            {
                _current = read.GetAwaiter().GetResult();
            }
            catch (PcrFormatException e) when (_view.Options.SkipCorruptRecords && !e.DatasetReplaced) // a replaced dataset is not a damaged record
            {
                _view.AddSkippedRecord(_order[position]);
                continue;
            }
            _view.AddBytesRead(_current.BytesRead);
            _currentRecord = _order[position];
            _batch = position;
            SetPermutation(_current.ImageCount, _currentRecord);
            return true;
        }
    }

    private bool TryStartNextRead()
    {
        if (_nextToStart >= _positions.Length) return false;
        int position = _positions[_nextToStart++];
        int record = _order[position];
        // Read-ahead uses the byte source's asynchronous reads (no thread blocks on the I/O); without read-ahead the
        // cursor's own thread reads synchronously.
        _inFlight.Enqueue((position, _view.Options.ReadAheadRecords == 0
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

    private void SetPermutation(int count, int record)
    {
        if (_permutation.Length < count) _permutation = new int[count];
        for (int i = 0; i < count; i++) _permutation[i] = i;
        // Seeded per record, so the order does not depend on how records are spread over cursors; the seed mix is
        // fixed arithmetic (not HashCode, which is randomised per process), so a seed gives the same order in every run.
        if (_seed is int seed) new Random(MixSeed(seed, record)).Shuffle(_permutation.AsSpan(0, count));
    }

    /// <summary>SplitMix64's finaliser over the seed and the record number, folded to an int seed.</summary>
    internal static int MixSeed(int seed, int record)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)record) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z ^ (z >> 32)) & int.MaxValue;
    }

    private int CurrentImage
    {
        get
        {
            if (_current is null) throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");
            return _permutation[_indexInRecord];
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
        id = new DataViewRowId((ulong)(_view.Dataset.GetFirstRow(_currentRecord) + image), 0);
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
