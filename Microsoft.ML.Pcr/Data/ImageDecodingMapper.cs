using Microsoft.ML.Data;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The mapper of <see cref="ImageDecodingTransformer"/>: appends the decoded image column. Its data view is what
/// <see cref="ImageDecodingTransformer.Transform"/> returns, and prediction engines and composed mappers use it as the row-to-row mapper.
/// </summary>
internal sealed class ImageDecodingMapper : AddedColumnsMapper
{
    private readonly ImageDecodingTransformer _parent;

    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not a vector of bytes.</exception>
    public ImageDecodingMapper(ImageDecodingTransformer parent, DataViewSchema inputSchema)
        : base(inputSchema, parent.BuildOutputSchema(inputSchema, out int sourceIndex), sourceIndex)
    {
        _parent = parent;
    }

    internal override Func<int, Delegate> BindGetters(DataViewRow input, DataViewSchema.Column source) =>
        _ => _parent.MakeGetter(input, source);
}
