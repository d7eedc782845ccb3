using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Training;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Tests.Training;

// One trainer at a time, as the other trainer tests: TorchSharp's thread count is process-wide.
[TestClass]
[DoNotParallelize]
public sealed class AutomaticScanPolicyTests
{
    private const int Side = 32;

    private static readonly Lazy<(string Coarse, string Fine)> Data = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private static PcrImageClassificationTrainer.Options Small(int epochs, IScanPolicy policy, List<PcrTrainingEpochMetrics> epochsSeen) => new()
    {
        Epoch = epochs,
        InputSize = Side,
        BatchSize = 16,
        LearningRate = 0.005f,
        Seed = 5,
        NumberOfThreads = 1,
        Augment = false,
        ScanPolicy = policy,
        MetricsCallback = epochsSeen.Add,
    };

    private static AutomaticScanPolicyOptions Measuring(int start = 1, int frequency = 1) =>
        new() { StartEpoch = start, Frequency = frequency, BatchesMeasured = 3, Threshold = 0.8 };

    [TestMethod]
    public void CoarseShapesGetALowScanGroupFineTextureAHighOne()
    {
        var mlContext = new MLContext(seed: 1);
        var log = new List<string>();
        mlContext.Log += (_, e) => { if (e.Source == nameof(PcrImageClassificationTrainer)) lock (log) log.Add(e.Message); };
        (ScanDecision coarse, int coarseCount) = FirstDecision(mlContext, Data.Value.Coarse);
        (ScanDecision fine, int fineCount) = FirstDecision(mlContext, Data.Value.Fine);
        string both = $"coarse: {coarse}\nfine: {fine}";

        Assert.IsLessThanOrEqualTo(2, coarse.Scan, both);
        Assert.IsGreaterThan(coarse.Scan, fine.Scan, both);
        Assert.IsGreaterThanOrEqualTo(fineCount / 2, fine.Scan, both);
        Assert.IsLessThan(0.8, fine.Similarities[0], "scan 1 (DC only) loses 2-pixel stripes: " + both);
        CollectionAssert.AreEqual(Enumerable.Range(1, coarseCount).ToArray(), coarse.Candidates.ToArray(), "every scan group by default");
        Assert.AreEqual(1, coarse.Similarities[^1], 1e-9, "full fidelity against itself");
        Assert.IsGreaterThan(0L, coarse.BytesRead);
        Assert.IsTrue(log.Any(l => l.Contains("scan decision before epoch 1: scan", StringComparison.Ordinal)), string.Join("\n", log));
    }

