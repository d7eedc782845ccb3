using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Data;

/// <summary>The data view <see cref="ImageDecodingTransformer.Transform"/> returns: the input's columns plus the image column.</summary>
internal sealed class ImageDecodingDataView : IDataView
{
    private readonly ImageDecodingTransformer _parent;
    private readonly IDataView _input;
    private readonly int _sourceIndex;

    public ImageDecodingDataView(ImageDecodingTransformer parent, IDataView input)
    {
        _parent = parent;
        _input = input;
        Schema = parent.BuildOutputSchema(input.Schema, out _sourceIndex);
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => _input.CanShuffle;

    private int OutputIndex => _input.Schema.Count;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var inputColumns = InputColumns(columnsNeeded, out bool imageNeeded);
        return Wrap(_input.GetRowCursor(inputColumns, rand), imageNeeded);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var inputColumns = InputColumns(columnsNeeded, out bool imageNeeded);
        return _input.GetRowCursorSet(inputColumns, n, rand).Select(cursor => Wrap(cursor, imageNeeded)).ToArray();
    }

    private ImageDecodingCursor Wrap(DataViewRowCursor input, bool imageNeeded) =>
        new(_parent, Schema, input, imageNeeded ? _input.Schema[_sourceIndex] : null);

    /// <summary>The input columns that <paramref name="columnsNeeded"/> (of our schema) depend on.</summary>
    private List<DataViewSchema.Column> InputColumns(IEnumerable<DataViewSchema.Column> columnsNeeded, out bool imageNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        imageNeeded = false;
        var inputColumns = new List<DataViewSchema.Column>();
        foreach (DataViewSchema.Column column in columnsNeeded)
        {
            if (column.Index == OutputIndex)
                imageNeeded = true;
            else
                inputColumns.Add(_input.Schema[column.Index]);
        }
        if (imageNeeded && !inputColumns.Any(c => c.Index == _sourceIndex))
            inputColumns.Add(_input.Schema[_sourceIndex]);
        return inputColumns;
    }
}

/// <summary>
/// A row of <see cref="ImageDecodingDataView"/> (over an input cursor) or of <see cref="ImageDecodingRowMapper"/>
/// (over an input row): input columns pass through, the last column is the decoded image.
/// </summary>
internal sealed class ImageDecodingCursor : DataViewRowCursor
{
    private readonly ImageDecodingTransformer _parent;
    private readonly DataViewRow _input;
    private readonly DataViewSchema.Column? _source;
    private readonly int _outputIndex;

    /// <param name="parent">The transformer.</param>
    /// <param name="schema">The output schema.</param>
    /// <param name="input">The input row or cursor.</param>
    /// <param name="source">The input bytes column when the image column is active, else <see langword="null"/>.</param>
    public ImageDecodingCursor(ImageDecodingTransformer parent, DataViewSchema schema, DataViewRow input, DataViewSchema.Column? source)
    {
        _parent = parent;
        Schema = schema;
        _input = input;
        _source = source;
        _outputIndex = input.Schema.Count;
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool MoveNext() => _input is DataViewRowCursor cursor
        ? cursor.MoveNext()
        : throw new NotSupportedException("This row maps a single input row and cannot move.");

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index == _outputIndex ? _source is not null : _input.IsColumnActive(_input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index != _outputIndex)
            return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        if (_source is null)
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        if (typeof(TValue) != typeof(MLImage))
            throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{typeof(MLImage)}'.");
        return (ValueGetter<TValue>)(Delegate)_parent.MakeGetter(_input, _source.Value);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _input.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The row-to-row mapper of <see cref="ImageDecodingTransformer"/> (prediction engines and composed mappers use it).</summary>
internal sealed class ImageDecodingRowMapper : IRowToRowMapper
{
    private readonly ImageDecodingTransformer _parent;
    private readonly int _sourceIndex;

    public ImageDecodingRowMapper(ImageDecodingTransformer parent, DataViewSchema inputSchema)
    {
        _parent = parent;
        InputSchema = inputSchema;
        OutputSchema = parent.BuildOutputSchema(inputSchema, out _sourceIndex);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        ArgumentNullException.ThrowIfNull(dependingColumns);
        var needed = new SortedSet<int>();
        foreach (DataViewSchema.Column column in dependingColumns)
            needed.Add(column.Index == InputSchema.Count ? _sourceIndex : column.Index);
        return needed.Select(index => InputSchema[index]).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        bool imageActive = activeColumns.Any(c => c.Index == InputSchema.Count);
        return new ImageDecodingCursor(_parent, OutputSchema, input, imageActive ? input.Schema[_sourceIndex] : null);
    }
}
