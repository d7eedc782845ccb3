using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 12: the TorchSharp CNN trainer on clothing-small at 64x64. Throughput per scan group (images/s, share of the
/// epoch spent waiting for data) against the same model fed from ML.NET's ImageFolder path (LoadRawImageBytes), and
/// test accuracy after a fixed number of epochs at scan groups 1, 2, 5 and full (the test split read at full fidelity).
/// </summary>
internal sealed class CnnTraining : IBenchmarkTable
{
    public string Name => "cnn";

    public string Title => "12. CNN training (TorchSharp) per scan group";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        var ml = new MLContext(seed: 1);
        int epochs = context.Pick(1, 6);
        string trainFolder = context.ClothingTrainFolder;
        string pcr = context.ClothingPcr;
        string testPcr = context.ClothingTestPcr;
        long maxRows = context.Pick(192, long.MaxValue);
        PcrDataView probe = ml.Data.LoadFromPcr(pcr);
        int full = probe.ScanGroupCount;
        IDataView test = ml.Data.LoadFromPcr(testPcr);
        if (context.Quick) test = ml.Data.TakeRows(test, 96);

        var rows = new List<IReadOnlyList<string>>();
        foreach (int scan in new[] { 1, 2, 5, full }.Where(s => s <= full).Distinct())
        {
            IDataView train = context.Quick ? ml.Data.TakeRows(ml.Data.ShuffleRows(probe.WithScan(scan), seed: 3), maxRows) : probe.WithScan(scan);
            var (metrics, accuracy) = Train(ml, train, test, epochs);
            rows.Add([$"PCR scan {scan}{(scan == full ? " (full)" : "")}", Report.MB(metrics.Average(m => m.BytesRead)),
                Report.F(metrics.Average(m => m.ImagesPerSecond), 0), Report.Percent(metrics.Average(m => m.DataWaitShare)), Report.Percent(accuracy)]);
        }

        // The baseline: the same trainer on LoadRawImageBytes output of the ImageFolder (full-size JPEG files).
        string[] paths = Pipelines.RelativePaths(trainFolder);
        if (context.Quick) paths = [.. paths.Where((_, i) => i % (paths.Length / (int)maxRows + 1) == 0)];
        IDataView labelled = ml.Data.LoadFromEnumerable(paths.Select(p => new LabelledPath { ImagePath = p, Class = Path.GetDirectoryName(p)! }));
        IDataView folderData = ml.Transforms.Conversion.MapValueToKey("Label", nameof(LabelledPath.Class))
            .Append(ml.Transforms.LoadRawImageBytes("Image", trainFolder, nameof(LabelledPath.ImagePath))).Fit(labelled).Transform(labelled);
        var (folderMetrics, _) = Train(ml, folderData, null, epochs);
        rows.Add(["ImageFolder (LoadRawImageBytes)", Report.MB(folderMetrics.Average(m => m.BytesRead)),
            Report.F(folderMetrics.Average(m => m.ImagesPerSecond), 0), Report.Percent(folderMetrics.Average(m => m.DataWaitShare)), "-"]);

        report.Note($"SmallResNet at 64x64, batch 32, {epochs} epoch(s), {Environment.ProcessorCount} threads, {(context.Quick ? $"{maxRows} training images" : "the whole training split")}; " +
            "accuracy on clothing-small's test split read at full fidelity; data wait = share of the training pass spent waiting for decoded batches.");
        report.Table(["training data", "bytes per epoch", "images/s", "data wait", "test accuracy"], rows);
    }

    private static (List<PcrTrainingEpochMetrics>, double) Train(MLContext ml, IDataView train, IDataView? test, int epochs)
    {
        var metrics = new List<PcrTrainingEpochMetrics>();
        var options = new PcrImageClassificationTrainer.Options { Epoch = epochs, InputSize = 64, Seed = 1, MetricsCallback = metrics.Add };
        using PcrImageClassificationTransformer model = ml.MulticlassClassification.Trainers.PcrImageClassification(options).Fit(train);
        double accuracy = test is null ? double.NaN : ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        return (metrics, accuracy);
    }

    private sealed class LabelledPath
    {
        public string ImagePath { get; set; } = "";
        public string Class { get; set; } = "";
    }
}
