using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.IO;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 6: one epoch at each scan group when every byte comes through a <see cref="ThrottledByteSource"/> (25 MB/s in
/// full mode), against the ImageFolder baseline reading its files through the same throttle. Two epochs each: reading
/// only (the Image column), and reading + decoding at 64x64 (DecodeImages with downscaling, ResizeImages). The unthrottled
/// decode epoch says how long the CPU alone needs, i.e. where the epoch stops being I/O-bound.
/// </summary>
internal sealed class ThrottledEpochs : IBenchmarkTable
{
    private const double FullModeBytesPerSecond = 25e6;
    private const double TargetSlack = 1.1;

    public string Name => "epochs";

    public string Title => "6. I/O-bound epochs through a rate-limited byte source";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        var ml = new MLContext(seed: 1);
        var (folder, pcr) = context.EpochDataset;

        PcrDataView probe = ml.Data.LoadFromPcr(pcr);
        int fullScan = probe.ScanGroupCount;
        int[] scans = [.. new[] { 1, 2, 3, 5 }.Where(s => s < fullScan), fullScan];
        string[] paths = Pipelines.RelativePaths(folder);
        // Quick mode scales the bandwidth down with the data, so the epochs stay I/O-bound and as long as 3,068 photos at 25 MB/s.
        double bandwidth = context.Quick ? FullModeBytesPerSecond * paths.Length / 3068 : FullModeBytesPerSecond;

        var rows = new List<(string Name, double Share, double Read, double Decode, double Cpu)>();
        foreach (int scan in scans)
        {
            double share = probe.WithScan(scan).BytesPerPass / (double)probe.BytesPerPass;
            IDataView Throttled() => ml.Data.LoadFromPcr(new ThrottledByteSource(new FileByteSource(pcr), bandwidth), scan);
            rows.Add(($"PCR scan {scan}{(scan == fullScan ? " (full)" : "")}", share,
                Timing.Seconds(() => Pipelines.DrainBytes(Throttled())),
                Timing.Seconds(() => Pipelines.DrainImages(Pipelines.DecodeAndResize(ml, Throttled(), 64, scaled: true), Pipelines.Resized)),
                Timing.Seconds(() => Pipelines.DrainImages(Pipelines.DecodeAndResize(ml, probe.WithScan(scan), 64, scaled: true), Pipelines.Resized))));
        }
        long folderBytes = paths.Sum(p => new FileInfo(Path.Combine(folder, p)).Length);
        rows.Add(("ImageFolder, throttled file reads", folderBytes / (double)probe.BytesPerPass,
            Timing.Seconds(() => Pipelines.DrainBytes(ThrottledFolder(ml, folder, paths, bandwidth))),
            Timing.Seconds(() => Pipelines.DrainImages(Pipelines.DecodeAndResize(ml, ThrottledFolder(ml, folder, paths, bandwidth), 64, scaled: true), Pipelines.Resized)),
            Timing.Seconds(() => Pipelines.DrainImages(Pipelines.DecodeAndResize(ml, ThrottledFolder(ml, folder, paths, double.MaxValue), 64, scaled: true), Pipelines.Resized))));

        var (_, _, fullRead, fullDecode, _) = rows[scans.Length - 1];
        report.Note($"{paths.Length:N0} clothing photos at {Report.F(bandwidth / 1e6, 1)} MB/s, {context.EpochImagesPerRecord} images per record, one cursor, one epoch each; " +
            "\"bound\" is the epoch time over (share of bytes x the full-fidelity epoch time); the target asks <= 1.1 at every scan group.");
        report.Table(["source", "share of bytes", "read epoch (s)", "read bound", "read+decode 64x64 epoch (s)", "decode bound", "unthrottled decode epoch (s)", "read+decode limited by"],
            rows.Select(r => (IReadOnlyList<string>)
            [
                r.Name, Report.Percent(r.Share), Report.F(r.Read, 2), Report.Ratio(r.Read / (r.Share * fullRead)),
                Report.F(r.Decode, 2), Report.Ratio(r.Decode / (r.Share * fullDecode)), Report.F(r.Cpu, 2),
                r.Read >= r.Cpu ? "I/O" : "decoding (CPU)",
            ]));
        double worstRead = rows.Take(scans.Length).Max(r => r.Read / (r.Share * fullRead));
        double worstDecode = rows.Take(scans.Length).Max(r => r.Decode / (r.Share * fullDecode));
        report.Target("read epoch at scan k <= 1.1 x share x full epoch", worstRead <= TargetSlack, $"worst {Report.Ratio(worstRead)}");
        report.Target("read+decode epoch at scan k <= 1.1 x share x full epoch", worstDecode <= TargetSlack, $"worst {Report.Ratio(worstDecode)}");
        if (rows.Take(scans.Length).Any(r => r.Cpu > r.Read))
            report.Note("Where decoding alone takes longer than reading, the epoch is CPU-bound and cannot shrink with the bytes read: " +
                "a smaller scan group then saves only the I/O it no longer waits for.");
    }

    // The ImageFolder baseline: each file read whole through the throttle, 64 files ahead on a background task (as the
    // PCR cursor reads a record ahead), then handed to ML.NET as in-memory rows.
    private static IDataView ThrottledFolder(MLContext ml, string folder, string[] paths, double bandwidth)
    {
        IEnumerable<Pipelines.BytesRow> Rows()
        {
            IPcrByteSource source = bandwidth == double.MaxValue ? new FileByteSource(folder) : new ThrottledByteSource(new FileByteSource(folder), bandwidth);
            using var ahead = new BlockingCollection<byte[]>(64);
            Task producer = Task.Run(() =>
            {
                try
                {
                    foreach (string path in paths)
                    {
                        byte[] bytes = new byte[source.GetLength(path)];
                        source.Read(path, 0, bytes);
                        ahead.Add(bytes);
                    }
                }
                finally { ahead.CompleteAdding(); }
            });
            foreach (byte[] bytes in ahead.GetConsumingEnumerable()) yield return new Pipelines.BytesRow { Image = bytes };
            producer.GetAwaiter().GetResult();
        }
        return ml.Data.LoadFromEnumerable(Rows());
    }
}
