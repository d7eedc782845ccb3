namespace Microsoft.ML.Pcr;

/// <summary>
/// The exception thrown when a PCR dataset, a record or a JPEG is malformed: it names the file
/// (and, where known, the record, image and byte position) and says what is wrong.
/// </summary>
public sealed class PcrFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What is wrong, as a sentence fragment (for example "offset -4 is negative").</param>
    /// <param name="file">The file (path or display name) that holds the bad data, when known.</param>
    /// <param name="record">The record file name (for example <c>PCR_3.pcr</c>), when the problem is inside a record.</param>
    /// <param name="position">The byte position of the problem inside <paramref name="file"/>, when known.</param>
    /// <param name="inner">The exception that revealed the problem, if any.</param>
    public PcrFormatException(string reason, string? file = null, string? record = null, long? position = null, Exception? inner = null)
        : base(Compose(reason, file, record, position), inner)
    {
        Reason = reason;
        FilePath = file;
        Record = record;
        Position = position;
    }

    /// <summary>Gets what is wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>Gets the file that holds the bad data, or <see langword="null"/> when the data did not come from a file.</summary>
    public string? FilePath { get; }

    /// <summary>Gets the record file name, or <see langword="null"/>.</summary>
    public string? Record { get; }

    /// <summary>Gets the byte position of the problem, or <see langword="null"/> when not known.</summary>
    public long? Position { get; }

    /// <summary>Gets whether the error arose because the dataset was replaced while it was being read (not a damaged record to skip).</summary>
    internal bool DatasetReplaced { get; init; }

    /// <summary>Returns a copy of this exception that also names <paramref name="file"/> (used when a layer that knows the file catches an error raised on raw bytes).</summary>
    internal PcrFormatException WithFile(string file, string? record = null) =>
        new(Reason, FilePath ?? file, Record ?? record, Position, this);

    private static string Compose(string reason, string? file, string? record, long? position)
    {
        var where = new List<string>(3);
        if (file is not null) where.Add(file);
        if (record is not null && (file is null || !file.EndsWith(record, StringComparison.Ordinal))) where.Add($"record {record}");
        if (position is not null) where.Add($"byte {position}");
        return where.Count == 0 ? reason : $"{string.Join(", ", where)}: {reason}";
    }
}
