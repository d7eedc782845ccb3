using Microsoft.ML;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Training;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 13: the PCR paper's headline, time to accuracy when training is bound by bandwidth. The CNN trainer on
/// clothing-small at its default 64x64, every byte of the training records through a <see cref="ThrottledByteSource"/>,
/// at full fidelity, scan groups 1, 2 and 5, a fixed schedule and the automatic policy; same epochs and seed. Accuracy on
/// the full-fidelity test split after every epoch against cumulative training time and bytes (the automatic policy's
/// measurements included), the time to reach full fidelity's final accuracy within 1 point, the curves as CSV, and their plot as a PNG.
/// </summary>
internal sealed class TimeToAccuracy : IBenchmarkTable
{
    public string Name => "tta";

    public string Title => "13. Time to accuracy under limited bandwidth";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        var ml = new MLContext(seed: 1);
        int epochs = context.Pick(2, 8);
        string pcr = context.ClothingPcr;
        IDataView test = TestSplit(context, ml);

        // Bandwidth: a full-fidelity epoch needs this many seconds of transfer, several times the compute of an epoch here.
        PcrDataView unthrottled = ml.Data.LoadFromPcr(pcr);
        long fullBytes = TrainingRecords(context, unthrottled).WithScan(unthrottled.ScanGroupCount).BytesPerPass;
        double transferSeconds = context.Pick(4.0, 50.0);
        double bandwidth = fullBytes / transferSeconds;
        int full = unthrottled.ScanGroupCount;
        List<PcrTrainingEpochMetrics> Run(IScanPolicy policy) =>
            Train(ml, TrainingRecords(context, ml.Data.LoadFromPcr(new ThrottledByteSource(new FileByteSource(pcr), bandwidth))), test, epochs, 1, policy);

        var runs = new List<(string Name, List<PcrTrainingEpochMetrics> Epochs)>
        {
            ("full", Run(ScanPolicy.Full)),
            ("scan 1", Run(ScanPolicy.Fixed(1))),
            ("scan 2", Run(ScanPolicy.Fixed(2))),
            ("scan 5", Run(ScanPolicy.Fixed(5))),
        };
        int?[] schedule = context.Quick ? [2, null] : [1, 1, 2, 2, 5, 5, null, null];
        runs.Add(($"schedule {ScanPolicy.Schedule(schedule)}", Run(ScanPolicy.Schedule(schedule))));
        // A short run: epoch 0 at scan 1 (early epochs learn coarse features, and full fidelity's reads are what costs), then a
        // measurement before epochs 1, 4 and 7; 5 batches fill one record of clothing-small (192 images), every row of which is measured.
        AutomaticScanPolicyOptions automatic = AutomaticOptions(context);
        runs.Add(("automatic", Run(ScanPolicy.Automatic(automatic))));

