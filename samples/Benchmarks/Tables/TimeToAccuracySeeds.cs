using Microsoft.ML;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 13b: how much of table 13's verdict is the seed. The same runs as table 13 (full fidelity, scan groups 1, 2 and 5, the
/// automatic policy) at other seeds, read unthrottled: with one training thread a seed gives the same model whatever the
/// bandwidth (the byte source changes when bytes arrive, never which), so accuracy per epoch is table 13's for that seed and
/// only the clock differs. Reported: each run's final accuracy, its gap to full fidelity's, and the epoch (and bytes) at which
/// it first reached full fidelity's final accuracy within 1 point: the criterion of table 13's target, separated from timing.
/// </summary>
internal sealed class TimeToAccuracySeeds : IBenchmarkTable
{
    public string Name => "ttaseeds";

    public string Title => "13b. Time to accuracy: the same runs at other seeds (accuracy per epoch; unthrottled)";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        int epochs = context.Pick(2, 8);
        int[] seeds = context.Pick<int[]>([2], [2, 3]);
        var ml = new MLContext(seed: 1);
        PcrDataView train = TimeToAccuracy.TrainingRecords(context, ml.Data.LoadFromPcr(context.ClothingPcr));
        IDataView test = TimeToAccuracy.TestSplit(context, ml);
        int full = train.ScanGroupCount;
        (string Name, Func<IScanPolicy> Policy)[] runs =
        [
            ("full", () => ScanPolicy.Full), ("scan 1", () => ScanPolicy.Fixed(1)), ("scan 2", () => ScanPolicy.Fixed(2)), ("scan 5", () => ScanPolicy.Fixed(5)),
            ("automatic", () => ScanPolicy.Automatic(TimeToAccuracy.AutomaticOptions(context))),
        ];
        report.Note($"{(context.Quick ? "Quick mode: full fidelity and automatic only. " : "")}SmallResNet at 64x64, batch 32, {epochs} epochs, one training thread, {(context.Quick ? $"{TimeToAccuracy.QuickShare:P0} of the training records" : "the whole training split")}, " +
            $"accuracy on clothing-small's test split at full fidelity; automatic as in table 13. \"reached\" = the first epoch whose accuracy is at least full fidelity's final minus 1 point (0-based; MB read up to it).");
        var rows = new List<IReadOnlyList<string>>();
        foreach (int seed in seeds)
        {
            var results = runs.Where(r => !context.Quick || r.Name is "full" or "automatic").Select(r => (r.Name, Epochs: TimeToAccuracy.Train(ml, train, test, epochs, seed, r.Policy(), threads: 1))).ToList();
            double fullFinal = results[0].Epochs[^1].ValidationAccuracy!.Value;
            foreach (var (name, e) in results)
            {
                double final = e[^1].ValidationAccuracy!.Value;
                int reached = e.FindIndex(m => m.ValidationAccuracy >= fullFinal - 0.01);
                double bytes = e.Take(reached + 1).Sum(m => m.BytesRead + (m.ScanDecision?.BytesRead ?? 0));
                rows.Add([seed.ToString(System.Globalization.CultureInfo.InvariantCulture), name,
                    string.Join(" ", e.Select(m => m.Scan == full ? "F" : m.Scan.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                    string.Join(" ", e.Select(m => (m.ValidationAccuracy!.Value * 100).ToString("F1", System.Globalization.CultureInfo.InvariantCulture))),
                    Report.Percent(final), ((final - fullFinal) * 100).ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture),
                    reached < 0 ? "not reached" : $"epoch {reached}, {Report.MB(bytes)}"]);
            }
        }
        report.Table(["seed", "run", "scans per epoch", "accuracy per epoch (%)", "final", "vs full (points)", "reached full's final - 1 point"], rows);
    }
}
