using Microsoft.ML.Pcr.Conversion;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 4: ImageFolderConverter's images per second with 1 and 2 jobs on photo-like 640x480 JPEGs, against a jpegtran
/// process per image at the same parallelism; then the converter's peak memory against the number of images.
/// </summary>
internal sealed class ConversionThroughput : IBenchmarkTable
{
    public string Name => "conversion";

    public string Title => "4. Conversion throughput and memory (ImageFolderConverter)";

    public void Run(BenchContext context, Report report)
    {
        if (!BenchContext.Has(report, context.MissingClothing ?? context.MissingImageMagick, "the inputs are made from clothing photos with ImageMagick")) return;
        string folder = context.GeneratedFolder;
        string load = LoadAverage();
        string[] images = [.. Directory.EnumerateFiles(folder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
        int[] jobs = [1, 2];
        int repeats = context.Pick(2, 5);

        var contenders = new List<(string Name, int Jobs, Action Run)>();
        foreach (int j in jobs)
        {
            string output = Path.Combine(context.DataDirectory, $"conversion-out-{j}");
            contenders.Add(("ImageFolderConverter", j, () => ImageFolderConverter.Convert(folder, output,
                new ImageFolderConversionOptions { MaxDegreeOfParallelism = j, Overwrite = true })));
        }
        if (context.Jpegtran is { } jpegtran)
        {
            foreach (int j in jobs)
            {
                string output = Directory.CreateDirectory(Path.Combine(context.DataDirectory, $"jpegtran-out-{j}")).FullName;
                contenders.Add(("jpegtran process per image", j, () => Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = j },
                    i => ExternalTools.JpegtranProgressive(jpegtran, images[i], Path.Combine(output, $"{i:D5}.jpg")))));
            }
        }
        // This process's CPU time per run as well: when 2 jobs do not go 2x faster, it tells a lack of a free core
        // (same CPU per image) from work that grows with parallelism (more CPU per image).
        double[] cpu = new double[contenders.Count];
        double[] seconds = Timing.InterleavedMedians(repeats, [.. contenders.Select((c, i) => (Action)(() => cpu[i] += CpuSeconds(c.Run)))]);
        double CpuMs(int j) => cpu[contenders.FindIndex(c => c.Name == "ImageFolderConverter" && c.Jobs == j)] * 1000 / (repeats + 1) / images.Length;
        double Rate(string name, int j) => images.Length / seconds[contenders.FindIndex(c => c.Name == name && c.Jobs == j)];

        report.Note($"{images.Length} photo-like 640x480 baseline JPEGs ({Report.MB(images.Sum(f => (double)new FileInfo(f).Length))}) made from clothing photos; " +
            $"{Environment.ProcessorCount} cores; median of {repeats} interleaved runs. The converter writes a PCR dataset, jpegtran one file per image.");
        report.Table(["converter", "1 job (images/s)", "2 jobs (images/s)", "2 jobs / 1 job"],
            contenders.Select(c => c.Name).Distinct().Select(name => (IReadOnlyList<string>)
                [name, Report.F(Rate(name, 1), 0), Report.F(Rate(name, 2), 0), Report.Ratio(Rate(name, 2) / Rate(name, 1))]));
        double scaling = Rate("ImageFolderConverter", 2) / Rate("ImageFolderConverter", 1);
        report.Target("2 jobs >= 1.7x one job", scaling >= 1.7, Report.Ratio(scaling));
        if (context.Jpegtran is null) report.Skipped($"the jpegtran contender: {context.MissingJpegtran}");
        else
        {
            double vs1 = Rate("ImageFolderConverter", 1) / Rate("jpegtran process per image", 1);
            double vs2 = Rate("ImageFolderConverter", 2) / Rate("jpegtran process per image", 2);
            report.Note($"The converter against the jpegtran loop: {Report.Ratio(vs1)} with 1 job, {Report.Ratio(vs2)} with 2 jobs.");
        }
        report.Note($"Converter CPU time per image: {Report.F(CpuMs(1), 2)} ms with 1 job, {Report.F(CpuMs(2), 2)} ms with 2 jobs; " +
            $"load average (1, 5, 15 min) before the runs: {load}.");

        ConversionMemory.Run(context, report, folder);
    }

    private static double CpuSeconds(Action action)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        TimeSpan before = self.TotalProcessorTime;
        action();
        self.Refresh();
        return (self.TotalProcessorTime - before).TotalSeconds;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
