// Draws the time-to-accuracy curves of the benchmarks' table 13 (samples/Benchmarks, `--only tta`) as a PNG: one line per
// run, accuracy on the full-fidelity test split after each epoch against cumulative training time (or megabytes read).
//
//   dotnet PcrBenchmarksPlot.dll <curves.csv> <out.png> [--x seconds|megabytes] [--target ACCURACY] [--title TEXT]
//
// The CSV is the one the table writes: a header "run,epoch,seconds,megabytes,accuracy", then one row per run and epoch
// (run names may be quoted, RFC 4180), accuracy in [0, 1]. --target draws a dashed line at that accuracy.
using System.Globalization;
using ScottPlot;

string? csv = null, png = null, title = null;
string x = "seconds";
double? target = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--x" when i + 1 < args.Length && args[i + 1] is "seconds" or "megabytes": x = args[++i]; break;
        case "--target" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double t): target = t; i++; break;
        case "--title" when i + 1 < args.Length: title = args[++i]; break;
        case var positional when !positional.StartsWith("--", StringComparison.Ordinal) && csv is null: csv = positional; break;
        case var positional when !positional.StartsWith("--", StringComparison.Ordinal) && png is null: png = positional; break;
        default:
            return Usage($"unexpected argument '{args[i]}'");
    }
}
if (csv is null || png is null) return Usage("the CSV and the PNG path are required");
if (!File.Exists(csv)) return Usage($"'{csv}' does not exist");

string[] lines = File.ReadAllLines(csv);
if (lines.Length == 0 || lines[0] != "run,epoch,seconds,megabytes,accuracy")
    return Usage($"'{csv}' does not start with the header 'run,epoch,seconds,megabytes,accuracy'");

// Runs in the order they first appear, each with its points in file order.
var runs = new List<(string Name, List<double> X, List<double> Accuracy)>();
for (int n = 1; n < lines.Length; n++)
{
    if (lines[n].Length == 0) continue;
    string[] fields = SplitCsv(lines[n]);
    if (fields.Length != 5
        || !double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)
        || !double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double megabytes)
        || !double.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double accuracy))
        return Usage($"line {n + 1} of '{csv}' is not 'run,epoch,seconds,megabytes,accuracy': {lines[n]}");
    int index = runs.FindIndex(r => r.Name == fields[0]);
    if (index < 0)
    {
        runs.Add((fields[0], [], []));
        index = runs.Count - 1;
    }
    runs[index].X.Add(x == "seconds" ? seconds : megabytes);
    runs[index].Accuracy.Add(100 * accuracy);
}
if (runs.Count == 0) return Usage($"'{csv}' holds no rows");

var plot = new Plot();
foreach ((string name, List<double> xs, List<double> accuracy) in runs)
{
    var line = plot.Add.Scatter(xs.ToArray(), accuracy.ToArray());
    line.LegendText = name;
    line.LineWidth = 2;
    line.MarkerSize = 6;
}
if (target is double goal)
{
    var level = plot.Add.HorizontalLine(100 * goal);
    level.LinePattern = LinePattern.Dashed;
    level.Color = Colors.Gray;
    level.LegendText = string.Create(CultureInfo.InvariantCulture, $"full fidelity's final accuracy - 1 point ({100 * goal:F1}%)");
}
plot.Title(title ?? "Time to accuracy");
plot.XLabel(x == "seconds" ? "cumulative training time (s)" : "cumulative megabytes read");
plot.YLabel("test accuracy at full fidelity (%)");
plot.ShowLegend(Alignment.LowerRight);
plot.Axes.SetLimitsX(0, runs.Max(r => r.X.Max()) * 1.03);
plot.SavePng(png, 960, 600);
Console.WriteLine($"wrote {png}: {runs.Count} runs, {runs.Sum(r => r.X.Count)} points");
return 0;

static int Usage(string problem)
{
    Console.Error.WriteLine($"PcrBenchmarksPlot: {problem}.\nUsage: <curves.csv> <out.png> [--x seconds|megabytes] [--target ACCURACY] [--title TEXT]");
    return 2;
}

// One CSV line into fields: commas separate, a field in double quotes may hold commas, "" is a quote.
static string[] SplitCsv(string line)
{
    var fields = new List<string>();
    var field = new System.Text.StringBuilder();
    bool quoted = false;
    for (int i = 0; i < line.Length; i++)
    {
        char c = line[i];
        if (quoted)
        {
            if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = false;
            else field.Append(c);
        }
        else if (c == '"') quoted = true;
        else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
        else field.Append(c);
    }
    fields.Add(field.ToString());
    return [.. fields];
}
