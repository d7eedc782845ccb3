using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Tests.Conversion;
using static Microsoft.ML.Pcr.Tests.Tool.PcrToolRunner;

namespace Microsoft.ML.Pcr.Tests.Tool;

[TestClass]
public sealed class PcrToolCommandTests
{
    private static string Published(string name) => Path.Combine(TestFiles.TestData, "published", name);

    private static Run ConvertFixture(ImageFolderFixture fixture)
    {
        Run run = RunPcr("convert", fixture.Root, fixture.Output(), "--images-per-record", "4", "--jobs", "2", "--seed", "5");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        return run;
    }

    [TestMethod]
    public void ConvertPrintsASummaryWithTheSkippedFiles()
    {
        using var fixture = new ImageFolderFixture();
        Run run = ConvertFixture(fixture);

        StringAssert.Contains(run.Output, $"images         {ImageFolderFixture.GoodFiles.Length} (6 not JPEG, encoded at quality 90)", run.ToString());
        StringAssert.Contains(run.Output, "records        4");
        StringAssert.Contains(run.Output, "skipped files  6");
        StringAssert.Contains(run.Output, "empty classes  empty-class");
        StringAssert.Contains(run.Output, "skipped README.txt: not inside a class folder");
        StringAssert.Contains(run.Output, "images/s");
        AssertNoTrailingSpaces(run.Output);
        StringAssert.Contains(run.Output, Path.Combine(fixture.Output(), "conversion-report.json"));
        Assert.AreEqual("", run.Error);
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(fixture.Output()).ImageCount);
    }

    [TestMethod]
    public void ConvertRefusesANonEmptyOutputUnlessForced()
    {
        using var fixture = new ImageFolderFixture();
        ConvertFixture(fixture);
        Run again = RunPcr("convert", fixture.Root, fixture.Output());
        Assert.AreEqual(1, again.ExitCode, again.ToString());
        AssertOneLineError(again, "--force");
        Assert.DoesNotContain("Options.", again.ToString(), "the command line speaks of its flags, not of API properties");
        Assert.AreEqual(0, RunPcr("convert", fixture.Root, fixture.Output(), "--force", "--no-shuffle", "--jobs", "1").ExitCode);
    }

    [TestMethod]
    public void ConvertFailFastStopsAtTheFirstBadInputInOneLine()
    {
        using var fixture = new ImageFolderFixture();
        Run run = RunPcr("convert", fixture.Root, fixture.Output(), "--fail-fast", "--jobs", "1", "--no-shuffle");
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        AssertOneLineError(run, fixture.Root);
        Assert.IsFalse(File.Exists(Path.Combine(fixture.Output(), PcrIndex.FileName)));
    }

    [TestMethod]
    public void ConvertCancelledLeavesNoIndex()
    {
        using var fixture = new ImageFolderFixture();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Run run = RunPcr(cancelled.Token, "convert", fixture.Root, fixture.Output());
        Assert.AreEqual(130, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "cancelled");
        Assert.IsFalse(File.Exists(Path.Combine(fixture.Output(), PcrIndex.FileName)));
    }

    [TestMethod]
    public void InspectTabulatesEveryScanGroupUpToTheWholeDataset()
    {
        using var fixture = new ImageFolderFixture();
        ConvertFixture(fixture);
        Run run = RunPcr("inspect", fixture.Output(), "--sample", "8", "--seed", "1");
        Assert.AreEqual(0, run.ExitCode, run.ToString());

        int levels = PcrDataset.Open(fixture.Output()).ScanGroupCount;
        string[][] rows = TableRows(run.Output);
        Assert.HasCount(levels, rows, run.Output);
        for (int k = 0; k < levels; k++) Assert.AreEqual((k + 1).ToString(), rows[k][0]);
        Assert.AreEqual("100.0%", rows[^1][2]);
        Assert.AreEqual("inf (identical)", rows[^1][3]);
        Assert.AreEqual("1.0000", rows[^1][4]);
        Assert.AreEqual("8/8", rows[^1][5]);
        StringAssert.Contains(run.Output, "4: Zebra (5), apple (4), empty-class (0), ärger (6)");
        StringAssert.Contains(run.Output, "CRC-32C stored         yes, for every segment");
        StringAssert.Contains(run.Output, "relative paths stored  yes");
        StringAssert.Contains(run.Output, "measuring sampled images at every scan group: 8/8 (100%)", "progress, as plain lines when redirected");
        AssertNoTrailingSpaces(run.Output);
    }

    private static void AssertNoTrailingSpaces(string output)
    {
        foreach (string line in output.Split('\n'))
            Assert.IsFalse(line.TrimEnd('\r').EndsWith(' '), $"redirected output is padded: '{line}'");
    }

    [TestMethod]
    public void VerifyPassesThenNamesTheRecordWithAFlippedByte()
    {
        using var fixture = new ImageFolderFixture();
        ConvertFixture(fixture);
        Run ok = RunPcr("verify", fixture.Output());
        Assert.AreEqual(0, ok.ExitCode, ok.ToString());
        StringAssert.Contains(ok.Output, "OK: no problems.");
        StringAssert.Contains(ok.Output, "reading and decoding every record: 0/");
        StringAssert.Contains(ok.Output, "(100%)");
        AssertNoTrailingSpaces(ok.Output);

        PcrDataset dataset = PcrDataset.Open(fixture.Output());
        PcrRecordInfo record = dataset.Records[1];
        string file = Path.Combine(fixture.Output(), record.Name);
        byte[] bytes = File.ReadAllBytes(file);
        long at = record.GetPrefixLength(2) + 5; // inside scan group 3
        bytes[at] ^= 0x40;
        File.WriteAllBytes(file, bytes);

        Run bad = RunPcr("verify", fixture.Output());
        Assert.AreEqual(1, bad.ExitCode, bad.ToString());
        string problem = bad.Output.Split('\n').Single(l => l.Contains("CRC-32C mismatch"));
        StringAssert.Contains(problem, file);
        StringAssert.Contains(problem, "scan group 3");
        StringAssert.Contains(bad.Output, "problem(s) found");
        Assert.IsFalse(bad.Output.Contains("OK: no problems."));
    }

    [TestMethod]
    public void VerifyListsEveryDamagedRecordAndStillChecksTheOthers()
    {
        using var fixture = new ImageFolderFixture();
        ConvertFixture(fixture);
        PcrDataset dataset = PcrDataset.Open(fixture.Output());
        File.Delete(Path.Combine(fixture.Output(), dataset.Records[0].Name));
        string second = Path.Combine(fixture.Output(), dataset.Records[2].Name);
        File.WriteAllBytes(second, File.ReadAllBytes(second)[..100]);
        string third = Path.Combine(fixture.Output(), dataset.Records[3].Name);
        byte[] bytes = File.ReadAllBytes(third);
        bytes[^3] ^= 0x01;
        File.WriteAllBytes(third, bytes);

        Run run = RunPcr("verify", fixture.Output());
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "its file is missing");
        StringAssert.Contains(run.Output, "the file has 100");
        StringAssert.Contains(run.Output, "CRC-32C mismatch");
        StringAssert.Contains(run.Output, "3 problem(s) found");
    }

    [TestMethod]
    public void VerifyChecksThePublishedConvertersStructure()
    {
        Run run = RunPcr("verify", Published("small"));
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "no CRCs stored");
    }

    [TestMethod]
    public void ExtractAtFullScanReproducesTheTranscodedInputs()
    {
        using var fixture = new ImageFolderFixture();
        ConvertFixture(fixture);
        string output = fixture.Output("extracted");
        int levels = PcrDataset.Open(fixture.Output()).ScanGroupCount;
        Run run = RunPcr("extract", fixture.Output(), "--scan", levels.ToString(), "--out", output);
        Assert.AreEqual(0, run.ExitCode, run.ToString());

        var transcoder = new JpegTranscoder();
        foreach (string good in ImageFolderFixture.GoodFiles)
        {
            string source = Path.Combine(fixture.Root, good);
            if (good.EndsWith(".jpg", StringComparison.Ordinal))
            {
                byte[] expected = transcoder.Transcode(File.ReadAllBytes(source), out _);
                CollectionAssert.AreEqual(expected, File.ReadAllBytes(Path.Combine(output, good)), good);
            }
            else
            {
                Assert.IsTrue(File.Exists(Path.Combine(output, good + ".jpg")), $"{good} is written as {good}.jpg (its bytes are a JPEG)");
            }
        }
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Count());

        Run refused = RunPcr("extract", fixture.Output(), "--scan", "1", "--out", output);
        Assert.AreEqual(1, refused.ExitCode);
        AssertOneLineError(refused, "--force");
        Run forced = RunPcr("extract", fixture.Output(), "--scan", "1", "--out", output, "--force");
        Assert.AreEqual(0, forced.ExitCode, forced.ToString());
        Assert.IsTrue(new FileInfo(Path.Combine(output, "Zebra/baseline-420.jpg")).Length < transcoder.Transcode(File.ReadAllBytes(Path.Combine(fixture.Root, "Zebra/baseline-420.jpg")), out _).Length);
    }

    [TestMethod]
    public void ExtractOfThePublishedConverterWritesRepeatedImagesOnce()
    {
        using var dir = TestFiles.NewTempDirectory();
        string output = dir.Combine("out");
        Run run = RunPcr("extract", Published("small"), "--scan", "10", "--out", output);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "4 images repeat an image already written");

        var transcoder = new JpegTranscoder();
        string[] expected = [.. Directory.EnumerateFiles(Published("small-input"), "*.jpg", SearchOption.AllDirectories)
            .Select(f => Convert.ToHexString(transcoder.Transcode(File.ReadAllBytes(f), out _))).Order()];
        string[] files = [.. Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories)];
        Assert.HasCount(11, files);
        Assert.IsTrue(files.All(f => Path.GetFileName(f).StartsWith("PCR_", StringComparison.Ordinal)), "no paths stored: PCR_<n>_<i>.jpg");
        CollectionAssert.AreEqual(expected, files.Select(f => Convert.ToHexString(File.ReadAllBytes(f))).Order().ToArray(),
            "each input exactly once, as jpegtran transcodes it");
    }

    [TestMethod]
    [DataRow(new[] { "convert" })]
    [DataRow(new[] { "convert", "a", "b", "--jobs", "0" })]
    [DataRow(new[] { "convert", "a", "b", "--quality", "101" })]
    [DataRow(new[] { "inspect", "x", "--sample", "many" })]
    [DataRow(new[] { "extract", "x", "--out", "y" })]
    [DataRow(new[] { "frobnicate" })]
    [DataRow(new string[0])]
    public void BadArgumentsPrintUsageAndExitNonZero(string[] args)
    {
        Run run = RunPcr(args);
        Assert.AreEqual(2, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output + run.Error, "Usage:", run.ToString());
    }

    [TestMethod]
    public void ErrorsAreOneLineNamingTheFile()
    {
        using var dir = TestFiles.NewTempDirectory();
        string missing = dir.Combine("nowhere");
        Run run = RunPcr("inspect", missing);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        AssertOneLineError(run, missing);

        Directory.CreateDirectory(dir.Combine("pcr"));
        File.WriteAllBytes(dir.Combine("pcr", PcrIndex.FileName), [0xFF, 0xFF, 0xFF]);
        Run malformed = RunPcr("extract", dir.Combine("pcr"), "--scan", "1", "--out", dir.Combine("out"));
        Assert.AreEqual(1, malformed.ExitCode, malformed.ToString());
        AssertOneLineError(malformed, dir.Combine("pcr", PcrIndex.FileName));

        Run scan = RunPcr("extract", Published("small"), "--scan", "11", "--out", dir.Combine("out2"));
        Assert.AreEqual(1, scan.ExitCode, scan.ToString());
        AssertOneLineError(scan, "10 scan groups");

        Run verify = RunPcr("verify", dir.Combine("pcr"));
        Assert.AreEqual(1, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Output, PcrIndex.FileName);
    }

    [TestMethod]
    public void ConvertSpeaksOfFlagsAndSaysWhatTheFolderHolds()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        Directory.CreateDirectory(output);
        File.WriteAllBytes(Path.Combine(output, "PCR_3.pcr.partial"), [1]);
        Run interrupted = RunPcr("convert", fixture.Root, output);
        Assert.AreEqual(1, interrupted.ExitCode, interrupted.ToString());
        AssertOneLineError(interrupted, "was interrupted: it left 1 temporary file (PCR_3.pcr.partial); pass --force to remove them");
        Assert.IsFalse(interrupted.Error.Contains("ImageFolderConversionOptions", StringComparison.Ordinal), interrupted.ToString());

        // The report cannot be written: the dataset is complete, the exit code says success and a warning says what is missing.
        Directory.CreateDirectory(Path.Combine(output, "conversion-report.json.partial"));
        Run run = RunPcr("convert", fixture.Root, output, "--force", "--images-per-record", "4", "--jobs", "2");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, $"warning: the dataset in '{output}' is complete, but its report could not be written");
        StringAssert.Contains(run.Output, "ignored        3 hidden: .hidden-class/, Zebra/.DS_Store, Zebra/.thumbnails/", run.ToString());
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(output).ImageCount);
    }

    private static void AssertOneLineError(Run run, string expected)
    {
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, run.ToString());
        StringAssert.Contains(lines[0], expected, run.ToString());
        Assert.IsFalse(run.Error.Contains("   at "), "no stack trace");
    }

    /// <summary>The cells of the scan-group table's body rows (lines "│ k │ ... │").</summary>
    private static string[][] TableRows(string output) =>
        [.. output.Split('\n')
            .Where(l => l.TrimStart().StartsWith('│'))
            .Select(l => l.Trim().Trim('│').Split('│').Select(c => c.Trim()).ToArray())
            .Where(cells => int.TryParse(cells[0], out _))];
}
