using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The saved form of <see cref="ImageDecodingTransformer"/>. ML.NET 5.0.1 lets a third-party transform into a model file
/// only as a <c>CustomMapping</c> whose factory class carries a <see cref="CustomMappingFactoryAttributeAttribute"/>:
/// the file holds the contract name and nothing else, and the loaded mapping's columns are its row classes' field
/// names. So there is one factory per configuration (target size x <see cref="UndecodableImageHandling"/>), and the
/// user's column names are restored by ML.NET's own saveable <c>CopyColumns</c> and <c>DropColumns</c> around it:
/// <c>CopyColumns(fixed input) -> CustomMapping(contract) -> CopyColumns(output) -> DropColumns(fixed names)</c>.
/// </summary>
internal static class ImageDecodingMapping
{
    /// <summary>The square target sizes that have factories (full size always has one).</summary>
    internal static readonly int[] SquareSizes = [32, 64, 96, 128, 160, 224, 256, 299, 384, 512];

    private static readonly Lazy<Dictionary<string, ImageDecodingMappingFactory>> Factories = new(() =>
        typeof(ImageDecodingMappingFactory).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(ImageDecodingMappingFactory)) && !t.IsAbstract)
            .Select(t => (ImageDecodingMappingFactory)Activator.CreateInstance(t)!)
            .ToDictionary(f => f.ContractName));

    // Column building and saving need an environment; TransformsCatalog does not expose the user's publicly, and an
    // MLContext is not meant to be shared between threads, so each call makes its own.
    private static MLContext Context => new(seed: 0);

    /// <summary>Runs when the assembly loads, before any model holding our mapping can be read.</summary>
#pragma warning disable CA2255 // A library may use a module initializer here: CustomMapping needs MLImage registered before any row class with an MLImage field is read, including in a process that only loads a saved model.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterImageType() =>
        DataViewTypeManager.Register(new ImageDataViewType(), typeof(MLImage));

    /// <summary>The contract name of a configuration (also the attribute argument of its factory).</summary>
    internal static string ContractName(int? width, int? height, UndecodableImageHandling handling) =>
        $"Pcr.DecodeImages.{(width is null && height is null ? "FullSize" : $"{width?.ToString() ?? "Any"}x{height?.ToString() ?? "Any"}")}.{handling}";

    /// <summary>The factory of a configuration, or <see langword="null"/> when it cannot be saved.</summary>
    internal static ImageDecodingMappingFactory? FindFactory(int? width, int? height, UndecodableImageHandling handling) =>
        Factories.Value.GetValueOrDefault(ContractName(width, height, handling));

    /// <summary>Builds the chain of saveable ML.NET transformers that does what <paramref name="transformer"/> does.</summary>
    /// <exception cref="NotSupportedException">The configuration has no factory.</exception>
    internal static ITransformer CreateSaveableEquivalent(ImageDecodingTransformer transformer)
    {
        ImageDecodingMappingFactory factory = FindFactory(transformer.ImageWidth, transformer.ImageHeight, transformer.UndecodableImages)
            ?? throw new NotSupportedException(
                $"DecodeImages with imageWidth {transformer.ImageWidth?.ToString() ?? "null"} and imageHeight {transformer.ImageHeight?.ToString() ?? "null"} " +
                "cannot be saved into a model: ML.NET 5.0.1 saves a third-party transform only as a CustomMapping contract, one per configuration. " +
                $"Saveable: full size (both null) or a square size of {string.Join(", ", SquareSizes)}. Request the next saveable square size at " +
                "least as large as both of yours (the decoded image is then at least as large) and follow with ResizeImages.");

        string input = transformer.InputColumnName, output = transformer.OutputColumnName;
        var definition = SchemaDefinition.Create(typeof(DecodeImagesMappingInput));
        definition[0].ColumnName = input;
        MLContext context = Context;
        IDataView empty = context.Data.LoadFromEnumerable(Array.Empty<DecodeImagesMappingInput>(), definition);

        var chain = new EstimatorChain<ITransformer>();
        var drop = new List<string>(2);
        if (input != DecodeImagesMappingInput.ColumnName)
        {
            chain = chain.Append<ITransformer>(context.Transforms.CopyColumns(DecodeImagesMappingInput.ColumnName, input));
            drop.Add(DecodeImagesMappingInput.ColumnName);
        }
        chain = chain.Append<ITransformer>(context.Transforms.CustomMapping(factory.GetMapping(), factory.ContractName));
        if (output != DecodeImagesMappingOutput.ColumnName)
        {
            chain = chain.Append<ITransformer>(context.Transforms.CopyColumns(output, DecodeImagesMappingOutput.ColumnName));
            drop.Add(DecodeImagesMappingOutput.ColumnName);
        }
        if (drop.Count > 0)
            chain = chain.Append<ITransformer>(context.Transforms.DropColumns([.. drop]));
        return chain.Fit(empty);
    }

    /// <summary>
    /// Adds an image column named <paramref name="output"/> to <paramref name="inputSchema"/>. (SchemaShape.Column's
    /// constructor is internal; a CustomMapping estimator with renamed schema definitions builds the column for us.)
    /// </summary>
    internal static SchemaShape AddImageColumn(SchemaShape inputSchema, string input, string output)
    {
        var inputDefinition = SchemaDefinition.Create(typeof(DecodeImagesMappingInput));
        inputDefinition[0].ColumnName = input;
        var outputDefinition = SchemaDefinition.Create(typeof(DecodeImagesMappingOutput));
        outputDefinition[0].ColumnName = output;
        return Context.Transforms
            .CustomMapping<DecodeImagesMappingInput, DecodeImagesMappingOutput>(static (_, _) => { }, contractName: null, inputDefinition, outputDefinition)
            .GetOutputSchema(inputSchema);
    }
}