    private static (ScanDecision, int) FirstDecision(MLContext mlContext, string pcr)
    {
        var epochs = new List<PcrTrainingEpochMetrics>();
        PcrDataView train = mlContext.Data.LoadFromPcr(pcr);
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(2, ScanPolicy.Automatic(Measuring()), epochs)).Fit(train);
        Assert.IsNull(epochs[0].ScanDecision, "no measurement before StartEpoch");
        ScanDecision decision = epochs[1].ScanDecision ?? throw new AssertFailedException("no decision before epoch 1");
        Assert.AreEqual(decision.Scan, epochs[1].Scan);
        return (decision, train.ScanGroupCount);
    }

    [TestMethod]
    public void BytesReadPerEpochFollowTheChosenScanGroupsAndTheRunIsDeterministic()
    {
        var mlContext = new MLContext(seed: 1);
        List<PcrTrainingEpochMetrics> Run()
        {
            var epochs = new List<PcrTrainingEpochMetrics>();
            PcrDataView view = mlContext.Data.LoadFromPcr(Data.Value.Fine);
            var policy = ScanPolicy.Automatic(new AutomaticScanPolicyOptions { StartEpoch = 1, Frequency = 2, BatchesMeasured = 2, Candidates = [1, 2, 5], InitialScan = 1 });
            using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(4, policy, epochs)).Fit(view);
            return epochs;
        }
        List<PcrTrainingEpochMetrics> first = Run(), second = Run();
        PcrDataView train = mlContext.Data.LoadFromPcr(Data.Value.Fine);
        Assert.AreEqual(1, first[0].Scan, "InitialScan before StartEpoch");
        CollectionAssert.AreEqual(new[] { false, true, false, true }, first.Select(e => e.ScanDecision is not null).ToArray());
        Assert.AreEqual(first[1].Scan, first[2].Scan, "the choice holds between measurements");
        CollectionAssert.AreEqual(new[] { 1, 2, 5, train.ScanGroupCount }, first[1].ScanDecision!.Candidates.ToArray());
        foreach (PcrTrainingEpochMetrics e in first)
            Assert.AreEqual(PcrRecordInfo.SumPrefixLengths(train.Dataset.Records, e.Scan), e.BytesRead, $"epoch {e.Epoch} at scan {e.Scan}");
        CollectionAssert.AreEqual(first.Select(e => e.Scan).ToArray(), second.Select(e => e.Scan).ToArray());
        CollectionAssert.AreEqual(first[1].ScanDecision!.Similarities.ToArray(), second[1].ScanDecision!.Similarities.ToArray(), "one thread, one seed: the same measurement");
    }

    [TestMethod]
    public void MeasuringLeavesParametersBatchNormStatisticsAndGradientsUnchanged()
    {
        var mlContext = new MLContext(seed: 1);
        PcrDataView train = mlContext.Data.LoadFromPcr(Data.Value.Fine);
        torch.set_num_threads(1);
        torch.manual_seed(3);
        using nn.Module<Tensor, Tensor> model = CnnNetworks.Create(PcrImageClassificationTrainer.Architecture.SmallResNet, 2);
        var settings = new FeedSettings(train.Schema["Label"].Index, train.Schema["Image"].Index, "Image", 16, Side, false, 0.35f, false, 3, false, 2, SkiaImageTensorDecoder.Instance, null);
        // A training step first, so that the gradients and running statistics are not their initial values.
        using (var feeder = new BatchFeeder(train, null, 0, settings, CancellationToken.None))
        using (ImageBatch batch = feeder.Batches(new System.Diagnostics.Stopwatch()).First())
        {
            model.train();
            nn.functional.cross_entropy(model.forward(batch.Images), batch.Labels).backward();
        }
        model.eval();
        Tensor[] Snapshot() => [.. model.parameters().Select(p => p.detach().clone()), .. model.parameters().Select(p => p.grad!.clone()), .. model.buffers().Select(b => b.clone())];
        Tensor[] before = Snapshot();

        long bytesBeforeProbe = train.Dataset.BytesRead;
        var probe = new GradientProbe(model, CPU, train, settings, 3, CancellationToken.None);
        (double[] similarities, long bytes) = probe.Similarities([1, 3, train.ScanGroupCount], 2);

        Tensor[] after = Snapshot();
        Assert.HasCount(before.Length, after);
        for (int i = 0; i < before.Length; i++) Assert.IsTrue(before[i].eq(after[i]).all().item<bool>(), $"tensor {i} of {before.Length} changed");
        Assert.IsFalse(model.training, "the module's mode is restored");
        Assert.HasCount(3, similarities);
        Assert.IsTrue(similarities.All(s => s is >= -1 and <= 1 + 1e-9), string.Join(", ", similarities));
        Assert.AreEqual(1, similarities[2], 1e-9);

        // It read the fewest records that hold 2 batches of 16 (records of 8 images: 4), each candidate as those records'
        // prefixes through the loader's record reads, and from the training source only their full-fidelity bytes, once.
        (int[] records, long[] bytesByScan) = probe.LastReads;
        Assert.HasCount(4, records);
        PcrRecordInfo[] read = [.. records.Select(r => train.Dataset.Records[r])];
        foreach (int scan in new[] { 1, 3, train.ScanGroupCount })
            Assert.AreEqual(PcrRecordInfo.SumPrefixLengths(read, scan), bytesByScan[scan], $"scan {scan}'s record prefixes");
        Assert.AreEqual(0L, bytesByScan[2], "scan 2 is not a candidate");
        Assert.AreEqual(PcrRecordInfo.SumPrefixLengths(read, train.ScanGroupCount), bytes, "the source served the full-fidelity prefixes once");
        Assert.AreEqual(bytes, train.Dataset.BytesRead - bytesBeforeProbe, "the dataset counts what came from its source");
    }

    [TestMethod]
    public void BadOptionsGetArgumentErrors()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScanPolicy.Automatic(new AutomaticScanPolicyOptions { Threshold = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScanPolicy.Automatic(new AutomaticScanPolicyOptions { Frequency = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScanPolicy.Automatic(new AutomaticScanPolicyOptions { BatchesMeasured = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScanPolicy.Automatic(new AutomaticScanPolicyOptions { Candidates = [0, 2] }));
        Assert.ThrowsExactly<ArgumentException>(() => ScanPolicy.Automatic(new AutomaticScanPolicyOptions { Candidates = [] }));
        StringAssert.Contains(ScanPolicy.Automatic().ToString(), "threshold 0.8");
    }

    private static (string, string) Create()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pcr-autoscan-tests-{Environment.ProcessId}");
        var options = new ImageFolderConversionOptions { ImagesPerRecord = 8, Overwrite = true, Seed = 3 };
        // Coarse: the bright half is the left or the top one, in 16-pixel halves (whole 8x8 blocks, so the DC scan keeps it).
        Write(Path.Combine(root, "coarse-images"), ["left", "top"], (c, x, y) => c == "left" ? x < Side / 2 : y < Side / 2);
        // Fine: vertical or horizontal stripes with a 2-pixel period over the whole image (only the high-frequency scans keep them).
        Write(Path.Combine(root, "fine-images"), ["vertical", "horizontal"], (c, x, y) => c == "vertical" ? x % 2 == 0 : y % 2 == 0);
        ImageFolderConverter.Convert(Path.Combine(root, "coarse-images"), Path.Combine(root, "coarse"), options);
        ImageFolderConverter.Convert(Path.Combine(root, "fine-images"), Path.Combine(root, "fine"), options);
        return (Path.Combine(root, "coarse"), Path.Combine(root, "fine"));
    }

    private static void Write(string folder, string[] classes, Func<string, int, int, bool> bright)
    {
        var random = new Random(17);
        foreach (string c in classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, c));
            for (int i = 0; i < 48; i++)
            {
                using var bitmap = new SKBitmap(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul);
                int low = random.Next(40, 100), high = low + random.Next(70, 110);
                for (int y = 0; y < Side; y++)
                    for (int x = 0; x < Side; x++)
                    {
                        byte v = (byte)Math.Clamp((bright(c, x, y) ? high : low) + random.Next(-4, 5), 0, 255);
                        bitmap.SetPixel(x, y, new SKColor(v, v, v));
                    }
                using SKData jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
                File.WriteAllBytes(Path.Combine(folder, c, $"{i:D3}.jpg"), jpeg.ToArray());
            }
        }
    }
}
