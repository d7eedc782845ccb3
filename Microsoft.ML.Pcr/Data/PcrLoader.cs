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

        /// <summary>
        /// Seed of the shuffle used when <see cref="Shuffle"/> is set and ML.NET passes no random source. Default 0. With the view's
        /// epoch (<see cref="PcrDataView.ForEpoch(int)"/>) it fixes the order: the same in every process and for any number of workers.
        /// </summary>
        public int Seed { get; set; }

        /// <summary>
        /// This process's worker index, 0..<see cref="WorkerCount"/>-1, for training in several processes or on several machines;
        /// null (the default) to take it from the environment variable <c>RANK</c> (set by <c>torchrun</c>, MPI launchers and most
        /// cluster schedulers), or 0 when that is unset. In each epoch the worker reads the positions p of the epoch's global record
        /// order with p mod WorkerCount = WorkerIndex (see <see cref="PcrDataView"/>). <c>LOCAL_RANK</c> and <c>LOCAL_WORLD_SIZE</c>
        /// (a process's place among those on its own machine) are not read: the share depends on the global rank only, and the
        /// cursors inside a process are ML.NET's to choose.
        /// </summary>
        public int? WorkerIndex { get; set; }

        /// <summary>
        /// The number of workers the records are shared among; null (the default) to take it from the environment variable
        /// <c>WORLD_SIZE</c>, or 1 when that is unset. Every worker yields the same number of rows per epoch (see
        /// <see cref="PcrDataView.GetRowCount"/>), so that workers training in lockstep run out of rows together.
        /// </summary>
        public int? WorkerCount { get; set; }

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

        /// <summary>The environment variable an unset <see cref="WorkerIndex"/> is read from.</summary>
        internal const string RankVariable = "RANK";

        /// <summary>The environment variable an unset <see cref="WorkerCount"/> is read from.</summary>
        internal const string WorldSizeVariable = "WORLD_SIZE";

        internal Options Clone() => (Options)MemberwiseClone();

        /// <summary>
        /// Returns a validated copy whose <see cref="WorkerIndex"/> and <see cref="WorkerCount"/> are set: the options' own values, or
        /// else the environment's (<c>RANK</c>, <c>WORLD_SIZE</c>), or else 0 of 1. Bad environment values fail naming the variable.
        /// </summary>
        internal Options Resolved()
        {
            Validate();
            Options resolved = Clone();
            resolved.WorkerCount ??= ReadEnvironment(WorldSizeVariable, 1, "a whole number, 1 or more") ?? 1;
            resolved.WorkerIndex ??= ReadEnvironment(RankVariable, 0, "a whole number, 0 or more") ?? 0;
            if (resolved.WorkerIndex >= resolved.WorkerCount)
            {
                string message = $"The worker index {resolved.WorkerIndex} ({Source(WorkerIndex, nameof(WorkerIndex), RankVariable)}) must be less than " +
                    $"the worker count {resolved.WorkerCount} ({Source(WorkerCount, nameof(WorkerCount), WorldSizeVariable)}).";
                if (WorkerIndex is null || WorkerCount is null) throw new InvalidOperationException(message);
                throw new ArgumentOutOfRangeException(nameof(WorkerIndex), WorkerIndex, message);
            }
            return resolved;

            static string Source(int? option, string name, string variable) =>
                option is not null ? $"from PcrLoader.Options.{name}"
                : Environment.GetEnvironmentVariable(variable) is not null ? $"from the environment variable {variable}, as PcrLoader.Options.{name} is not set"
                : $"the default, as neither PcrLoader.Options.{name} nor {variable} is set";
        }

        private static int? ReadEnvironment(string variable, int minimum, string expected)
        {
            string? text = Environment.GetEnvironmentVariable(variable);
            if (text is null) return null;
            if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) || value < minimum)
                throw new InvalidOperationException(
                    $"The environment variable {variable} is '{text}', but it must be {expected}: it gives the PCR loader's " +
                    $"{(variable == RankVariable ? nameof(WorkerIndex) : nameof(WorkerCount))} because PcrLoader.Options leaves that unset. Fix or unset {variable}, or set the option.");
            return value;
        }

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
                throw new ArgumentOutOfRangeException(nameof(WorkerIndex), WorkerIndex,
                    WorkerCount is null ? "The worker index must be 0 or more." : $"The worker index must be between 0 and {WorkerCount - 1}.");
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
        _options = (options ?? new Options()).Resolved();
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
