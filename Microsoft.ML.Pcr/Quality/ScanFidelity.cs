using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Imaging;

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

/// <summary>What reading a PCR dataset at one scan group costs and gives, as <see cref="ScanFidelity"/> measures it.</summary>
/// <param name="Scan">The scan group k, 1..L.</param>
/// <param name="CumulativeBytes">The bytes a full pass at k reads: the sum of every record's prefix at k (metadata included).</param>
/// <param name="ShareOfFull">CumulativeBytes divided by the bytes of the whole dataset (the prefixes at L).</param>
/// <param name="MeanPsnr">
/// The mean PSNR (dB) of the sampled images at k against the same images at full fidelity, over the images that differ;
/// <see cref="double.PositiveInfinity"/> when every sampled image is identical at k (always so at k = L).
/// </param>
/// <param name="MeanMultiScaleSsim">The mean MS-SSIM (on luma) of the sampled images at k against full fidelity, over all of them (identical ones count 1).</param>
/// <param name="SampledImages">How many images were compared.</param>
/// <param name="IdenticalImages">How many of them decode at k to exactly the pixels of full fidelity (for example images with fewer scans than k).</param>
public sealed record ScanGroupFidelity(int Scan, long CumulativeBytes, double ShareOfFull, double MeanPsnr, double MeanMultiScaleSsim, int SampledImages, int IdenticalImages);

/// <summary>
/// Measures what each scan group of a PCR dataset costs (bytes read) and gives (fidelity of the images against full
/// fidelity), on a seeded sample of its images: the numbers to choose a scan group by.
/// </summary>
public static class ScanFidelity
{
    /// <summary>
    /// Measures every scan group k = 1..L of <paramref name="dataset"/>: cumulative bytes and share of the full dataset
    /// (from the index, over every record), and mean PSNR and MS-SSIM of a sample of images decoded at k against the
    /// same images decoded at L. Each sampled record is read once, at full fidelity; the image at k is the prefix of its
    /// progressive JPEG that ends after scan k, closed with EOI, which is what a read at k returns.
    /// </summary>
    /// <param name="dataset">The dataset to measure.</param>
    /// <param name="options">The sample size, seed and parallelism; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>One entry per scan group, in order of k.</returns>
    /// <exception cref="PcrFormatException">A sampled record is malformed or an image does not decode.</exception>
    public static IReadOnlyList<ScanGroupFidelity> Measure(PcrDataset dataset, ScanFidelityOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new ScanFidelityOptions();
        options.Validate();
        int? decodeSize = options.DecodeSize;

        int levels = dataset.ScanGroupCount;
        long[] rows = SampleRows(dataset.ImageCount, options.SampleSize, options.Seed);
        // Per sampled image and scan group: PSNR (+inf when identical) and MS-SSIM.
        var psnr = new double[rows.Length, levels];
        var msssim = new double[rows.Length, levels];

        // Sampled images are gathered record by record (each record read once, at full fidelity) and measured in
        // batches across records, so that a sample spread thinly over many records still keeps every core busy.
        int batchSize = 4 * options.MaxDegreeOfParallelism;
        var pending = new List<(byte[] Full, byte[]?[] AtScan, string Source, int Slot)>(batchSize);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        int measured = 0;
        void MeasurePending()
        {
            Parallel.For(0, pending.Count, parallel, i => MeasureImage(pending[i].Full, pending[i].AtScan, pending[i].Source, psnr, msssim, pending[i].Slot, decodeSize));
            measured += pending.Count;
            pending.Clear();
            options.Progress?.Report(measured);
        }

        int next = 0;
        while (next < rows.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int record = RecordOf(dataset, rows[next]);
            long firstRow = dataset.GetFirstRow(record);
            string recordFile = dataset.Source.Describe(dataset.Records[record].Name);
            using (PcrRecordPrefix full = dataset.ReadRecord(record, levels))
            {
                for (; next < rows.Length && RecordOf(dataset, rows[next]) == record; next++)
                {
                    int image = (int)(rows[next] - firstRow);
                    // The images at every k come from the record's own partials (PcrRecordPrefix), as a read at k gives them;
                    // null where the image has no scans beyond k (the read at k returns the whole file).
                    int scans = full.GetScanCount(image);
                    byte[]?[] atScan = new byte[levels][];
                    for (int k = 1; k < Math.Min(scans, levels + 1); k++) atScan[k - 1] = full.GetImage(image, k);
                    pending.Add((full.GetImage(image), atScan, $"{recordFile}, image {image}", next));
                    if (pending.Count == batchSize) MeasurePending();
                }
            }
        }
        MeasurePending();

        long fullBytes = dataset.GetPrefixBytes(levels);
        var result = new ScanGroupFidelity[levels];
        for (int k = 1; k <= levels; k++)
        {
            double psnrSum = 0, msssimSum = 0;
            int identical = 0;
            for (int s = 0; s < rows.Length; s++)
            {
                if (double.IsPositiveInfinity(psnr[s, k - 1])) identical++;
                else psnrSum += psnr[s, k - 1];
                msssimSum += msssim[s, k - 1];
            }
            long bytes = dataset.GetPrefixBytes(k);
            double meanPsnr = identical == rows.Length ? double.PositiveInfinity : psnrSum / (rows.Length - identical);
            result[k - 1] = new ScanGroupFidelity(k, bytes, fullBytes == 0 ? 1 : (double)bytes / fullBytes, meanPsnr,
                rows.Length == 0 ? 1 : msssimSum / rows.Length, rows.Length, identical);
        }
        return result;
    }

    private static void MeasureImage(byte[] full, byte[]?[] atScan, string source, double[,] psnr, double[,] msssim, int s, int? size)
    {
        using DecodedImage reference = DecodedImage.Decode(full, ImagePixelFormat.Bgra32, source, size);
        for (int k = 1; k <= atScan.Length; k++)
        {
            if (atScan[k - 1] is not { } partial)
            {
                psnr[s, k - 1] = double.PositiveInfinity;
                msssim[s, k - 1] = 1;
                continue;
            }
            using DecodedImage distorted = DecodedImage.Decode(partial, ImagePixelFormat.Bgra32, $"{source} at scan group {k}", size);
            psnr[s, k - 1] = ImageFidelity.Psnr(reference, distorted);
            msssim[s, k - 1] = ImageFidelity.MultiScaleSsim(reference, distorted);
        }
    }

    private static int RecordOf(PcrDataset dataset, long row)
    {
        int lo = 0, hi = dataset.Records.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (dataset.GetFirstRow(mid) <= row) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>A seeded sample of distinct rows, sorted (Floyd's algorithm: memory in the sample size, not the dataset size).</summary>
    internal static long[] SampleRows(long rowCount, int sampleSize, int seed)
    {
        if (rowCount <= sampleSize) return [.. Enumerable.Range(0, (int)rowCount).Select(i => (long)i)];
        var random = new Random(seed);
        var chosen = new HashSet<long>(sampleSize);
        for (long j = rowCount - sampleSize; j < rowCount; j++)
        {
            long t = random.NextInt64(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }
        long[] rows = [.. chosen];
        Array.Sort(rows);
        return rows;
    }
}
