using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML;

/// <summary>
/// Extension methods of <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>) for Progressive Compressed Records.
/// </summary>
public static class PcrCatalog
{
    // No JPEG progression the converter writes has more scans: 18, for a 4-component image.
    private const int MaxConvertedScanGroups = Pcr.Jpeg.Encoder.ProgressiveScanScript.MaxScanCount;

    /// <summary>
    /// Create a <see cref="PcrDataView"/>, which reads the PCR dataset in <paramref name="directory"/> with every
    /// image at scan group <paramref name="scan"/>: reading a record reads only the prefix of its file that the
    /// scan group needs.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="directory">A directory holding <c>PCR_index.pb</c> and its record files.</param>
    /// <param name="scan">The scan group, 1..L (low to full fidelity); null for full fidelity. Change it between epochs with <see cref="PcrDataView.WithScan(int)"/>.</param>
    /// <param name="options">Column names, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>
    /// A view with columns Label (key of UInt32, class names in its KeyValues annotation), Image (variable-length
    /// vector of Byte: the JPEG at the scan group) and, when the dataset stores them, ImagePath (text).
    /// </returns>
    /// <exception cref="FileNotFoundException">The directory or its index does not exist.</exception>
    /// <exception cref="Pcr.PcrFormatException">The index or a record is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scan"/> is outside 1..L.</exception>
    public static PcrDataView LoadFromPcr(this DataOperationsCatalog catalog, string directory, int? scan = null, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return LoadFromPcr(catalog, new FileByteSource(directory), scan, options);
    }

    /// <summary>
    /// Create a <see cref="PcrDataView"/>, which reads the PCR dataset held by <paramref name="source"/> (local
    /// files, object storage, a rate-limited wrapper) with every image at scan group <paramref name="scan"/>.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="source">Where the index and the record files are read from.</param>
    /// <param name="scan">The scan group, 1..L; null for full fidelity.</param>
    /// <param name="options">Column names, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>The view; see <see cref="LoadFromPcr(DataOperationsCatalog, string, int?, PcrLoader.Options?)"/> for its columns.</returns>
    public static PcrDataView LoadFromPcr(this DataOperationsCatalog catalog, IPcrByteSource source, int? scan = null, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(source);
        PcrLoader.Options effective = (options ?? new PcrLoader.Options()).Clone();
        if (scan is not null) effective.Scan = scan;
        effective = effective.Resolved();
        return new PcrDataView(PcrDataset.Open(source, effective.SkipCorruptRecords), effective);
    }

    /// <summary>
    /// Create a <see cref="PcrLoader"/>, which loads PCR directories with the schema of the dataset in
    /// <paramref name="directory"/>, so that it can start a pipeline: <c>loader.Append(transforms).Fit(directory)</c>.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="directory">The PCR directory that fixes the schema (class names) and that <c>Load</c> usually reads.</param>
    /// <param name="options">Column names, scan group, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>The loader.</returns>
    public static PcrLoader CreatePcrLoader(this DataOperationsCatalog catalog, string directory, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return CreatePcrLoader(catalog, new FileByteSource(directory), options);
    }

    /// <summary>
    /// Create a <see cref="PcrLoader"/>, which loads the PCR dataset held by <paramref name="source"/> (local files,
    /// object storage, a rate-limited wrapper) with its schema, so that it can start a pipeline:
    /// <c>loader.Append(transforms).Fit(source.Location)</c>. For a source other than local files, <c>Load</c> takes
    /// only <paramref name="source"/>'s <see cref="IPcrByteSource.Location"/> (see <see cref="PcrLoader.Load(string)"/>).
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="source">Where the index and the record files are read from.</param>
    /// <param name="options">Column names, scan group, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>The loader.</returns>
    /// <exception cref="FileNotFoundException">The source holds no index.</exception>
    /// <exception cref="Pcr.PcrFormatException">The index or a record is malformed.</exception>
    public static PcrLoader CreatePcrLoader(this DataOperationsCatalog catalog, IPcrByteSource source, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(source);
        return new PcrLoader(PcrDataset.Open(source, options?.SkipCorruptRecords ?? false), options);
    }

