using System.Diagnostics;

namespace Pcr.Benchmarks.Harness;

/// <summary>Finds and runs the outside programs the side-by-side tables use: jpegtran and ImageMagick's convert.</summary>
internal static class ExternalTools
{
    public static string? FindJpegtran() =>
        FindOnPath("jpegtran") is { } path && Run(path, ["-version"], throwOnError: false).ExitCode == 0 ? path : null;

    // /usr/local/bin/convert may be a stand-in that only makes pictures: accept a convert that says it is ImageMagick.
    public static string? FindImageMagick()
    {
        foreach (string path in new[] { "/usr/bin/convert", FindOnPath("convert") ?? "" })
        {
            if (path.Length == 0 || !File.Exists(path)) continue;
            var (code, output) = Run(path, ["-version"], throwOnError: false);
            if (code == 0 && output.Contains("ImageMagick", StringComparison.Ordinal)) return path;
        }
        return null;
    }

    /// <summary>The published converter's transcode of one image: one jpegtran process.</summary>
    public static void JpegtranProgressive(string jpegtran, string input, string output) =>
        Run(jpegtran, ["-copy", "none", "-optimize", "-progressive", "-outfile", output, input]);

    /// <summary>Runs a program to the end; throws when it fails unless asked not to.</summary>
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, bool throwOnError = true)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using Process process = Process.Start(start)!;
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            string output = stdout + stderr.Result;
            if (throwOnError && process.ExitCode != 0)
                throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {output.Trim()}");
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception) when (!throwOnError)
        {
            return (-1, "");
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
