using System.Diagnostics;
using System.Reflection;
using Microsoft.ML.Pcr.Conversion;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// The second half of table 4: the converter's peak memory, converting N images and N/4 images, each in a fresh child
/// process (this program with <see cref="ChildCommand"/>) that reports its peak working set (VmHWM) when done.
/// The large folders are symbolic links to the generated images, so they cost no disk space.
/// </summary>
internal static class ConversionMemory
{
    public const string ChildCommand = "__convert-child";

    private const double TargetGrowth = 1.25;

    public static void Run(BenchContext context, Report report, string sourceFolder)
    {
        int large = context.Pick(12_000, 20_000), small = large / 4;
        var rows = new List<IReadOnlyList<string>>();
        var peaks = new Dictionary<int, long>();
        foreach (int count in new[] { small, large })
        {
            string folder = GeneratedImages.LinkedFolder(context, sourceFolder, $"linked-{count}", count);
            string output = Path.Combine(context.DataDirectory, "memory-out");
            var (peak, managed, seconds, _) = RunInChild(folder, output);
            peaks[count] = peak;
            rows.Add([$"{count:N0}", Report.MB(peak), Report.MB(managed), Report.F(count / seconds, 0)]);
            Directory.Delete(output, recursive: true);
        }
        report.Note("Each conversion runs in a fresh process on every core; peak working set from /proc (VmHWM), " +
            "peak managed heap from the GC; images are 640x480, 1,024 per record.");
        report.Table(["images", "peak working set", "peak GC heap", "images/s"], rows);
        double growth = peaks[large] / (double)peaks[small];
        report.Target($"peak memory does not grow with the image count ({large:N0} images within {TargetGrowth}x of {small:N0})",
            growth <= TargetGrowth, Report.Ratio(growth));
    }

    /// <summary>Converts <paramref name="folder"/> in a fresh child process; returns its peaks, time and the files it skipped.</summary>
    public static (long PeakWorkingSet, long PeakManaged, double Seconds, IReadOnlyList<string> Skipped) RunInChild(string folder, string output)
    {
        string program = Environment.ProcessPath!;
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(program) == "dotnet") arguments.Add(Assembly.GetEntryAssembly()!.Location);
        arguments.AddRange([ChildCommand, folder, output]);
        var (_, text) = ExternalTools.Run(program, arguments);
        string[] lines = text.Trim().Split('\n');
        string[] fields = lines[^1].Split(' ');
        string[] skipped = [.. lines.Where(l => l.StartsWith(SkippedPrefix, StringComparison.Ordinal)).Select(l => l[SkippedPrefix.Length..])];
        return (long.Parse(fields[0]), long.Parse(fields[1]), double.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), skipped);
    }

    private const string SkippedPrefix = "skipped: ";

    /// <summary>In the child: converts, prints a "skipped: path" line per skipped file, then "peakWorkingSet peakManagedHeap seconds" last.</summary>
    public static int RunChild(string[] args)
    {
        if (args is not [var folder, var output])
        {
            Console.Error.WriteLine($"usage: {ChildCommand} <imageFolder> <outputDirectory>");
            return 2;
        }
        long peakManaged = 0;
        var gate = new object();
        var progress = new SynchronousProgress(() =>
        {
            long now = GC.GetTotalMemory(false);
            lock (gate) peakManaged = Math.Max(peakManaged, now);
        });
        var stopwatch = Stopwatch.StartNew();
        PcrConversionResult result = ImageFolderConverter.Convert(folder, output, new ImageFolderConversionOptions { Overwrite = true, Progress = progress });
        double seconds = stopwatch.Elapsed.TotalSeconds;
        foreach (SkippedFile skipped in result.Skipped) Console.WriteLine(SkippedPrefix + skipped.RelativePath);
        peakManaged = Math.Max(peakManaged, GC.GetGCMemoryInfo().HeapSizeBytes);
        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(FormattableString.Invariant($"{self.PeakWorkingSet64} {peakManaged} {seconds}"));
        return 0;
    }

    // Progress<T> posts to the thread pool; sampling must happen on the reporting thread, during the conversion.
    private sealed class SynchronousProgress(Action sample) : IProgress<PcrConversionProgress>
    {
        public void Report(PcrConversionProgress value) => sample();
    }
}
