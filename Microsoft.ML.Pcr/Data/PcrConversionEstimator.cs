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

    /// <summary>
    /// Gets what the last <see cref="Fit(string)"/> converted or reused (then <see cref="PcrConversionResult.Reused"/> is true and the
    /// result is the reused conversion's), or null before the first.
    /// </summary>
    public PcrConversionResult? LastConversion { get; private set; }

    /// <summary>
    /// Converts the ImageFolder <paramref name="input"/> into <see cref="OutputDirectory"/>, unless an
    /// up-to-date conversion of the same files with the same options is there already, and returns a loader
    /// of the dataset at the estimator's scan group.
    /// </summary>
    /// <param name="input">A folder with one sub-folder per class.</param>
    /// <returns>A loader whose <c>Load</c> of <paramref name="input"/>, of the output directory, or of any PCR directory with the same classes gives the rows.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The estimator's scan group is above the converted dataset's scan group count; the conversion is kept, and a fit with a scan
    /// group in range reuses it.
    /// </exception>
    public PcrLoader Fit(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        ImageFolderListing listing = ImageFolderListing.Read(input);
        string fingerprint = ConversionReport.Fingerprint(listing, _conversion);
        PcrDataset? dataset = ImageFolderConverter.TryOpenConversion(_outputDirectory, fingerprint);
        if (dataset is not null)
        {
            LastConversion = ConversionReport.TryRead(_outputDirectory, fingerprint) ?? DescribeReused(dataset, listing);
        }
        else
        {
            // An earlier conversion by this converter is replaced; anything else needs Overwrite.
            ImageFolderConversionOptions options = _conversion.Clone();
            options.Overwrite |= ImageFolderConverter.HoldsConversion(_outputDirectory);
            LastConversion = ImageFolderConverter.Run(listing, _outputDirectory, options, CancellationToken.None);
            dataset = PcrDataset.Open(_outputDirectory);
        }

        // The scan group count is known only once the images are transcoded (it is the largest scan count of any image).
        if (_loader.Scan is int scan && scan > dataset.ScanGroupCount)
            throw new ArgumentOutOfRangeException(nameof(PcrLoader.Options.Scan), scan,
                $"The dataset converted into '{_outputDirectory}' has {dataset.ScanGroupCount} scan groups, so scan group {scan} does not exist. " +
                $"The conversion is kept: fitting with a scan group between 1 and {dataset.ScanGroupCount} reuses it.");
        return new PcrLoader(dataset, _loader, input);
    }

    // A reused conversion whose report is missing or describes another conversion: what the dataset and the listing tell.
    private PcrConversionResult DescribeReused(PcrDataset dataset, ImageFolderListing listing) => new()
    {
        OutputDirectory = _outputDirectory,
        ClassNames = dataset.ClassNames,
        ImageCount = checked((int)dataset.ImageCount),
        RecordCount = dataset.Records.Count,
        BytesIn = 0,
        BytesOut = 0,
        ReencodedCount = 0,
        Quality = _conversion.Quality,
        Skipped = [],
        Ignored = listing.Ignored,
        EmptyClasses = listing.EmptyClasses,
        Elapsed = TimeSpan.Zero,
        Reused = true,
        ReportPath = Path.Combine(_outputDirectory, ConversionReport.FileName),
        ReportError = $"the report '{Path.Combine(_outputDirectory, ConversionReport.FileName)}' is missing or describes another conversion, so the skipped files and byte counts of the reused conversion are not known",
    };

    /// <summary>
    /// Returns the shape of the loader's output: Label (key of UInt32 with KeyValues), Image (variable-length
    /// vector of Byte) and ImagePath (text) when paths are stored.
    /// </summary>
    public SchemaShape GetOutputSchema() =>
        SchemaShapes.FromSchema(PcrDataView.BuildSchema(["class"], _loader, _conversion.StoreRelativePaths));
}
