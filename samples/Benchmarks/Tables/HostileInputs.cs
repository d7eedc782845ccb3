using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Tests.Conversion;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 9: a folder of hostile images (headers declaring up to 16384 x 16384 pixels over a few kilobytes: forged and
/// cut-short JPEGs of every coding, 999 empty scans, BMP, PNG, GIF and WebP headers) converted on every core in a fresh
/// child process: its peak working set, files per second, and whether every file was skipped and named.
/// </summary>
internal sealed class HostileInputs : IBenchmarkTable
{
    private const double TargetPeakMB = 300;
    private const double TargetFilesPerSecond = 100;

    public string Name => "hostile";

    public string Title => "9. Hostile inputs: memory follows the data, not the header";

    public void Run(BenchContext context, Report report)
    {
        int count = context.Pick(216, 432);
        IReadOnlyList<byte[]> arithmetic = ArithmeticSeeds();
        string folder = Path.Combine(context.DataDirectory, $"hostile-{count}");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        HostileImages.WriteFolder(folder, count, arithmetic);
        // One real image, so that the conversion has a dataset to write and reports what it skipped.
        string good = Directory.CreateDirectory(Path.Combine(folder, "good")).FullName;
        File.WriteAllBytes(Path.Combine(good, "photo.jpg"), HostileImages.SeedJpeg(new Random(1), gray: false, progressive: false));
        string[] hostile = [.. Directory.EnumerateFiles(Path.Combine(folder, "forged")).Select(f => "forged/" + Path.GetFileName(f)).Order(StringComparer.Ordinal)];
        long bytes = hostile.Sum(f => new FileInfo(Path.Combine(folder, f)).Length);

        string output = Path.Combine(context.DataDirectory, "hostile-out");
        var (peak, managed, seconds, skipped) = ConversionMemory.RunInChild(folder, output);
        Directory.Delete(output, recursive: true);
        bool allNamed = skipped.Order(StringComparer.Ordinal).SequenceEqual(hostile);
        double filesPerSecond = (hostile.Length + 1) / seconds;

        int kinds = HostileImages.Kinds.Length + arithmetic.Count;
        report.Note($"{hostile.Length} files ({Report.MB(bytes)} in all, {kinds} kinds: {string.Join(", ", HostileImages.Kinds)}" +
            (arithmetic.Count > 0 ? $", {arithmetic.Count} arithmetic-coded" : "") +
            $") declaring 12000 to 16384 x 16384 pixels (the default limit is {JpegTranscoder.DefaultMaxPixels:N0}), plus one real image; " +
            "converted on every core in a fresh process; peak working set from /proc (VmHWM), peak managed heap from the GC.");
        report.Table(["files", "peak working set", "peak GC heap", "files/s", "skipped and named"],
            [[$"{hostile.Length:N0}", Report.MB(peak), Report.MB(managed), Report.F(filesPerSecond, 0), $"{skipped.Count:N0} of {hostile.Length:N0}"]]);
        report.Target($"hostile folder converted under {TargetPeakMB} MB peak working set", peak / 1e6 < TargetPeakMB, Report.MB(peak));
        report.Target($"hostile folder converted above {TargetFilesPerSecond} files/s", filesPerSecond > TargetFilesPerSecond, Report.F(filesPerSecond, 0) + " files/s");
        report.Target("every hostile file skipped and named", allNamed, $"{skipped.Count} of {hostile.Length}");
    }

    /// <summary>The repository's arithmetic-coded test inputs (no encoder here writes them), when the benchmarks run from a checkout.</summary>
    private static IReadOnlyList<byte[]> ArithmeticSeeds()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string inputs = Path.Combine(dir.FullName, "Microsoft.ML.Pcr.Tests", "TestData", "jpeg", "inputs");
            if (Directory.Exists(inputs))
                return [.. new[] { "arithmetic-sequential.jpg", "arithmetic-progressive.jpg" }.Select(n => File.ReadAllBytes(Path.Combine(inputs, n)))];
        }
        return [];
    }
}
