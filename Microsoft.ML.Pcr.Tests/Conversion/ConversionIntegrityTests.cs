using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Tests.Conversion;

/// <summary>
/// A folder holds one conversion that says what it is: the fingerprint is committed with the index, a second writer is refused, an
/// interrupted conversion is named and cleaned, and a failed report write leaves a complete dataset that knows it.
/// </summary>
[TestClass]
public sealed class ConversionIntegrityTests
{
    private const string LockFile = ".pcr-writer.lock";

    private static ImageFolderConversionOptions Options(int seed = 0, bool overwrite = false) =>
        new() { ImagesPerRecord = 4, MaxDegreeOfParallelism = 2, Seed = seed, Overwrite = overwrite };

    private static string[] Leftovers(string dir) =>
        [.. Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(n => n!.EndsWith(".partial", StringComparison.Ordinal) || n == LockFile)!];

    [TestMethod]
    public void AFailedReportWriteLeavesACompleteDatasetAndIsUpToDateTellsTheTruth()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        ImageFolderConverter.Convert(fixture.Root, output, Options(seed: 1));
        Assert.IsTrue(ImageFolderConverter.IsUpToDate(fixture.Root, output, Options(seed: 1)));

        // A directory where the report's temporary file goes: the report write fails after the new dataset is committed.
        Directory.CreateDirectory(Path.Combine(output, ImageFolderConverter.ReportFileName + ".partial"));
        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, output, Options(seed: 2, overwrite: true));

        Assert.IsNotNull(result.ReportError);
        Assert.IsFalse(File.Exists(result.ReportPath), "the old report, which describes the seed-1 dataset, is gone");
        Assert.IsTrue(ImageFolderConverter.IsUpToDate(fixture.Root, output, Options(seed: 2)), "the folder holds the seed-2 conversion");
        Assert.IsFalse(ImageFolderConverter.IsUpToDate(fixture.Root, output, Options(seed: 1)), "and not the seed-1 one, whatever a report says");
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(output).ImageCount);
        CollectionAssert.AreEqual(new[] { ImageFolderConverter.ReportFileName + ".partial" }, Directory.GetDirectories(output).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void ReuseIsDecidedByTheIndexNeverByTheReport()
    {
        using var fixture = new ImageFolderFixture();
        string a = fixture.Output("a"), b = fixture.Output("b");
        ImageFolderConverter.Convert(fixture.Root, a, Options(seed: 1));
        ImageFolderConverter.Convert(fixture.Root, b, Options(seed: 2));

        // b's report now claims the seed-1 conversion; b's index still says seed 2.
        File.Copy(Path.Combine(a, ImageFolderConverter.ReportFileName), Path.Combine(b, ImageFolderConverter.ReportFileName), overwrite: true);
        Assert.IsFalse(ImageFolderConverter.IsUpToDate(fixture.Root, b, Options(seed: 1)));
        Assert.IsTrue(ImageFolderConverter.IsUpToDate(fixture.Root, b, Options(seed: 2)));
        File.Delete(Path.Combine(b, ImageFolderConverter.ReportFileName));
        Assert.IsTrue(ImageFolderConverter.IsUpToDate(fixture.Root, b, Options(seed: 2)), "no report: still the same dataset");

        string fingerprint = PcrDataset.Open(b).Index.ConversionFingerprint!;
        Assert.AreEqual(64, fingerprint.Length, "a SHA-256 in hex");
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, ImageFolderConverter.ReportFileName)));
        Assert.AreEqual(PcrDataset.Open(a).Index.ConversionFingerprint, report.RootElement.GetProperty("fingerprint").GetString(), "the report repeats it, for people");

        File.Delete(Path.Combine(b, "PCR_1.pcr"));
        Assert.IsFalse(ImageFolderConverter.IsUpToDate(fixture.Root, b, Options(seed: 2)), "a record is missing: not a complete conversion");
    }

    [TestMethod]
    public void ASecondWriterIsRefusedAtStartAndNothingOfTheFirstIsLost()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        using var firstStarted = new ManualResetEventSlim();
        using var mayFinish = new ManualResetEventSlim();
        var first = Options(seed: 7);
        first.MaxDegreeOfParallelism = 1;
        first.Progress = new SynchronousProgress(p =>
        {
            if (p.ImagesDone != 5) return;
            firstStarted.Set();
            mayFinish.Wait(TimeSpan.FromMinutes(1));
        });
        Task<PcrConversionResult> running = Task.Run(() => ImageFolderConverter.Convert(fixture.Root, output, first));
        Assert.IsTrue(firstStarted.Wait(TimeSpan.FromMinutes(1)), "the first conversion did not start");

        foreach (bool overwrite in new[] { false, true })
        {
            var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(fixture.Root, output, Options(seed: 8, overwrite: overwrite)));
            StringAssert.Contains(e.Message, "Another conversion is writing into");
            StringAssert.Contains(e.Message, output);
            StringAssert.Contains(e.Message, $"process {Environment.ProcessId} on {Environment.MachineName}");
        }
        var direct = Assert.ThrowsExactly<IOException>(() => new PcrWriter(output, ["a"], new PcrWriterOptions { Overwrite = true }));
        StringAssert.Contains(direct.Message, "Another conversion is writing into");

        mayFinish.Set();
        PcrConversionResult result = running.GetAwaiter().GetResult();
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, result.ImageCount);
        Assert.IsNull(result.ReportError);
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(output).ImageCount);
        Assert.IsTrue(ImageFolderConverter.IsUpToDate(fixture.Root, output, Options(seed: 7)));
        Assert.AreEqual(0, Leftovers(output).Length, string.Join(", ", Leftovers(output)));
    }

    [TestMethod]
    public void ALockOfThisLiveProcessRefusesAndAStaleOneIsTakenOver()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        Directory.CreateDirectory(output);
        string lockPath = Path.Combine(output, LockFile);
        File.WriteAllText(lockPath, $"pid={Environment.ProcessId}\nhost={Environment.MachineName}\nstarted={DateTime.UtcNow:O}\n");
        var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(fixture.Root, output, Options()));
        StringAssert.Contains(e.Message, $"process {Environment.ProcessId}");
        StringAssert.Contains(e.Message, lockPath);
        Assert.IsTrue(File.Exists(lockPath), "a live writer's lock is left alone");

        File.WriteAllText(lockPath, $"pid={DeadProcessId()}\nhost={Environment.MachineName}\nstarted={DateTime.UtcNow.AddMinutes(-5):O}\n");
        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, output, Options());
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, result.ImageCount);
        Assert.IsFalse(File.Exists(lockPath), "released after the conversion");
    }

    [TestMethod]
    public void AnInterruptedConversionIsNamedAndAnOverwriteRemovesEveryTemporaryFile()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        Directory.CreateDirectory(output);
        // What kill -9 during a larger conversion leaves: its lock, records under temporary names, a half-written index and report.
        int deadPid = DeadProcessId();
        File.WriteAllText(Path.Combine(output, LockFile), $"pid={deadPid}\nhost={Environment.MachineName}\nstarted={DateTime.UtcNow.AddMinutes(-5):O}\n");
        for (int r = 0; r < 58; r++) File.WriteAllBytes(Path.Combine(output, $"PCR_{r}.pcr.partial"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(output, PcrIndex.FileName + ".partial"), [1]);
        File.WriteAllBytes(Path.Combine(output, ImageFolderConverter.ReportFileName + ".partial"), [1]);

        var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(fixture.Root, output, Options()));
        StringAssert.Contains(e.Message, $"An earlier conversion into '{output}' was interrupted (process {deadPid}");
        StringAssert.Contains(e.Message, "60 temporary files");
        StringAssert.Contains(e.Message, "ImageFolderConversionOptions.Overwrite");
        Assert.AreEqual(60, Leftovers(output).Length, "a refused conversion removes nothing but the stale lock, which it took over and released");

        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, output, Options(overwrite: true));
        Assert.AreEqual(4, result.RecordCount);
        Assert.AreEqual(0, Leftovers(output).Length, string.Join(", ", Leftovers(output)));
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(output).ImageCount);
    }

    [TestMethod]
    public void ACompletedConversionRemovesTemporaryFilesOfEarlierOnes()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        ImageFolderConverter.Convert(fixture.Root, output, Options());
        File.WriteAllBytes(Path.Combine(output, "PCR_42.pcr.partial"), [1]);
        using (var writer = new PcrWriter(output, ["a"], new PcrWriterOptions { Overwrite = true }))
        {
            writer.Add(new PcrImageEntry(TestFiles.ReadGolden("baseline-420.jpg"), default, 0, "a/x.jpg"));
            File.WriteAllBytes(Path.Combine(output, "PCR_43.pcr.partial"), [1]); // as if left while this writer ran
            writer.Complete();
        }
        Assert.AreEqual(0, Leftovers(output).Length, string.Join(", ", Leftovers(output)));
        Assert.AreEqual(1, PcrDataset.Open(output).ImageCount);

        // The writer speaks of its own options.
        string other = fixture.Output("other");
        Directory.CreateDirectory(other);
        File.WriteAllBytes(Path.Combine(other, "PCR_44.pcr.partial"), [1]);
        var e = Assert.ThrowsExactly<IOException>(() => new PcrWriter(other, ["a"]));
        StringAssert.Contains(e.Message, "was interrupted: it left 1 temporary file (PCR_44.pcr.partial)");
        StringAssert.Contains(e.Message, "PcrWriterOptions.Overwrite");
        Assert.AreEqual(1, Leftovers(other).Length, "refused: nothing removed, the lock released");
    }

    [TestMethod]
    public void ConversionsCancelledAtRandomPointsLeaveNothingBehind()
    {
        using var fixture = new ImageFolderFixture();
        var random = new Random(17);
        for (int trial = 0; trial < 6; trial++)
        {
            string output = fixture.Output($"trial-{trial}");
            int stopAt = random.Next(1, ImageFolderFixture.GoodFiles.Length + 6);
            using var cancel = new CancellationTokenSource();
            var options = Options(seed: trial);
            options.MaxDegreeOfParallelism = 1;
            options.Progress = new SynchronousProgress(p => { if (p.ImagesDone >= stopAt) cancel.Cancel(); });
            try
            {
                ImageFolderConverter.Convert(fixture.Root, output, options, cancel.Token);
                Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(output).ImageCount, $"trial {trial}: completed before the cancellation");
            }
            catch (OperationCanceledException)
            {
                Assert.IsFalse(File.Exists(Path.Combine(output, PcrIndex.FileName)), $"trial {trial}: cancelled after {stopAt} images but an index is there");
            }
            Assert.AreEqual(0, Leftovers(output).Length, $"trial {trial}: {string.Join(", ", Leftovers(output))}");
            // The next run needs no Overwrite: the folder is empty or holds the one complete dataset, which Overwrite replaces.
            var again = Options(seed: trial, overwrite: File.Exists(Path.Combine(output, PcrIndex.FileName)));
            Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, ImageFolderConverter.Convert(fixture.Root, output, again).ImageCount);
        }
    }

    [TestMethod]
    public void HiddenFilesAreListedAsIgnored()
    {
        using var fixture = new ImageFolderFixture();
        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Options());
        CollectionAssert.AreEqual(new[] { ".hidden-class/", "Zebra/.DS_Store", "Zebra/.thumbnails/" }, result.Ignored.Select(i => i.RelativePath).ToArray());
        StringAssert.Contains(result.Ignored[0].Reason, "not a class");
        StringAssert.Contains(result.Ignored[1].Reason, "hidden file");
        StringAssert.Contains(result.Ignored[2].Reason, "hidden folder");
        CollectionAssert.AreEqual(ImageFolderFixture.SkippedFiles, result.Skipped.Select(s => s.RelativePath).ToArray(), "ignored is not skipped");

        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(result.ReportPath));
        Assert.AreEqual(3, report.RootElement.GetProperty("ignored").GetArrayLength());
    }

    [TestMethod]
    public void TheEstimatorReplacesAConversionOfTheFormatBeforeTheFingerprintMovedIntoTheIndex()
    {
        using var fixture = new ImageFolderFixture();
        string output = fixture.Output();
        var ml = new MLContext(seed: 1);
        ml.Data.ConvertToPcr(output, options: Options()).Fit(fixture.Root);

        // What a version-1 conversion left: an index without fingerprint or checksum, and a report.
        string indexPath = Path.Combine(output, PcrIndex.FileName);
        var proto = Microsoft.ML.Pcr.Format.Proto.DatasetOffsetsIndex.Parser.ParseFrom(File.ReadAllBytes(indexPath));
        proto.ClearIndexCrc32C();
        proto.ConversionFingerprint = "";
        proto.FormatVersion = 1;
        File.WriteAllBytes(indexPath, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        Assert.IsFalse(ImageFolderConverter.IsUpToDate(fixture.Root, output, Options()), "no fingerprint in the index: not known to be up to date");

        var estimator = ml.Data.ConvertToPcr(output, options: Options());
        estimator.Fit(fixture.Root);
        Assert.IsFalse(estimator.LastConversion!.Reused, "converted again, without asking for Overwrite");
        Assert.AreEqual(PcrIndex.CurrentFormatVersion, PcrDataset.Open(output).Index.FormatVersion);
        estimator.Fit(fixture.Root);
        Assert.IsTrue(estimator.LastConversion!.Reused);
    }

    /// <summary>The id of a process that has exited (it ran <c>true</c>).</summary>
    private static int DeadProcessId()
    {
        using Process process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>Reports on the calling thread, so a test can act at an exact point of the conversion.</summary>
    private sealed class SynchronousProgress(Action<PcrConversionProgress> report) : IProgress<PcrConversionProgress>
    {
        public void Report(PcrConversionProgress value) => report(value);
    }
}
