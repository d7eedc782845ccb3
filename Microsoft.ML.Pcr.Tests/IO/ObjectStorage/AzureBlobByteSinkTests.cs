using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Tests.Conversion;
using static Microsoft.ML.Pcr.Tests.Tool.PcrToolRunner;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

[TestClass]
public sealed class AzureBlobByteSinkTests
{
    private const string Prefix = "out/ds";

    private static ImageFolderConversionOptions Options(bool overwrite = false, int perRecord = 3) =>
        new() { ImagesPerRecord = perRecord, Seed = 5, MaxDegreeOfParallelism = 2, Overwrite = overwrite };

    private static AzureBlobByteSink Sink(AzuriteServer server, string container) => new(server.ConnectionString, container, Prefix);

    private static AzureBlobByteSource Source(AzuriteServer server, string container) => new(server.ConnectionString, container, Prefix);

    private static byte[] Download(IPcrByteSource source, string name)
    {
        var bytes = new byte[source.GetLength(name)];
        Assert.AreEqual(bytes.Length, source.Read(name, 0, bytes));
        return bytes;
    }

    [TestMethod]
    public void ConversionIntoAContainerReadsLikeALocalConversion()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var fixture = new ImageFolderFixture();
        string container = AzuriteFixture.NewContainerName();
        ImageFolderConverter.Convert(fixture.Root, fixture.Output(), Options());