        double target = runs[0].Epochs[^1].ValidationAccuracy!.Value - 0.01;
        double fullTime = Reached(runs[0].Epochs, target) ?? double.NaN;
        report.Note($"SmallResNet at 64x64, batch 32, {epochs} epochs, seed 1, {Environment.ProcessorCount} threads, {(context.Quick ? $"{QuickShare:P0} of the training records" : "the whole training split")}; " +
            $"training records throttled to {Report.MB(bandwidth)}/s (a full-fidelity epoch is {Report.MB(fullBytes)}, {transferSeconds:F0} s of transfer); " +
            $"full fidelity's data wait is {Report.Percent(runs[0].Epochs.Average(e => e.DataWaitShare))} of its training time. Time = cumulative training passes plus the automatic policy's measurements (validation excluded); " +
            $"accuracy on clothing-small's test split read at full fidelity; automatic = epoch 0 at scan 1, then measured before epoch 1 and every {automatic.Frequency} after, on at least {automatic.BatchesMeasured} batches, threshold 0.8, candidates 1, 2, 5, full.");
        report.Table(["run", "scans per epoch", "bytes (total)", "time (total)", "data wait", "final accuracy", $"time to {Report.Percent(target)}", "vs full"],
            runs.Select(r =>
            {
                double? t = Reached(r.Epochs, target);
                return (IReadOnlyList<string>)[r.Name, string.Join(" ", r.Epochs.Select(e => e.Scan == full ? "F" : e.Scan.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                    Report.MB(Cumulative(r.Epochs, e => e.BytesRead + (e.ScanDecision?.BytesRead ?? 0))[^1]), Report.F(Seconds(r.Epochs)[^1]) + " s",
                    Report.Percent(r.Epochs.Average(e => e.DataWaitShare)), Report.Percent(r.Epochs[^1].ValidationAccuracy!.Value),
                    t is double s ? Report.F(s) + " s" : "not reached", t is double s2 ? Report.Ratio(s2 / fullTime) : "-"];
            }));
        report.Table(["run", .. Enumerable.Range(0, epochs).Select(e => $"epoch {e}: accuracy @ s, MB")],
            runs.Select(r => (IReadOnlyList<string>)[r.Name, .. r.Epochs.Select((e, i) =>
                $"{Report.Percent(e.ValidationAccuracy!.Value)} @ {Report.F(Seconds(r.Epochs)[i])}, {Report.F(Cumulative(r.Epochs, m => m.BytesRead + (m.ScanDecision?.BytesRead ?? 0))[i] / 1e6)}")]));
        foreach (PcrTrainingEpochMetrics e in runs[^1].Epochs)
            if (e.ScanDecision is { } d) report.Note(d.ToString());

        double? automaticTime = Reached(runs[^1].Epochs, target);
        report.Target("automatic reaches full fidelity's final accuracy (within 1 point) in <= 0.6x its time", automaticTime is double a && a <= 0.6 * fullTime,
            automaticTime is double m ? Report.Ratio(m / fullTime) : "not reached");

        // The curves as CSV (run, epoch, seconds, MB, accuracy; run names quoted, a schedule holds commas) and as a PNG drawn by
        // the plot program beside the benchmarks (samples/Benchmarks.Plot: ScottPlot 5 needs SkiaSharp 3, a separate process).
        string name = context.Quick ? "time-to-accuracy-quick" : "time-to-accuracy";
        string csv = Path.Combine(context.DataDirectory, name + ".csv"), png = Path.Combine(context.DataDirectory, name + ".png");
        File.WriteAllLines(csv, ["run,epoch,seconds,megabytes,accuracy", .. runs.SelectMany(r => r.Epochs.Select((e, i) => FormattableString.Invariant(
            $"\"{r.Name}\",{e.Epoch},{Seconds(r.Epochs)[i]:F2},{Cumulative(r.Epochs, m => m.BytesRead + (m.ScanDecision?.BytesRead ?? 0))[i] / 1e6:F2},{e.ValidationAccuracy:F4}")))]);
        report.Note($"curves: {csv}; plot: {Plot(csv, png, target, $"clothing-small, {Report.MB(bandwidth)}/s, {epochs} epochs")}");
    }

    /// <summary>The automatic policy of the table (and of table 13b): epoch 0 at scan 1, measured before epoch 1 and every 3 after (quick: every epoch), on 5 batches (quick: 2), candidates 1, 2, 5.</summary>
    internal static AutomaticScanPolicyOptions AutomaticOptions(BenchContext context) =>
        new() { StartEpoch = 1, Frequency = context.Pick(1, 3), BatchesMeasured = context.Pick(2, 5), Candidates = [1, 2, 5], InitialScan = 1 };

    /// <summary>Runs the plot program (built beside the benchmarks, in plot/) on the curves; returns the PNG's path, or why there is none.</summary>
    private static string Plot(string csv, string png, double target, string title)
    {
        string program = Path.Combine(AppContext.BaseDirectory, "plot", "PcrBenchmarksPlot.dll");
        if (!File.Exists(program)) return $"none ({program} is missing: build samples/Benchmarks.Plot)";
        ExternalTools.Run("dotnet", [program, csv, png, "--target", target.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "--title", $"Time to accuracy: {title}"]);
        return png;
    }

    /// <summary>The share of the training records quick mode trains on (a fixed record split).</summary>
    internal const double QuickShare = 0.08;

    /// <summary>The training records a run reads: all of <paramref name="view"/>, or in quick mode a fixed <see cref="QuickShare"/> of its records.</summary>
    internal static PcrDataView TrainingRecords(BenchContext context, PcrDataView view) => context.Quick ? view.SplitByRecords(QuickShare, 7).TestSet : view;

    /// <summary>clothing-small's test split read at full fidelity (quick mode: its first 96 rows).</summary>
    internal static IDataView TestSplit(BenchContext context, MLContext ml)
    {
        IDataView test = ml.Data.LoadFromPcr(context.ClothingTestPcr);
        return context.Quick ? ml.Data.TakeRows(test, 96) : test;
    }

    /// <summary>Trains the table's network (the trainer's defaults: SmallResNet, 64x64, batch 32) on <paramref name="train"/>, validating on <paramref name="test"/> after every epoch; returns every epoch's metrics.</summary>
    internal static List<PcrTrainingEpochMetrics> Train(MLContext ml, PcrDataView train, IDataView test, int epochs, int seed, IScanPolicy policy, int? threads = null)
    {
        var metrics = new List<PcrTrainingEpochMetrics>();
        var options = new PcrImageClassificationTrainer.Options
        {
            Epoch = epochs, Seed = seed, NumberOfThreads = threads, ScanPolicy = policy, ValidationSet = test, MetricsCallback = metrics.Add,
        };
        using PcrImageClassificationTransformer model = ml.MulticlassClassification.Trainers.PcrImageClassification(options).Fit(train);
        return metrics;
    }

    private static double[] Cumulative(List<PcrTrainingEpochMetrics> epochs, Func<PcrTrainingEpochMetrics, double> value)
    {
        double sum = 0;
        return [.. epochs.Select(e => sum += value(e))];
    }

    private static double[] Seconds(List<PcrTrainingEpochMetrics> epochs) =>
        Cumulative(epochs, e => e.Duration.TotalSeconds + (e.ScanDecision?.Duration.TotalSeconds ?? 0));

    private static double? Reached(List<PcrTrainingEpochMetrics> epochs, double target)
    {
        double[] seconds = Seconds(epochs);
        for (int i = 0; i < epochs.Count; i++)
            if (epochs[i].ValidationAccuracy >= target) return seconds[i];
        return null;
    }
}
