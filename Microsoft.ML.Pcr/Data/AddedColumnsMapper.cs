using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The computing half of a transform that appends columns computed from one input column to every input row: the output
/// schema, which input columns the appended ones read, and their getters over an input row. <see cref="AddedColumnsDataView"/>
/// applies it to a data view and <see cref="GetRow"/> to one row; both hand out an <see cref="AddedColumnsCursor"/>.
/// </summary>
/// <remarks>
/// Our counterpart of ML.NET's <c>IRowMapper</c> and <c>RowToRowMapperTransform</c>, which are internal to ML.NET. Input
/// columns pass through unchanged; the appended columns follow them (so they hide input columns of the same names).
/// </remarks>
internal abstract class AddedColumnsMapper : IRowToRowMapper
{
    private readonly int _sourceIndex;

    /// <param name="inputSchema">The schema of the rows to map.</param>
    /// <param name="outputSchema">Every column of <paramref name="inputSchema"/>, then the appended columns.</param>
    /// <param name="sourceIndex">The index in <paramref name="inputSchema"/> of the column the appended columns are computed from.</param>
    protected AddedColumnsMapper(DataViewSchema inputSchema, DataViewSchema outputSchema, int sourceIndex)
    {
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
        _sourceIndex = sourceIndex;
    }

    /// <summary>Gets the schema of the rows this mapper maps.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>Gets the schema of the mapped rows: the input columns, then the appended ones.</summary>
    public DataViewSchema OutputSchema { get; }

    /// <summary>
    /// Binds the appended columns to one input row (or cursor), once per <see cref="AddedColumnsCursor"/> that has them
    /// active, so that state their getters share (such as a per-row cache) lives in what this returns. The function returned
    /// makes the getter of the appended column at an offset (0 for the first appended column), as a
    /// <see cref="ValueGetter{TValue}"/> of that column's raw type; it may read <paramref name="source"/> of <paramref name="input"/>.
    /// </summary>
    /// <param name="input">The input row the getters read.</param>
    /// <param name="source">The column of <paramref name="input"/> the appended columns are computed from.</param>
    /// <returns>The maker of the appended columns' getters.</returns>
    internal abstract Func<int, Delegate> BindGetters(DataViewRow input, DataViewSchema.Column source);

    /// <summary>
    /// Returns the input columns that the columns <paramref name="columnsNeeded"/> of <see cref="OutputSchema"/> read: the
    /// input columns among them and, when an appended column is among them (<paramref name="addedNeeded"/>), the source column.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is not one of <see cref="OutputSchema"/>.</exception>
    internal DataViewSchema.Column[] GetInputColumns(IEnumerable<DataViewSchema.Column> columnsNeeded, out bool addedNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        addedNeeded = false;
        var needed = new SortedSet<int>();
        foreach (DataViewSchema.Column column in columnsNeeded)
        {
            if (column.Index < 0 || column.Index >= OutputSchema.Count)
                throw new ArgumentOutOfRangeException(nameof(columnsNeeded), column.Index,
                    $"Column '{column.Name}' has index {column.Index}; the schema has columns 0 to {OutputSchema.Count - 1}.");
            if (column.Index >= InputSchema.Count)
                addedNeeded = true;
            else
                needed.Add(column.Index);
        }
        if (addedNeeded)
            needed.Add(_sourceIndex);
        return [.. needed.Select(index => InputSchema[index])];
    }

    /// <summary>Returns the input columns that <paramref name="dependingColumns"/> (columns of <see cref="OutputSchema"/>) read.</summary>
    /// <param name="dependingColumns">The output columns wanted.</param>
    /// <returns>The input columns they need.</returns>
    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        GetInputColumns(dependingColumns, out _);

    /// <summary>Maps one input row; the returned row disposes <paramref name="input"/> when it is disposed.</summary>
    /// <param name="input">A row of <see cref="InputSchema"/> with the columns <see cref="GetDependencies"/> names active.</param>
    /// <param name="activeColumns">The output columns to be read.</param>
    /// <returns>The row of <see cref="OutputSchema"/>.</returns>
    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        bool addedActive = activeColumns.Any(c => c.Index >= InputSchema.Count);
        return MapCursor(input, addedActive);
    }

    /// <summary>Wraps <paramref name="input"/>, a row or cursor of <see cref="InputSchema"/> whose needed columns are active.</summary>
    internal AddedColumnsCursor MapCursor(DataViewRow input, bool addedActive) =>
        new(this, input, addedActive ? input.Schema[_sourceIndex] : null);
}
