namespace Microsoft.ML.Pcr.Format;

/// <summary>Options of <see cref="PcrWriter"/>.</summary>
public sealed class PcrWriterOptions
{
    /// <summary>Gets or sets how many images <see cref="PcrWriter.Add(PcrImageEntry)"/> puts in a record (default 1024, as the published converter).</summary>
    public int ImagesPerRecord { get; set; } = 1024;

    /// <summary>Gets or sets whether each record stores the original relative path of its images (default true).</summary>
    public bool StoreRelativePaths { get; set; } = true;

    /// <summary>
    /// Gets or sets whether a PCR dataset already in the directory is replaced when the new one completes, and the temporary files of an
    /// interrupted write are removed (default false: refuse).
    /// </summary>
    public bool Overwrite { get; set; }

    /// <summary>
    /// Gets or sets what the dataset is the conversion of: an opaque text (for example a digest of the inputs and options) stored in the
    /// index and committed with it, so that a later run can tell whether the dataset is up to date (<see cref="PcrIndex.ConversionFingerprint"/>).
    /// Default null: none stored.
    /// </summary>
    public string? ConversionFingerprint { get; set; }
}
