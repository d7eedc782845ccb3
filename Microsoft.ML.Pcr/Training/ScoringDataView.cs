using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Training;

/// <summary>The data view <see cref="PcrImageClassificationTransformer.Transform"/> returns: the input's columns plus Score and PredictedLabel.</summary>
internal sealed class ScoringDataView(PcrImageClassificationTransformer parent, IDataView input) : IDataView
{
    private readonly int _imageIndex = parent.CheckInput(input.Schema);

    public DataViewSchema Schema { get; } = parent.BuildOutputSchema(input.Schema);

    public bool CanShuffle => input.CanShuffle;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        Wrap(input.GetRowCursor(InputColumns(columnsNeeded, out bool scored), rand), scored);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [.. input.GetRowCursorSet(InputColumns(columnsNeeded, out bool scored), n, rand).Select(c => Wrap(c, scored))];

    private ScoringCursor Wrap(DataViewRowCursor cursor, bool scored) => new(parent, Schema, cursor, scored ? input.Schema[_imageIndex] : null);

    private List<DataViewSchema.Column> InputColumns(IEnumerable<DataViewSchema.Column> columnsNeeded, out bool scored)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        scored = false;
        var columns = new List<DataViewSchema.Column>();
        foreach (DataViewSchema.Column c in columnsNeeded)
        {
            if (c.Index >= input.Schema.Count) scored = true;
            else columns.Add(input.Schema[c.Index]);
        }
        if (scored && !columns.Any(c => c.Index == _imageIndex)) columns.Add(input.Schema[_imageIndex]);
        return columns;
    }
}

/// <summary>A row of <see cref="ScoringDataView"/> (over a cursor) or of <see cref="ScoringRowMapper"/> (over one row): input columns pass through, the last two are computed once per row.</summary>
internal sealed class ScoringCursor(PcrImageClassificationTransformer parent, DataViewSchema schema, DataViewRow input, DataViewSchema.Column? image) : DataViewRowCursor
{
    private readonly int _scoreIndex = input.Schema.Count;
    private float[] _scores = [];
    private long _scoredPosition = -1;
    private VBuffer<byte> _bytes;

    public override DataViewSchema Schema => schema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool MoveNext() => input is DataViewRowCursor cursor
        ? cursor.MoveNext()
        : throw new NotSupportedException("This row maps a single input row and cannot move.");

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index >= _scoreIndex ? image is not null : input.IsColumnActive(input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < _scoreIndex)
            return input.GetGetter<TValue>(input.Schema[column.Index]);
        if (image is null)
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        ValueGetter<VBuffer<byte>> bytes = input.GetGetter<VBuffer<byte>>(image.Value);
        if (column.Index == _scoreIndex)
        {
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{typeof(VBuffer<float>)}'.");
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                float[] scores = Score(bytes);
                var editor = VBufferEditor.Create(ref value, scores.Length);
                scores.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }
        if (typeof(TValue) != typeof(uint))
            throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{typeof(uint)}'.");
        ValueGetter<uint> predicted = (ref uint value) => value = PcrImageClassificationTransformer.ArgMax(Score(bytes)) + 1;
        return (ValueGetter<TValue>)(Delegate)predicted;
    }

    private float[] Score(ValueGetter<VBuffer<byte>> bytes)
    {
        if (_scoredPosition != input.Position || input.Position < 0)
        {
            bytes(ref _bytes);
            _scores = parent.Score(_bytes.GetValues(), $"row {input.Position} of column '{image!.Value.Name}'");
            _scoredPosition = input.Position;
        }
        return _scores;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) input.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The row-to-row mapper of <see cref="PcrImageClassificationTransformer"/> (prediction engines use it).</summary>
internal sealed class ScoringRowMapper : IRowToRowMapper
{
    private readonly PcrImageClassificationTransformer _parent;
    private readonly int _imageIndex;

    public ScoringRowMapper(PcrImageClassificationTransformer parent, DataViewSchema inputSchema)
    {
        _parent = parent;
        _imageIndex = parent.CheckInput(inputSchema);
        InputSchema = inputSchema;
        OutputSchema = parent.BuildOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        ArgumentNullException.ThrowIfNull(dependingColumns);
        var needed = new SortedSet<int>();
        foreach (DataViewSchema.Column c in dependingColumns)
            needed.Add(c.Index >= InputSchema.Count ? _imageIndex : c.Index);
        return [.. needed.Select(i => InputSchema[i])];
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        bool scored = activeColumns.Any(c => c.Index >= InputSchema.Count);
        return new ScoringCursor(_parent, OutputSchema, input, scored ? input.Schema[_imageIndex] : null);
    }
}
