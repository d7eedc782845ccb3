using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Tests.Conversion;
using Microsoft.ML.Pcr.Tests.IO.ObjectStorage;
using Microsoft.ML.Pcr.Tests.Training;

namespace Microsoft.ML.Pcr.Tests.Samples;

/// <summary>The README's object-storage, CNN and automatic scan policy snippets (samples/ReadmeSnippets) run as copied: against Azurite, and on a small generated dataset.</summary>
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

    [TestMethod]
    public void TheAutomaticScanPolicySnippetMeasuresBeforeEpochOneAndReadsTheChosenScanGroups()
    {
        // 4 epochs: scan 1 first, a measurement before epoch 1, its choice holding for epochs 1-3 (the next is before epoch 4).
        IReadOnlyList<Microsoft.ML.Pcr.Training.PcrTrainingEpochMetrics> epochs = ReadmeSnippets.AutomaticScanChoice.Train(TrainerTestData.TrainPcr, TrainerTestData.TestPcr, bytesPerSecond: 20e6, epochs: 4);

        PcrDataset dataset = PcrDataset.Open(TrainerTestData.TrainPcr);
        Assert.HasCount(4, epochs);
        Assert.AreEqual(1, epochs[0].Scan, "InitialScan");
        CollectionAssert.AreEqual(new[] { false, true, false, false }, epochs.Select(e => e.ScanDecision is not null).ToArray());
        Microsoft.ML.Pcr.Training.ScanDecision decision = epochs[1].ScanDecision!;
        CollectionAssert.AreEqual(new[] { 1, 2, 5, dataset.ScanGroupCount }, decision.Candidates.ToArray());
        Assert.IsTrue(epochs.Skip(1).All(e => e.Scan == decision.Scan), "the choice holds until the next measurement");
        foreach (Microsoft.ML.Pcr.Training.PcrTrainingEpochMetrics e in epochs)
        {
            Assert.AreEqual(PcrRecordInfo.SumPrefixLengths(dataset.Records, e.Scan), e.BytesRead, $"epoch {e.Epoch} read its scan group's prefixes");
            Assert.IsNotNull(e.ValidationAccuracy, "validated at full fidelity");
        }
        Assert.IsGreaterThan(0L, decision.BytesRead);
        Assert.IsLessThanOrEqualTo(PcrRecordInfo.SumPrefixLengths(dataset.Records, dataset.ScanGroupCount), decision.BytesRead, "a measurement reads at most one full-fidelity pass");
    }
}
