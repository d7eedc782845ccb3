using System.Buffers;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Conversion;

/// <summary>
/// Files whose headers declare up to 16384 x 16384 pixels but hold a few kilobytes: each is refused (or, through the
/// public transcoder, transcoded as jpegtran would, with its damage reported) at a cost in managed allocation bounded by
/// a multiple of its bytes, not by the size it declares (the 1 GB and more such a header used to cost).
/// </summary>
[TestClass]
public sealed class HostileInputTests
{
    // Bytes allocated per byte of input, plus a fixed allowance (tables, messages, the output writer's first block).
    private const long PerInputByte = 256;
    private const long Fixed = 2 << 20;

    public static IEnumerable<object[]> JpegKinds =>
        HostileImages.Kinds.Select((kind, i) => new object[] { kind, i }).Where(k => ((string)k[0]).Contains("baseline") || ((string)k[0]).Contains("progressive") || (string)k[0] == "empty-scans");

    [TestMethod]
    [DynamicData(nameof(JpegKinds))]
    public void ForgedJpegIsRefusedAtACostProportionalToItsBytes(string kind, int index)
    {
        for (int variant = 0; variant < 3; variant++)
        {
            var (_, bytes) = HostileImages.Make(index + (variant * HostileImages.Kinds.Length));
            var output = new ArrayBufferWriter<byte>(4096);
            var transcoder = new JpegTranscoder();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.ThrowsExactly<PcrFormatException>(() => transcoder.Transcode(bytes, output, $"{kind}.jpg", refuseDataLoss: true));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            StringAssert.StartsWith(e.Reason, "damaged JPEG", kind);
            Assert.AreEqual($"{kind}.jpg", e.FilePath);
            Assert.IsTrue(allocated <= Fixed + (PerInputByte * bytes.Length), $"{kind}: {allocated:N0} bytes allocated for a file of {bytes.Length:N0}");
        }
    }

    [TestMethod]
    [DataRow("arithmetic-sequential.jpg")]
    [DataRow("arithmetic-progressive.jpg")]
    public void ForgedArithmeticJpegIsRefusedAtACostProportionalToItsBytes(string seed)
    {
        byte[] input = TestFiles.ReadInput(seed);
        foreach (byte[] bytes in new[] { HostileImages.PatchJpegSize(input, 16384, 16384), HostileImages.CutAfterFirstScanHeader(HostileImages.PatchJpegSize(input, 16384, 16384), 40) })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.ThrowsExactly<PcrFormatException>(() => new JpegTranscoder().Transcode(bytes, new ArrayBufferWriter<byte>(4096), seed, refuseDataLoss: true));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            StringAssert.StartsWith(e.Reason, "damaged JPEG", seed);
            Assert.IsTrue(allocated <= Fixed + (PerInputByte * bytes.Length), $"{seed}: {allocated:N0} bytes allocated for a file of {bytes.Length:N0}");
        }
    }

    [TestMethod]
    public void PublicTranscoderKeepsJpegtransRecoveryWithoutAllocatingTheDeclaredImage()
    {
        // As jpegtran: the missing data reads as zeros and the damage is reported. The coefficient arrays stay small;
        // what remains is the writer's per-scan buffers (its DC list and symbol tokens, about 12 bytes per declared
        // block) and the 1.5 MB output, far below the 1.5 GB of a whole 16384 x 16384 coefficient image.
        foreach (int index in new[] { 0, 6 })
        {
            var (_, bytes) = HostileImages.Make(index);
            var output = new ArrayBufferWriter<byte>(4096);
            long before = GC.GetAllocatedBytesForCurrentThread();
            JpegTranscodeResult result = new JpegTranscoder().Transcode(bytes, output, "forged.jpg");
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.IsTrue(result.DataLoss, HostileImages.Kinds[index]);
            Assert.AreEqual(16384, result.Width);
            Assert.IsTrue(allocated <= 128L << 20, $"{HostileImages.Kinds[index]}: {allocated:N0} bytes allocated");
        }
    }

    [TestMethod]
    [DataRow("bmp", "BMP header declares")]
    [DataRow("png", "PNG header declares")]
    [DataRow("gif", "GIF header declares")]
    [DataRow("webp-lossless", "Webp file")]
    [DataRow("webp-lossy", "Webp file")]
    public void ForgedHeaderOfAnotherFormatIsSkippedBeforeDecoding(string kind, string reason)
    {
        int index = Array.IndexOf(HostileImages.Kinds, kind);
        var encoder = new SourceImageEncoder(new JpegTranscoder(), 90);
        for (int variant = 0; variant < 3; variant++)
        {
            var (extension, bytes) = HostileImages.Make(index + (variant * HostileImages.Kinds.Length));
            using var output = new PooledBufferWriter(1024);
            long before = GC.GetAllocatedBytesForCurrentThread();
            SourceImageEncoder.Outcome outcome = encoder.Encode(bytes, "forged" + extension, output);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.IsNotNull(outcome.SkipReason, kind);
            StringAssert.Contains(outcome.SkipReason, reason, kind);
            Assert.IsTrue(allocated <= Fixed + (PerInputByte * bytes.Length), $"{kind}: {allocated:N0} bytes allocated for a file of {bytes.Length:N0}");
        }
    }

    [TestMethod]
    public void ConverterSkipsAndNamesEveryHostileFile()
    {
        using var dir = TestFiles.NewTempDirectory();
        string root = dir.Combine("images");
        int count = HostileImages.Kinds.Length * 2;
        HostileImages.WriteFolder(root, count);
        string good = Path.Combine(root, "good");
        Directory.CreateDirectory(good);
        File.Copy(Path.Combine(TestFiles.JpegInputs, "baseline-420.jpg"), Path.Combine(good, "ok.jpg"));

        PcrConversionResult result = ImageFolderConverter.Convert(root, dir.Combine("out"), new ImageFolderConversionOptions { ImagesPerRecord = 4 });

        Assert.AreEqual(1, result.ImageCount);
        string[] expected = [.. Directory.GetFiles(Path.Combine(root, "forged")).Select(f => "forged/" + Path.GetFileName(f)).Order(StringComparer.Ordinal)];
        Assert.AreEqual(count, expected.Length);
        CollectionAssert.AreEqual(expected, result.Skipped.Select(s => s.RelativePath).ToArray());
        Assert.IsTrue(result.Skipped.All(s => s.Reason.Length > 0));
    }
}
