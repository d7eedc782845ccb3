using System.CommandLine;
using Microsoft.ML.Pcr.Conversion;
using Spectre.Console;

namespace PcrTool;

/// <summary><c>pcr convert &lt;imageFolder&gt; &lt;outDir&gt;</c>: an ImageFolder to a PCR dataset, with a progress bar and a summary.</summary>
internal sealed class ConvertCommand(ToolContext context)
{
    private const int SkippedShown = 5;

    private readonly Argument<string> _imageFolder = new("imageFolder") { Description = "The ImageFolder: one sub-folder per class." };
    private readonly Argument<string> _outDir = new("outDir") { Description = "Where the PCR dataset is written: a directory or https://account.blob.core.windows.net/container/prefix (empty or absent, unless --force)." };
    private readonly Option<int?> _imagesPerRecord = new("--images-per-record")
    {
        HelpName = "N",
        Description = "Images per record (default: 1024, or fewer so that there are at least 16 records: ceil(images / 16)).",
    };
    private readonly Option<int> _seed = new("--seed") { HelpName = "S", Description = "Seed of the shuffle before the images are cut into records.", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _noShuffle = new("--no-shuffle") { Description = "Keep the ImageFolder order (class by class) instead of shuffling." };
    private readonly Option<int> _jobs = new("--jobs") { HelpName = "N", Description = "Images transcoded at once.", DefaultValueFactory = _ => Environment.ProcessorCount };
    private readonly Option<int> _quality = new("--quality") { HelpName = "Q", Description = "JPEG quality (1-100) for inputs that are not JPEG (PNG, BMP, GIF, WebP).", DefaultValueFactory = _ => 90 };
    private readonly Option<bool> _force = new("--force") { Description = "Accept a non-empty outDir; a PCR dataset in it is replaced." };
    private readonly Option<int> _worker = new("--worker") { HelpName = "i", Description = "With --workers: convert slice i (0..n-1) only; pcr merge writes the index once every slice is there.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _workers = new("--workers") { HelpName = "n", Description = "Split the conversion into n slices, one per worker (machine), with the same seed and options.", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _failFast = new("--fail-fast") { Description = "Stop at the first unreadable input instead of skipping and reporting it." };

    public static Command Create(ToolContext context)
    {
        var c = new ConvertCommand(context);
        Validate.AtLeast(c._imagesPerRecord, 1);
        Validate.AtLeast(c._jobs, 1);
        Validate.Between(c._quality, 1, 100);
        Validate.AtLeast(c._worker, 0);
        Validate.AtLeast(c._workers, 0);
        var command = new Command("convert", "Convert an ImageFolder to a PCR dataset (JPEGs losslessly, other formats at --quality).")
        {
            c._imageFolder, c._outDir, c._imagesPerRecord, c._seed, c._noShuffle, c._jobs, c._quality, c._force, c._failFast, c._worker, c._workers,
        };
        command.SetAction((parsed, ct) => context.RunAsync("convert", () => c.RunAsync(parsed, ct)));
        return command;
    }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        string imageFolder = parsed.GetValue(_imageFolder)!, outDir = parsed.GetValue(_outDir)!;
        var latest = new LatestProgress();
        var options = new ImageFolderConversionOptions
        {
            ImagesPerRecord = parsed.GetValue(_imagesPerRecord),
            Seed = parsed.GetValue(_seed),
            Shuffle = !parsed.GetValue(_noShuffle),
            MaxDegreeOfParallelism = parsed.GetValue(_jobs),
            Quality = parsed.GetValue(_quality),
            Overwrite = parsed.GetValue(_force),
            FailOnFirstError = parsed.GetValue(_failFast),
            Progress = latest,
            WorkerIndex = parsed.GetValue(_worker),
            WorkerCount = parsed.GetValue(_workers),
        };
        if (options.WorkerIndex >= Math.Max(options.WorkerCount, 1))
            throw new ArgumentException(options.WorkerCount == 0 ? "--worker needs --workers." : $"--worker {options.WorkerIndex} is not below --workers {options.WorkerCount}.");

        IAnsiConsole console = context.Console;
        PcrConversionResult result = await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                ProgressTask task = progress.AddTask("listing the ImageFolder", maxValue: 1);
                Task<PcrConversionResult> conversion = Task.Run(() => ImageFolderConverter.Convert(imageFolder, Locations.OpenSink(outDir), options, cancellationToken), cancellationToken);
                while (!conversion.IsCompleted)
                {
                    Show(task, latest.Value);
                    await Task.WhenAny(conversion, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false);
                }
                PcrConversionResult done = await conversion.ConfigureAwait(false);
                Show(task, latest.Value);
                task.Value = task.MaxValue;
                task.StopTask();
                return done;
            }).ConfigureAwait(false);

