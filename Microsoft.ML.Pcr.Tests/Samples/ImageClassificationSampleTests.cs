using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.Pcr.Tests.Samples;

/// <summary>Runs the README's main job, the image classification sample, end to end on a reduced default dataset.</summary>
[TestClass]
public sealed class ImageClassificationSampleTests
{
    private static (int ExitCode, string Output, string Error) RunSample(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PcrImageClassification.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the sample did not finish in 5 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    [TestMethod]
    public void TrainsAtEveryScanGroupAndPredictsThroughTheSavedModel()
    {
        using var dir = TestFiles.NewTempDirectory();
        var (exit, output, error) = RunSample("--out", dir.Path, "--images-per-class", "40");
        Assert.AreEqual(0, exit, $"{output}\n{error}");

        // The table: header, separator, one row per scan group 1, 2, 3, 5 and full (10 for the default dataset).
        string[] rows = [.. output.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(1)];
        Assert.HasCount(5, rows, output);
        string[][] cells = [.. rows.Select(r => r.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())];
        CollectionAssert.AreEqual(new[] { "1", "2", "3", "5", "10 (full)" }, cells.Select(c => c[0]).ToArray());
        Assert.AreEqual("100.0%", cells[^1][2], "the full scan group reads the whole dataset");
        double[] shares = [.. cells.Select(c => double.Parse(c[2].TrimEnd('%'), CultureInfo.InvariantCulture))];
        for (int i = 1; i < shares.Length; i++) Assert.IsTrue(shares[i] > shares[i - 1], "bytes grow with the scan group");

        double fullAccuracy = double.Parse(cells[^1][5].Replace("%", "").Trim(), CultureInfo.InvariantCulture);
        Assert.IsTrue(fullAccuracy > 60, $"accuracy at full fidelity {fullAccuracy}% is well above chance (11%)\n{output}");

        StringAssert.Contains(output, "Predicted '");
        Assert.IsTrue(File.Exists(Path.Combine(dir.Path, "PcrClassifier.mlnet")));
    }

    [TestMethod]
    public void BadArgumentsPrintUsageAndFail()
    {
        var (exit, output, error) = RunSample("--scan", "zero");
        Assert.AreEqual(2, exit);
        StringAssert.Contains(error, "--scan");
        StringAssert.Contains(output, "Usage:");
    }
}
