using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// Compares the coefficient reader with LibJpeg.NET: on jpegtran's golden output of every fixture
/// (lossless, so it holds the input's coefficients), and on the inputs where LibJpeg.NET decodes right.
/// </summary>
[TestClass]
public sealed class JpegCoefficientReaderTests
{
    private const long MaxPixels = 100_000_000;

    /// <summary>Inputs LibJpeg.NET cannot decode right: arithmetic coding, and progressive with restart intervals.</summary>
    private static bool OracleReadsInput(string name) =>
        !name.StartsWith("arithmetic-", StringComparison.Ordinal) && !name.StartsWith("progressive-restart", StringComparison.Ordinal);

    public static IEnumerable<object[]> Fixtures => JpegTestFiles.AllFixtures;

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void InputCoefficientsEqualGoldenCoefficients(string name)
    {
        var expected = JpegOracle.Read(JpegTestFiles.Golden(name), out _);
        using var image = JpegCoefficientReader.Read(JpegTestFiles.Input(name), MaxPixels, name);
        AssertSameCoefficients(expected, image, name);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void InputCoefficientsEqualLibJpegNetOnInput(string name)
    {
        if (!OracleReadsInput(name))
        {
            Assert.Inconclusive("LibJpeg.NET does not decode this kind right; covered by the golden comparison.");
        }

        var input = JpegTestFiles.Input(name);
        var expected = JpegOracle.Read(input, out _);
        using var image = JpegCoefficientReader.Read(input, MaxPixels, name);
        AssertSameCoefficients(expected, image, name);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void GoldenFileReadsToItsOwnCoefficients(string name)
    {
        var golden = JpegTestFiles.Golden(name);
        var expected = JpegOracle.Read(golden, out _);
        using var image = JpegCoefficientReader.Read(golden, MaxPixels, name);
        AssertSameCoefficients(expected, image, name);
        Assert.AreEqual(0xC2, image.FrameMarker);
        Assert.IsEmpty(image.Warnings);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void GeometryMatchesLibjpeg(string name)
    {
        using var image = JpegCoefficientReader.Read(JpegTestFiles.Input(name), MaxPixels, name);
        foreach (var c in image.Components)
        {
            Assert.AreEqual(CeilDiv(CeilDiv(image.Width * c.HSamp, image.MaxHSamp), 8), c.WidthInBlocks);
            Assert.AreEqual(CeilDiv(CeilDiv(image.Height * c.VSamp, image.MaxVSamp), 8), c.HeightInBlocks);
            Assert.AreEqual(CeilDiv(c.WidthInBlocks, c.HSamp) * c.HSamp, c.BlocksPerRow);
            Assert.AreEqual(CeilDiv(c.HeightInBlocks, c.VSamp) * c.VSamp, c.BlockRows);
            Assert.IsGreaterThanOrEqualTo(c.BlocksPerRow * c.BlockRows * 64, c.Coefficients.Length);
            CollectionAssert.AreEqual(image.QuantTables[c.QuantTableSlot], c.QuantTable);
        }
    }

    [TestMethod]
    [DataRow("baseline-420.jpg", true, 1, 1, false, 0)]
    [DataRow("jfif-major-2.jpg", true, 2, 1, false, 0)]
    [DataRow("exif-no-jfif.jpg", false, 1, 1, false, 0)]
    [DataRow("rgb-adobe.jpg", false, 1, 1, true, 0)]
    [DataRow("cmyk-adobe.jpg", false, 1, 1, true, 0)]
    [DataRow("ycck-adobe.jpg", false, 1, 1, true, 2)]
    [DataRow("jfif-and-adobe.jpg", true, 1, 1, true, 0)]
    [DataRow("rgb-ids-no-markers.jpg", false, 1, 1, false, 0)]
    [DataRow("jfif-rgb-ids.jpg", true, 1, 1, false, 0)]
    public void RecordsJfifAndAdobeMarkers(string name, bool jfif, int major, int minor, bool adobe, int transform)
    {
        using var image = JpegCoefficientReader.Read(JpegTestFiles.Input(name), MaxPixels, name);
        Assert.AreEqual(jfif, image.SawJfif);
        Assert.AreEqual(major, image.JfifMajor);
        Assert.AreEqual(minor, image.JfifMinor);
        Assert.AreEqual(adobe, image.SawAdobe);
        Assert.AreEqual(transform, image.AdobeTransform);
    }

    [TestMethod]
    public void RecordsComponentIdsAndFrameKind()
    {
        using (var rgb = JpegCoefficientReader.Read(JpegTestFiles.Input("jfif-rgb-ids.jpg"), MaxPixels, null))
        {
            CollectionAssert.AreEqual(new byte[] { (byte)'R', (byte)'G', (byte)'B' }, rgb.Components.Select(c => c.Id).ToArray());
        }

        using var sof1 = JpegCoefficientReader.Read(JpegTestFiles.Input("extended-sequential-sof1.jpg"), MaxPixels, null);
        Assert.AreEqual(0xC1, sof1.FrameMarker);
        using var arith = JpegCoefficientReader.Read(JpegTestFiles.Input("arithmetic-progressive.jpg"), MaxPixels, null);
        Assert.AreEqual(0xCA, arith.FrameMarker);
        Assert.IsTrue(arith.IsProgressive && arith.IsArithmetic);
    }

    [TestMethod]
    [DataRow("truncated-baseline.jpg")]
    [DataRow("truncated-progressive.jpg")]
    public void TruncatedInputWarns(string name)
    {
        using var image = JpegCoefficientReader.Read(JpegTestFiles.Input(name), MaxPixels, name);
        Assert.IsNotEmpty(image.Warnings);
    }

    [TestMethod]
    public void IntactInputsDoNotWarn()
    {
        foreach (var row in JpegTestFiles.AllFixtures)
        {
            var name = (string)row[0];
            if (name.StartsWith("truncated", StringComparison.Ordinal) || name == "jfif-major-2.jpg")
            {
                continue;
            }

            using var image = JpegCoefficientReader.Read(JpegTestFiles.Input(name), MaxPixels, name);
            Assert.IsEmpty(image.Warnings, name + ": " + string.Join("; ", image.Warnings));
        }
    }

    [TestMethod]
    public void ClothingPhotosMatchLibJpegNet()
    {
        var root = JpegTestFiles.FindClothingSmall();
        if (root is null)
        {
            Assert.Inconclusive("shared/datasets/clothing-small not found");
        }

        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        int compared = 0;
        for (int i = 0; i < files.Length; i += 20)
        {
            var bytes = File.ReadAllBytes(files[i]);
            var expected = JpegOracle.Read(bytes, out int oracleWarnings);
            using var image = JpegCoefficientReader.Read(bytes, MaxPixels, files[i]);
            if (image.IsProgressive && oracleWarnings > 0)
            {
                continue; // LibJpeg.NET's known progressive+DRI fault
            }

            AssertSameCoefficients(expected, image, files[i]);
            compared++;
        }

        Assert.IsGreaterThan(0, compared);
    }

    internal static void AssertSameCoefficients(OracleComponent[] expected, JpegCoefficientImage image, string name)
    {
        Assert.HasCount(expected.Length, image.Components, name);
        for (int ci = 0; ci < expected.Length; ci++)
        {
            var e = expected[ci];
            var c = image.Components[ci];
            Assert.AreEqual(e.Id, c.Id, $"{name} component {ci} id");
            Assert.AreEqual(e.WidthInBlocks, c.WidthInBlocks, $"{name} component {ci} width in blocks");
            Assert.AreEqual(e.HeightInBlocks, c.HeightInBlocks, $"{name} component {ci} height in blocks");
            CollectionAssert.AreEqual(e.QuantZigzag, c.QuantTable, $"{name} component {ci} quantization table");
            for (int row = 0; row < e.HeightInBlocks; row++)
            {
                for (int col = 0; col < e.WidthInBlocks; col++)
                {
                    var want = e.Blocks[(row * e.WidthInBlocks) + col];
                    var got = c.Block(row, col);
                    if (!got.SequenceEqual(want))
                    {
                        Assert.Fail($"{name} component {ci} block ({row},{col}) differs: expected [{string.Join(",", want)}] got [{string.Join(",", got.ToArray())}]");
                    }
                }
            }
        }
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
