using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PcrImageClassification;

namespace Microsoft.ML.Pcr.Tests.Samples;

/// <summary>
/// The README's C# code compiles and runs as copied: every ```csharp block of README.md is, verbatim, a file of
/// samples/ReadmeSnippets (which the build compiles), and that program runs on a small generated ImageFolder.
/// </summary>
[TestClass]
public sealed partial class ReadmeSnippetTests
{
    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^// (?<file>samples/ReadmeSnippets/[\w./-]+\.cs)[;: ]")]
    private static partial Regex FileComment();

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    [TestMethod]
    public void EveryCSharpBlockOfTheReadmeIsASnippetFileVerbatim()
    {
        string root = TestFiles.RepositoryRoot();
        string readme = Normalize(File.ReadAllText(Path.Combine(root, "README.md")));
        string[] blocks = [.. CSharpBlock().Matches(readme).Select(m => m.Groups["code"].Value)];
        Assert.IsNotEmpty(blocks, "the README shows C# code");
        foreach (string block in blocks)
        {
            Match file = FileComment().Match(block);
            Assert.IsTrue(file.Success, $"a C# block of the README does not start with '// samples/ReadmeSnippets/<file>.cs': {block[..Math.Min(80, block.Length)]}");
            string path = Path.Combine(root, file.Groups["file"].Value);
            Assert.IsTrue(File.Exists(path), $"{path} is missing");
            Assert.AreEqual(Normalize(File.ReadAllText(path)), block, $"the README's copy of {file.Groups["file"].Value} differs from the file");
        }
    }

    [TestMethod]
    public void TheReadmeProgramRunsAsCopiedOnASmallImageFolder()
    {
        using var dir = TestFiles.NewTempDirectory();
        // Its default input, "training_set" in the working directory: 9 classes of 40 generated 128x128 JPEGs.
        DefaultDataset.EnsureCreated(dir.Combine("training_set"), imagesPerClass: 40);

        string dll = Path.Combine(AppContext.BaseDirectory, "PcrReadmeSnippets.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir.Path };
        start.ArgumentList.Add(dll);
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the README program did not finish in 5 minutes");
        }
        string text = output.Result;
        Console.WriteLine($"The README program took {clock.Elapsed.TotalSeconds:F1} s:\n{text}");
        Assert.AreEqual(0, process.ExitCode, $"{text}\n{error.Result}");

        Match accuracy = Regex.Match(text, @"trained at scan group 3: (?<value>[\d.]+) ?%");
        Assert.IsTrue(accuracy.Success, text);
        Assert.IsGreaterThan(25.0, double.Parse(accuracy.Groups["value"].Value, CultureInfo.InvariantCulture), $"well above chance (11%)\n{text}");
        StringAssert.Contains(text, "bytes at scan group 3 (training)");
        string[] classes = [.. DefaultDataset.Shapes.SelectMany(s => DefaultDataset.Textures.Select(t => $"{s}-{t}"))];
        string prediction = text.Split('\n').Last(l => l.Contains(".jpg: ", StringComparison.Ordinal)).Split(": ")[1].Trim();
        CollectionAssert.Contains(classes, prediction, "the prediction is a class name (MapKeyToValue)");
        Assert.IsTrue(File.Exists(dir.Combine("model.zip")));
        Assert.IsTrue(File.Exists(dir.Combine("pcr", "PCR_index.pb")));
    }
}
