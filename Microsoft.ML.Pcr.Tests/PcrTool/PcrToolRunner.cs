namespace Microsoft.ML.Pcr.Tests.Tool;

/// <summary>Runs the <c>pcr</c> command line in process, capturing its output (no child process, nothing from the network).</summary>
internal static class PcrToolRunner
{
    public sealed record Run(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static Run RunPcr(params string[] args) => RunPcr(CancellationToken.None, args);

    public static Run RunPcr(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = global::PcrTool.PcrApp.RunAsync(args, output, error, interactive: false, cancellationToken).GetAwaiter().GetResult();
        return new Run(code, output.ToString(), error.ToString());
    }
}
