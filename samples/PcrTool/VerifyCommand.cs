using System.Collections.Concurrent;
using System.CommandLine;
using Microsoft.ML.Pcr;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Quality;
using Spectre.Console;

namespace PcrTool;

/// <summary>
/// <c>pcr verify &lt;pcrDir&gt;</c>: reads every record in full, checks CRCs (or, without them, the structure) and that
/// every image at full fidelity is a decodable JPEG. One line per problem; exit code 0 only when there is none.
/// </summary>
internal sealed class VerifyCommand(ToolContext context)
{
    private readonly Argument<string> _pcrDir = new("pcrDir") { Description = "The PCR dataset: a directory, or https://account.blob.core.windows.net/container/prefix." };

    public static Command Create(ToolContext context)
    {
        var c = new VerifyCommand(context);
        var command = new Command("verify", "Check every record (CRCs or structure) and that every image decodes; exit code 0 only when all is well.") { c._pcrDir };
        command.SetAction((parsed, ct) => context.RunAsync("verify", () => c.RunAsync(parsed, ct)));
        return command;
    }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        string directory = parsed.GetValue(_pcrDir)!;
        IAnsiConsole console = context.Console;
        PcrDataset dataset;
        try
        {
            // Missing or short records are listed and the others still checked.
            dataset = PcrDataset.Open(Locations.OpenSource(directory), skipDamagedRecords: true);
        }
        catch (PcrFormatException e)
        {
            await Problem(e.Message).ConfigureAwait(false); // the index itself, or no readable record: nothing else can be read
            return PcrApp.Failure;
        }

        bool crcs = dataset.Records.All(r => r.HasChecksums);
        int problems = 0;
        foreach (PcrDamagedRecord damaged in dataset.DamagedRecords)
        {
            problems++;
            await Problem(damaged.Reason).ConfigureAwait(false);
        }
        long images = 0;
        await ToolProgress.RunAsync(console, "reading and decoding every record", dataset.Records.Count, async report =>
        {
            for (int r = 0; r < dataset.Records.Count; r++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                report(r);
                PcrRecordInfo record = dataset.Records[r];
                string file = dataset.Source.Describe(record.Name);
                PcrRecordPrefix prefix;
                try
                {
                    prefix = dataset.ReadRecord(r, dataset.ScanGroupCount, verifyChecksums: true);
                }
                catch (PcrFormatException e)
                {
                    problems++;
                    await Problem(e.Message).ConfigureAwait(false);
                    if (!record.HasChecksums) continue; // the structure is broken: nothing more to read
                    try
                    {
                        prefix = dataset.ReadRecord(r, dataset.ScanGroupCount, verifyChecksums: false); // still check what the images look like
                    }
                    catch (PcrFormatException)
                    {
                        continue;
                    }
                }
                using (prefix)
                {
                    images += prefix.ImageCount;
                    var found = new ConcurrentBag<(int Image, string Message)>();
                    var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
                    Parallel.For(0, prefix.ImageCount, parallel, i =>
                    {
                        if (CheckImage(prefix, i, dataset.ClassNames.Count) is { } message)
                            found.Add((i, $"{file}: image {i}{Describe(prefix.GetRelativePath(i))}: {message}"));
                    });
                    foreach ((int _, string message) in found.OrderBy(f => f.Image))
                    {
                        problems++;
                        await Problem(message).ConfigureAwait(false);
                    }
                }
            }
            report(dataset.Records.Count);
            return 0;
        }).ConfigureAwait(false);

        string checkedWhat = crcs ? "CRC-32C of every segment checked" : "no CRCs stored (written by another tool): structure checked";
        console.WriteLine($"{Units.Count(dataset.Records.Count)} records, {Units.Count(images)} images, {checkedWhat}; each image decoded at full fidelity (scan group {dataset.ScanGroupCount}).");
        if (problems == 0)
        {
            console.WriteLine("OK: no problems.");
            return PcrApp.Success;
        }
        console.WriteLine($"{Units.Count(problems)} problem(s) found.");
        return PcrApp.Failure;
    }

    private static string Describe(string? path) => path is null ? "" : $" ({path})";

    /// <summary>The label's range, the scans the partials promise, and a full decode; null when all is well.</summary>
    private static string? CheckImage(PcrRecordPrefix prefix, int image, int classCount)
    {
        int label = prefix.GetLabel(image);
        if (label < 0 || label >= classCount) return $"label {label} is outside the {classCount} classes";
        byte[] jpeg = prefix.GetImage(image);
        try
        {
            int scans = JpegScanCutter.FindScanEnds(jpeg).Length;
            int stored = prefix.GetScanCount(image);
            if (scans != stored) return $"the JPEG has {scans} scans but the record stores {stored} partial scans";
            using DecodedImage decoded = DecodedImage.Decode(jpeg);
            return null;
        }
        catch (PcrFormatException e)
        {
            return $"not a decodable JPEG: {e.Reason}";
        }
    }

    private Task Problem(string message) => context.Console.Profile.Out.Writer.WriteLineAsync(ToolContext.OneLine(message));
}
