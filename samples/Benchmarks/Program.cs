// The project's benchmarks. Every figure is a ratio or a pair measured side by side in the same run
// (contenders interleaved, repeated, medians kept): the machine is shared and noisy.
//
//   dotnet run -c Release --project samples/Benchmarks -- [--quick] [--only name[,name...]] [--data-dir DIR] [--out FILE]
//   dotnet run -c Release --project samples/Benchmarks -- bdn [BenchmarkDotNet arguments]     (micro-benchmarks)
//
// Tables: transcoder, scaling, allocation, conversion, loader, epochs, fidelity, reliability, hostile, blob, decoder, cnn, cnnfeed, tta, ttaseeds. --quick (what CI runs) takes a few
// minutes. Inputs are made once under --data-dir (default: <temp>/pcr-bench) and reused.
using BenchmarkDotNet.Running;
using Pcr.Benchmarks.Harness;
using Pcr.Benchmarks.Tables;

if (args is ["bdn", .. var bdnArgs])
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(bdnArgs);
    return 0;
}
if (args is [ConversionMemory.ChildCommand, .. var childArgs])
    return ConversionMemory.RunChild(childArgs);

bool quick = false;
string? only = null, dataDir = null, outFile = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick": quick = true; break;
        case "--only" when i + 1 < args.Length: only = args[++i]; break;
        case "--data-dir" when i + 1 < args.Length: dataDir = args[++i]; break;
        case "--out" when i + 1 < args.Length: outFile = args[++i]; break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--quick] [--only name[,name...]] [--data-dir DIR] [--out FILE] | bdn [args]");
            return 2;
    }
}

IBenchmarkTable[] tables =
[
    new TranscoderThroughput(), new TranscoderScaling(), new TranscoderAllocation(), new ConversionThroughput(),
    new LoaderThroughput(), new ThrottledEpochs(), new FidelityPerScanGroup(), new IntegrityMutations(),
    new HostileInputs(), new ObjectStorageEpochs(),
    new PixelDecoderThroughput(), new CnnTraining(), new CnnInputPipeline(), new TimeToAccuracy(), new TimeToAccuracySeeds(),
];
if (only is not null)
{
    string[] names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    string[] unknown = [.. names.Where(n => !tables.Any(t => t.Name == n))];
    if (unknown.Length > 0)
    {
        Console.Error.WriteLine($"Unknown table(s) {string.Join(", ", unknown)}; choose from {string.Join(", ", tables.Select(t => t.Name))}.");
        return 2;
    }
    tables = [.. tables.Where(t => names.Contains(t.Name))];
}

var context = new BenchContext(quick, dataDir ?? Path.Combine(Path.GetTempPath(), "pcr-bench"));
var report = new Report();
report.Line($"# Pcr.MLNet benchmarks ({(quick ? "quick" : "full")} mode)");
report.Line();
report.Note($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; " +
    $"clothing-small: {context.ClothingSmall ?? "missing"}; jpegtran: {context.Jpegtran ?? "missing"}; ImageMagick: {context.ImageMagick ?? "missing"}");

int failures = 0;
foreach (IBenchmarkTable table in tables)
{
    report.Heading(table.Title);
    double seconds = 0;
    try
    {
        seconds = Timing.Seconds(() => table.Run(context, report));
    }
    catch (Exception e)
    {
        // A crash fails the run (exit code 1) after the other tables have printed; a MISS does not.
        failures++;
        report.Note($"error: {e}");
    }
    Console.Error.WriteLine($"[{table.Name}: {seconds:F0} s]");
}

report.Heading("Summary");
report.Table(["table", "target", "result"], report.Targets.Select(t => (IReadOnlyList<string>)[t.Table, t.Target, t.Pass ? "PASS" : "MISS"]));
string results = outFile ?? Path.Combine(context.DataDirectory, quick ? "results-quick.md" : "results.md");
File.WriteAllText(results, report.Text);
Console.WriteLine($"Results written to {Path.GetFullPath(results)}; {report.Targets.Count(t => t.Pass)} targets passed, {report.Targets.Count(t => !t.Pass)} missed, {failures} tables failed.");
return failures == 0 ? 0 : 1;
