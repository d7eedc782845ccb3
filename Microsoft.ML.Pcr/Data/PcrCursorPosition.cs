using System.Globalization;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// Where a worker is in an epoch of a <see cref="PcrDataView"/>: enough to resume the epoch in another process with
/// <see cref="PcrDataView.ResumeFrom(PcrCursorPosition)"/>. Get one from <see cref="PcrDataView.GetPosition(DataViewRowCursor)"/>
/// or <see cref="PcrDataView.GetPosition(long)"/>; save it as text (<see cref="ToString"/>, read back by <see cref="Parse(string)"/>)
/// or as JSON with <c>System.Text.Json</c>, beside the model checkpoint.
/// </summary>
public sealed record PcrCursorPosition
{
    private const string Tag = "pcr-position/1";

    /// <summary>Creates a position; usually obtained from <see cref="PcrDataView.GetPosition(long)"/> instead.</summary>
    /// <param name="datasetIdentity">The <see cref="PcrDataView.DatasetIdentity"/> of the view the position was taken on.</param>
    /// <param name="seed">The shuffle seed of the epoch's order, or null when it was not shuffled.</param>
    /// <param name="epoch">The epoch, 0 or more.</param>
    /// <param name="scan">The scan group the epoch was read at, 1 or more.</param>
    /// <param name="workerIndex">The worker's index, 0..<paramref name="workerCount"/>-1.</param>
    /// <param name="workerCount">The number of workers, 1 or more.</param>
    /// <param name="rowsConsumed">The rows of the epoch the worker has consumed, 0 or more.</param>
    /// <exception cref="ArgumentException">The identity is empty or a number is out of its range.</exception>
    public PcrCursorPosition(string datasetIdentity, int? seed, int epoch, int scan, int workerIndex, int workerCount, long rowsConsumed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(datasetIdentity);
        if (datasetIdentity.Any(char.IsWhiteSpace))
            throw new ArgumentException($"The dataset identity must not contain white space; got '{datasetIdentity}'.", nameof(datasetIdentity));
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfLessThan(scan, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        if (workerIndex < 0 || workerIndex >= workerCount)
            throw new ArgumentOutOfRangeException(nameof(workerIndex), workerIndex, $"The worker index must be between 0 and {workerCount - 1}.");
        ArgumentOutOfRangeException.ThrowIfNegative(rowsConsumed);
        DatasetIdentity = datasetIdentity;
        Seed = seed;
        Epoch = epoch;
        Scan = scan;
        WorkerIndex = workerIndex;
        WorkerCount = workerCount;
        RowsConsumed = rowsConsumed;
    }

    /// <summary>Gets the <see cref="PcrDataView.DatasetIdentity"/> of the view the position was taken on: which records it reads.</summary>
    public string DatasetIdentity { get; }

    /// <summary>Gets the shuffle seed of the epoch's order, or null when the records were read in their own order.</summary>
    public int? Seed { get; }

    /// <summary>Gets the epoch.</summary>
    public int Epoch { get; }

    /// <summary>Gets the scan group the epoch was read at; a resumed view reads at it too.</summary>
    public int Scan { get; }

    /// <summary>Gets the worker's index.</summary>
    public int WorkerIndex { get; }

    /// <summary>Gets the number of workers.</summary>
    public int WorkerCount { get; }

    /// <summary>Gets the rows of the worker's epoch consumed so far (padding rows included); the resumed epoch yields the rest.</summary>
    public long RowsConsumed { get; }

    /// <summary>
    /// Returns the position as one line of text, for example
    /// <c>pcr-position/1 dataset=5f0c33a1d2e4b6c8 seed=7 epoch=3 scan=4 worker=1/4 rows=1200</c>; <see cref="Parse(string)"/> reads it back.
    /// </summary>
    /// <returns>The position as text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Tag} dataset={DatasetIdentity} seed={(Seed is int s ? s.ToString(CultureInfo.InvariantCulture) : "none")} epoch={Epoch} scan={Scan} worker={WorkerIndex}/{WorkerCount} rows={RowsConsumed}");

    /// <summary>Reads a position written by <see cref="ToString"/>.</summary>
    /// <param name="text">The text of a position.</param>
    /// <returns>The position.</returns>
    /// <exception cref="FormatException">The text is not a position, or a field is missing or malformed; the message says which.</exception>
    public static PcrCursorPosition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts[0] != Tag)
            throw new FormatException($"A PCR cursor position starts with '{Tag}'; got '{text}'.");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || !fields.TryAdd(part[..eq], part[(eq + 1)..]))
                throw new FormatException($"'{part}' in PCR cursor position '{text}' is not a name=value field, or repeats one.");
        }
        string Field(string name) => fields.TryGetValue(name, out string? value) ? value
            : throw new FormatException($"The PCR cursor position '{text}' has no '{name}=' field.");
        long Number(string name, string value) => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n
            : throw new FormatException($"The field '{name}' of PCR cursor position '{text}' is '{value}', not a whole number.");

        string[] worker = Field("worker").Split('/');
        if (worker.Length != 2)
            throw new FormatException($"The field 'worker' of PCR cursor position '{text}' is '{Field("worker")}', not index/count.");
        try
        {
            string seedText = Field("seed");
            int? seed = seedText == "none" ? null : checked((int)Number("seed", seedText));
            return new PcrCursorPosition(Field("dataset"), seed, checked((int)Number("epoch", Field("epoch"))), checked((int)Number("scan", Field("scan"))),
                checked((int)Number("worker", worker[0])), checked((int)Number("worker", worker[1])), Number("rows", Field("rows")));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            throw new FormatException($"The PCR cursor position '{text}' has a value out of range: {e.Message}", e);
        }
    }
}
