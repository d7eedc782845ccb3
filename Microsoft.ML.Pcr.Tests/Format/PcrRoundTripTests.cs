using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Format;

[TestClass]
public sealed class PcrRoundTripTests
{
    // Colour, grayscale (6 scans), CMYK (18 scans) and RGB (14 scans) side by side, so records mix scan counts.
    internal static readonly string[] MixedImages =
    [
        "baseline-420.jpg", "gray.jpg", "cmyk-adobe.jpg", "baseline-444.jpg", "rgb-adobe.jpg",
        "one-pixel.jpg", "odd-37x23.jpg", "gray-2x2-sampling.jpg", "progressive-420.jpg",
    ];

    internal static PcrIndex WriteMixed(string directory, int imagesPerRecord, out List<(byte[] Jpeg, int Label, string Path)> written)
    {
        written = [];
        using var writer = new PcrWriter(directory, ["color", "gray", "other"], new PcrWriterOptions { ImagesPerRecord = imagesPerRecord });
        foreach (string name in MixedImages)
        {
            byte[] jpeg = File.ReadAllBytes(TestFiles.Golden(name));
            int label = name.StartsWith("gray", StringComparison.Ordinal) ? 1 : name.Contains("adobe", StringComparison.Ordinal) ? 2 : 0;
            string path = $"class{label}/{name}";
            writer.Add(new PcrImageEntry(jpeg, ReadOnlyMemory<int>.Empty, label, path));
            written.Add((jpeg, label, path));
        }
        return writer.Complete();
    }

    [TestMethod]
    public void EveryImageAtEveryScanIsItsFirstPartialsPlusEoi()
    {
        using var dir = TestFiles.NewTempDirectory();
        WriteMixed(dir.Path, imagesPerRecord: 4, out var written);

        PcrDataset dataset = PcrDataset.Open(dir.Path);
        Assert.AreEqual(3, dataset.Records.Count);
        Assert.AreEqual(written.Count, dataset.ImageCount);
        Assert.AreEqual(18, dataset.ScanGroupCount);
        CollectionAssert.AreEqual(new[] { "color", "gray", "other" }, dataset.ClassNames.ToArray());

        for (int scan = 1; scan <= dataset.ScanGroupCount; scan++)
        {
            int row = 0;
            for (int r = 0; r < dataset.Records.Count; r++)
            {
                using PcrRecordPrefix prefix = dataset.ReadRecord(r, scan);
                for (int i = 0; i < prefix.ImageCount; i++, row++)
                {
                    var (jpeg, label, path) = written[row];
                    int[] ends = JpegScanCutter.FindScanEnds(jpeg);
                    byte[] expected = scan >= ends.Length ? jpeg : [.. jpeg[..ends[scan - 1]], 0xFF, 0xD9];
                    CollectionAssert.AreEqual(expected, prefix.GetImage(i), $"image {row} at scan {scan}");
                    Assert.AreEqual(label, prefix.GetLabel(i));
                    Assert.AreEqual(path, prefix.GetRelativePath(i));
                }
            }
        }
    }

