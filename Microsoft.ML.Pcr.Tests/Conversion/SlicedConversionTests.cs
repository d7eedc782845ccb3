using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Tests.Conversion;

[TestClass]
public sealed class SlicedConversionTests
{
    /// <summary>An ImageFolder of 13 good JPEGs in 3 classes, and nothing that is skipped.</summary>
    internal static string CleanImageFolder(TestFiles.TempDirectory dir)
    {
        string root = dir.Combine("clean");
        string[] names =
        [
            "baseline-420.jpg", "baseline-422.jpg", "baseline-444.jpg", "gray.jpg", "progressive-420.jpg", "odd-37x23.jpg", "one-pixel.jpg",
            "cmyk-adobe.jpg", "baseline-411.jpg", "rgb-adobe.jpg", "exif-no-jfif.jpg", "comments-and-fill.jpg", "baseline-440.jpg",
        ];
        string[] classes = ["ant", "bee", "cat"];
        for (int i = 0; i < 13; i++)
        {
            string folder = Path.Combine(root, classes[i % 3]);
            Directory.CreateDirectory(folder);
            File.Copy(Path.Combine(TestFiles.JpegInputs, names[i]), Path.Combine(folder, $"{i:D2}.jpg"));
        }
        return root;
    }

    internal static ImageFolderConversionOptions Options(int workers = 0, int worker = 0, int seed = 7) =>
        new() { ImagesPerRecord = 3, Seed = seed, MaxDegreeOfParallelism = 2, WorkerCount = workers, WorkerIndex = worker };

