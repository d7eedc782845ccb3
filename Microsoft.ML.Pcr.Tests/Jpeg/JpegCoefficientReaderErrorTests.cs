using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Decoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>Every rejection of the coefficient reader is a <see cref="PcrFormatException"/> naming the source.</summary>
[TestClass]
public sealed class JpegCoefficientReaderErrorTests
{
    private const string Source = "forged/input.jpg";

    private static PcrFormatException Reject(byte[] jpeg, string because, long maxPixels = 100_000_000)
    {
        var e = Assert.ThrowsExactly<PcrFormatException>(() => JpegCoefficientReader.Read(jpeg, maxPixels, Source).Dispose());
        StringAssert.Contains(e.Message, Source);
        StringAssert.Contains(e.Message, because);
        Assert.IsNotNull(e.Position);
        Assert.IsNull(e.InnerException, "rejected by the safety net, not by a check: " + e.InnerException);
        return e;
    }

    private static byte[] Baseline => TestFiles.ReadInput("baseline-420.jpg");

    private static byte[] Progressive => TestFiles.ReadInput("progressive-420.jpg");

    [TestMethod]
    public void EmptyInput() => Reject([], "empty");

    [TestMethod]
    public void NotAJpeg() => Reject("\x89PNG\r\n\x1a\n0000"u8.ToArray(), "SOI");

    [TestMethod]
    public void SoiOnly() => Reject([0xFF, 0xD8], "before the first scan");

    [TestMethod]
    public void TwelveBitPrecision()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC0) + 4] = 12;
        Reject(b, "precision 12");
    }

    [TestMethod]
    [DataRow(0xC3, "lossless")]
    [DataRow(0xC7, "lossless")]
    [DataRow(0xCB, "lossless")]
    [DataRow(0xC5, "hierarchical")]
    [DataRow(0xC6, "hierarchical")]
    [DataRow(0xCD, "hierarchical")]
    [DataRow(0xCE, "hierarchical")]
    public void UnsupportedFrameTypes(int marker, string because)
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC0) + 1] = (byte)marker;
        Reject(b, because);
    }

    [TestMethod]
    [DataRow(5)]
    [DataRow(7)]
    public void ZeroWidthOrHeight(int offset)
    {
        var b = Baseline;
        int sof = JpegSegments.Find(b, 0xC0);
        b[sof + offset] = 0;
        b[sof + offset + 1] = 0;
        Reject(b, "empty image");
    }

    [TestMethod]
    [DataRow(0x00)]
    [DataRow(0x50)]
    [DataRow(0x15)]
    [DataRow(0x10)]
    public void BadSamplingFactors(int sampling)
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC0) + 11] = (byte)sampling;
        Reject(b, "sampling factors");
    }

    [TestMethod]
    public void HugeDimensionsAreRejectedBeforeAllocating()
    {
        var b = Baseline;
        int sof = JpegSegments.Find(b, 0xC0);
        b[sof + 5] = 0xEA; // 60000
        b[sof + 6] = 0x60;
        b[sof + 7] = 0xEA;
        b[sof + 8] = 0x60;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Reject(b, "exceeds the limit");
        Assert.IsLessThan(1_000_000, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void MaxPixelsIsEnforced() => Reject(Baseline, "exceeds the limit", maxPixels: (96 * 128) - 1);

    [TestMethod]
    public void UndefinedQuantizationTable()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC0) + 12] = 2; // component 0 names slot 2, never defined
        Reject(b, "quantization table 2");
    }

    [TestMethod]
    public void QuantizationSlotOutOfRange()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC0) + 12] = 9;
        Reject(b, "quantization table 9");
    }

    [TestMethod]
    public void UndefinedHuffmanTable()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xDA) + 6] = 0x23; // component 0 uses DC table 2 and AC table 3
        Reject(b, "Huffman table");
    }

    [TestMethod]
    public void ComponentCountAboveFour()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC0) + 9] = 5;
        Reject(b, "SOF marker length");
    }

    [TestMethod]
    [DataRow(0, 5, 0, 0, "Ss=0 Se=5")]       // DC scan with Se != 0
    [DataRow(1, 0, 0, 0, "Ss=1 Se=0")]       // Ss > Se
    [DataRow(0, 0, 3, 1, "Ah=3 Al=1")]       // Al != Ah - 1
    [DataRow(0, 0, 0, 14, "Al=14")]          // Al > 13
    public void BadProgressiveScanParameters(int ss, int se, int ah, int al, string because)
    {
        var b = Progressive;
        int sos = JpegSegments.Find(b, 0xDA);
        int n = b[sos + 4];
        int p = sos + 5 + (2 * n);
        b[p] = (byte)ss;
        b[p + 1] = (byte)se;
        b[p + 2] = (byte)((ah << 4) | al);
        Reject(b, because);
    }

    [TestMethod]
    public void ProgressiveAcScanWithSeveralComponents()
    {
        var b = Progressive;
        int sos = JpegSegments.Find(b, 0xDA);
        int n = b[sos + 4];
        Assert.IsGreaterThan(1, n, "fixture's first scan should be an interleaved DC scan");
        b[sos + 5 + (2 * n)] = 1;
        b[sos + 6 + (2 * n)] = 5;
        Reject(b, "invalid progressive scan parameters");
    }

    [TestMethod]
    [DataRow(0xDB)]
    [DataRow(0xC4)]
    [DataRow(0xE0)]
    public void SegmentLengthPastTheEnd(int marker)
    {
        var b = Baseline;
        int at = JpegSegments.Find(b, marker);
        var cut = b[..(at + 40)];
        cut[at + 2] = 0xFF;
        cut[at + 3] = 0xF0;
        Reject(cut, "past the end");
    }

    [TestMethod]
    public void BadSegmentLength()
    {
        var b = Baseline;
        int at = JpegSegments.Find(b, 0xDB);
        b[at + 3]++; // DQT one byte longer than its tables
        Reject(b, "quantization table");
    }

    [TestMethod]
    public void ScanBeforeFrame()
    {
        var b = Baseline;
        int sof = JpegSegments.Find(b, 0xC0);
        b[sof + 1] = 0xEF; // the SOF becomes an APP15 segment, skipped
        Reject(b, "before any SOF");
    }

    [TestMethod]
    public void FrameWithoutScan()
    {
        var b = Baseline;
        int sos = JpegSegments.Find(b, 0xDA);
        Reject([.. b[..sos], 0xFF, 0xD9], "EOI before the first scan");
    }

    [TestMethod]
    public void TruncatedInsideHeader()
    {
        var b = Baseline;
        Reject(b[..(JpegSegments.Find(b, 0xC4) + 10)], "past the end");
    }

    [TestMethod]
    public void UnknownMarker()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xDB) + 1] = 0xF0; // JPG0 extension marker
        Reject(b, "unknown");
    }

    [TestMethod]
    public void BadHuffmanTableIndex()
    {
        var b = Baseline;
        b[JpegSegments.Find(b, 0xC4) + 4] = 0x05;
        Reject(b, "Huffman table index");
    }

    [TestMethod]
    public void OverfullHuffmanTable()
    {
        var b = Baseline;
        int dht = JpegSegments.Find(b, 0xC4);
        Assert.AreEqual(0x00, b[dht + 4], "first table should be DC 0");
        b[dht + 5] = 3; // three 1-bit codes cannot exist
        b[dht + 6] = 0;
        Reject(b, "Huffman");
    }
}
