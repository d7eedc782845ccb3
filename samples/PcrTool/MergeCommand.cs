using System.CommandLine;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;
using Spectre.Console;

namespace PcrTool;

/// <summary><c>pcr merge &lt;outDir&gt;</c>: writes the one index over the slices that <c>pcr convert --worker i --workers n</c> wrote.</summary>
internal sealed class MergeCommand(ToolContext context)
{
    private readonly Argument<string> _outDir = new("outDir") { Description = "The directory or container the workers converted into." };

    public static Command Create(ToolContext context)
    {
        var c = new MergeCommand(context);
        var command = new Command("merge", "Write the index over the slices of a sliced conversion (pcr convert --worker i --workers n), once every slice is there.") { c._outDir };
        command.SetAction((parsed, ct) => context.RunAsync("merge", () => c.RunAsync(parsed)));
        return command;
    }

    private Task<int> RunAsync(ParseResult parsed)
    {
        Microsoft.ML.Pcr.IO.IPcrByteSink sink = Locations.OpenSink(parsed.GetValue(_outDir)!);
        PcrIndex index = ImageFolderConverter.Merge(sink);
        int images = index.Records.Sum(r => r.ImageCount);
        context.Console.WriteLine($"merged {Units.Count(index.Records.Count)} records, {Units.Count(images)} images into {sink.Location}");
        return Task.FromResult(PcrApp.Success);
    }
}
