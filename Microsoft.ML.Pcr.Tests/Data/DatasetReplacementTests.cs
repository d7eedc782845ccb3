using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Tests.Data;

/// <summary>What readers see when a conversion replaces the dataset under them, and what the conversion estimator checks before and after the work.</summary>
[TestClass]
public sealed class DatasetReplacementTests
{
    [TestMethod]
    public void AReaderOfAReplacedDatasetIsToldSoEvenWhenSkippingCorruptRecords()
    {
        using var fixture = new Conversion.ImageFolderFixture();
        string output = fixture.Output();
        ImageFolderConverter.Convert(fixture.Root, output, new ImageFolderConversionOptions { ImagesPerRecord = 4, Seed = 1 });

        var ml = new MLContext(seed: 1);
        PcrDataView view = ml.Data.LoadFromPcr(output, options: new PcrLoader.Options { ReadAheadRecords = 0, SkipCorruptRecords = true });
        PcrDataset dataset = view.Dataset;
        using DataViewRowCursor cursor = view.GetRowCursor(view.Schema);
        for (int i = 0; i < 4; i++) Assert.IsTrue(cursor.MoveNext(), "the first record reads");

        ImageFolderConverter.Convert(fixture.Root, output, new ImageFolderConversionOptions { ImagesPerRecord = 3, Seed = 2, Overwrite = true });

        var e = Assert.ThrowsExactly<PcrFormatException>(() => { while (cursor.MoveNext()) { } });
        StringAssert.Contains(e.Reason, "the dataset was replaced while it was being read");
        Assert.AreEqual("PCR_1.pcr", e.Record);
        Assert.IsInstanceOfType<PcrFormatException>(e.InnerException, "the error that revealed it is kept");

        e = Assert.ThrowsExactly<PcrFormatException>(() => dataset.ReadRecord(2, dataset.ScanGroupCount).Dispose());
        StringAssert.Contains(e.Reason, "replaced while it was being read");

        // Opened again, the new dataset reads.
        Assert.AreEqual((long)Conversion.ImageFolderFixture.GoodFiles.Length, ml.Data.LoadFromPcr(output).GetRowCount());
    }

    [TestMethod]
    public void ADamagedRecordOfAnUnchangedDatasetIsNotCalledReplaced()
    {
        using var dir = TestFiles.NewTempDirectory();
        Format.PcrRoundTripTests.WriteMixed(dir.Path, 4, out _);
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        string record = dir.Combine("PCR_0.pcr");
        File.WriteAllBytes(record, File.ReadAllBytes(record)[..40]);
        var e = Assert.ThrowsExactly<PcrFormatException>(() => dataset.ReadRecord(0, 3).Dispose());
        Assert.IsFalse(e.Reason.Contains("replaced", StringComparison.Ordinal), e.Reason);
    }

    [TestMethod]
    public void AScanGroupNoConversionCanGiveIsRefusedBeforeAnyWorkAndOneAboveTheDatasetKeepsTheConversion()
    {
        using var dir = TestFiles.NewTempDirectory();
        foreach (string c in new[] { "a", "b" })
        {
            Directory.CreateDirectory(dir.Combine("in", c));
            File.Copy(Path.Combine(TestFiles.JpegInputs, "baseline-420.jpg"), dir.Combine("in", c, "x.jpg"));
            File.Copy(Path.Combine(TestFiles.JpegInputs, "baseline-444.jpg"), dir.Combine("in", c, "y.jpg"));
        }
        var ml = new MLContext(seed: 1);
        string output = dir.Combine("pcr");

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Data.ConvertToPcr(output, scan: 99));
        StringAssert.Contains(e.Message, "between 1 and 18");
        Assert.IsFalse(Directory.Exists(output), "nothing was converted");

        // 12 is possible for some images (RGB, CMYK) but these colour photos have 10 scans: known only once they are transcoded.
        PcrConversionEstimator tooHigh = ml.Data.ConvertToPcr(output, scan: 12);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => tooHigh.Fit(dir.Combine("in")));
        StringAssert.Contains(e.Message, "has 10 scan groups");
        StringAssert.Contains(e.Message, "The conversion is kept");
        Assert.IsFalse(tooHigh.LastConversion!.Reused);

        PcrConversionEstimator inRange = ml.Data.ConvertToPcr(output, scan: 10);
        PcrLoader loader = inRange.Fit(dir.Combine("in"));
        Assert.IsTrue(inRange.LastConversion!.Reused, "the conversion the out-of-range fit made is reused");
        Assert.AreEqual(4, inRange.LastConversion.ImageCount);
        Assert.AreEqual(10, loader.Dataset.ScanGroupCount);
    }
}
