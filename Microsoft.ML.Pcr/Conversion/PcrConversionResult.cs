namespace Microsoft.ML.Pcr.Conversion;

/// <summary>What <see cref="ImageFolderConverter"/> did.</summary>
public sealed class PcrConversionResult
{
    /// <summary>Gets the PCR directory written (or reused).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Gets the class names, label i at position i.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Gets the number of images in the dataset.</summary>
    public required int ImageCount { get; init; }

    /// <summary>Gets the number of record files.</summary>
    public required int RecordCount { get; init; }

    /// <summary>Gets the bytes read from the inputs that were converted.</summary>
    public required long BytesIn { get; init; }

    /// <summary>Gets the bytes of progressive JPEG stored (the dataset's image bytes, without record framing).</summary>
    public required long BytesOut { get; init; }

    /// <summary>Gets how many inputs were not JPEG and were encoded at <see cref="Quality"/> first.</summary>
    public required int ReencodedCount { get; init; }

    /// <summary>Gets the JPEG quality used for inputs that were not JPEG.</summary>
    public required int Quality { get; init; }

    /// <summary>Gets the inputs that were skipped, with the reason.</summary>
    public required IReadOnlyList<SkippedFile> Skipped { get; init; }

    /// <summary>
    /// Gets the hidden files and folders of the ImageFolder (names starting with a dot, or marked hidden), which are never read, so that a
    /// count that differs from a file listing can be explained. Folders end with '/'.
    /// </summary>
    public IReadOnlyList<SkippedFile> Ignored { get; init; } = [];

    /// <summary>Gets the class folders that hold no image (they still get their label).</summary>
    public required IReadOnlyList<string> EmptyClasses { get; init; }

    /// <summary>Gets the time the conversion took.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>
    /// Gets whether an up-to-date earlier conversion was reused instead of converting again; the other properties then describe that
    /// conversion, as its report (<see cref="ReportPath"/>) told them.
    /// </summary>
    public bool Reused { get; init; }

    /// <summary>Gets the path of the report beside the dataset (see <see cref="ReportError"/> for whether it is there).</summary>
    public required string ReportPath { get; init; }

    /// <summary>
    /// Gets why the report could not be written (or, for a reused conversion, read), or null when it is in place. The dataset itself is
    /// complete either way: the report is a side file for people, and what identifies the conversion is stored in the index.
    /// </summary>
    public string? ReportError { get; init; }
}