/// <summary>The input row of the saved mapping. Public only because ML.NET's row binding requires it; not for direct use.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class DecodeImagesMappingInput
{
    /// <summary>The fixed name of the mapping's input column.</summary>
    public const string ColumnName = "PcrDecodeImages.Bytes";

    /// <summary>The encoded image.</summary>
    [ColumnName(ColumnName)]
    public VBuffer<byte> Bytes;
}

/// <summary>The output row of the saved mapping. Public only because ML.NET's row binding requires it; not for direct use.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class DecodeImagesMappingOutput
{
    /// <summary>The fixed name of the mapping's output column.</summary>
    public const string ColumnName = "PcrDecodeImages.Image";

    /// <summary>The decoded image, or <see langword="null"/> for a missing one.</summary>
    [ColumnName(ColumnName)]
    public MLImage? Image;
}

/// <summary>
/// The factory of the saved mapping for one configuration; ML.NET creates it (Activator.CreateInstance) by its contract
/// name when loading a model.
/// </summary>
internal abstract class ImageDecodingMappingFactory : CustomMappingFactory<DecodeImagesMappingInput, DecodeImagesMappingOutput>
{
    private readonly int? _size;
    private readonly UndecodableImageHandling _handling;

    protected ImageDecodingMappingFactory(int? size, UndecodableImageHandling handling)
    {
        _size = size;
        _handling = handling;
        ContractName = ImageDecodingMapping.ContractName(size, size, handling);
        string? declared = GetType().GetCustomAttribute<CustomMappingFactoryAttributeAttribute>()?.ContractName;
        if (declared != ContractName)
            throw new InvalidOperationException($"{GetType().Name} declares contract '{declared}' but implements '{ContractName}'.");
    }

    /// <summary>Gets the contract name written into a saved model.</summary>
    public string ContractName { get; }

    /// <summary>Returns the mapping: decode the bytes, disposing the image handed out for the previous row.</summary>
    /// <returns>The mapping delegate.</returns>
    public override Action<DecodeImagesMappingInput, DecodeImagesMappingOutput> GetMapping()
    {
        int? size = _size;
        UndecodableImageHandling handling = _handling;
        return (source, destination) =>
        {
            destination.Image?.Dispose();
            destination.Image = null;
            VBuffer<byte> bytes = source.Bytes;
            if (!bytes.IsDense)
                bytes.CopyToDense(ref bytes);
            // A loaded mapping does not see row positions: the message names the contract instead.
            destination.Image = ImageDecodingTransformer.Decode(bytes.GetValues(), size, size, handling, $"a row of mapping '{ContractName}'");
        };
    }
}

