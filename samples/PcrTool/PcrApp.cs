using System.CommandLine;
using Spectre.Console;

namespace PcrTool;

/// <summary>The <c>pcr</c> command line: parses the arguments and runs one command with its own output writers.</summary>
internal static class PcrApp
{
    /// <summary>Exit code of a command that did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Exit code of an error (a missing path, a malformed dataset, an IO error) or of problems found by <c>verify</c>.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of arguments that do not parse (usage is printed).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of a command cancelled with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    /// <summary>Runs the command line <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <param name="args">The arguments, command first.</param>
    /// <param name="output">Where tables, progress and summaries go.</param>
    /// <param name="error">Where errors go: one line each.</param>
    /// <param name="interactive">Whether <paramref name="output"/> is a terminal (animated progress, colours).</param>
    /// <param name="cancellationToken">Cancels the running command (Ctrl+C).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive, CancellationToken cancellationToken)
    {
        var context = new ToolContext(CreateConsole(output, interactive), error);
        var root = new RootCommand("Progressive Compressed Records (PCRs): convert an ImageFolder, inspect, verify and extract PCR datasets.")
        {
            ConvertCommand.Create(context),
            InspectCommand.Create(context),
            VerifyCommand.Create(context),
            ExtractCommand.Create(context),
            MergeCommand.Create(context),
        };
        ParseResult parsed = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false, // commands report their own errors in one line
            ProcessTerminationTimeout = null,      // Program owns Ctrl+C and passes it in as the token
        };
        int code = await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        return parsed.Errors.Count > 0 ? UsageError : code;
    }

    private static IAnsiConsole CreateConsole(TextWriter output, bool interactive)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!interactive) console.Profile.Width = 160; // redirected: wide enough that tables never wrap in logs
        return console;
    }
}

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
