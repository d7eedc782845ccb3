using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// <see cref="IEstimator{TTransformer}"/> for the <see cref="ImageDecodingTransformer"/>, which decodes a column of encoded
/// image bytes (JPEG, PNG, WebP, GIF, BMP: what SkiaSharp reads) into an <see cref="MLImage"/> column.
/// </summary>
/// <remarks>
/// <para>
/// The input column is a vector of <see cref="byte"/> holding one encoded image per row: what
/// <c>LoadRawImageBytes</c> gives and what a PCR loader's image column holds. The output column is an
/// <see cref="ImageDataViewType"/>, the same type <c>LoadImages</c> gives.
/// </para>
/// <para>
/// With <see cref="Options.ImageWidth"/> or <see cref="Options.ImageHeight"/> set, a JPEG is decoded at the smallest DCT
/// scale of 1/1, 1/2, 1/4 and 1/8 whose size is still at least the requested size in both dimensions (never smaller,
/// never upscaled), which is 2-3 times faster than a full decode followed by <c>ResizeImages</c>. The result is not the
/// requested size: follow with <c>ResizeImages</c>. Formats whose codec does not scale decode at full size.
/// </para>
/// <para>
/// This estimator does not need to look at the data: <see cref="Fit"/> only checks the schema.
/// </para>
/// </remarks>
public sealed class ImageDecodingEstimator : IEstimator<ImageDecodingTransformer>
{
    /// <summary>The square target sizes a saved model can hold (see <see cref="ImageDecodingTransformer.IsSaveable"/>).</summary>
    public static IReadOnlyList<int> SaveableImageSizes => ImageDecodingMapping.SquareSizes;

    private readonly ImageDecodingTransformer _transformer;

    /// <summary>Options for <see cref="ImageDecodingEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>Name of the column resulting from the transformation of <see cref="InputColumnName"/>; its type is <see cref="ImageDataViewType"/>.</summary>
        public string OutputColumnName = "Image";

        /// <summary>Name of the column holding the encoded image bytes, a vector of <see cref="byte"/>; <see langword="null"/> means <see cref="OutputColumnName"/>.</summary>
        public string? InputColumnName;

        /// <summary>
        /// The smallest width a reduced-scale decode may give, in pixels (positive); <see langword="null"/> puts no
        /// constraint on the width. With both this and <see cref="ImageHeight"/> <see langword="null"/>, images decode at full size.
        /// </summary>
        public int? ImageWidth;

        /// <summary>
        /// The smallest height a reduced-scale decode may give, in pixels (positive); <see langword="null"/> puts no
        /// constraint on the height.
        /// </summary>
        public int? ImageHeight;

        /// <summary>What a row whose bytes cannot be decoded gives; by default the cursor throws.</summary>
        public UndecodableImageHandling UndecodableImages = UndecodableImageHandling.Throw;
    }

    internal ImageDecodingEstimator(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.OutputColumnName))
            throw new ArgumentException("The output column name must not be empty.", nameof(options.OutputColumnName));
        if (options.InputColumnName is not null && string.IsNullOrWhiteSpace(options.InputColumnName))
            throw new ArgumentException("The input column name must be null (the output column's name) or not empty.", nameof(options.InputColumnName));
        if (options.ImageWidth is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options.ImageWidth), options.ImageWidth, "The image width must be positive, or null for no constraint.");
        if (options.ImageHeight is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options.ImageHeight), options.ImageHeight, "The image height must be positive, or null for no constraint.");
        if (!Enum.IsDefined(options.UndecodableImages))
            throw new ArgumentOutOfRangeException(nameof(options.UndecodableImages), options.UndecodableImages, "Expected Throw, Missing or Blank.");
        _transformer = new ImageDecodingTransformer(options);
    }

    /// <summary>Checks that <paramref name="input"/> has the input column and returns the <see cref="ImageDecodingTransformer"/>.</summary>
    /// <param name="input">The data the transformer will be applied to (only its schema is read).</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not a vector of bytes.</exception>
    public ImageDecodingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _transformer.GetOutputSchema(input.Schema);
        return _transformer;
    }

    /// <summary>
    /// Returns the <see cref="SchemaShape"/> of the schema the transformer will produce: <paramref name="inputSchema"/>
    /// plus the image column. Used for schema propagation and verification in a pipeline.
    /// </summary>
    /// <param name="inputSchema">The shape of the input schema.</param>
    /// <returns>The shape of the output schema.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not a vector of bytes.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string name = _transformer.InputColumnName;
        SchemaShape.Column? source = null;
        foreach (SchemaShape.Column column in inputSchema)
        {
            if (column.Name == name)
                source = column;
        }
        if (source is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Could not find input column '{name}'");
        if (source.Value.Kind == SchemaShape.Column.VectorKind.Scalar || source.Value.IsKey || source.Value.ItemType != NumberDataViewType.Byte)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Schema mismatch for input column '{name}': expected VarVector<Byte>, got {Describe(source.Value)}");
        return ImageDecodingMapping.AddImageColumn(inputSchema, name, _transformer.OutputColumnName);
    }

    // ML.NET's own spelling of a column shape (SchemaShape.Column.GetTypeString is internal).
    private static string Describe(SchemaShape.Column column)
    {
        string type = column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}";
        return column.Kind switch
        {
            SchemaShape.Column.VectorKind.Vector => $"Vector<{type}>",
            SchemaShape.Column.VectorKind.VariableVector => $"VarVector<{type}>",
            _ => type,
        };
    }
}