        PrintSummary(console, result);
        if (result.ReportError is { } reportError)
        {
            // The dataset is complete and usable (its index identifies the conversion); only the side file for people is missing.
            await context.Error.WriteLineAsync(
                $"pcr convert: warning: the dataset in '{result.OutputDirectory}' is complete, but its report could not be written ({ToolContext.OneLine(reportError)})").ConfigureAwait(false);
        }
        return PcrApp.Success;
    }

    private static void Show(ProgressTask task, PcrConversionProgress? p)
    {
        if (p is not { } v) return;
        task.MaxValue = Math.Max(v.ImagesTotal, 1);
        task.Value = v.ImagesDone;
        task.Description = Markup.Escape($"{Units.Count(v.ImagesDone)}/{Units.Count(v.ImagesTotal)} images, {Units.Megabytes(v.BytesIn)} in, {Units.Megabytes(v.BytesOut)} out, {v.SkippedFiles} skipped");
    }

    private static void PrintSummary(IAnsiConsole console, PcrConversionResult r)
    {
        double seconds = Math.Max(r.Elapsed.TotalSeconds, 1e-9);
        var fields = new FieldList();
        void Row(string name, string value) => fields.Add(name, value);
        Row("dataset", r.OutputDirectory);
        Row("images", Units.Count(r.ImageCount) + (r.ReencodedCount > 0 ? $" ({r.ReencodedCount} not JPEG, encoded at quality {r.Quality})" : ""));
        Row("classes", $"{r.ClassNames.Count}: {Units.List(r.ClassNames)}");
        Row("records", Units.Count(r.RecordCount));
        Row("bytes in", Units.Bytes(r.BytesIn));
        Row("bytes out", Units.Bytes(r.BytesOut) + (r.BytesIn > 0 ? $", {Units.Percent((double)r.BytesOut / r.BytesIn)} of the input" : ""));
        Row("skipped files", Units.Count(r.Skipped.Count));
        Row("ignored", r.Ignored.Count == 0 ? "none" : $"{Units.Count(r.Ignored.Count)} hidden: {Units.List([.. r.Ignored.Select(i => i.RelativePath)])}");
        Row("empty classes", r.EmptyClasses.Count == 0 ? "none" : Units.List(r.EmptyClasses));
        Row("time", $"{Units.Fixed(r.Elapsed.TotalSeconds, "0.00")} s, {Units.Fixed(r.ImageCount / seconds, "0.0")} images/s");
        fields.WriteTo(console);
        if (r.Skipped.Count > 0)
        {
            foreach (SkippedFile s in r.Skipped.Take(SkippedShown))
                console.MarkupLineInterpolated($"  skipped [yellow]{s.RelativePath}[/]: {s.Reason}");
            if (r.Skipped.Count > SkippedShown) console.WriteLine($"  ... and {r.Skipped.Count - SkippedShown} more");
        }
        if (r.ReportError is null) console.WriteLine($"report (every skipped and ignored file with its reason): {r.ReportPath}");
    }

    /// <summary>Keeps the latest progress the converter's threads report; the progress bar polls it.</summary>
    private sealed class LatestProgress : IProgress<PcrConversionProgress>
    {
        private readonly Lock _lock = new();
        private PcrConversionProgress? _value;

        public PcrConversionProgress? Value
        {
            get { lock (_lock) return _value; }
        }

        public void Report(PcrConversionProgress value)
        {
            lock (_lock)
            {
                // Threads report out of order: keep the furthest.
                if (_value is not { } v || value.ImagesDone >= v.ImagesDone) _value = value;
            }
        }
    }
}
