using System.Text.Json;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Tests.Format;

/// <summary>Reads datasets written by the published converter (PCR_Release), against their manifests.</summary>
[TestClass]
public sealed class PublishedDatasetTests
{
    private static string Published(params string[] parts) => Path.Combine([TestFiles.TestData, "published", .. parts]);

    [TestMethod]
    [DataRow("small", 3, 15)]
    [DataRow("single-record", 1, 11)]
    public void ReadsEveryRecordAsTheManifestSays(string name, int records, int images)
    {
        PcrDataset dataset = PcrDataset.Open(Published(name));
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Published(name, "manifest.json")));

        Assert.AreEqual(records, dataset.Records.Count, "duplicate index entries collapse to one record each");
        Assert.AreEqual(images, dataset.ImageCount, "the published converter repeats the previous record when N >= B");
        Assert.AreEqual(0, dataset.Index.FormatVersion);
        Assert.IsNull(dataset.Index.ClassNames);
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, dataset.ClassNames.ToArray(), "no class names stored: labels as text");

        JsonElement[] expected = [.. manifest.RootElement.GetProperty("records").EnumerateArray()];
        for (int r = 0; r < dataset.Records.Count; r++)
        {
            Assert.AreEqual(expected[r].GetProperty("name").GetString(), dataset.Records[r].Name);
            int[] labels = [.. expected[r].GetProperty("labels").EnumerateArray().Select(e => e.GetInt32())];
            string[] files = [.. expected[r].GetProperty("files").EnumerateArray().Select(e => e.GetString()!)];
            using PcrRecordPrefix full = dataset.ReadRecord(r, dataset.ScanGroupCount);
            Assert.AreEqual(labels.Length, full.ImageCount);
            for (int i = 0; i < labels.Length; i++)
            {
                Assert.AreEqual(labels[i], full.GetLabel(i));
                Assert.IsNull(full.GetRelativePath(i));
                byte[] image = full.GetImage(i);
                Assert.AreEqual(0xFF, image[0]);
                Assert.AreEqual(0xD9, image[^1]);
                Assert.IsTrue(image.Length > new FileInfo(Published("small-input", files[i])).Length / 2, $"record {r} image {i} is a whole JPEG");
            }
        }
    }

    [TestMethod]
    public void LowScansAreShorterPrefixesOfTheSameImages()
    {
        PcrDataset dataset = PcrDataset.Open(Published("small"));
        using PcrRecordPrefix one = dataset.ReadRecord(0, 1);
        using PcrRecordPrefix full = dataset.ReadRecord(0, 10);
        for (int i = 0; i < one.ImageCount; i++)
        {
            byte[] low = one.GetImage(i), high = full.GetImage(i);
            Assert.IsTrue(low.Length < high.Length);
            CollectionAssert.AreEqual(high[..(low.Length - 2)], low[..^2]);
        }
    }
}
