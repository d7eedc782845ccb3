using System.Buffers;
using System.Security.Cryptography;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// The progressive writer against jpegtran's own output (golden files made by
/// <c>jpegtran -copy none -optimize -progressive</c>, libjpeg-turbo 2.1.5); jpegtran is not needed here.
/// </summary>
[TestClass]
public sealed class ProgressiveJpegWriterTests
{
    private static readonly string JpegDir = Path.Combine(AppContext.BaseDirectory, "TestData", "jpeg");

    /// <summary>
    /// Fixtures LibJpeg.NET cannot read correctly (arithmetic coding; progressive with restart
    /// intervals). jpegtran's output holds the same coefficients and, because these inputs are
    /// JFIF YCbCr files, the same colour-space evidence (jpegtran copies the JFIF version and density).
    /// </summary>
    private static readonly HashSet<string> ReadFromGolden =
    [
        "arithmetic-progressive.jpg", "arithmetic-restart.jpg", "arithmetic-sequential.jpg",
        "progressive-restart-mcus.jpg", "progressive-restart-rows.jpg",
    ];

    public static IEnumerable<object[]> Fixtures =>
        Directory.GetFiles(Path.Combine(JpegDir, "inputs"), "*.jpg").Select(p => new object[] { Path.GetFileName(p) }).OrderBy(a => (string)a[0]);

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void OutputEqualsJpegtranGolden(string name)
    {
        var golden = File.ReadAllBytes(Path.Combine(JpegDir, "golden", name));
        var source = ReadFromGolden.Contains(name) ? golden : File.ReadAllBytes(Path.Combine(JpegDir, "inputs", name));
        using var image = LibJpegNetCoefficientOracle.Read(source);

        var output = new ArrayBufferWriter<byte>();
        var scanEnds = ProgressiveJpegWriter.Write(image, output);

        var written = output.WrittenSpan.ToArray();
        Assert.AreEqual(golden.Length, written.Length, $"{name}: length (first difference at {FirstDifference(golden, written)})");
        Assert.IsTrue(golden.AsSpan().SequenceEqual(written), $"{name}: first difference at byte {FirstDifference(golden, written)}");
        CollectionAssert.AreEqual(GoldenScanEnds(golden), scanEnds, $"{name}: scan ends");
    }

    [TestMethod]
    public void ScanEndsAreRelativeToTheFirstByteWritten()
    {
        var name = "baseline-420.jpg";
        using var image = LibJpegNetCoefficientOracle.Read(File.ReadAllBytes(Path.Combine(JpegDir, "inputs", name)));
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[] { 1, 2, 3, 4, 5 });
        var ends = ProgressiveJpegWriter.Write(image, output);
        var golden = File.ReadAllBytes(Path.Combine(JpegDir, "golden", name));
        Assert.IsTrue(output.WrittenSpan[5..].SequenceEqual(golden));
        CollectionAssert.AreEqual(GoldenScanEnds(golden), ends);
        Assert.AreEqual(10, ends.Length);
    }

    [TestMethod]
    public void ScanScriptsHaveLibjpegSizes()
    {
        Assert.AreEqual(10, ProgressiveScanScript.For(3, JpegColorSpace.YCbCr).Length);
        Assert.AreEqual(6, ProgressiveScanScript.For(1, JpegColorSpace.Grayscale).Length);
        Assert.AreEqual(14, ProgressiveScanScript.For(3, JpegColorSpace.Rgb).Length);
        Assert.AreEqual(18, ProgressiveScanScript.For(4, JpegColorSpace.Cmyk).Length);
        Assert.AreEqual(10, ProgressiveScanScript.For(2, JpegColorSpace.Unknown).Length);
        Assert.AreEqual(30, ProgressiveScanScript.For(5, JpegColorSpace.Unknown).Length);
    }

    /// <summary>
    /// Real photos: jpegtran's output hashes are in TestData; a sample (every 10th) is checked
    /// when the dataset is beside the repository. Set PCR_JPEG_ALL_PHOTOS=1 to check all of them.
    /// </summary>
    [TestMethod]
    public void ClothingPhotosMatchJpegtranHashes()
    {
        var root = FindDataset();
        if (root is null)
        {
            Assert.Inconclusive("shared/datasets/clothing-small not found above the test directory");
            return;
        }

        bool all = Environment.GetEnvironmentVariable("PCR_JPEG_ALL_PHOTOS") == "1";
        var lines = File.ReadAllLines(Path.Combine(JpegDir, "clothing-small-jpegtran.sha256"));
        var failures = new List<string>();
        int checkedCount = 0;
        var output = new ArrayBufferWriter<byte>();
        for (int i = 0; i < lines.Length; i += all ? 1 : 10)
        {
            var line = lines[i];
            var expected = line[..64];
            var rel = line[66..];
            using var image = LibJpegNetCoefficientOracle.Read(File.ReadAllBytes(Path.Combine(root, rel)));
            output.ResetWrittenCount();
            ProgressiveJpegWriter.Write(image, output);
            var actual = Convert.ToHexStringLower(SHA256.HashData(output.WrittenSpan));
            checkedCount++;
            if (actual != expected)
            {
                failures.Add(rel);
            }
        }

        Console.WriteLine($"clothing-small: {checkedCount - failures.Count} of {checkedCount} photos byte-identical to jpegtran");
        Assert.IsEmpty(failures, "differ: " + string.Join(", ", failures.Take(20)));
    }

    internal static string? FindDataset()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "datasets", "clothing-small");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Positions of the marker that follows each scan's entropy-coded data, found by walking the file's markers.</summary>
    internal static int[] GoldenScanEnds(byte[] jpeg)
    {
        var ends = new List<int>();
        int p = 2;
        while (p + 1 < jpeg.Length)
        {
            Assert.AreEqual(0xFF, jpeg[p], $"marker expected at {p}");
            int m = jpeg[p + 1];
            if (m == 0xD9)
            {
                break;
            }

            int len = (jpeg[p + 2] << 8) | jpeg[p + 3];
            p += 2 + len;
            if (m != 0xDA)
            {
                continue;
            }

            // Entropy data: 0xFF is followed by 0x00 (stuffing) or RSTn; anything else is the next marker.
            while (!(jpeg[p] == 0xFF && jpeg[p + 1] != 0 && (jpeg[p + 1] < 0xD0 || jpeg[p + 1] > 0xD7)))
            {
                p++;
            }

            ends.Add(p);
        }

        return [.. ends];
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return n;
    }
}
