using Google.Protobuf;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Format.Proto;

namespace Microsoft.ML.Pcr.Tests.Format;

/// <summary>Every kind of bad dataset gets the project's error, naming the file, the record and the cause.</summary>
[TestClass]
public sealed class MalformedDatasetTests
{
    private static TestFiles.TempDirectory NewDataset(int imagesPerRecord = 4)
    {
        var dir = TestFiles.NewTempDirectory();
        PcrRoundTripTests.WriteMixed(dir.Path, imagesPerRecord, out _);
        return dir;
    }

    private static DatasetOffsetsIndex LoadIndex(string dir) =>
        DatasetOffsetsIndex.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, PcrIndex.FileName)));

    private static void SaveIndex(string dir, DatasetOffsetsIndex index) => TestFiles.SaveSealedIndex(dir, index);

    private static PcrFormatException AssertFormatError(Action action, string reasonPart, string? filePart = null, string? record = null)
    {
        var e = Assert.ThrowsExactly<PcrFormatException>(action);
        StringAssert.Contains(e.Reason, reasonPart);
        if (filePart is not null) StringAssert.Contains(e.FilePath, filePart);
        if (record is not null) Assert.AreEqual(record, e.Record);
        return e;
    }

    [TestMethod]
    public void MissingDirectoryOrIndexIsFileNotFoundWithThePath()
    {
        using var dir = TestFiles.NewTempDirectory();
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(dir.Combine("nope")));
        StringAssert.Contains(e.FileName, "nope");
        e = Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(dir.Path));
        StringAssert.Contains(e.FileName, PcrIndex.FileName);
    }

    [TestMethod]
    public void TruncatedRecordFile()
    {
        using var dir = NewDataset();
        string record = dir.Combine("PCR_1.pcr");
        byte[] bytes = File.ReadAllBytes(record);
        File.WriteAllBytes(record, bytes[..(bytes.Length - 10)]);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "the file has", "PCR_1.pcr", "PCR_1.pcr");
    }

    [TestMethod]
    public void RecordTruncatedAfterOpening()
    {
        using var dir = NewDataset();
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        string record = dir.Combine("PCR_0.pcr");
        File.WriteAllBytes(record, File.ReadAllBytes(record)[..40]);
        AssertFormatError(() => dataset.ReadRecord(0, 5).Dispose(), "ends after 40 bytes", "PCR_0.pcr", "PCR_0.pcr");
    }

    [TestMethod]
    public void FlippedByteFailsTheChecksumOfItsSegment()
    {
        using var dir = NewDataset();
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        PcrRecordInfo info = dataset.Records[0];
        int scanTwoStart = info.SegmentLengths[0] + info.SegmentLengths[1];
        string record = dir.Combine("PCR_0.pcr");
        byte[] bytes = File.ReadAllBytes(record);
        bytes[scanTwoStart + 20] ^= 0x40;
        File.WriteAllBytes(record, bytes);

        using (dataset.ReadRecord(0, 1)) { } // scan group 2 is not read, so not checked
        var e = AssertFormatError(() => dataset.ReadRecord(0, 2).Dispose(), "CRC-32C mismatch in scan group 2", "PCR_0.pcr", "PCR_0.pcr");
        Assert.AreEqual(scanTwoStart, e.Position);
    }

    [TestMethod]
    public void NegativeOffset()
    {
        using var dir = NewDataset();
        var index = LoadIndex(dir.Path);
        index.Records[1].Offsets[2] = -4;
        SaveIndex(dir.Path, index);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "offset 2 is negative", PcrIndex.FileName, "PCR_1.pcr");
    }

    [TestMethod]
    public void OffsetsThatOverflow()
    {
        using var dir = NewDataset();
        var index = LoadIndex(dir.Path);
        index.Records[0].Offsets[1] = int.MaxValue;
        index.Records[0].Offsets[2] = int.MaxValue;
        index.Records[0].SegmentCrc32C.Clear();
        SaveIndex(dir.Path, index);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "more than one read can hold", PcrIndex.FileName, "PCR_0.pcr");
    }

    [TestMethod]
    public void OffsetsRunningPastTheEndOfTheFile()
    {
        using var dir = NewDataset();
        var index = LoadIndex(dir.Path);
        index.Records[2].Offsets[^1] += 1000;
        SaveIndex(dir.Path, index);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "the index says the record is", "PCR_2.pcr", "PCR_2.pcr");
    }

    [TestMethod]
    public void RecordListedButMissing()
    {
        using var dir = NewDataset();
        File.Delete(dir.Combine("PCR_1.pcr"));
        AssertFormatError(() => PcrDataset.Open(dir.Path), "its file is missing", "PCR_1.pcr", "PCR_1.pcr");
    }

    [TestMethod]
    public void DuplicateEntriesThatDisagree()
    {
        using var dir = NewDataset();
        var index = LoadIndex(dir.Path);
        RecordOffsetsIndex copy = index.Records[0].Clone();
        copy.Offsets[1] += 1;
        index.Records.Add(copy);
        SaveIndex(dir.Path, index);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "twice with different offsets", PcrIndex.FileName, "PCR_0.pcr");
    }

    [TestMethod]
    public void DuplicateEntriesThatAgreeAreOneRecord()
    {
        using var dir = NewDataset();
        var index = LoadIndex(dir.Path);
        index.Records.Add(index.Records[1].Clone());
        index.Records.Add(index.Records[0].Clone());
        SaveIndex(dir.Path, index);
        Assert.AreEqual(3, PcrDataset.Open(dir.Path).Records.Count);
    }

    [TestMethod]
    public void EmptyIndexFile()
    {
        using var dir = NewDataset();
        File.WriteAllBytes(dir.Combine(PcrIndex.FileName), []);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "lists no records", PcrIndex.FileName);
    }

    [TestMethod]
    public void IndexThatIsNotProtobuf()
    {
        using var dir = NewDataset();
        File.WriteAllBytes(dir.Combine(PcrIndex.FileName), [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "not a valid PCR index", PcrIndex.FileName);
    }

    [TestMethod]
    public void EmptyRecordFile()
    {
        using var dir = NewDataset();
        File.WriteAllBytes(dir.Combine("PCR_0.pcr"), []);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "the file has 0", "PCR_0.pcr", "PCR_0.pcr");
    }

    [TestMethod]
    public void VersionTwoRecordsAreRefused()
    {
        using var dir = TestFiles.NewTempDirectory();
        var meta = new MetadataRecord { ProgressiveLevels = 1, Version = 2 };
        meta.Labels.Add(0);
        byte[] metaBytes = meta.ToByteArray();
        byte[] scan = [0xFF, 0xD8, 0xFF, 0xD9];
        File.WriteAllBytes(dir.Combine("PCR_0.pcr"), [.. metaBytes, .. scan]);
        var index = new DatasetOffsetsIndex();
        index.Records.Add(new RecordOffsetsIndex { Name = "PCR_0.pcr", Offsets = { metaBytes.Length, scan.Length } });
        SaveIndex(dir.Path, index);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "version 2", "PCR_0.pcr", "PCR_0.pcr");
    }

    [TestMethod]
    public void ScanGroupWithTheWrongNumberOfEntries()
    {
        using var dir = TestFiles.NewTempDirectory();
        var meta = new MetadataRecord { ProgressiveLevels = 1, Version = 1 };
        meta.Labels.Add(0);
        meta.Labels.Add(0);
        byte[] metaBytes = meta.ToByteArray();
        var group = new ScanGroup { ImageBytes = { ByteString.CopyFrom(0xFF, 0xD8, 0xFF, 0xDA) } };
        byte[] scan = group.ToByteArray();
        File.WriteAllBytes(dir.Combine("PCR_0.pcr"), [.. metaBytes, .. scan]);
        var index = new DatasetOffsetsIndex();
        index.Records.Add(new RecordOffsetsIndex { Name = "PCR_0.pcr", Offsets = { metaBytes.Length, scan.Length } });
        SaveIndex(dir.Path, index);
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        AssertFormatError(() => dataset.ReadRecord(0, 1).Dispose(), "scan group 1 has 1 entries for 2 images", "PCR_0.pcr", "PCR_0.pcr");
    }

    [TestMethod]
    public void RecordNamesThatEscapeTheDirectoryAreRefused()
    {
        using var dir = NewDataset();
        var index = LoadIndex(dir.Path);
        index.Records[0].Name = "../PCR_0.pcr";
        SaveIndex(dir.Path, index);
        AssertFormatError(() => PcrDataset.Open(dir.Path), "not a plain file name", PcrIndex.FileName);
    }

    [TestMethod]
    public void NonJpegInputToTheWriter()
    {
        using var dir = TestFiles.NewTempDirectory();
        using var writer = new PcrWriter(dir.Path, ["a"]);
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        var e = Assert.ThrowsExactly<PcrFormatException>(() => writer.WriteRecord(0, [new PcrImageEntry(png, default, 0, "a/picture.png")]));
        StringAssert.Contains(e.Message, "a/picture.png");
        StringAssert.Contains(e.Reason, "not a JPEG");
    }

    [TestMethod]
    public void ScanOutOfRangeNamesTheValidRange()
    {
        using var dir = NewDataset();
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => dataset.ReadRecord(0, 19));
        StringAssert.Contains(e.Message, "between 1 and 18");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => dataset.ReadRecord(0, 0));
    }
}
