using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The ML.NET loader of PCR datasets: an <see cref="IDataLoader{TSource}"/> that turns a PCR
/// directory into a <see cref="PcrDataView"/> whose rows are the images at a chosen scan group.
/// Create it with <see cref="PcrCatalog.CreatePcrLoader(DataOperationsCatalog, string, Options?)"/> (a directory) or
/// <see cref="PcrCatalog.CreatePcrLoader(DataOperationsCatalog, IPcrByteSource, Options?)"/> (any byte source);
/// its schema (the Label key type with its class names) is the one of the dataset it was created on.
/// </summary>
public sealed class PcrLoader : IDataLoader<string>
{
    /// <summary>Options of <see cref="PcrLoader"/> and <see cref="PcrCatalog.LoadFromPcr(DataOperationsCatalog, string, int?, Options?)"/>.</summary>
    public sealed class Options
    {
        /// <summary>Name of the label column: a key type (UInt32) whose KeyValues annotation holds the class names. Default "Label".</summary>
        public string LabelColumnName { get; set; } = "Label";

        /// <summary>Name of the image column: a variable-length vector of Byte holding the JPEG at the chosen scan group, the type <c>LoadRawImageBytes</c> produces. Default "Image".</summary>
        public string ImageColumnName { get; set; } = "Image";

        /// <summary>Name of the text column holding each image's original relative path, present when the dataset stores paths. Default "ImagePath".</summary>
        public string ImagePathColumnName { get; set; } = "ImagePath";

        /// <summary>
        /// The scan group, 1..L; null for full fidelity (L, the largest number of scan groups of any record). Images are
        /// JPEG bytes at this scan group: decode them with <c>mlContext.Transforms.DecodeImages</c> appended to the view.
        /// </summary>
        public int? Scan { get; set; }

        /// <summary>Whether cursors that ML.NET does not shuffle are shuffled anyway, from <see cref="Seed"/>. Default false.</summary>
        public bool Shuffle { get; set; }

        /// <summary>Seed of the shuffle used when <see cref="Shuffle"/> is set and ML.NET passes no random source. Default 0.</summary>
        public int Seed { get; set; }

        /// <summary>This process's worker index, 0..<see cref="WorkerCount"/>-1: the view holds only the records r with r mod WorkerCount = WorkerIndex. Default 0.</summary>
        public int WorkerIndex { get; set; }

        /// <summary>The number of workers the records are shared among (for several training processes or machines). Default 1.</summary>
        public int WorkerCount { get; set; } = 1;

        /// <summary>How many records each cursor reads ahead while the current one is consumed (0 = none). Default 1.</summary>
        public int ReadAheadRecords { get; set; } = 1;

        /// <summary>Whether to check the CRC-32C of every segment read, when the dataset stores them. Default true.</summary>
        public bool VerifyChecksums { get; set; } = true;

        /// <summary>
        /// Whether corrupt records are skipped and counted (<see cref="PcrDataView.SkippedRecords"/>) instead of failing with
        /// <see cref="PcrFormatException"/>: records missing or too short when the dataset is opened, and records whose read fails
        /// during iteration (checksum, structure, labels). Default false. When set, the view's row count is not promised.
        /// </summary>
        public bool SkipCorruptRecords { get; set; }

        internal Options Clone() => (Options)MemberwiseClone();