    /// <summary>Every row of a dataset in row order: label, stored path and the full-fidelity image.</summary>
    internal static List<(int Label, string? Path, byte[] Image)> Rows(PcrDataset dataset)
    {
        var rows = new List<(int, string?, byte[])>();
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            using PcrRecordPrefix prefix = dataset.ReadRecord(r, dataset.Records[r].ScanGroupCount);
            for (int i = 0; i < prefix.ImageCount; i++) rows.Add((prefix.GetLabel(i), prefix.GetRelativePath(i), prefix.GetImage(i)));
        }
        return rows;
    }

    internal static void AssertSameRows(PcrDataset expected, PcrDataset actual, string what)
    {
        CollectionAssert.AreEqual(expected.ClassNames.ToArray(), actual.ClassNames.ToArray(), $"{what}: class names");
        var e = Rows(expected);
        var a = Rows(actual);
        Assert.AreEqual(e.Count, a.Count, $"{what}: rows");
        for (int i = 0; i < e.Count; i++)
        {
            Assert.AreEqual(e[i].Label, a[i].Label, $"{what}: label of row {i}");
            Assert.AreEqual(e[i].Path, a[i].Path, $"{what}: path of row {i}");
            CollectionAssert.AreEqual(e[i].Image, a[i].Image, $"{what}: image of row {i}");
        }
    }

    private static void ConvertSlices(string imageFolder, string output, int workers, Func<int, ImageFolderConversionOptions>? options = null)
    {
        // In reverse, so that the merge cannot depend on the order the workers finished in.
        for (int i = workers - 1; i >= 0; i--)
            ImageFolderConverter.Convert(imageFolder, new DirectoryByteSink(output), options?.Invoke(i) ?? Options(workers, i));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void SlicedThenMergedIsByteIdenticalToASingleConversion(int workers)
    {
        using var dir = TestFiles.NewTempDirectory();
        string images = CleanImageFolder(dir), single = dir.Combine("single"), sliced = dir.Combine("sliced");
        ImageFolderConverter.Convert(images, single, Options());
        ConvertSlices(images, sliced, workers);
        Assert.IsFalse(File.Exists(Path.Combine(sliced, PcrIndex.FileName)), "no index before the merge");
        Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(sliced));

        PcrIndex merged = ImageFolderConverter.Merge(sliced);

        Assert.AreEqual(5, merged.Records.Count);
        // Without skipped inputs the records, their names and the whole index are the single conversion's, byte for byte.
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(single, PcrIndex.FileName)), File.ReadAllBytes(Path.Combine(sliced, PcrIndex.FileName)), "index");
        foreach (PcrRecordInfo r in merged.Records)
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(single, r.Name)), File.ReadAllBytes(Path.Combine(sliced, r.Name)), r.Name);
        Assert.IsFalse(Directory.EnumerateFiles(sliced, SliceManifest.Prefix + "*").Any(), "the slice manifests go once the index is in place");
        AssertSameRows(PcrDataset.Open(single), PcrDataset.Open(sliced), $"{workers} workers");
        Assert.IsTrue(ImageFolderConverter.IsUpToDate(images, sliced, Options()), "the merged dataset carries the single conversion's fingerprint");
    }

    [TestMethod]
    public void SkippedInputsShortenOnlyTheirSlicesRecordsAndKeepRowsAndOrder()
    {
        using var fixture = new ImageFolderFixture();
        string single = fixture.Output("single"), sliced = fixture.Output("sliced");
        ImageFolderConverter.Convert(fixture.Root, single, Options());
        ConvertSlices(fixture.Root, sliced, 2);
        PcrIndex merged = ImageFolderConverter.Merge(sliced);

        PcrDataset a = PcrDataset.Open(single), b = PcrDataset.Open(sliced);
        AssertSameRows(a, b, "with skipped inputs");
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, b.ImageCount);
        // Record b holds batch b less its skipped inputs, so there are more, shorter records than in the single conversion.
        Assert.IsTrue(merged.Records.Count > a.Records.Count, $"{merged.Records.Count} records against {a.Records.Count}");
        Assert.IsTrue(merged.Records.All(r => r.ImageCount is >= 1 and <= 3));
        Assert.IsTrue(File.Exists(Path.Combine(sliced, "conversion-report.slice_0_of_2.json")));
    }

    [TestMethod]
    public void MergeNamesTheMissingSlices()
    {
        using var dir = TestFiles.NewTempDirectory();
        string images = CleanImageFolder(dir), output = dir.Combine("out");
        ImageFolderConverter.Convert(images, output, Options(3, 0));
        ImageFolderConverter.Convert(images, output, Options(3, 2));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Merge(output));
        StringAssert.Contains(e.Message, "missing 1 of the 3 slices (PCR_slice_1_of_3.pb)");
        Assert.IsFalse(File.Exists(Path.Combine(output, PcrIndex.FileName)));

        ImageFolderConverter.Convert(images, output, Options(3, 1));
        Assert.AreEqual(13, ImageFolderConverter.Merge(output).Records.Sum(r => r.ImageCount));
    }

    [TestMethod]
    public void MergeRefusesSlicesOfOtherOptionsOrWorkerCounts()
    {
        using var dir = TestFiles.NewTempDirectory();
        string images = CleanImageFolder(dir), output = dir.Combine("out");
        ImageFolderConverter.Convert(images, output, Options(2, 0, seed: 7));
        ImageFolderConverter.Convert(images, output, Options(2, 1, seed: 8));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Merge(output));
        StringAssert.Contains(e.Message, "Slice 1 of 2");
        StringAssert.Contains(e.Message, "other inputs or options than slice 0");

        ImageFolderConverter.Convert(images, output, Options(3, 0));
        e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Merge(output));
        StringAssert.Contains(e.Message, "split 2 ways and 3 ways");
        StringAssert.Contains(e.Message, "PCR_slice_0_of_3.pb");

        string empty = dir.Combine("empty");
        Directory.CreateDirectory(empty);
        e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Merge(empty));
        StringAssert.Contains(e.Message, "holds no slice");
    }

    [TestMethod]
    public void MergeRefusesASliceWhoseRecordIsMissing()
    {
        using var dir = TestFiles.NewTempDirectory();
        string images = CleanImageFolder(dir), output = dir.Combine("out");
        ConvertSlices(images, output, 2);
        File.Delete(Path.Combine(output, "PCR_3.pcr"));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Merge(output));
        StringAssert.Contains(e.Message, "PCR_3.pcr of slice 1 of 2 is missing");
    }

    [TestMethod]
    public void ASliceRefusesToOverwriteWithoutOverwriteAndReplacesWithIt()
    {
        using var dir = TestFiles.NewTempDirectory();
        string images = CleanImageFolder(dir), output = dir.Combine("out");
        ConvertSlices(images, output, 2);
        var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(images, output, Options(2, 1)));
        StringAssert.Contains(e.Message, "already holds slice 1 of 2");
        ImageFolderConverter.Merge(output);
        e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(images, output, Options(2, 1)));
        StringAssert.Contains(e.Message, "already holds a PCR dataset");

        // Overwrite removes the index first: while slices are replaced nothing opens as a dataset.
        ImageFolderConverter.Convert(images, output, new ImageFolderConversionOptions { ImagesPerRecord = 3, Seed = 7, WorkerCount = 2, WorkerIndex = 0, Overwrite = true });
        Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(output));
        // The merge consumed the earlier manifests: every slice is converted again before the next merge.
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderConverter.Merge(output)).Message, "PCR_slice_1_of_2.pb");
        ImageFolderConverter.Convert(images, output, new ImageFolderConversionOptions { ImagesPerRecord = 3, Seed = 7, WorkerCount = 2, WorkerIndex = 1, Overwrite = true });
        ImageFolderConverter.Merge(output);
        Assert.AreEqual(13, PcrDataset.Open(output).ImageCount);
    }

    [TestMethod]
    public void WorkerOptionsAreChecked()
    {
        using var dir = TestFiles.NewTempDirectory();
        string images = CleanImageFolder(dir);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFolderConverter.Convert(images, dir.Combine("a"), Options(2, 2)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFolderConverter.Convert(images, dir.Combine("a"), Options(0, 1)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFolderConverter.Convert(images, dir.Combine("a"), Options(-1, 0)));
    }
}
