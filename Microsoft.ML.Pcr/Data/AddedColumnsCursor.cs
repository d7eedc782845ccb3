using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// A row of an <see cref="AddedColumnsMapper"/>: over an input cursor (<see cref="AddedColumnsDataView"/>) or over one
/// input row (<see cref="AddedColumnsMapper.GetRow"/>). Input columns pass through; the appended columns' getters come from
/// the mapper, bound once to the input when they are active.
/// </summary>
internal sealed class AddedColumnsCursor : DataViewRowCursor
{
    private readonly DataViewRow _input;
    private readonly int _firstAdded;
    private readonly Func<int, Delegate>? _getters;

    /// <param name="mapper">The mapper.</param>
    /// <param name="input">The input row or cursor; disposed with this row.</param>
    /// <param name="source">The input column the appended columns are computed from when they are active, else <see langword="null"/>.</param>
    public AddedColumnsCursor(AddedColumnsMapper mapper, DataViewRow input, DataViewSchema.Column? source)
    {
        Schema = mapper.OutputSchema;
        _input = input;
        _firstAdded = input.Schema.Count;
        _getters = source is { } column ? mapper.BindGetters(input, column) : null;
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool MoveNext() => _input is DataViewRowCursor cursor
        ? cursor.MoveNext()
        : throw new NotSupportedException("This row maps a single input row and cannot move.");

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index >= _firstAdded ? _getters is not null : _input.IsColumnActive(_input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < _firstAdded)
            return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        if (_getters is null)
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        Type expected = Schema[column.Index].Type.RawType;
        if (typeof(TValue) != expected)
            throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{expected}'.");
        return (ValueGetter<TValue>)_getters(column.Index - _firstAdded);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _input.Dispose();
        base.Dispose(disposing);
    }
}
