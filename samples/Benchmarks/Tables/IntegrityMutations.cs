using System.Security.Cryptography;
using Microsoft.ML.Pcr;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Jpeg;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Reliability: seeded single-byte mutations and truncations of the index and of the records of a dataset written here and of one
/// written by the published converter, each opened and read at three scan groups with checksums on and off. Every outcome is
/// counted: refused at open, refused at read, rows identical, rows changed silently, or an exception of another type.
/// </summary>
internal sealed class IntegrityMutations : IBenchmarkTable
{
    public string Name => "reliability";

    public string Title => "8. Reliability: mutated indexes and records";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        int mutations = context.Pick(1_000, 10_000);
        var datasets = new List<(string Name, string Directory)> { ("written here", WriteOwnDataset(context)) };
        if (FindPublishedFixture() is { } published) datasets.Add(("published converter", published));
        else report.Skipped("the published converter's row: Microsoft.ML.Pcr.Tests/TestData/published/small not found");

        var rows = new List<IReadOnlyList<string>>();
        int silentOwnWithChecksums = 0, otherExceptions = 0;
        string? firstOther = null;
        foreach (var (name, directory) in datasets)
        {
            foreach (bool index in new[] { true, false })
            {
                foreach (bool verify in new[] { true, false })
                {
                    Outcomes o = Mutate(directory, index, verify, mutations, seed: 1);
                    otherExceptions += o.Other;
                    firstOther ??= o.FirstOther;
                    if (name == "written here" && verify) silentOwnWithChecksums += o.Silent;
                    rows.Add([name, index ? "index" : "records", verify ? "on" : "off", Report.F(o.Total, 0), Report.F(o.AtOpen, 0), Report.F(o.AtRead, 0),
                        Report.F(o.Identical, 0), Report.F(o.Silent, 0), Report.F(o.Other, 0)]);
                }
            }
        }
        report.Note($"{mutations} seeded mutations per row (a byte XOR a random non-zero value, or one truncation in ten); each mutated dataset opened and read at scan groups 1, 3 and L.");
        report.Table(["dataset", "mutated", "checksums", "mutations", "refused at open", "refused at read", "rows identical", "rows changed silently", "other exception"], rows);
        report.Target("a dataset written here, checksums on: no mutation changes a row silently", silentOwnWithChecksums == 0, $"{silentOwnWithChecksums} silent changes");
        report.Target("every refusal is a PcrFormatException", otherExceptions == 0, otherExceptions == 0 ? "no other exception" : $"{otherExceptions}, the first: {firstOther}");
    }

    private sealed record Outcomes(int Total, int AtOpen, int AtRead, int Identical, int Silent, int Other, string? FirstOther);

    private static Outcomes Mutate(string directory, bool mutateIndex, bool verify, int count, int seed)
    {
        var files = Directory.EnumerateFiles(directory).Where(f => f.EndsWith(".pb", StringComparison.Ordinal) || f.EndsWith(".pcr", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);
        string[] targets = mutateIndex ? [PcrIndex.FileName] : [.. files.Keys.Where(k => k != PcrIndex.FileName).Order(StringComparer.Ordinal)];
        PcrDataset baseline = PcrDataset.Open(new OverlaySource(files, null, null));
        int[] scans = [1, Math.Min(3, baseline.ScanGroupCount), baseline.ScanGroupCount];
        var expected = scans.ToDictionary(s => s, s => Rows(baseline, s, verify: true));

        var random = new Random(seed);
        int atOpen = 0, atRead = 0, identical = 0, silent = 0, other = 0;
        string? firstOther = null;
        for (int m = 0; m < count; m++)
        {
            string target = targets[random.Next(targets.Length)];
            byte[] bytes = (byte[])files[target].Clone();
            if (random.Next(10) == 0) bytes = bytes[..random.Next(bytes.Length)];
            else bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            try
            {
                PcrDataset dataset;
                try
                {
                    dataset = PcrDataset.Open(new OverlaySource(files, target, bytes));
                }
                catch (PcrFormatException)
                {
                    atOpen++;
                    continue;
                }
                try
                {
                    bool same = scans.All(s => s <= dataset.ScanGroupCount && Rows(dataset, s, verify).SequenceEqual(expected[s]))
                        && dataset.ClassNames.SequenceEqual(baseline.ClassNames);
                    if (same) identical++;
                    else silent++;
                }
                catch (PcrFormatException)
                {
                    atRead++;
                }
            }
            catch (Exception e)
            {
                other++;
                firstOther ??= $"{e.GetType().Name}: {e.Message}";
            }
        }
        return new Outcomes(count, atOpen, atRead, identical, silent, other, firstOther);
    }

    /// <summary>Every row at <paramref name="scan"/>: record, label, path and a hash of the image.</summary>
    private static List<string> Rows(PcrDataset dataset, int scan, bool verify)
    {
        var rows = new List<string> { string.Join("|", dataset.ClassNames) };
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            using PcrRecordPrefix prefix = dataset.ReadRecord(r, scan, verify);
            for (int i = 0; i < prefix.ImageCount; i++)
                rows.Add($"{dataset.Records[r].Name}|{prefix.GetLabel(i)}|{prefix.GetRelativePath(i)}|{Convert.ToHexString(SHA256.HashData(prefix.GetImage(i)))}");
        }
        return rows;
    }

    // 48 clothing photos in records of 16, written here (with this project's checksums), once per data directory.
    private static string WriteOwnDataset(BenchContext context)
    {
        string output = Path.Combine(context.DataDirectory, "reliability-pcr");
        if (File.Exists(Path.Combine(output, PcrIndex.FileName)) && PcrDataset.Open(output).Index.IsChecksummed) return output;
        string[] photos = context.SampleClothingPhotos(48);
        string[] classes = [.. photos.Select(p => Path.GetFileName(Path.GetDirectoryName(p)!)).Distinct().Order(StringComparer.Ordinal)];
        var transcoder = new JpegTranscoder();
        using var writer = new PcrWriter(output, classes, new PcrWriterOptions { ImagesPerRecord = 16, Overwrite = true });
        foreach (string photo in photos)
        {
            string label = Path.GetFileName(Path.GetDirectoryName(photo)!);
            byte[] progressive = transcoder.Transcode(File.ReadAllBytes(photo), out _);
            writer.Add(new PcrImageEntry(progressive, default, Array.IndexOf(classes, label), $"{label}/{Path.GetFileName(photo)}"));
        }
        writer.Complete();
        return output;
    }

    private static string? FindPublishedFixture()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "Microsoft.ML.Pcr.Tests", "TestData", "published", "small");
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>The files of a dataset held in memory, with one of them replaced by mutated bytes.</summary>
    private sealed class OverlaySource(IReadOnlyDictionary<string, byte[]> files, string? replaced, byte[]? bytes) : IPcrByteSource
    {
        public string Location => "memory";

        public string Describe(string fileName) => "memory/" + fileName;

        public long GetLength(string fileName) => Bytes(fileName)?.Length ?? -1;

        public int Read(string fileName, long offset, Span<byte> buffer)
        {
            byte[] data = Bytes(fileName) ?? throw new FileNotFoundException($"'{fileName}' is not in the dataset.", fileName);
            int n = (int)Math.Clamp(data.Length - offset, 0, buffer.Length);
            data.AsSpan((int)Math.Min(offset, data.Length), n).CopyTo(buffer);
            return n;
        }

        public ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(fileName, offset, buffer.Span));

        private byte[]? Bytes(string fileName) => fileName == replaced ? bytes : files.TryGetValue(fileName, out byte[]? b) ? b : null;
    }
}