    [TestMethod]
    public void ReadsExactlyThePrefixOfEachRecord()
    {
        using var dir = TestFiles.NewTempDirectory();
        WriteMixed(dir.Path, imagesPerRecord: 4, out _);
        PcrDataset dataset = PcrDataset.Open(dir.Path);

        long expected = 0;
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            PcrRecordInfo info = dataset.Records[r];
            using PcrRecordPrefix prefix = dataset.ReadRecord(r, 3);
            long prefixLength = info.SegmentLengths[0] + info.SegmentLengths[1] + info.SegmentLengths[2] + info.SegmentLengths[3];
            Assert.AreEqual(prefixLength, prefix.BytesRead);
            expected += prefixLength;
        }
        Assert.AreEqual(expected, dataset.BytesRead);
        Assert.AreEqual(expected, dataset.GetPrefixBytes(3));
        Assert.IsTrue(dataset.GetPrefixBytes(3) < dataset.GetPrefixBytes(dataset.ScanGroupCount));
    }

    [TestMethod]
    public void ImagesWithFewerScansGetEmptyEntriesAndTheirWholeFile()
    {
        using var dir = TestFiles.NewTempDirectory();
        WriteMixed(dir.Path, imagesPerRecord: 100, out var written);
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        using PcrRecordPrefix full = dataset.ReadRecord(0, 18);
        int gray = written.FindIndex(w => w.Path.EndsWith("gray.jpg", StringComparison.Ordinal));
        Assert.AreEqual(6, full.GetScanCount(gray));
        using PcrRecordPrefix atTen = dataset.ReadRecord(0, 10);
        CollectionAssert.AreEqual(written[gray].Jpeg, atTen.GetImage(gray));
    }

    [TestMethod]
    public void WriterStoresChecksumsImageCountsAndThePublishedFields()
    {
        using var dir = TestFiles.NewTempDirectory();
        PcrIndex index = WriteMixed(dir.Path, imagesPerRecord: 4, out _);
        Assert.AreEqual(PcrIndex.CurrentFormatVersion, index.FormatVersion);
        Assert.IsTrue(index.RelativePathsStored);
        foreach (PcrRecordInfo r in PcrDataset.Open(dir.Path).Records)
        {
            Assert.IsTrue(r.HasChecksums);
            Assert.IsTrue(r.ImageCount > 0);
            Assert.AreEqual(new FileInfo(dir.Combine(r.Name)).Length, r.Length);
        }
        CollectionAssert.AreEquivalent(new[] { "PCR_0.pcr", "PCR_1.pcr", "PCR_2.pcr", "PCR_index.pb" },
            Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void AnUncompletedWriteLeavesNothingThatLooksLikeADataset()
    {
        using var dir = TestFiles.NewTempDirectory();
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        using (var writer = new PcrWriter(dir.Path, ["a"], new PcrWriterOptions { ImagesPerRecord = 1 }))
        {
            writer.Add(new PcrImageEntry(jpeg, default, 0, "a/x.jpg"));
            writer.Add(new PcrImageEntry(jpeg, default, 0, "a/y.jpg"));
            Assert.IsFalse(File.Exists(dir.Combine(PcrIndex.FileName)), "no index before Complete");
            Assert.IsFalse(File.Exists(dir.Combine("PCR_0.pcr")), "records keep temporary names before Complete");
        }
        Assert.AreEqual(0, Directory.GetFiles(dir.Path).Length, "disposing without Complete removes the temporary files");
        Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(dir.Path));
    }

    [TestMethod]
    public void AnExistingDatasetIsReplacedOnlyWhenAsked()
    {
        using var dir = TestFiles.NewTempDirectory();
        WriteMixed(dir.Path, imagesPerRecord: 2, out _);
        Assert.ThrowsExactly<IOException>(() => new PcrWriter(dir.Path, ["a"]));

        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        using (var writer = new PcrWriter(dir.Path, ["only"], new PcrWriterOptions { Overwrite = true }))
        {
            writer.Add(new PcrImageEntry(jpeg, default, 0, "only/x.jpg"));
            writer.Complete();
        }
        PcrDataset replaced = PcrDataset.Open(dir.Path);
        Assert.AreEqual(1, replaced.ImageCount);
        Assert.IsFalse(File.Exists(dir.Combine("PCR_4.pcr")), "records of the old dataset are removed");
    }

    [TestMethod]
    public void LabelsOutsideTheClassListAreRefused()
    {
        using var dir = TestFiles.NewTempDirectory();
        using var writer = new PcrWriter(dir.Path, ["a"]);
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => writer.WriteRecord(0, [new PcrImageEntry(jpeg, default, 1, "b/x.jpg")]));
    }
}
