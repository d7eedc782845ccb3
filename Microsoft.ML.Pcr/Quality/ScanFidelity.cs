using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Imaging;

namespace Microsoft.ML.Pcr.Quality;

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