        internal void Validate()
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
            ArgumentException.ThrowIfNullOrWhiteSpace(ImageColumnName, nameof(ImageColumnName));
            ArgumentException.ThrowIfNullOrWhiteSpace(ImagePathColumnName, nameof(ImagePathColumnName));
            string[] names = [LabelColumnName, ImageColumnName, ImagePathColumnName];
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
                throw new ArgumentException($"The label, image and path columns need distinct names; got '{string.Join("', '", names)}'.");
            if (WorkerCount < 1)
                throw new ArgumentOutOfRangeException(nameof(WorkerCount), WorkerCount, "The worker count must be at least 1.");
            if (WorkerIndex < 0 || WorkerIndex >= WorkerCount)
                throw new ArgumentOutOfRangeException(nameof(WorkerIndex), WorkerIndex, $"The worker index must be between 0 and {WorkerCount - 1}.");
            if (ReadAheadRecords < 0)
                throw new ArgumentOutOfRangeException(nameof(ReadAheadRecords), ReadAheadRecords, "Read-ahead must be 0 or more records.");
        }
    }

    private readonly Options _options;
    private readonly PcrDataView _schemaView;
    private readonly string? _convertedFrom;
    private readonly bool _opensDirectories;

    internal PcrLoader(PcrDataset dataset, Options? options, string? convertedFrom = null)
    {
        _options = (options ?? new Options()).Clone();
        _options.Validate();
        _schemaView = new PcrDataView(dataset, _options);
        _convertedFrom = convertedFrom is null ? null : Path.GetFullPath(convertedFrom);
        _opensDirectories = dataset.Source is FileByteSource;
    }

    /// <summary>Gets the dataset the loader was created on, which fixes its schema.</summary>
    public PcrDataset Dataset => _schemaView.Dataset;

    /// <summary>
    /// Loads a PCR dataset as a <see cref="PcrDataView"/>. What <paramref name="input"/> may name depends on where the
    /// loader reads from:
    /// <list type="bullet">
    /// <item><description>The loader's own <see cref="IPcrByteSource.Location"/> always gives its own dataset.</description></item>
    /// <item><description>
    /// A loader on local files (a directory, <see cref="FileByteSource"/>) also opens any other PCR directory with the same
    /// classes, and a loader made by <see cref="PcrConversionEstimator"/> also takes the ImageFolder it converted (ML.NET's
    /// composite loaders pass the source on), which gives the converted dataset.
    /// </description></item>
    /// <item><description>
    /// A loader on any other byte source (object storage, a throttled wrapper) has no way to reach other datasets from a
    /// string: it takes only its own location. Create one loader per source for other datasets.
    /// </description></item>
    /// </list>
    /// </summary>
    /// <param name="input">The loader's source location; for a loader on local files, a PCR directory or the converted ImageFolder.</param>
    /// <exception cref="FileNotFoundException">The directory or its index is missing.</exception>
    /// <exception cref="ArgumentException">The loader reads another byte source than local files and <paramref name="input"/> is not its location.</exception>
    /// <exception cref="InvalidOperationException">The dataset has other class names than the loader's schema.</exception>
    public IDataView Load(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        if (!_opensDirectories)
        {
            if (string.Equals(input, Dataset.Source.Location, StringComparison.Ordinal)) return _schemaView;
            throw new ArgumentException(
                $"This loader reads '{Dataset.Source.Location}' through a {Dataset.Source.GetType().Name}, so Load takes only that location; got '{input}'. " +
                "For another dataset, create a loader on its byte source with mlContext.Data.CreatePcrLoader(source).", nameof(input));
        }
        string full = Path.GetFullPath(input);
        if (string.Equals(full, Dataset.Source.Location, StringComparison.Ordinal) || string.Equals(full, _convertedFrom, StringComparison.Ordinal))
            return _schemaView;
        if (_convertedFrom is not null && !File.Exists(Path.Combine(full, PcrIndex.FileName)))
            throw new InvalidOperationException(
                $"'{full}' is neither the ImageFolder this loader converted ('{_convertedFrom}') nor a PCR directory; convert it first with mlContext.Data.ConvertToPcr.");
        PcrDataset dataset = PcrDataset.Open(new FileByteSource(full), _options.SkipCorruptRecords);
        if (!dataset.ClassNames.SequenceEqual(Dataset.ClassNames, StringComparer.Ordinal))
            throw new InvalidOperationException(
                $"The PCR dataset in '{full}' has classes [{string.Join(", ", dataset.ClassNames)}], but this loader's schema has [{string.Join(", ", Dataset.ClassNames)}]; create a loader on that dataset instead.");
        return new PcrDataView(dataset, _options);
    }

    /// <summary>Gets the schema of the views this loader produces.</summary>
    public DataViewSchema GetOutputSchema() => _schemaView.Schema;

    /// <summary>
    /// Not supported: ML.NET 5 keeps the members needed to save a third-party loader internal. Save the fitted
    /// transformer chain with <c>mlContext.Model.Save(model, inputSchema, path)</c> instead.
    /// </summary>
    /// <param name="ctx">Unused.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("A PcrLoader cannot be saved into an ML.NET model file; save the transformer chain with mlContext.Model.Save(model, loader.GetOutputSchema(), path) instead.");
}
