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
