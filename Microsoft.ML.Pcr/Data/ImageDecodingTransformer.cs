using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// <see cref="ITransformer"/> resulting from fitting an <see cref="ImageDecodingEstimator"/>: decodes a column of encoded
/// image bytes into an <see cref="MLImage"/> column.
/// </summary>
/// <remarks>
/// <para>
/// The output column has type <see cref="ImageDataViewType"/> of unknown size, as <c>LoadImages</c> gives, so
/// <c>ResizeImages</c>, <c>ExtractPixels</c>, <c>ConvertToGrayscale</c> and the other image transforms take it unchanged.
/// Images are BGRA32, premultiplied, with no colour-space conversion: the pixels <c>SKBitmap.Decode</c> gives.
/// </para>
/// <para>
/// Ownership follows ML.NET's image transforms: a getter disposes the image passed back to it (the one it handed out for
/// an earlier row), so an image is valid until the getter is called again with it (as with <c>LoadImages</c>, rows from
/// <c>CreateEnumerable</c> hold valid images only while they are current). Unlike <c>LoadImages</c>, the image of the last
/// row a cursor served is not disposed with the cursor, so every row of <c>Preview</c> holds a valid image. <c>Cache</c>
/// drops image columns (ML.NET caches only primitive and vector columns): cache the bytes before this transform, or the
/// pixels after <c>ExtractPixels</c>.
/// </para>
/// <para>
/// Saving: <c>mlContext.Model.Save</c> writes this transformer as an equivalent chain of ML.NET's own saveable transforms
/// around a <c>CustomMapping</c> (see <see cref="IsSaveable"/>); loading it back gives that chain, which produces the same
/// column with the same pixels.
/// </para>
/// </remarks>
public sealed class ImageDecodingTransformer : ITransformer
{
    internal ImageDecodingTransformer(ImageDecodingEstimator.Options options)
    {
        OutputColumnName = options.OutputColumnName;
        InputColumnName = options.InputColumnName ?? options.OutputColumnName;
        ImageWidth = options.ImageWidth;
        ImageHeight = options.ImageHeight;
        UndecodableImages = options.UndecodableImages;
    }

    /// <summary>Gets the name of the output column, of type <see cref="ImageDataViewType"/>.</summary>
    public string OutputColumnName { get; }

    /// <summary>Gets the name of the input column of encoded image bytes, a vector of <see cref="byte"/>.</summary>
    public string InputColumnName { get; }

    /// <summary>Gets the smallest width a reduced-scale decode may give, or <see langword="null"/> for no constraint on the width.</summary>
    public int? ImageWidth { get; }

    /// <summary>Gets the smallest height a reduced-scale decode may give, or <see langword="null"/> for no constraint on the height.</summary>
    public int? ImageHeight { get; }

    /// <summary>Gets what a row whose bytes cannot be decoded gives.</summary>
    public UndecodableImageHandling UndecodableImages { get; }

    /// <summary>
    /// Gets whether <c>mlContext.Model.Save</c> can write this transformer: true for a full-size decode and for a square
    /// target size of <see cref="ImageDecodingEstimator.SaveableImageSizes"/>, with any <see cref="UndecodableImageHandling"/>
    /// and any column names. Saving any other configuration throws <see cref="NotSupportedException"/>.
    /// </summary>
    public bool IsSaveable => ImageDecodingMapping.FindFactory(ImageWidth, ImageHeight, UndecodableImages) is not null;

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>
    /// Returns the schema this transformer produces from <paramref name="inputSchema"/>: every input column, then the
    /// image column (which hides an input column of the same name).
    /// </summary>
    /// <param name="inputSchema">The schema of the data to transform.</param>
    /// <returns>The output schema.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not a vector of bytes.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return BuildOutputSchema(inputSchema, out _);
    }

    /// <summary>
    /// Decodes the images of <paramref name="input"/>. Data views are lazy: this only checks the schema; decoding
    /// happens as cursors read the output column.
    /// </summary>
    /// <param name="input">The data holding the input column.</param>
    /// <returns>The data with the image column added.</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new AddedColumnsDataView(new ImageDecodingMapper(this, input.Schema), input);
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ImageDecodingMapper(this, inputSchema);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        // ModelSaveContext's writing members are internal to ML.NET, so a third-party transformer cannot write itself.
        // Instead we write an equivalent chain of saveable ML.NET transformers in our place (see ImageDecodingMapping).
        ITransformer equivalent = ImageDecodingMapping.CreateSaveableEquivalent(this);
        equivalent.Save(ctx);
    }

    /// <summary>Checks the input column and returns the output schema and the input column's index.</summary>
    internal DataViewSchema BuildOutputSchema(DataViewSchema inputSchema, out int sourceIndex)
    {
        DataViewSchema.Column? source = inputSchema.GetColumnOrNull(InputColumnName);
        if (source is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find input column '{InputColumnName}'");
        if (source.Value.Type is not VectorDataViewType { ItemType: var itemType } || itemType != NumberDataViewType.Byte)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Schema mismatch for input column '{InputColumnName}': expected VarVector<Byte>, got {source.Value.Type}");
        sourceIndex = source.Value.Index;

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(OutputColumnName, new ImageDataViewType());
        return builder.ToSchema();
    }

    /// <summary>Makes the getter of the image column over <paramref name="input"/>, whose column <paramref name="source"/> holds the bytes.</summary>
    internal ValueGetter<MLImage> MakeGetter(DataViewRow input, DataViewSchema.Column source)
    {
        ValueGetter<VBuffer<byte>> getBytes = input.GetGetter<VBuffer<byte>>(source);
        VBuffer<byte> bytes = default;
        VBuffer<byte> dense = default;
        return (ref MLImage image) =>
        {
            // ML.NET's rule: the value passed back is the image this getter handed out before; disposing it is ours.
            image?.Dispose();
            image = null!;
            getBytes(ref bytes);
            ReadOnlySpan<byte> encoded;
            if (bytes.IsDense)
            {
                encoded = bytes.GetValues();
            }
            else
            {
                bytes.CopyToDense(ref dense);
                encoded = dense.GetValues();
            }
            image = Decode(encoded, ImageWidth, ImageHeight, UndecodableImages, $"row {input.Position} of column '{InputColumnName}'")!;
        };
    }

    /// <summary>Decodes one image, applying <paramref name="handling"/> to a failure; <paramref name="where"/> names the row for the exception.</summary>
    internal static MLImage? Decode(ReadOnlySpan<byte> encoded, int? width, int? height, UndecodableImageHandling handling, string where)
    {
        try
        {
            using BgraPixels pixels = ImageDecoder.DecodeBgra(encoded, width, height);
            return MLImage.CreateFromPixels(pixels.Width, pixels.Height, MLPixelFormat.Bgra32, pixels.Span);
        }
        catch (ImageDecodeFailure failure)
        {
            return handling switch
            {
                UndecodableImageHandling.Missing => null,
                UndecodableImageHandling.Blank => MLImage.CreateFromPixels(1, 1, MLPixelFormat.Bgra32, new byte[4]),
                _ => throw new PcrFormatException($"cannot decode the image in {where}: {failure.Message}"),
            };
        }
    }
}
