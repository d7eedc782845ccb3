using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Tests.Conversion;
using Microsoft.ML.Pcr.Tests.IO.ObjectStorage;
using Microsoft.ML.Pcr.Tests.Training;

namespace Microsoft.ML.Pcr.Tests.Samples;

/// <summary>The README's object-storage and CNN snippets (samples/ReadmeSnippets) run as copied: against Azurite, and on a small generated dataset.</summary>
[TestClass]
[DoNotParallelize] // the CNN trainer runs one at a time, as its own tests do
public sealed class ReadmeSnippetRunTests
{
    [TestMethod]
    public void TheObjectStorageSnippetConvertsIntoAContainerAndUpgradesThroughTheCache()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var fixture = new ImageFolderFixture();
        using var cache = TestFiles.NewTempDirectory();

        (long downloaded, long fromCache) = ReadmeSnippets.ObjectStorage.ConvertAndRead(server.ConnectionString, fixture.Root, cache.Path);

        // Scan group 2 came over the network once; the full-fidelity pass took its first part from the cache and downloaded the rest.
        var source = new Microsoft.ML.Pcr.IO.AzureBlobByteSource(server.ConnectionString, "datasets", "clothing");
        PcrDataset dataset = PcrDataset.Open(source);
        long full = PcrRecordInfo.SumPrefixLengths(dataset.Records, dataset.ScanGroupCount);
        long atTwo = PcrRecordInfo.SumPrefixLengths(dataset.Records, 2);
        Assert.AreEqual(atTwo, fromCache, "the upgrade read scan group 2's prefixes from the cache");
        Assert.IsGreaterThanOrEqualTo(full, downloaded, "every record byte came over the network once");
        Assert.IsLessThan(full + atTwo, downloaded, "no prefix was downloaded twice");
    }

    [TestMethod]
    public void TheCnnSnippetTrainsEvaluatesSavesAndReloads()
    {
        using var dir = TestFiles.NewTempDirectory();
        string photo = Directory.GetFiles(Path.Combine(TrainerTestData.TestImages, "square")).Order(StringComparer.Ordinal).First();

        var metrics = ReadmeSnippets.CnnTraining.Train(TrainerTestData.TrainPcr, TrainerTestData.TestPcr, photo, dir.Combine("model.pcrcnn"));

        Assert.IsGreaterThan(0.5, metrics.MicroAccuracy, "well above chance (33%) on three generated shapes");
        Assert.IsTrue(File.Exists(dir.Combine("model.pcrcnn")));
    }
}
