namespace Microsoft.ML.Pcr.Conversion;

/// <summary>Options of <see cref="ImageFolderConverter"/>.</summary>
public sealed class ImageFolderConversionOptions
{
    /// <summary>The published converter's record size, which the default keeps for datasets of 16,384 images or more.</summary>
    public const int DefaultImagesPerRecord = 1024;

    /// <summary>The fewest records a default record size makes (when there are that many images), so that as many cursors or workers can read in parallel.</summary>
    public const int MinimumDefaultRecordCount = 16;

    /// <summary>
    /// Gets or sets how many images go in a record; null (the default) for <see cref="DefaultImagesPerRecord"/> (1024, as the
    /// published converter), made smaller for datasets under 16,384 images so that there are at least
    /// <see cref="MinimumDefaultRecordCount"/> records: ceil(images / 16), at least 1. Records are the unit of parallel reading
    /// (cursor sets, <c>WorkerIndex</c>/<c>WorkerCount</c>), so a 960-image dataset gets 16 records of 60 images rather than one
    /// record that only one cursor can read. The default depends only on the image count, so the same inputs and seed still give
    /// the same dataset on every machine.
    /// </summary>
    public int? ImagesPerRecord { get; set; }

    /// <summary>Gets or sets whether the image list is shuffled before it is cut into records (default true).</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Gets or sets the shuffle's seed (default 0): the same seed and inputs give the same dataset.</summary>
    public int Seed { get; set; }

    /// <summary>Gets or sets how many images are transcoded at once (default: every core).</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets the JPEG quality (1..100) at which inputs that are not JPEG (PNG, BMP, GIF, WebP) are encoded (default 90).</summary>
    public int Quality { get; set; } = 90;

    /// <summary>
    /// Gets or sets whether a non-empty output directory is accepted: a previous PCR dataset in it is replaced, and the temporary files an
    /// interrupted conversion left are removed (default false: refuse). Another conversion that is still writing there is refused either way.
    /// </summary>
    public bool Overwrite { get; set; }

    /// <summary>Gets or sets whether each image's path relative to the ImageFolder root is stored (default true).</summary>
    public bool StoreRelativePaths { get; set; } = true;

    /// <summary>Gets or sets whether the first unreadable input stops the conversion with an exception, instead of being skipped and reported (default false).</summary>
    public bool FailOnFirstError { get; set; }

    /// <summary>Gets or sets the largest input accepted, in pixels (default <see cref="Jpeg.JpegTranscoder.DefaultMaxPixels"/>); larger inputs are skipped.</summary>
    public long MaxPixels { get; set; } = Jpeg.JpegTranscoder.DefaultMaxPixels;

    /// <summary>Gets or sets where progress is reported (images done, bytes in and out, skipped files); null for none.</summary>
    public IProgress<PcrConversionProgress>? Progress { get; set; }

    /// <summary>
    /// Gets or sets how many workers share a conversion too big for one machine (default 0: this conversion converts everything and
    /// writes the index). With 1 or more, this conversion converts only the slice <see cref="WorkerIndex"/> (the records whose number
    /// modulo <see cref="WorkerCount"/> is <see cref="WorkerIndex"/>, in the order a whole conversion with the same seed would give) into
    /// record files of their own names beside the other workers', and <see cref="ImageFolderConverter.Merge(string)"/> writes the one index
    /// over all of them once every slice is there.
    /// </summary>
    public int WorkerCount { get; set; }

    /// <summary>Gets or sets which slice this conversion converts, 0 to <see cref="WorkerCount"/> - 1 (default 0); see <see cref="WorkerCount"/>.</summary>
    public int WorkerIndex { get; set; }

    internal ImageFolderConversionOptions Clone() => (ImageFolderConversionOptions)MemberwiseClone();

    /// <summary>The record size for <paramref name="imageCount"/> images: <see cref="ImagesPerRecord"/>, or the default described there.</summary>
    internal int GetImagesPerRecord(int imageCount) =>
        ImagesPerRecord ?? Math.Clamp((imageCount + MinimumDefaultRecordCount - 1) / MinimumDefaultRecordCount, 1, DefaultImagesPerRecord);

    internal void Validate()
    {
        if (ImagesPerRecord < 1)
            throw new ArgumentOutOfRangeException(nameof(ImagesPerRecord), ImagesPerRecord, "Images per record must be at least 1, or null for the default.");
        if (MaxDegreeOfParallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "The degree of parallelism must be at least 1.");
        if (Quality is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(Quality), Quality, "The JPEG quality must be between 1 and 100.");
        if (WorkerCount < 0)
            throw new ArgumentOutOfRangeException(nameof(WorkerCount), WorkerCount, "The worker count must be 0 (no slicing) or more.");
        if (WorkerIndex < 0 || WorkerIndex >= Math.Max(WorkerCount, 1))
            throw new ArgumentOutOfRangeException(nameof(WorkerIndex), WorkerIndex, $"The worker index must be in [0, {Math.Max(WorkerCount, 1)}) for a worker count of {WorkerCount}.");
        if (MaxPixels < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "The pixel limit must be at least 1.");
    }
}