        PcrConversionResult result = ImageFolderConverter.Convert(fixture.Root, Sink(server, container), Options());

        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, result.ImageCount);
        StringAssert.EndsWith(result.OutputDirectory, $"/{container}/{Prefix}");
        StringAssert.EndsWith(result.ReportPath, $"/{Prefix}/conversion-report.json");
        AzureBlobByteSource source = Source(server, container);
        SlicedConversionTests.AssertSameRows(PcrDataset.Open(fixture.Output()), PcrDataset.Open(source), "container against local");
        // The same bytes: index, every record; and nothing else but the report (the lock blob is gone).
        var files = Sink(server, container).List();
        CollectionAssert.AreEqual(Directory.EnumerateFiles(fixture.Output()).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray(), files.ToArray());
        foreach (string name in files.Where(f => f != "conversion-report.json"))
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(fixture.Output(), name)), Download(source, name), name);
    }

    [TestMethod]
    public void ACancelledConversionCommitsNothingAndLeavesTheDatasetItReplacesReadable()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var fixture = new ImageFolderFixture();
        string container = AzuriteFixture.NewContainerName();

        using (var cts = new CancellationTokenSource())
        {
            ImageFolderConversionOptions options = Options(perRecord: 2);
            options.Progress = new SynchronousProgress(p => { if (p.ImagesDone >= 8) cts.Cancel(); });
            Assert.ThrowsExactly<OperationCanceledException>(() => ImageFolderConverter.Convert(fixture.Root, Sink(server, container), options, cts.Token));
        }
        // Records were staged as blocks, never committed: the prefix lists nothing, and nothing opens.
        CollectionAssert.AreEqual(Array.Empty<string>(), Sink(server, container).List().ToArray());
        Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(Source(server, container)));

        // The lock is released: a conversion runs, and a later replacement that is cancelled leaves it in place and readable.
        ImageFolderConverter.Convert(fixture.Root, Sink(server, container), Options());
        var before = SlicedConversionTests.Rows(PcrDataset.Open(Source(server, container)));
        using (var cts = new CancellationTokenSource())
        {
            ImageFolderConversionOptions options = Options(overwrite: true, perRecord: 2);
            options.Progress = new SynchronousProgress(p => { if (p.ImagesDone >= 8) cts.Cancel(); });
            Assert.ThrowsExactly<OperationCanceledException>(() => ImageFolderConverter.Convert(fixture.Root, Sink(server, container), options, cts.Token));
        }
        var after = SlicedConversionTests.Rows(PcrDataset.Open(Source(server, container)));
        Assert.AreEqual(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++) CollectionAssert.AreEqual(before[i].Image, after[i].Image, $"row {i}");
    }

    [TestMethod]
    public void ReplacingADatasetWithFewerRecordsRemovesTheOldOnes()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var fixture = new ImageFolderFixture();
        string container = AzuriteFixture.NewContainerName();
        ImageFolderConverter.Convert(fixture.Root, Sink(server, container), Options(perRecord: 2));
        var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(fixture.Root, Sink(server, container), Options(perRecord: 8)));
        StringAssert.Contains(e.Message, "is not empty");

        ImageFolderConverter.Convert(fixture.Root, Sink(server, container), Options(overwrite: true, perRecord: 8));

        PcrDataset dataset = PcrDataset.Open(Source(server, container));
        Assert.AreEqual(2, dataset.Records.Count);
        CollectionAssert.AreEqual(new[] { "PCR_0.pcr", "PCR_1.pcr" }, Sink(server, container).List().Where(PcrWriter.IsRecordFile).ToArray());
    }

    [TestMethod]
    public void ASecondWriterIsRefusedWhileTheLeaseIsHeld()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var fixture = new ImageFolderFixture();
        string container = AzuriteFixture.NewContainerName();
        AzureBlobByteSink sink = Sink(server, container);
        using (sink.AcquireLock(".pcr-writer.lock"))
        {
            var e = Assert.ThrowsExactly<IOException>(() => ImageFolderConverter.Convert(fixture.Root, Sink(server, container), Options()));
            StringAssert.Contains(e.Message, "Another conversion is writing into");
            StringAssert.Contains(e.Message, $"{Prefix}/.pcr-writer.lock");
        }
        ImageFolderConverter.Convert(fixture.Root, sink, Options());
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, PcrDataset.Open(Source(server, container)).ImageCount);
    }

    [TestMethod]
    public void AFileOfSeveralBlocksIsInvisibleUntilCommitted()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = AzuriteFixture.NewContainerName();
        AzureBlobByteSink sink = Sink(server, container);
        byte[] data = new byte[(9 << 20) + 123];
        new Random(3).NextBytes(data);
        using (Stream stream = sink.Create("big.bin"))
        {
            stream.Write(data.AsSpan(0, 5000));
            stream.Write(data.AsSpan(5000));
        }
        Assert.AreEqual(-1, Source(server, container).GetLength("big.bin"), "staged blocks are invisible");
        sink.Commit("big.bin");
        CollectionAssert.AreEqual(data, Download(Source(server, container), "big.bin"));
        Assert.ThrowsExactly<InvalidOperationException>(() => sink.Commit("big.bin"));
        sink.Delete("big.bin");
        sink.Delete("big.bin");
        Assert.AreEqual(0, sink.List().Count);
    }

    [TestMethod]
    public void SlicesConvertedIntoAContainerMergeIntoTheSingleConversion()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var dir = TestFiles.NewTempDirectory();
        string images = SlicedConversionTests.CleanImageFolder(dir), local = dir.Combine("single");
        string container = AzuriteFixture.NewContainerName();
        ImageFolderConverter.Convert(images, local, SlicedConversionTests.Options());
        // Each worker with a sink of its own, as on separate machines.
        for (int i = 0; i < 3; i++) ImageFolderConverter.Convert(images, Sink(server, container), SlicedConversionTests.Options(3, i));
        Assert.ThrowsExactly<FileNotFoundException>(() => PcrDataset.Open(Source(server, container)));

        ImageFolderConverter.Merge(Sink(server, container));

        AzureBlobByteSource source = Source(server, container);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(local, PcrIndex.FileName)), Download(source, PcrIndex.FileName));
        SlicedConversionTests.AssertSameRows(PcrDataset.Open(local), PcrDataset.Open(source), "merged in a container");
    }

    [TestMethod]
    public void TheCommandLineConvertsIntoVerifiesInspectsExtractsAndMergesAContainer()
    {
        AzuriteServer server = AzuriteFixture.Require();
        using var fixture = new ImageFolderFixture();
        string container = AzuriteFixture.NewContainerName();
        var client = new BlobContainerClient(server.ConnectionString, container);
        client.CreateIfNotExists();
        var permissions = BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Create
            | BlobContainerSasPermissions.Add | BlobContainerSasPermissions.Delete | BlobContainerSasPermissions.List;
        Uri sas = client.GenerateSasUri(permissions, DateTimeOffset.UtcNow.AddHours(1));
        string Location(string prefix) => new UriBuilder(sas) { Path = sas.AbsolutePath.TrimEnd('/') + "/" + prefix }.Uri.ToString();

        Run convert = RunPcr("convert", fixture.Root, Location("whole"), "--images-per-record", "4", "--jobs", "2", "--seed", "5");
        Assert.AreEqual(0, convert.ExitCode, convert.ToString());
        StringAssert.Contains(convert.Output, $"/{container}/whole");
        Assert.IsFalse(convert.Output.Contains("sig=", StringComparison.Ordinal), "the SAS token stays out of the output");
        Run verify = RunPcr("verify", Location("whole"));
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Run inspect = RunPcr("inspect", Location("whole"), "--sample", "4");
        Assert.AreEqual(0, inspect.ExitCode, inspect.ToString());
        StringAssert.Contains(inspect.Output, "mean PSNR");
        string extracted = fixture.Output("extracted");
        Run extract = RunPcr("extract", Location("whole"), "--scan", "2", "--out", extracted);
        Assert.AreEqual(0, extract.ExitCode, extract.ToString());
        Assert.AreEqual(ImageFolderFixture.GoodFiles.Length, Directory.EnumerateFiles(extracted, "*", SearchOption.AllDirectories).Count());

        Run bad = RunPcr("convert", fixture.Root, Location("sliced"), "--worker", "2", "--workers", "2");
        Assert.AreEqual(1, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Error, "--worker 2 is not below --workers 2");
        for (int i = 0; i < 2; i++)
        {
            Run worker = RunPcr("convert", fixture.Root, Location("sliced"), "--images-per-record", "4", "--jobs", "2", "--seed", "5", "--worker", $"{i}", "--workers", "2");
            Assert.AreEqual(0, worker.ExitCode, worker.ToString());
        }
        Run merge = RunPcr("merge", Location("sliced"));
        Assert.AreEqual(0, merge.ExitCode, merge.ToString());
        StringAssert.Contains(merge.Output, $"{ImageFolderFixture.GoodFiles.Length} images");
        SlicedConversionTests.AssertSameRows(
            PcrDataset.Open(new AzureBlobByteSource(server.ConnectionString, container, "whole")),
            PcrDataset.Open(new AzureBlobByteSource(server.ConnectionString, container, "sliced")), "sliced by the command line");
        Run again = RunPcr("merge", Location("sliced"));
        Assert.AreEqual(1, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Error, "holds a complete PCR dataset and no slice to merge");
    }

    /// <summary>Reports on the reporting thread (<see cref="Progress{T}"/> would post to the thread pool, after the conversion moved on).</summary>
    private sealed class SynchronousProgress(Action<PcrConversionProgress> report) : IProgress<PcrConversionProgress>
    {
        public void Report(PcrConversionProgress value) => report(value);
    }
}
