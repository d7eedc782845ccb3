using System.CommandLine;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Quality;
using Spectre.Console;

namespace PcrTool;

/// <summary><c>pcr inspect &lt;pcrDir&gt;</c>: what a dataset holds, and what each scan group costs and gives.</summary>
internal sealed class InspectCommand(ToolContext context)
{
    private readonly Argument<string> _pcrDir = new("pcrDir") { Description = "The PCR dataset: a directory, or https://account.blob.core.windows.net/container/prefix." };
    private readonly Option<int> _sample = new("--sample") { HelpName = "N", Description = "Images compared per scan group for PSNR and MS-SSIM.", DefaultValueFactory = _ => 64 };
    private readonly Option<int> _seed = new("--seed") { HelpName = "S", Description = "Seed of the sample.", DefaultValueFactory = _ => 0 };
    private readonly Option<int?> _size = new("--size") { HelpName = "PIXELS", Description = "Compare at the size the model sees: decode at the smallest DCT scale still at least PIXELS x PIXELS (default: full size)." };

    public static Command Create(ToolContext context)
    {
        var c = new InspectCommand(context);
        Validate.Between(c._sample, 1, ScanFidelityOptions.MaxSampleSize);
        var command = new Command("inspect", "Summarise a PCR dataset and tabulate bytes, PSNR and MS-SSIM per scan group.") { c._pcrDir, c._sample, c._seed, c._size };
        command.SetAction((parsed, ct) => context.RunAsync("inspect", () => c.RunAsync(parsed, ct)));
        return command;
    }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        PcrDataset dataset = PcrDataset.Open(Locations.OpenSource(parsed.GetValue(_pcrDir)!));
        IAnsiConsole console = context.Console;
        PrintSummary(console, dataset);

        int sampleSize = (int)Math.Min(parsed.GetValue(_sample), dataset.ImageCount);
        int? decodeSize = parsed.GetValue(_size);
        IReadOnlyList<ScanGroupFidelity> groups = await ToolProgress.RunAsync(console, "measuring sampled images at every scan group", sampleSize, report =>
        {
            var options = new ScanFidelityOptions
            {
                SampleSize = parsed.GetValue(_sample), Seed = parsed.GetValue(_seed), DecodeSize = decodeSize, Progress = new CallbackProgress<int>(n => report(n)),
            };
            return Task.Run(() => ScanFidelity.Measure(dataset, options, cancellationToken), cancellationToken);
        }).ConfigureAwait(false);
        int sampled = groups.Count > 0 ? groups[0].SampledImages : 0;
        string at = decodeSize is { } size ? $", both decoded at the smallest DCT scale still at least {size}x{size}" : "";
        console.WriteLine($"Scan groups against full fidelity (scan group {dataset.ScanGroupCount}){at}, on {sampled} sampled images (seed {parsed.GetValue(_seed)}); PSNR over R, G, B; MS-SSIM on luma:");
        var table = new Table()
            .AddColumn(new TableColumn("scan group").RightAligned())
            .AddColumn(new TableColumn("cumulative bytes").RightAligned())
            .AddColumn(new TableColumn("share of full").RightAligned())
            .AddColumn(new TableColumn("mean PSNR").RightAligned())
            .AddColumn(new TableColumn("mean MS-SSIM").RightAligned())
            .AddColumn(new TableColumn("identical to full").RightAligned());
        foreach (ScanGroupFidelity g in groups)
        {
            table.AddRow(
                Units.Count(g.Scan), Units.Count(g.CumulativeBytes), Units.Percent(g.ShareOfFull), Units.Decibels(g.MeanPsnr),
                Units.Fixed(g.MeanMultiScaleSsim, "0.0000"), $"{g.IdenticalImages}/{g.SampledImages}");
        }
        console.Write(table);
        console.WriteLine("mean PSNR is over the sampled images that differ from full; identical ones (fewer scans than k) are counted in the last column.");
        return PcrApp.Success;
    }

    private static void PrintSummary(IAnsiConsole console, PcrDataset dataset)
    {
        PcrIndex index = dataset.Index;
        var counts = new long[dataset.ClassNames.Count];
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            using PcrRecordPrefix meta = dataset.ReadMetadata(r);
            for (int i = 0; i < meta.ImageCount; i++)
            {
                int label = meta.GetLabel(i);
                if ((uint)label < (uint)counts.Length) counts[label]++;
            }
        }
        bool crcs = dataset.Records.All(r => r.HasChecksums);
        var fields = new FieldList();
        void Row(string name, string value) => fields.Add(name, value);
        Row("dataset", dataset.Source.Location);
        Row("records", Units.Count(dataset.Records.Count));
        Row("images", Units.Count(dataset.ImageCount) + (index.FormatVersion == 0 ? " (rows; the published converter repeats the previous record's images in its last record)" : ""));
        Row("classes", $"{dataset.ClassNames.Count}: " + Units.List(dataset.ClassNames.Select((name, i) => $"{name} ({Units.Count(counts[i])})")));
        Row("scan groups (L)", Units.Count(dataset.ScanGroupCount));
        Row("full size", Units.Bytes(dataset.GetPrefixBytes(dataset.ScanGroupCount)));
        Row("class names stored", index.ClassNames is not null ? "yes" : "no (labels shown as numbers)");
        Row("relative paths stored", index.RelativePathsStored ? "yes" : "no");
        Row("CRC-32C stored", crcs ? "yes, for every segment" : dataset.Records.Any(r => r.HasChecksums) ? "for some records only" : "no");
        Row("written by", index.Writer ?? (index.FormatVersion == 0 ? "not recorded (no extensions: the published converter or another tool)" : "not recorded"));
        Row("format version", index.FormatVersion == 0 ? "0 (published fields only)" : Units.Count(index.FormatVersion));
        fields.WriteTo(console);
        console.WriteLine();
    }
}
