using Google.Protobuf;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Format.Proto;

namespace Microsoft.ML.Pcr.Tests.Format;

/// <summary>
/// Datasets of the published converter store no class names and no checksums, so their largest label decides the class count: a damaged
/// label is a format error naming the record and the label, never a huge schema or an overflow.
/// </summary>
[TestClass]
public sealed class LabelBoundTests
{
    /// <summary>Copies the published "small" dataset and sets label <paramref name="image"/> of record <paramref name="record"/> to <paramref name="label"/>.</summary>
    private static TestFiles.TempDirectory PublishedWithLabel(string record, int image, int label)
    {
        var dir = TestFiles.NewTempDirectory();
        string source = Path.Combine(TestFiles.TestData, "published", "small");
        foreach (string file in Directory.EnumerateFiles(source)) File.Copy(file, dir.Combine(Path.GetFileName(file)));

        DatasetOffsetsIndex index = DatasetOffsetsIndex.Parser.ParseFrom(File.ReadAllBytes(dir.Combine(PcrIndex.FileName)));
        RecordOffsetsIndex entry = index.Records.First(r => r.Name == record);
        byte[] bytes = File.ReadAllBytes(dir.Combine(record));
        MetadataRecord meta = MetadataRecord.Parser.ParseFrom(bytes.AsSpan(0, entry.Offsets[0]));
        meta.Labels[image] = label;
        byte[] newMeta = meta.ToByteArray();
        File.WriteAllBytes(dir.Combine(record), [.. newMeta, .. bytes.AsSpan(entry.Offsets[0])]);
        foreach (RecordOffsetsIndex e in index.Records.Where(r => r.Name == record)) e.Offsets[0] = newMeta.Length; // every duplicate entry
        File.WriteAllBytes(dir.Combine(PcrIndex.FileName), index.ToByteArray());
        return dir;
    }

    [TestMethod]
    [DataRow(104_190_271)]
    [DataRow(int.MaxValue)]
    [DataRow(PcrDataset.MaxClassCount)]
    public void ALabelFarBeyondTheImagesIsAFormatErrorNamingRecordAndLabel(int label)
    {
        using var dir = PublishedWithLabel("PCR_1.pcr", 2, label);
        var e = Assert.ThrowsExactly<PcrFormatException>(() => PcrDataset.Open(dir.Path));
        Assert.AreEqual("PCR_1.pcr", e.Record);
        StringAssert.Contains(e.Reason, $"label {label} implies more classes");
        StringAssert.Contains(e.FilePath, "PCR_1.pcr");

        PcrDataset lenient = PcrDataset.Open(new Microsoft.ML.Pcr.IO.FileByteSource(dir.Path), skipDamagedRecords: true);
        Assert.AreEqual(2, lenient.Records.Count);
        Assert.AreEqual("PCR_1.pcr", lenient.DamagedRecords.Single().Name);
        Assert.AreEqual(3, lenient.ClassNames.Count, "the damaged label does not make classes");

        var ml = new MLContext(seed: 1);
        PcrDataView view = ml.Data.LoadFromPcr(dir.Path, options: new PcrLoader.Options { SkipCorruptRecords = true });
        Assert.AreEqual(1, view.SkippedRecords);
        Assert.AreEqual(3UL, ((Microsoft.ML.Data.KeyDataViewType)view.Schema["Label"].Type).Count);
    }

    [TestMethod]
    public void ALabelWithinTheMarginForClassesWithoutImagesIsAccepted()
    {
        // 15 images: labels up to 15 + 1,024 - 1 may be classes without images (empty class folders still get their label).
        using var dir = PublishedWithLabel("PCR_0.pcr", 0, 15 + 1024 - 1);
        PcrDataset dataset = PcrDataset.Open(dir.Path);
        Assert.AreEqual(15 + 1024, dataset.ClassNames.Count);

        using var beyond = PublishedWithLabel("PCR_0.pcr", 0, 15 + 1024);
        Assert.ThrowsExactly<PcrFormatException>(() => PcrDataset.Open(beyond.Path));
    }
}
