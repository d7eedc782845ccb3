using Spectre.Console;

namespace PcrTool;

/// <summary>What every command writes to, and the one place errors become one line and an exit code.</summary>
internal sealed class ToolContext(IAnsiConsole console, TextWriter error)
{
    public IAnsiConsole Console { get; } = console;

    public TextWriter Error { get; } = error;

    /// <summary>Runs a command body; turns the errors a user can cause into one line on the error writer (no stack trace).</summary>
    public async Task<int> RunAsync(string command, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await Error.WriteLineAsync($"pcr {command}: cancelled").ConfigureAwait(false);
            return PcrApp.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            // PcrFormatException (an IOException) and the file system's exceptions name the file in their message;
            // an ArgumentException's "(Parameter 'x')" suffix names a C# parameter, not something the user typed.
            string message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
            await Error.WriteLineAsync($"pcr {command}: {ToFlags(OneLine(message))}").ConfigureAwait(false);
            return PcrApp.Failure;
        }
    }

    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    // The library's messages name its options; a user of the command line sets them with flags.
    private static readonly (string Option, string Flag)[] Flags =
    [
        ("ImageFolderConversionOptions.Overwrite", "--force"),
        ("PcrWriterOptions.Overwrite", "--force"),
        ("ImageFolderConversionOptions.FailOnFirstError", "--fail-fast"),
        ("ImageFolderConversionOptions.ImagesPerRecord", "--images-per-record"),
        ("ImageFolderConversionOptions.MaxDegreeOfParallelism", "--jobs"),
        ("ImageFolderConversionOptions.Quality", "--quality"),
    ];

    /// <summary>Rewrites the library's option names in <paramref name="message"/> as this tool's flags ("set X.Overwrite" becomes "pass --force").</summary>
    public static string ToFlags(string message)
    {
        foreach (var (option, flag) in Flags)
            message = message.Replace("set " + option, "pass " + flag, StringComparison.Ordinal).Replace(option, flag, StringComparison.Ordinal);
        return message;
    }
}
