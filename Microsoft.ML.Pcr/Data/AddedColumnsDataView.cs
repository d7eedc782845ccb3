using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The data view of an <see cref="AddedColumnsMapper"/> over an input view: the input's rows with the appended columns,
/// computed lazily as cursors read them. Its cursors read the source column only when an appended column is active.
/// </summary>
internal sealed class AddedColumnsDataView : IDataView
{
    private readonly AddedColumnsMapper _mapper;
    private readonly IDataView _input;

    /// <param name="mapper">The mapper, built for <paramref name="input"/>'s schema.</param>
    /// <param name="input">The data to append the columns to.</param>
    public AddedColumnsDataView(AddedColumnsMapper mapper, IDataView input)
    {
        _mapper = mapper;
        _input = input;
    }

    public DataViewSchema Schema => _mapper.OutputSchema;

    public bool CanShuffle => _input.CanShuffle;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        DataViewSchema.Column[] inputColumns = _mapper.GetInputColumns(columnsNeeded, out bool addedNeeded);
        return _mapper.MapCursor(_input.GetRowCursor(inputColumns, rand), addedNeeded);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        DataViewSchema.Column[] inputColumns = _mapper.GetInputColumns(columnsNeeded, out bool addedNeeded);
        return [.. _input.GetRowCursorSet(inputColumns, n, rand).Select(cursor => _mapper.MapCursor(cursor, addedNeeded))];
    }
}
