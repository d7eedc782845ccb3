using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Quality;

/// <summary>Options of <see cref="ScanFidelity.Measure(PcrDataset, ScanFidelityOptions?, CancellationToken)"/>.</summary>
public sealed class ScanFidelityOptions
{
    /// <summary>The largest sample accepted.</summary>
    public const int MaxSampleSize = 100_000;

    /// <summary>Gets or sets how many images are compared (default 64; at most the dataset's image count and <see cref="MaxSampleSize"/>).</summary>
    public int SampleSize { get; set; } = 64;

    /// <summary>Gets or sets the seed of the sample (default 0): the same seed and dataset give the same sample and the same numbers.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// Gets or sets the size the model sees, or null (default) for full size: when set, both the image at each scan group
    /// and the full-fidelity reference are decoded at the smallest DCT scale (1/2, 1/4, 1/8) that is still at least
    /// DecodeSize x DecodeSize, as <c>DecodeImages</c> decodes for that size, and compared there.
    /// </summary>
    public int? DecodeSize { get; set; }

    /// <summary>Gets or sets how many images are decoded and compared at once (default: every core).</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets where progress is reported: the number of sampled images measured so far (null for none).</summary>
    public IProgress<int>? Progress { get; set; }

    internal void Validate()
    {
        if (SampleSize is < 1 or > MaxSampleSize)
            throw new ArgumentOutOfRangeException(nameof(SampleSize), SampleSize, $"The sample size must be between 1 and {MaxSampleSize}.");
        if (DecodeSize is < 1)
            throw new ArgumentOutOfRangeException(nameof(DecodeSize), DecodeSize, "The decode size must be at least 1, or null for full size.");
        if (MaxDegreeOfParallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "The degree of parallelism must be at least 1.");
    }
}
