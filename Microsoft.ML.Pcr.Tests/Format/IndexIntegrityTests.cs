using Google.Protobuf;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Format.Proto;

namespace Microsoft.ML.Pcr.Tests.Format;

/// <summary>The index carries a checksum of its content: any change to it is detected at open, or leaves every row as it was.</summary>
[TestClass]
public sealed class IndexIntegrityTests
{
    private static readonly byte[] XorValues = [0x01, 0x02, 0x10, 0x80, 0xFF];

    /// <summary>Everything a reader gets from a dataset: class names, then every row in order (record, label, path, image at full fidelity and at scan 1).</summary>
    private static List<string> Rows(PcrDataset dataset)
    {
        var rows = new List<string> { "classes " + string.Join("|", dataset.ClassNames), $"scans {dataset.ScanGroupCount}" };
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            foreach (int scan in new[] { 1, dataset.ScanGroupCount })
            {
                using PcrRecordPrefix prefix = dataset.ReadRecord(r, scan);
                for (int i = 0; i < prefix.ImageCount; i++)
                    rows.Add($"{dataset.Records[r].Name} {scan} {prefix.GetLabel(i)} {prefix.GetRelativePath(i)} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(prefix.GetImage(i)))}");
            }
        }
        return rows;
    }

    /// <summary>Writes the mixed dataset into <paramref name="dir"/> and returns its index as protobuf, for a test to edit and write back.</summary>
    private static DatasetOffsetsIndex WriteAndParse(TestFiles.TempDirectory dir, out string indexPath, out int imageCount)
    {
        PcrRoundTripTests.WriteMixed(dir.Path, imagesPerRecord: 4, out var written);
        imageCount = written.Count;
        indexPath = dir.Combine(PcrIndex.FileName);
        return DatasetOffsetsIndex.Parser.ParseFrom(File.ReadAllBytes(indexPath));
    }

    [TestMethod]
    public void EveryMutationOfTheIndexIsDetectedAtOpenOrLeavesTheRowsIdentical()
    {
        using var dir = TestFiles.NewTempDirectory();
        PcrRoundTripTests.WriteMixed(dir.Path, imagesPerRecord: 4, out _);
        Dictionary<string, byte[]> files = MemoryByteSource.ReadDirectory(dir.Path);
        byte[] index = files[PcrIndex.FileName];
        List<string> expected = Rows(PcrDataset.Open(new MemoryByteSource(files)));

        var mutations = new List<(string What, byte[] Bytes)>();
        for (int at = 0; at < index.Length; at++)
        {
            foreach (byte x in XorValues)
            {
                byte[] m = (byte[])index.Clone();
                m[at] ^= x;
                mutations.Add(($"byte {at} xor {x:x2}", m));
            }
        }
        for (int length = 0; length < index.Length; length++) mutations.Add(($"truncated to {length} bytes", index[..length]));
        mutations.Add(("an unknown field appended", [.. index, 0xA8, 0x1F, 0x01])); // field 501, varint 1
        mutations.Add(("an unknown field prepended", [0xA8, 0x1F, 0x01, .. index]));

        int detected = 0, unchanged = 0;
        foreach (var (what, bytes) in mutations)
        {
            var mutated = new Dictionary<string, byte[]>(files) { [PcrIndex.FileName] = bytes };
            PcrDataset dataset;
            try
            {
                dataset = PcrDataset.Open(new MemoryByteSource(mutated));
            }
            catch (PcrFormatException)
            {
                detected++;
                continue;
            }
            CollectionAssert.AreEqual(expected, Rows(dataset), $"{what} was not detected and changed the rows");
            unchanged++;
        }
        Console.WriteLine($"{mutations.Count} mutations of a {index.Length}-byte index: {detected} detected at open, {unchanged} left the rows identical");
        Assert.IsTrue(detected > mutations.Count * 9 / 10, $"only {detected} of {mutations.Count} detected");
    }

    [TestMethod]
    public void TheChecksumSurvivesARe_SerializationOfTheSameContent()
    {
        using var dir = TestFiles.NewTempDirectory();
        DatasetOffsetsIndex parsed = WriteAndParse(dir, out string path, out _);
        Assert.IsTrue(parsed.HasIndexCrc32C);
        File.WriteAllBytes(path, parsed.ToByteArray()); // fields in number order, as any other protobuf library writes them
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        Assert.IsTrue(dataset.Index.IsChecksummed);
        Assert.AreEqual(PcrIndex.CurrentFormatVersion, dataset.Index.FormatVersion);

        parsed.Writer = "someone else"; // the same layout, other content: no longer the index that was sealed
        File.WriteAllBytes(path, parsed.ToByteArray());
        var e = Assert.ThrowsExactly<PcrFormatException>(() => PcrDataset.Open(dir.Path));
        StringAssert.Contains(e.Reason, "fails its checksum");
        StringAssert.Contains(e.FilePath, PcrIndex.FileName);
    }

    [TestMethod]
    public void ACurrentIndexWithoutItsChecksumIsRefused()
    {
        using var dir = TestFiles.NewTempDirectory();
        DatasetOffsetsIndex parsed = WriteAndParse(dir, out string path, out _);
        parsed.ClearIndexCrc32C();
        File.WriteAllBytes(path, parsed.ToByteArray());
        var e = Assert.ThrowsExactly<PcrFormatException>(() => PcrDataset.Open(dir.Path));
        StringAssert.Contains(e.Reason, "format version 2 but no checksum");

        // This project's fields without any format version: a damaged index, not one of the published converter.
        parsed.FormatVersion = 0;
        File.WriteAllBytes(path, parsed.ToByteArray());
        e = Assert.ThrowsExactly<PcrFormatException>(() => PcrDataset.Open(dir.Path));
        StringAssert.Contains(e.Reason, "no format version");
    }

    [TestMethod]
    public void VersionOneDatasetsOfThisProjectStillOpen()
    {
        using var dir = TestFiles.NewTempDirectory();
        DatasetOffsetsIndex parsed = WriteAndParse(dir, out string path, out int written);
        parsed.ClearIndexCrc32C();
        parsed.ConversionFingerprint = "";
        parsed.FormatVersion = 1; // what this project wrote before the index checksum
        File.WriteAllBytes(path, parsed.ToByteArray());

        PcrDataset dataset = PcrDataset.Open(dir.Path);
        Assert.AreEqual(1, dataset.Index.FormatVersion);
        Assert.IsFalse(dataset.Index.IsChecksummed);
        Assert.AreEqual(written, dataset.ImageCount);
        CollectionAssert.AreEqual(new[] { "color", "gray", "other" }, dataset.ClassNames.ToArray());
    }

    [TestMethod]
    public void ParsedRecordInfosAreNotChangedByOpeningADataset()
    {
        PcrDataset dataset = PcrDataset.Open(Path.Combine(TestFiles.TestData, "published", "small"));
        Assert.IsTrue(dataset.Index.Records.All(r => r.ImageCount == -1), "the published index stores no image counts, and the parsed index says so");
        Assert.IsTrue(dataset.Records.All(r => r.ImageCount > 0), "the dataset's records know their counts");
        Assert.AreEqual(dataset.ImageCount, dataset.Records.Sum(r => (long)r.ImageCount));
        Assert.AreEqual(dataset.Index.Records[1].Length, dataset.Records[1].Length);
    }

    [TestMethod]
    public void PrefixSumsOverRecordsAreTheSumOfEachPrefix()
    {
        using var dir = TestFiles.NewTempDirectory();
        PcrRoundTripTests.WriteMixed(dir.Path, imagesPerRecord: 4, out _);
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        for (int scan = 0; scan <= dataset.ScanGroupCount + 1; scan++)
        {
            long expected = 0;
            foreach (PcrRecordInfo r in dataset.Records)
            {
                int upTo = Math.Min(scan, r.ScanGroupCount);
                for (int s = 0; s <= upTo; s++) expected += r.SegmentLengths[s];
            }
            Assert.AreEqual(expected, PcrRecordInfo.SumPrefixLengths(dataset.Records, scan), $"scan {scan}");
        }
        Assert.AreEqual(0, PcrRecordInfo.SumPrefixLengths([], 3));
    }
}
