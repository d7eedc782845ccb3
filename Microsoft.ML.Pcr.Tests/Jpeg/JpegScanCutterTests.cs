using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

[TestClass]
public sealed class JpegScanCutterTests
{
    [TestMethod]
    [DynamicData(nameof(TestFiles.InputFixtures), typeof(TestFiles))]
    public void PartialsConcatenatedWithEoiGiveTheFileBack(string name)
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden(name));
        int[] ends = JpegScanCutter.FindScanEnds(jpeg, name);

        CollectionAssert.AreEqual(JpegSegments.ScanEnds(jpeg), ends, "one partial per scan, each ending where the scan's data ends");
        Assert.AreEqual(jpeg.Length - 2, ends[^1], "the last scan ends at EOI");
        for (int j = 0; j < ends.Length; j++)
        {
            Assert.AreEqual(0xFF, jpeg[ends[j]], $"scan {j + 1} ends on a marker");
            Assert.AreNotEqual(0x00, jpeg[ends[j] + 1]);
            if (j > 0) Assert.IsTrue(ends[j] > ends[j - 1]);
        }
        // Every partial after the first starts with the tables of the scan it carries (-optimize: a DHT per scan).
        for (int j = 0; j < ends.Length - 1; j++)
            Assert.IsTrue(jpeg[ends[j] + 1] is 0xC4 or 0xDA, $"partial {j + 2} starts with DHT or SOS");
    }

    [TestMethod]
    [DataRow("baseline-420.jpg", 10)]
    [DataRow("gray.jpg", 6)]
    [DataRow("cmyk-adobe.jpg", 18)]
    [DataRow("rgb-adobe.jpg", 14)]
    public void ScanCountsFollowLibjpegsSimpleProgression(string name, int scans) =>
        Assert.AreEqual(scans, JpegScanCutter.FindScanEnds(File.ReadAllBytes(TestFiles.Golden(name))).Length);

    [TestMethod]
    public void RestartMarkersAndStuffedBytesDoNotEndAScan()
    {
        // Sequential input with restart markers: one scan, which ends at EOI.
        byte[] jpeg = File.ReadAllBytes(Path.Combine(TestFiles.JpegInputs, "baseline-restart-mcus.jpg"));
        int[] ends = JpegScanCutter.FindScanEnds(jpeg);
        Assert.AreEqual(1, ends.Length);
        Assert.AreEqual(jpeg.Length - 2, ends[0]);
    }

    [TestMethod]
    public void FillBytesBeforeAMarkerStayWithTheScanBefore()
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        int[] ends = JpegScanCutter.FindScanEnds(jpeg);
        int at = ends[0];
        byte[] filled = [.. jpeg[..at], 0xFF, 0xFF, .. jpeg[at..]];

        int[] filledEnds = JpegScanCutter.FindScanEnds(filled);

        Assert.AreEqual(at + 2, filledEnds[0], "the marker starts at the last FF");
        Assert.AreEqual(ends.Length, filledEnds.Length);
    }

    [TestMethod]
    public void SegmentsBetweenTheLastScanAndEoiTravelWithTheLastPartial()
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        byte[] comment = [0xFF, 0xFE, 0x00, 0x05, (byte)'a', (byte)'b', (byte)'c'];
        byte[] withComment = [.. jpeg[..^2], .. comment, 0xFF, 0xD9];

        int[] ends = JpegScanCutter.FindScanEnds(withComment);

        Assert.AreEqual(withComment.Length - 2, ends[^1]);
    }

    [TestMethod]
    public void BadInputGetsAFormatErrorNamingTheSource()
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("baseline-420.jpg"));
        var cases = new (string what, byte[] data, string reason)[]
        {
            ("empty", [], "empty"),
            ("png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], "not a JPEG"),
            ("truncated in a scan", jpeg[..(jpeg.Length / 2)], "truncated"),
            ("no EOI", jpeg[..^2], "truncated"),
            ("bad length", [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x01, 0xFF, 0xD9], "invalid length"),
            ("segment past end", [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x40, 0x00], "runs past the end"),
            ("garbage between segments", [0xFF, 0xD8, 0x12, 0x34, 0xFF, 0xD9], "expected a marker"),
            ("no scan", [0xFF, 0xD8, 0xFF, 0xD9], "no scan"),
        };
        foreach (var (what, data, reason) in cases)
        {
            var e = Assert.ThrowsExactly<PcrFormatException>(() => JpegScanCutter.FindScanEnds(data, $"{what}.jpg"), what);
            StringAssert.Contains(e.Message, $"{what}.jpg", what);
            StringAssert.Contains(e.Reason, reason, what);
        }
    }

    [TestMethod]
    public void EveryTruncationOrMutationGivesValidScanEndsOrAFormatError()
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("progressive-420.jpg"));
        int results = 0, errors = 0;
        void Check(ReadOnlySpan<byte> data, string what)
        {
            int[] ends;
            try
            {
                ends = JpegScanCutter.FindScanEnds(data);
            }
            catch (PcrFormatException)
            {
                errors++;
                return;
            }
            results++;
            Assert.IsNotEmpty(ends, what);
            for (int j = 0; j < ends.Length; j++)
            {
                int end = ends[j];
                Assert.IsTrue(j == 0 ? end > 0 : end > ends[j - 1], $"{what}: scan end {j} ({end}) does not increase");
                // Each scan's data ends where a marker starts: 0xFF followed by neither a stuffed zero nor a restart marker.
                Assert.IsTrue(end + 1 < data.Length, $"{what}: scan end {j} ({end}) is past the data ({data.Length} bytes)");
                Assert.AreEqual(JpegMarkers.Prefix, data[end], $"{what}: scan end {j} ({end}) is not at a marker");
                Assert.IsFalse(data[end + 1] == JpegMarkers.Stuffed || JpegMarkers.IsRestart(data[end + 1]), $"{what}: scan end {j} ({end}) is inside entropy-coded data");
            }
        }

        for (int n = 0; n < jpeg.Length; n += 7) Check(jpeg.AsSpan(0, n), $"truncated at {n}");
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            byte[] copy = (byte[])jpeg.Clone();
            int at = random.Next(copy.Length);
            copy[at] = (byte)random.Next(256);
            Check(copy, $"byte {at} set to {copy[at]:x2}");
        }
        Check(jpeg, "the golden file");
        Assert.IsGreaterThan(0, results, "some inputs still cut");
        Assert.IsGreaterThan(0, errors, "some inputs are refused");
    }
}
