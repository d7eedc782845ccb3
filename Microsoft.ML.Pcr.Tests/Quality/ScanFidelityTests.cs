using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Quality;

namespace Microsoft.ML.Pcr.Tests.Quality;

[TestClass]
public sealed class ScanFidelityTests
{
    private static string PublishedSmall => Path.Combine(TestFiles.TestData, "published", "small");

    // The published fixture's input images (11), converted here in records of 4.
    private static PcrDataset ConvertSmallInput(TestFiles.TempDirectory dir)
    {
        ImageFolderConverter.Convert(Path.Combine(TestFiles.TestData, "published", "small-input"), dir.Combine("pcr"),
            new ImageFolderConversionOptions { ImagesPerRecord = 4, MaxDegreeOfParallelism = 2 });
        return PcrDataset.Open(dir.Combine("pcr"));
    }

    [TestMethod]
    public void FidelityGrowsWithTheScanGroupAndIsFullAtL()
    {
        using var dir = TestFiles.NewTempDirectory();
        PcrDataset dataset = ConvertSmallInput(dir);

        IReadOnlyList<ScanGroupFidelity> groups = ScanFidelity.Measure(dataset, new ScanFidelityOptions { SampleSize = 100 });

        Assert.HasCount(dataset.ScanGroupCount, groups);
        for (int k = 0; k < groups.Count; k++)
        {
            ScanGroupFidelity g = groups[k];
            Assert.AreEqual(k + 1, g.Scan);
            Assert.AreEqual(11, g.SampledImages, "a sample larger than the dataset takes every image");
            Assert.AreEqual(dataset.GetPrefixBytes(k + 1), g.CumulativeBytes);
            if (k == 0) continue;
            ScanGroupFidelity p = groups[k - 1];
            Assert.IsTrue(g.CumulativeBytes > p.CumulativeBytes);
            Assert.IsTrue(g.MeanMultiScaleSsim >= p.MeanMultiScaleSsim, $"MS-SSIM at {k + 1} ({g.MeanMultiScaleSsim}) below {k} ({p.MeanMultiScaleSsim})");
            Assert.IsTrue(g.IdenticalImages >= p.IdenticalImages);
        }
        ScanGroupFidelity full = groups[^1];
        Assert.AreEqual(1.0, full.MeanMultiScaleSsim);
        Assert.AreEqual(1.0, full.ShareOfFull);
        Assert.AreEqual(double.PositiveInfinity, full.MeanPsnr);
        Assert.AreEqual(11, full.IdenticalImages);
        Assert.IsTrue(groups[0].MeanMultiScaleSsim < 0.99 && groups[0].MeanPsnr < 40, "scan 1 is visibly coarser than full");
    }

    [TestMethod]
    public void TheSampleIsSeededAndBounded()
    {
        PcrDataset dataset = PcrDataset.Open(PublishedSmall);
        var options = new ScanFidelityOptions { SampleSize = 5, Seed = 3, MaxDegreeOfParallelism = 1 };
        IReadOnlyList<ScanGroupFidelity> a = ScanFidelity.Measure(dataset, options);
        IReadOnlyList<ScanGroupFidelity> b = ScanFidelity.Measure(dataset, new ScanFidelityOptions { SampleSize = 5, Seed = 3, MaxDegreeOfParallelism = 2 });
        CollectionAssert.AreEqual(a.ToArray(), b.ToArray(), "same seed: same numbers, whatever the parallelism");
        Assert.AreEqual(5, a[0].SampledImages);
        CollectionAssert.AreEqual(ScanFidelity.SampleRows(1000, 10, 1), ScanFidelity.SampleRows(1000, 10, 1));
        Assert.AreEqual(10, ScanFidelity.SampleRows(1000, 10, 1).Distinct().Count());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScanFidelity.Measure(dataset, new ScanFidelityOptions { SampleSize = 0 }));
    }

    [TestMethod]
    public void AtASmallDecodeSizeLowScanGroupsLoseLess()
    {
        using var dir = TestFiles.NewTempDirectory();
        PcrDataset dataset = ConvertSmallInput(dir);

        var fullSize = ScanFidelity.Measure(dataset, new ScanFidelityOptions { SampleSize = 100 });
        var small = ScanFidelity.Measure(dataset, new ScanFidelityOptions { SampleSize = 100, DecodeSize = 8 });

        Assert.HasCount(fullSize.Count, small);
        Assert.IsTrue(small[0].MeanPsnr > fullSize[0].MeanPsnr, $"scan 1: {small[0].MeanPsnr} dB at the small size, {fullSize[0].MeanPsnr} dB at full size");
        Assert.AreEqual(1.0, small[^1].MeanMultiScaleSsim);
        Assert.AreEqual(fullSize[0].CumulativeBytes, small[0].CumulativeBytes);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ScanFidelity.Measure(dataset, new ScanFidelityOptions { DecodeSize = 0 }));
    }
}
