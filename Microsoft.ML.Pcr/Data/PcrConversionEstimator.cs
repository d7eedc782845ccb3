using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// An ML.NET loader estimator that converts an ImageFolder into a PCR dataset and returns a
/// <see cref="PcrLoader"/> on it: <c>Fit(imageFolder)</c> converts (or reuses an up-to-date conversion at the
/// output path) so that <c>converter.Append(transforms).Append(trainer).Fit("training_set")</c> converts and
/// trains in one pipeline. Create it with
/// <see cref="PcrCatalog.ConvertToPcr(DataOperationsCatalog, string, int?, ImageFolderConversionOptions?, PcrLoader.Options?)"/>.
/// </summary>
public sealed class PcrConversionEstimator : IDataLoaderEstimator<string, PcrLoader>
{
    private readonly string _outputDirectory;
    private readonly ImageFolderConversionOptions _conversion;
    private readonly PcrLoader.Options _loader;

    internal PcrConversionEstimator(string outputDirectory, ImageFolderConversionOptions conversion, PcrLoader.Options loader)
    {
        _outputDirectory = Path.GetFullPath(outputDirectory);
        _conversion = conversion;
        _loader = loader;
    }

    /// <summary>Gets the PCR directory the estimator writes.</summary>
    public string OutputDirectory => _outputDirectory;

    /// <summary>Gets what the last <see cref="Fit(string)"/> converted or reused, or null before the first.</summary>
    public PcrConversionResult? LastConversion { get; private set; }

    /// <summary>
    /// Converts the ImageFolder <paramref name="input"/> into <see cref="OutputDirectory"/>, unless an
    /// up-to-date conversion of the same files with the same options is there already, and returns a loader
    /// of the dataset at the estimator's scan group.
    /// </summary>
    /// <param name="input">A folder with one sub-folder per class.</param>
    /// <returns>A loader whose <c>Load</c> of <paramref name="input"/>, of the output directory, or of any PCR directory with the same classes gives the rows.</returns>
    public PcrLoader Fit(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        ImageFolderListing listing = ImageFolderListing.Read(input);
        string fingerprint = ConversionReport.Fingerprint(listing, _conversion);
        string? stored = ConversionReport.TryReadFingerprint(_outputDirectory);
        if (stored == fingerprint && File.Exists(Path.Combine(_outputDirectory, PcrIndex.FileName)))
        {
            LastConversion = null;
            return new PcrLoader(PcrDataset.Open(_outputDirectory), _loader, input);
        }

        // An earlier conversion by this project (it left a report) is replaced; anything else needs Overwrite.
        ImageFolderConversionOptions options = _conversion.Clone();
        options.Overwrite |= stored is not null;
        LastConversion = ImageFolderConverter.Run(listing, _outputDirectory, options, CancellationToken.None);
        return new PcrLoader(PcrDataset.Open(_outputDirectory), _loader, input);
    }

    /// <summary>
    /// Returns the shape of the loader's output: Label (key of UInt32 with KeyValues), Image (variable-length
    /// vector of Byte) and ImagePath (text) when paths are stored.
    /// </summary>
    public SchemaShape GetOutputSchema() =>
        SchemaShapes.FromSchema(PcrDataView.BuildSchema(["class"], _loader, _conversion.StoreRelativePaths));
}
