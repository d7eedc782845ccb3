using System.Security.Cryptography;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>The transcoder end to end against jpegtran's output, committed as golden files and hashes.</summary>
[TestClass]
public sealed class JpegTranscoderTests
{
    [TestMethod]
    [DynamicData(nameof(TestFiles.InputFixtures), typeof(TestFiles))]
    public void OutputIsByteIdenticalToJpegtran(string name)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(TestFiles.JpegInputs, name));
        byte[] golden = File.ReadAllBytes(TestFiles.Golden(name));

        byte[] output = new JpegTranscoder().Transcode(input, out JpegTranscodeResult result, name);

        CollectionAssert.AreEqual(golden, output, $"{name}: {output.Length} bytes against jpegtran's {golden.Length}");
        Assert.AreEqual(output.Length, result.Length);
        CollectionAssert.AreEqual(JpegSegments.ScanEnds(golden), result.ScanEnds.ToArray(), "scan ends given while writing are where each scan's data ends");
        bool truncated = name.StartsWith("truncated", StringComparison.Ordinal);
        Assert.AreEqual(truncated, result.DataLoss, "data lost only in the truncated inputs");
        Assert.AreEqual(truncated || name == "jfif-major-2.jpg", result.Warnings.Count > 0, "jpegtran warns for the truncated inputs and JFIF 2.01");
    }

    [TestMethod]
    public void ResultsOfTheSameTranscodeAreEqualAndImmutable()
    {
        byte[] input = TestFiles.ReadInput("baseline-420.jpg");
        var transcoder = new JpegTranscoder();
        transcoder.Transcode(input, out JpegTranscodeResult first);
        transcoder.Transcode(input, out JpegTranscodeResult second);
        Assert.AreNotSame(first, second);
        Assert.AreEqual(first, second, "records compare their scan ends by value");
        Assert.AreEqual(first.GetHashCode(), second.GetHashCode());
        Assert.AreNotEqual(first, second with { ScanEnds = second.ScanEnds[..^1] });
    }

    [TestMethod]
    public void ClothingSmallPhotosMatchJpegtranHashes()
    {
        string root = TestFiles.RequireClothingSmall();
        string[] manifest = File.ReadAllLines(Path.Combine(TestFiles.TestData, "jpeg", "clothing-small-jpegtran.sha256"));
        var transcoder = new JpegTranscoder();
        int checkedCount = 0;
        var mismatches = new List<string>();
        // Every 7th of 3,781 (~540 photos, every class and split); PCR_JPEG_ALL_PHOTOS=1 checks them all.
        int step = Environment.GetEnvironmentVariable("PCR_JPEG_ALL_PHOTOS") == "1" ? 1 : 7;
        for (int i = 0; i < manifest.Length; i += step)
        {
            string hash = manifest[i][..64], path = manifest[i][66..];
            byte[] output = transcoder.Transcode(File.ReadAllBytes(Path.Combine(root, path)), out _, path);
            if (!Convert.ToHexStringLower(SHA256.HashData(output)).Equals(hash, StringComparison.Ordinal)) mismatches.Add(path);
            checkedCount++;
        }
        Assert.AreEqual(0, mismatches.Count, $"{mismatches.Count} of {checkedCount} differ from jpegtran, e.g. {string.Join(", ", mismatches.Take(3))}");
    }
}