    /// <summary>
    /// Create a <see cref="PcrConversionEstimator"/>, which converts an ImageFolder (one sub-folder per class) into a
    /// PCR dataset in <paramref name="outputDirectory"/> when fitted, and returns a <see cref="PcrLoader"/> of it at
    /// scan group <paramref name="scan"/>; an up-to-date earlier conversion is reused. It starts a pipeline:
    /// <c>mlContext.Data.ConvertToPcr("pcr", scan: 3).Append(transforms).Append(trainer).Fit("training_set")</c>.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="outputDirectory">Where the PCR dataset is written.</param>
    /// <param name="scan">The scan group the loader reads, 1..L; null for full fidelity.</param>
    /// <param name="options">Conversion options (images per record, shuffle seed, parallelism, quality for non-JPEG inputs); null for defaults.</param>
    /// <param name="loaderOptions">Options of the returned loader (column names, shuffling, sharding); null for defaults.</param>
    /// <returns>The estimator.</returns>
    public static PcrConversionEstimator ConvertToPcr(this DataOperationsCatalog catalog, string outputDirectory, int? scan = null,
        ImageFolderConversionOptions? options = null, PcrLoader.Options? loaderOptions = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        PcrLoader.Options loader = (loaderOptions ?? new PcrLoader.Options()).Clone();
        if (scan is not null) loader.Scan = scan;
        // The exact scan group count is known only after the images are transcoded; what no conversion can give is refused before any work.
        if (loader.Scan is < 1 or > MaxConvertedScanGroups)
            throw new ArgumentOutOfRangeException(nameof(scan), loader.Scan,
                $"The scan group must be between 1 and {MaxConvertedScanGroups}: a converted image has at most {MaxConvertedScanGroups} scans (10 for colour, 6 for grayscale, 18 for CMYK).");
        loader.Validate();
        return new PcrConversionEstimator(outputDirectory, ImageFolderConverter.Checked(options), loader);
    }

    /// <summary>
    /// Saves the images an <see cref="IDataView"/> lists (a text column of image paths and a label column) as a PCR
    /// dataset in <paramref name="outputDirectory"/>, now (as <c>SaveAsBinary</c> and <c>SaveAsText</c> write now);
    /// load it with <see cref="LoadFromPcr(DataOperationsCatalog, string, int?, PcrLoader.Options?)"/>. To convert an
    /// ImageFolder as the first step of a pipeline, use <see cref="ConvertToPcr(DataOperationsCatalog, string, int?, ImageFolderConversionOptions?, PcrLoader.Options?)"/>.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="images">The rows: one image each.</param>
    /// <param name="outputDirectory">Where the PCR dataset is written.</param>
    /// <param name="imagePathColumnName">The text column of image paths (absolute or relative to <paramref name="imageFolder"/>).</param>
    /// <param name="labelColumnName">The label column: a key of UInt32 with class names, or the class name as text (class names sorted ordinally to labels).</param>
    /// <param name="imageFolder">
    /// The folder relative paths start from, and against which stored paths are made relative; null for the current
    /// directory (stored paths are then "class/file name").
    /// </param>
    /// <param name="options">Conversion options; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the conversion; a cancelled conversion leaves no dataset that looks complete.</param>
    /// <returns>What was converted and skipped.</returns>
    /// <exception cref="ArgumentException">A column is missing or has another type than described.</exception>
    /// <exception cref="InvalidDataException">A row has no label, or no input could be converted.</exception>
    public static PcrConversionResult SaveAsPcr(this DataOperationsCatalog catalog, IDataView images, string outputDirectory,
        string imagePathColumnName = "ImagePath", string labelColumnName = "Label", string? imageFolder = null,
        ImageFolderConversionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ImageFolderConversionOptions effective = ImageFolderConverter.Checked(options);
        ImageFolderListing listing = DataViewImageListing.Read(images, imagePathColumnName, labelColumnName, imageFolder);
        return ImageFolderConverter.Run(listing, outputDirectory, effective, cancellationToken);
    }
}
