using Microsoft.ML;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Tests.IO.ObjectStorage;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 10: epochs read from Azure Blob Storage (Azurite on loopback, started here) through
/// <see cref="AzureBlobByteSource"/>, beside the same dataset on local disk: time and bytes over the wire per scan
/// group, unthrottled and with the link limited by a <see cref="ThrottledByteSource"/>; then a
/// <see cref="CachedByteSource"/>: a first (cold) epoch, a cached epoch, and a fidelity upgrade that downloads only the
/// bytes it lacks.
/// </summary>
internal sealed class ObjectStorageEpochs : IBenchmarkTable
{
    private const double FullModeBytesPerSecond = 25e6;

    public string Name => "blob";

    public string Title => "10. Epochs from object storage (Azurite), with and without the local cache";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        using AzuriteServer? server = AzuriteServer.TryStart(out string reason);
        if (server is null)
        {
            report.Skipped(reason);
            return;
        }
        var ml = new MLContext(seed: 1);
        string pcr = context.EpochDataset.Pcr;
        string container = "bench-" + Guid.NewGuid().ToString("N")[..12];
        server.UploadDirectoryAsync(pcr, container, "clothing").GetAwaiter().GetResult();
        var blobs = new AzureBlobByteSource(server.ConnectionString, container, "clothing");

        PcrDataView local = ml.Data.LoadFromPcr(pcr);
        PcrDataView remote = ml.Data.LoadFromPcr(blobs);
        int fullScan = local.ScanGroupCount;
        int[] scans = [.. new[] { 1, 2, 5 }.Where(s => s < fullScan), fullScan];
        double bandwidth = context.Quick ? FullModeBytesPerSecond * local.GetRowCount()!.Value / 3068 : FullModeBytesPerSecond;

        var rows = new List<IReadOnlyList<string>>();
        bool wireIsPrefixes = true;
        double worstOverhead = 0;
        foreach (int scan in scans)
        {
            PcrDataView localAt = local.WithScan(scan), remoteAt = remote.WithScan(scan);
            long bytesBefore = blobs.BytesDownloaded, readsBefore = blobs.RangedReads;
            Pipelines.DrainBytes(remoteAt);
            long wire = blobs.BytesDownloaded - bytesBefore, reads = blobs.RangedReads - readsBefore;
            double[] medians = Timing.InterleavedMedians(context.Pick(2, 3),
                () => Pipelines.DrainBytes(localAt),
                () => Pipelines.DrainBytes(remoteAt));
            wireIsPrefixes &= wire == remoteAt.BytesPerPass;
            double throttledLocal = Timing.Seconds(() => Pipelines.DrainBytes(ml.Data.LoadFromPcr(new ThrottledByteSource(new FileByteSource(pcr), bandwidth), scan)));
            double throttledRemote = Timing.Seconds(() => Pipelines.DrainBytes(ml.Data.LoadFromPcr(new ThrottledByteSource(blobs, bandwidth), scan)));
            worstOverhead = Math.Max(worstOverhead, throttledRemote / throttledLocal);
            rows.Add(
            [
                $"{scan}{(scan == fullScan ? " (full)" : "")}", Report.MB(wire), Report.Percent(wire / (double)local.BytesPerPass), reads.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                Report.F(medians[0], 3), Report.F(medians[1], 3), Report.F(throttledLocal, 2), Report.F(throttledRemote, 2), Report.Ratio(throttledRemote / throttledLocal),
            ]);
        }
        report.Note($"{local.GetRowCount():N0} clothing photos in {local.Dataset.Records.Count} records, one cursor; Azurite {server.BlobEndpoint} (in memory, loopback); " +
            $"throttled = a {nameof(ThrottledByteSource)} of {Report.F(bandwidth / 1e6, 1)} MB/s around the source. Bytes over the wire are the response bodies of the ranged downloads.");
        report.Table(["scan group", "bytes over the wire", "of full", "ranged reads", "local epoch (s)", "Azurite epoch (s)", "local throttled (s)", "Azurite throttled (s)", "Azurite / local, throttled"], rows);
        report.Target("bytes over the wire per epoch = the prefixes the scan group needs (one download per record)", wireIsPrefixes, wireIsPrefixes ? "equal at every scan group" : "differ");
        report.Target("a throttled epoch from Azurite within 1.2x of the same throttle over local files", worstOverhead <= 1.2, $"worst {Report.Ratio(worstOverhead)}");

        // The cache: a cold epoch at a middle scan group, a cached one, an upgrade to full fidelity, a cached full epoch.
        int middle = scans[Math.Min(1, scans.Length - 2)];
        string cacheDirectory = Path.Combine(context.DataDirectory, "blob-cache-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var link = new ThrottledByteSource(blobs, bandwidth);
            var cache = new CachedByteSource(link, cacheDirectory, 4L << 30);
            PcrDataView cached = ml.Data.LoadFromPcr(cache, middle);
            var steps = new List<(string Step, double Seconds, long Wire, long FromCache)>();
            void Step(string name, PcrDataView view)
            {
                long wireBefore = cache.BytesFromSource, cacheBefore = cache.BytesFromCache;
                double seconds = Timing.Seconds(() => Pipelines.DrainBytes(view));
                steps.Add((name, seconds, cache.BytesFromSource - wireBefore, cache.BytesFromCache - cacheBefore));
            }
            Step($"first epoch, scan {middle} (cold)", cached);
            Step($"second epoch, scan {middle} (cached)", cached);
            Step($"upgrade to scan {fullScan}", cached.WithScan(fullScan));
            Step($"next epoch, scan {fullScan} (cached)", cached.WithScan(fullScan));
            double coldFull = Timing.Seconds(() => Pipelines.DrainBytes(ml.Data.LoadFromPcr(new ThrottledByteSource(blobs, bandwidth), fullScan)));
            steps.Add(($"scan {fullScan} without the cache", coldFull, local.BytesPerPass, 0));

            report.Note($"The cache over the throttled link ({Report.F(bandwidth / 1e6, 1)} MB/s), in {cacheDirectory} (deleted afterwards).");
            report.Table(["epoch", "time (s)", "bytes over the wire", "bytes from the cache"],
                steps.Select(s => (IReadOnlyList<string>)[s.Step, Report.F(s.Seconds, 2), Report.MB(s.Wire), Report.MB(s.FromCache)]));
            long upgradeWire = steps[2].Wire, expectedUpgrade = local.BytesPerPass - local.WithScan(middle).BytesPerPass;
            report.Target($"an upgrade from scan {middle} to {fullScan} downloads only the bytes it lacks", upgradeWire == expectedUpgrade,
                $"{Report.MB(upgradeWire)} of {Report.MB(expectedUpgrade)} lacking");
            report.Target("a cached epoch downloads nothing", steps[1].Wire == 0 && steps[3].Wire == 0, $"{steps[1].Wire + steps[3].Wire} bytes");
            report.Target("an upgrade costs <= 1.1x its share of a full uncached epoch",
                steps[2].Seconds <= 1.1 * coldFull * expectedUpgrade / local.BytesPerPass,
                Report.Ratio(steps[2].Seconds / (coldFull * expectedUpgrade / local.BytesPerPass)));
        }
        finally
        {
            if (Directory.Exists(cacheDirectory)) Directory.Delete(cacheDirectory, recursive: true);
        }
    }
}
