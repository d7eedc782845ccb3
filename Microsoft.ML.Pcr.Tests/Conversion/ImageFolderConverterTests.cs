using System.Text.Json;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Conversion;

[TestClass]
public sealed class ImageFolderConverterTests
{
    private static ImageFolderConversionOptions Small(int imagesPerRecord = 4) => new() { ImagesPerRecord = imagesPerRecord, MaxDegreeOfParallelism = 2 };

    [TestMethod]
    public void ConvertsEveryInputKindAndReportsTheBadOnes()
    {
        using var fixture = new ImageFolderFixture();
        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Small());

        CollectionAssert.AreEqual(ImageFolderFixture.ClassNames, result.ClassNames.ToArray(), "ordinal order of the class folders");
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, result.ImageCount);
        Assert.AreEqual(4, result.RecordCount);
        Assert.AreEqual(6, result.ReencodedCount, "PNG, BMP, GIF and WebP are encoded as JPEG first");
        Assert.AreEqual(90, result.Quality);
        CollectionAssert.AreEqual(new[] { "empty-class" }, result.EmptyClasses.ToArray());
        CollectionAssert.AreEqual(ImageFolderFixture.SkippedFiles, result.Skipped.Select(s => s.RelativePath).ToArray());
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "Zebra/empty.jpg").Reason, "empty file");
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "apple/notes.jpg").Reason, "not an image");
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "apple/truncated.jpg").Reason, "damaged JPEG");
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "ärger/truncated.png").Reason, "truncated");
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "README.txt").Reason, "not inside a class folder");
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "Zebra/loop").Reason, "symbolic link to a folder");

        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(result.ReportPath));
        Assert.AreEqual(ImageFolderFixture.SkippedFiles.Length, report.RootElement.GetProperty("skipped").GetArrayLength());
        Assert.AreEqual(90, report.RootElement.GetProperty("quality").GetInt32());

        PcrDataset dataset = PcrDataset.Open(fixture.Output());
        CollectionAssert.AreEqual(ImageFolderFixture.ClassNames, dataset.ClassNames.ToArray());
        var seen = new List<string>();
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            using PcrRecordPrefix prefix = dataset.ReadRecord(r, dataset.ScanGroupCount);
            for (int i = 0; i < prefix.ImageCount; i++)
            {
                string path = prefix.GetRelativePath(i)!;
                seen.Add(path);
                Assert.AreEqual(Array.IndexOf(ImageFolderFixture.ClassNames, path[..path.IndexOf('/')]), prefix.GetLabel(i), path);
            }
        }
        CollectionAssert.AreEquivalent(ImageFolderFixture.GoodFiles, seen);
    }

    [TestMethod]
    public void FullScanImagesAreTheLosslessTranscodeOfEachJpeg()
    {
        using var fixture = new ImageFolderFixture();
        ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Small());
        PcrDataset dataset = PcrDataset.Open(fixture.Output());
        var transcoder = new JpegTranscoder();
        int jpegs = 0;
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            using PcrRecordPrefix prefix = dataset.ReadRecord(r, dataset.ScanGroupCount);
            for (int i = 0; i < prefix.ImageCount; i++)
            {
                string path = prefix.GetRelativePath(i)!;
                if (!path.EndsWith(".jpg", StringComparison.Ordinal)) continue;
                byte[] expected = transcoder.Transcode(File.ReadAllBytes(Path.Combine(fixture.Root, path)), out _);
                CollectionAssert.AreEqual(expected, prefix.GetImage(i), path);
                jpegs++;
            }
        }
        Assert.AreEqual(9, jpegs);
    }

    [TestMethod]
    public void InputFilesAreNeverModified()
    {
        using var fixture = new ImageFolderFixture();
        var before = fixture.HashAll();
        ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Small());
        CollectionAssert.AreEquivalent(before, fixture.HashAll());
    }

    [TestMethod]
    public void ACancelledConversionLeavesNoDatasetThatLooksComplete()
    {
        using var fixture = new ImageFolderFixture();
        using var cancel = new CancellationTokenSource();
        var options = Small(imagesPerRecord: 2);
        options.MaxDegreeOfParallelism = 1;
        options.Progress = new SynchronousProgress(p => { if (p.ImagesDone >= 5) cancel.Cancel(); });

        Assert.ThrowsExactly<OperationCanceledException>(() => ImageFolderConverter.Convert(fixture.Root, fixture.Output(), options, cancel.Token));

        string[] left = Directory.Exists(fixture.Output()) ? Directory.GetFiles(fixture.Output()) : [];
        Assert.AreEqual(0, left.Length, $"left behind: {string.Join(", ", left.Select(Path.GetFileName))}");
    }

    [TestMethod]
    public void ReRunningRefusesUnlessForced()
    {
        using var fixture = new ImageFolderFixture();
        ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Small());
        var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Small()));
        StringAssert.Contains(e.Message, "not empty");
        StringAssert.Contains(e.Message, "ImageFolderConversionOptions.Overwrite");
        Assert.DoesNotContain("--force", e.Message, "the library speaks of its API, not of the command line's flags");

        var force = Small(imagesPerRecord: 100);
        force.Overwrite = true;
        PcrConversionResult again = ImageFolderConverter.Convert(fixture.Root, fixture.Output(), force);
        Assert.AreEqual(1, again.RecordCount);
        Assert.AreEqual(1, PcrDataset.Open(fixture.Output()).Records.Count);
        Assert.IsFalse(File.Exists(Path.Combine(fixture.Output(), "PCR_1.pcr")), "the old dataset's records are gone");
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameDatasetWhateverTheParallelism()
    {
        using var fixture = new ImageFolderFixture();
        var one = Small();
        one.MaxDegreeOfParallelism = 1;
        ImageFolderConverter.Convert(fixture.Root, fixture.Output("a"), one);
        ImageFolderConverter.Convert(fixture.Root, fixture.Output("b"), Small());
        var other = Small();
        other.Seed = 99;
        ImageFolderConverter.Convert(fixture.Root, fixture.Output("c"), other);

        for (int r = 0; r < 4; r++)
        {
            string name = $"PCR_{r}.pcr";
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(fixture.Output("a"), name)), File.ReadAllBytes(Path.Combine(fixture.Output("b"), name)), name);
        }
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(fixture.Output("a"), PcrIndex.FileName)), File.ReadAllBytes(Path.Combine(fixture.Output("b"), PcrIndex.FileName)));
        CollectionAssert.AreNotEqual(File.ReadAllBytes(Path.Combine(fixture.Output("a"), "PCR_0.pcr")), File.ReadAllBytes(Path.Combine(fixture.Output("c"), "PCR_0.pcr")));
    }

    [TestMethod]
    public void FailOnFirstErrorStopsWithTheFileAndCause()
    {
        using var fixture = new ImageFolderFixture();
        var options = Small();
        options.FailOnFirstError = true;
        options.MaxDegreeOfParallelism = 1;
        options.Shuffle = false;
        var e = Assert.ThrowsExactly<PcrFormatException>(() => ImageFolderConverter.Convert(fixture.Root, fixture.Output(), options));
        StringAssert.Contains(e.FilePath, "empty.jpg");
        Assert.IsFalse(File.Exists(Path.Combine(fixture.Output(), PcrIndex.FileName)));
    }

    [TestMethod]
    public void TheDefaultRecordSizeLeavesRecordsForParallelReadersAndKeeps1024ForLargeDatasets()
    {
        var defaults = new ImageFolderConversionOptions();
        Assert.IsNull(defaults.ImagesPerRecord);
        Assert.AreEqual(1, defaults.GetImagesPerRecord(1));
        Assert.AreEqual(60, defaults.GetImagesPerRecord(960), "960 images: 16 records of 60");
        Assert.AreEqual(1024, defaults.GetImagesPerRecord(16 * 1024));
        Assert.AreEqual(1024, defaults.GetImagesPerRecord(1_000_000), "the published default for large datasets");
        Assert.AreEqual(7, new ImageFolderConversionOptions { ImagesPerRecord = 7 }.GetImagesPerRecord(1_000_000));

        // 19 listed images (4 of them unreadable): records of ceil(19 / 16) = 2, so the 15 converted make 8 records.
        using var fixture = new ImageFolderFixture();
        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, fixture.Output(), new() { MaxDegreeOfParallelism = 2 });
        Assert.AreEqual(8, result.RecordCount);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(result.ReportPath));
        Assert.AreEqual(2, report.RootElement.GetProperty("imagesPerRecord").GetInt32(), "the report states the size used");
    }

    [TestMethod]
    public void ImagesListedByADataViewConvert()
    {
        using var fixture = new ImageFolderFixture();
        var ml = new MLContext(seed: 1);
        var rows = new[]
        {
            new PathAndLabel { ImagePath = "Zebra/baseline-420.jpg", Label = "stripes" },
            new PathAndLabel { ImagePath = "apple/baseline-422.jpg", Label = "fruit" },
            new PathAndLabel { ImagePath = Path.Combine(fixture.Root, "ärger/photo.png"), Label = "fruit" },
        };
        PcrConversionResult result = ml.Data.SaveAsPcr(ml.Data.LoadFromEnumerable(rows), fixture.Output(), imageFolder: fixture.Root);
        CollectionAssert.AreEqual(new[] { "fruit", "stripes" }, result.ClassNames.ToArray());
        Assert.AreEqual(3, result.ImageCount);
        var view = ml.Data.LoadFromPcr(fixture.Output());
        Assert.AreEqual(3L, view.GetRowCount());
    }

    [TestMethod]
    public void BadArgumentsSayWhatWasExpected()
    {
        using var fixture = new ImageFolderFixture();
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageFolderConverter.Convert(Path.Combine(fixture.Root, "nope"), fixture.Output()));
        Assert.ThrowsExactly<ArgumentException>(() => ImageFolderConverter.Convert(fixture.Root, Path.Combine(fixture.Root, "Zebra", "out")));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFolderConverter.Convert(fixture.Root, fixture.Output(), new() { Quality = 0 }));
        StringAssert.Contains(e.Message, "between 1 and 100");
    }

    [TestMethod]
    public void WhenNothingCanBeConvertedTheErrorNamesTheFirstSkippedFile()
    {
        using var dir = TestFiles.NewTempDirectory();
        Directory.CreateDirectory(dir.Combine("in", "cats"));
        File.WriteAllBytes(dir.Combine("in", "cats", "a.jpg"), TestFiles.ReadInput("truncated-baseline.jpg"));
        File.WriteAllText(dir.Combine("in", "cats", "b.jpg"), "text");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Convert(dir.Combine("in"), dir.Combine("out")));
        StringAssert.Contains(e.Message, "cats/a.jpg");
        StringAssert.Contains(e.Message, "2 skipped");
        Assert.IsFalse(File.Exists(dir.Combine("out", PcrIndex.FileName)));
    }

    [TestMethod]
    public void ANamedPipeIsSkippedWithoutBlocking()
    {
        using var fixture = new ImageFolderFixture();
        string fifo = Path.Combine(fixture.Root, "apple", "pipe.jpg");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        if (!File.Exists(fifo)) Assert.Inconclusive("mkfifo is not available here");
        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Small());
        StringAssert.Contains(result.Skipped.Single(s => s.RelativePath == "apple/pipe.jpg").Reason, "not a regular file");
    }

    [TestMethod]
    public void AnOutputInsideTheInputIsRefusedEvenThroughASymbolicLink()
    {
        using var fixture = new ImageFolderFixture();
        string link = fixture.Output("link-to-images");
        Directory.CreateSymbolicLink(link, fixture.Root);
        Assert.ThrowsExactly<ArgumentException>(() => ImageFolderConverter.Convert(link, Path.Combine(fixture.Root, "zzout")));
        Assert.IsFalse(Directory.Exists(Path.Combine(fixture.Root, "zzout")));
    }

    private sealed class PathAndLabel
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, too late to cancel deterministically).</summary>
    private sealed class SynchronousProgress(Action<PcrConversionProgress> report) : IProgress<PcrConversionProgress>
    {
        public void Report(PcrConversionProgress value) => report(value);
    }
}