#pragma warning disable CS1591 // One factory per saveable configuration; the contract name says all there is to say.
[CustomMappingFactoryAttribute("Pcr.DecodeImages.FullSize.Throw")] internal sealed class DecodeImagesFullSizeThrow() : ImageDecodingMappingFactory(null, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.FullSize.Missing")] internal sealed class DecodeImagesFullSizeMissing() : ImageDecodingMappingFactory(null, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.FullSize.Blank")] internal sealed class DecodeImagesFullSizeBlank() : ImageDecodingMappingFactory(null, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.32x32.Throw")] internal sealed class DecodeImages32x32Throw() : ImageDecodingMappingFactory(32, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.32x32.Missing")] internal sealed class DecodeImages32x32Missing() : ImageDecodingMappingFactory(32, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.32x32.Blank")] internal sealed class DecodeImages32x32Blank() : ImageDecodingMappingFactory(32, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.64x64.Throw")] internal sealed class DecodeImages64x64Throw() : ImageDecodingMappingFactory(64, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.64x64.Missing")] internal sealed class DecodeImages64x64Missing() : ImageDecodingMappingFactory(64, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.64x64.Blank")] internal sealed class DecodeImages64x64Blank() : ImageDecodingMappingFactory(64, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.96x96.Throw")] internal sealed class DecodeImages96x96Throw() : ImageDecodingMappingFactory(96, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.96x96.Missing")] internal sealed class DecodeImages96x96Missing() : ImageDecodingMappingFactory(96, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.96x96.Blank")] internal sealed class DecodeImages96x96Blank() : ImageDecodingMappingFactory(96, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.128x128.Throw")] internal sealed class DecodeImages128x128Throw() : ImageDecodingMappingFactory(128, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.128x128.Missing")] internal sealed class DecodeImages128x128Missing() : ImageDecodingMappingFactory(128, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.128x128.Blank")] internal sealed class DecodeImages128x128Blank() : ImageDecodingMappingFactory(128, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.160x160.Throw")] internal sealed class DecodeImages160x160Throw() : ImageDecodingMappingFactory(160, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.160x160.Missing")] internal sealed class DecodeImages160x160Missing() : ImageDecodingMappingFactory(160, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.160x160.Blank")] internal sealed class DecodeImages160x160Blank() : ImageDecodingMappingFactory(160, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.224x224.Throw")] internal sealed class DecodeImages224x224Throw() : ImageDecodingMappingFactory(224, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.224x224.Missing")] internal sealed class DecodeImages224x224Missing() : ImageDecodingMappingFactory(224, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.224x224.Blank")] internal sealed class DecodeImages224x224Blank() : ImageDecodingMappingFactory(224, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.256x256.Throw")] internal sealed class DecodeImages256x256Throw() : ImageDecodingMappingFactory(256, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.256x256.Missing")] internal sealed class DecodeImages256x256Missing() : ImageDecodingMappingFactory(256, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.256x256.Blank")] internal sealed class DecodeImages256x256Blank() : ImageDecodingMappingFactory(256, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.299x299.Throw")] internal sealed class DecodeImages299x299Throw() : ImageDecodingMappingFactory(299, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.299x299.Missing")] internal sealed class DecodeImages299x299Missing() : ImageDecodingMappingFactory(299, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.299x299.Blank")] internal sealed class DecodeImages299x299Blank() : ImageDecodingMappingFactory(299, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.384x384.Throw")] internal sealed class DecodeImages384x384Throw() : ImageDecodingMappingFactory(384, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.384x384.Missing")] internal sealed class DecodeImages384x384Missing() : ImageDecodingMappingFactory(384, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.384x384.Blank")] internal sealed class DecodeImages384x384Blank() : ImageDecodingMappingFactory(384, UndecodableImageHandling.Blank);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.512x512.Throw")] internal sealed class DecodeImages512x512Throw() : ImageDecodingMappingFactory(512, UndecodableImageHandling.Throw);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.512x512.Missing")] internal sealed class DecodeImages512x512Missing() : ImageDecodingMappingFactory(512, UndecodableImageHandling.Missing);
[CustomMappingFactoryAttribute("Pcr.DecodeImages.512x512.Blank")] internal sealed class DecodeImages512x512Blank() : ImageDecodingMappingFactory(512, UndecodableImageHandling.Blank);
#pragma warning restore CS1591
