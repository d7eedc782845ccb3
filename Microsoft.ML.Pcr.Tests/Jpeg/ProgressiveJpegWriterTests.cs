using System.Buffers;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Decoder;
using Microsoft.ML.Pcr.Jpeg.Encoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// The progressive writer's own paths: generated coefficient images for cases real photos seldom reach, scan ends,
/// scan scripts. Its output on every input fixture and on the clothing-small photos is checked end to end, through
/// the coefficient reader, in <see cref="JpegTranscoderTests"/>.
/// </summary>
[TestClass]
public sealed class ProgressiveJpegWriterTests
{
    private static readonly string JpegDir = Path.Combine(AppContext.BaseDirectory, "TestData", "jpeg");

    public static IEnumerable<object[]> Synthetic => SyntheticCoefficientImages.Names.Select(n => new object[] { n });

    /// <summary>
    /// Rare paths on generated coefficients; golden = jpegtran's output for the writer's output.
    /// With PCR_JPEG_SYNTHETIC_OUT set, the writer's output is saved there to regenerate them.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(Synthetic))]
    public void SyntheticImagesEqualJpegtranGolden(string name)
    {
        using var image = SyntheticCoefficientImages.Create(name);
        var output = new ArrayBufferWriter<byte>();
        var scanEnds = ProgressiveJpegWriter.Write(image, output);
        var written = output.WrittenSpan.ToArray();
        var dump = Environment.GetEnvironmentVariable("PCR_JPEG_SYNTHETIC_OUT");
        if (!string.IsNullOrEmpty(dump))
        {
            File.WriteAllBytes(Path.Combine(dump, $"synthetic-{name}.jpg"), written);
        }

        var golden = File.ReadAllBytes(Path.Combine(JpegDir, "golden", $"synthetic-{name}.jpg"));
        Assert.IsTrue(golden.AsSpan().SequenceEqual(written), $"{name}: first difference at byte {FirstDifference(golden, written)} of {golden.Length}/{written.Length}");
        CollectionAssert.AreEqual(JpegSegments.ScanEnds(golden), scanEnds, $"{name}: scan ends");
    }

    [TestMethod]
    public void MoreThanFourComponentsAreRejectedAsJpegtranDoes()
    {
        // libjpeg-turbo 2.1.5 matches SOS components only among the first 4 of the frame.
        using var image = SyntheticCoefficientImages.Create("five-components");
        var output = new ArrayBufferWriter<byte>();
        Assert.ThrowsExactly<PcrFormatException>(() => ProgressiveJpegWriter.Write(image, output));
        Assert.AreEqual(0, output.WrittenCount);
    }

    [TestMethod]
    public void ScanEndsAreRelativeToTheFirstByteWritten()
    {
        var name = "baseline-420.jpg";
        using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), long.MaxValue, name);
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[] { 1, 2, 3, 4, 5 });
        var ends = ProgressiveJpegWriter.Write(image, output);
        var golden = File.ReadAllBytes(Path.Combine(JpegDir, "golden", name));
        Assert.IsTrue(output.WrittenSpan[5..].SequenceEqual(golden));
        CollectionAssert.AreEqual(JpegSegments.ScanEnds(golden), ends);
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
