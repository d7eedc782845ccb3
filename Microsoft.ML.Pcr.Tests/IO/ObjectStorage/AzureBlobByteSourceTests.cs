using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

[TestClass]
public sealed class AzureBlobByteSourceTests
{
    private const string Prefix = "datasets/small";
    private static readonly SemaphoreSlim s_uploadGate = new(1, 1);
    private static string? s_shared;

    /// <summary>A container holding the fixture dataset under <see cref="Prefix"/>, uploaded once and never modified.</summary>
    private static async Task<string> SharedContainer(AzuriteServer server)
    {
        await s_uploadGate.WaitAsync();
        try
        {
            if (s_shared is null)
            {
                string name = AzuriteFixture.NewContainerName();
                await server.UploadDirectoryAsync(AzuriteFixture.LocalDataset, name, Prefix);
                s_shared = name;
            }
            return s_shared;
        }
        finally
        {
            s_uploadGate.Release();
        }
    }

    /// <summary>A container of its own (for tests that change blobs).</summary>
    private static async Task<string> OwnContainer(AzuriteServer server)
    {
        string name = AzuriteFixture.NewContainerName();
        await server.UploadDirectoryAsync(AzuriteFixture.LocalDataset, name, Prefix);
        return name;
    }

    internal static AzureBlobByteSourceOptions FastRetries(RequestCountingPolicy? policy = null)
    {
        var options = new AzureBlobByteSourceOptions
        {
            RetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            NetworkTimeout = TimeSpan.FromSeconds(20),
        };
        if (policy is not null) options.ClientOptions.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        return options;
    }

    internal sealed class Row
    {
        public uint Label { get; set; }
        public byte[] Image { get; set; } = [];
        public string ImagePath { get; set; } = "";
    }

    internal static List<Row> Rows(IDataView view) => [.. new MLContext(seed: 1).Data.CreateEnumerable<Row>(view, reuseRowObject: false)];

    internal static void AssertSameRows(IReadOnlyList<Row> expected, IReadOnlyList<Row> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, what);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Label, actual[i].Label, $"{what}: row {i}");
            Assert.AreEqual(expected[i].ImagePath, actual[i].ImagePath, $"{what}: row {i}");
            CollectionAssert.AreEqual(expected[i].Image, actual[i].Image, $"{what}: row {i}");
        }
    }

    private static byte[] LocalBytes(string name, long length) =>
        File.ReadAllBytes(Path.Combine(AzuriteFixture.LocalDataset, name)).AsSpan(0, checked((int)length)).ToArray();

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task EachReadIsOneRangedGetOfExactlyThePrefixAndTheCountersMatchWhatTheServerSent(bool useAsync)
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        var policy = new RequestCountingPolicy();
        var source = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries(policy));
        PcrRecordInfo record = PcrDataset.Open(AzuriteFixture.LocalDataset).Records[2];

        long expectedBytes = 0;
        var expectedRanges = new List<string>();
        foreach (int scan in new[] { 1, 3, record.ScanGroupCount })
        {
            long length = record.GetPrefixLength(scan);
            var buffer = new byte[length];
            int read = useAsync ? await source.ReadAsync(record.Name, 0, buffer) : source.Read(record.Name, 0, buffer);
            Assert.AreEqual(length, read, $"scan {scan}");
            CollectionAssert.AreEqual(LocalBytes(record.Name, length), buffer, $"scan {scan}");
            expectedBytes += length;
            expectedRanges.Add($"bytes=0-{length - 1}");
        }
        // A read inside the file, and one past its end (which asks nothing).
        var middle = new byte[50];
        Assert.AreEqual(50, useAsync ? await source.ReadAsync(record.Name, 100, middle) : source.Read(record.Name, 100, middle));
        CollectionAssert.AreEqual(LocalBytes(record.Name, 150).AsSpan(100).ToArray(), middle);
        expectedBytes += 50;
        expectedRanges.Add("bytes=100-149");
        Assert.AreEqual(0, source.Read(record.Name, record.Length, new byte[10]));

        var gets = policy.Gets(record.Name).ToList();
        CollectionAssert.AreEqual(expectedRanges, gets.Select(g => g.Range).ToList());
        Assert.IsTrue(gets.All(g => g.Status == 206), "every download is a partial-content response");
        Assert.AreEqual(expectedBytes, gets.Sum(g => g.ContentLength), "bytes the server sent");
        Assert.AreEqual(expectedBytes, source.BytesDownloaded);
        Assert.AreEqual(4, source.RangedReads);
        Assert.AreEqual(1, source.PropertyRequests, "the lengths and ETags come from one listing");
        Assert.AreEqual(0, policy.Requests.Count(r => r.Method == "HEAD"));
    }

    [TestMethod]
    public async Task LoadFromPcrFromAzuriteGivesTheLocalRowsAtSeveralScanGroupsWithOneDownloadPerRecord()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        var ml = new MLContext(seed: 1);
        var source = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries());
        PcrDataView remote = ml.Data.LoadFromPcr(source, scan: 1);
        PcrDataView local = ml.Data.LoadFromPcr(AzuriteFixture.LocalDataset, scan: 1);
        Assert.AreEqual(1, source.PropertyRequests, "one listing answers for the index and every record");

        foreach (int scan in new[] { 1, 2, 5, remote.ScanGroupCount })
        {
            long bytesBefore = source.BytesDownloaded, readsBefore = source.RangedReads;
            PcrDataView atScan = remote.WithScan(scan);
            AssertSameRows(Rows(local.WithScan(scan)), Rows(atScan), $"scan {scan}");
            Assert.AreEqual(atScan.BytesPerPass, source.BytesDownloaded - bytesBefore, $"scan {scan}: bytes over the wire are the prefixes");
            Assert.AreEqual(local.Dataset.Records.Count, source.RangedReads - readsBefore, $"scan {scan}: one download per record");
        }
        Assert.AreEqual(1, source.PropertyRequests, "nothing asked twice");
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public async Task WorkersReadingOneContainerCoverEveryImageOnceAnEpochWithEqualRows(int workers)
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        string[] all = [.. Rows(new MLContext(seed: 1).Data.LoadFromPcr(AzuriteFixture.LocalDataset)).Select(r => r.ImagePath).Order(StringComparer.Ordinal)];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var seen = new List<string>();
            int? rowsPerWorker = null;
            for (int worker = 0; worker < workers; worker++)
            {
                // Each worker is its own client, as each training process would be.
                var source = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries());
                PcrDataView view = new MLContext(seed: 1).Data.LoadFromPcr(source, scan: 2,
                    options: new() { WorkerIndex = worker, WorkerCount = workers, Shuffle = true, Seed = 5 }).ForEpoch(epoch);
                long before = source.BytesDownloaded;
                List<Row> rows = Rows(view);
                rowsPerWorker ??= rows.Count;
                Assert.AreEqual(rowsPerWorker, rows.Count, $"epoch {epoch}: worker {worker} of {workers} yields as many rows as worker 0");
                Assert.AreEqual(view.BytesPerPass, source.BytesDownloaded - before, $"epoch {epoch}, worker {worker}: exactly the prefixes of its share came over the wire");
                seen.AddRange(rows.Select(r => r.ImagePath));
            }
            CollectionAssert.AreEqual(all, seen.Distinct().Order(StringComparer.Ordinal).ToArray(), $"epoch {epoch}: together the {workers} workers cover every image");
        }
    }

    [TestMethod]
    public async Task TheCatalogTakesAContainerAddressWithASharedAccessSignature()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        Uri sas = new BlobContainerClient(server.ConnectionString, container)
            .GenerateSasUri(BlobContainerSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
        var location = new UriBuilder(sas) { Path = $"{sas.AbsolutePath}/{Prefix}" }.Uri;

        PcrDataView view = new MLContext(seed: 1).Data.LoadFromPcr(location, scan: 3, blobOptions: FastRetries());
        var source = (AzureBlobByteSource)view.Dataset.Source;
        Assert.AreEqual(container, source.ContainerName);
        Assert.AreEqual(Prefix + "/", source.Prefix);
        Assert.IsFalse(source.Location.Contains("sig=", StringComparison.Ordinal), $"no secret in messages: {source.Location}");
        Assert.AreEqual(view.Dataset.Records.Count + 1, source.PropertyRequests, "a read-only SAS cannot list: one HEAD per blob instead");
        AssertSameRows(Rows(new MLContext(seed: 1).Data.LoadFromPcr(AzuriteFixture.LocalDataset, scan: 3)), Rows(view), "scan 3 through a SAS address");
    }

    [TestMethod]
    public async Task AConnectionResetInTheMiddleOfADownloadIsRetriedAndTheRowsAreTheSame()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        // The first connection carries the listing and then the downloads; it is reset 30 KB in.
        using var proxy = new ConnectionCuttingProxy(server.Port, cutAfterBytes: 30_000);
        var policy = new RequestCountingPolicy();
        var source = new AzureBlobByteSource(AzuriteServer.ConnectionStringFor(proxy.Port), container, Prefix, FastRetries(policy));
        var ml = new MLContext(seed: 1);

        List<Row> rows = Rows(ml.Data.LoadFromPcr(source));

        Assert.AreEqual(1, proxy.Cuts, "the proxy cut one connection");
        AssertSameRows(Rows(ml.Data.LoadFromPcr(AzuriteFixture.LocalDataset)), rows, "full fidelity through a connection reset");
        int records = PcrDataset.Open(AzuriteFixture.LocalDataset).Records.Count;
        var gets = policy.Requests.Where(r => r.Method == "GET").ToList();
        // Cut inside a body, the SDK asks again for the rest only ("bytes=7694-14897"), from the same version; cut inside
        // the headers (where the cut falls depends on how the client pools connections), it sends the request again.
        bool resumed = gets.Any(g => g.Range is { } r && !r.StartsWith("bytes=0-", StringComparison.Ordinal));
        bool resent = policy.Requests.Any(r => r.Status == 0);
        Assert.IsTrue(resumed || resent, string.Join(", ", policy.Requests.Select(r => $"{r.Method} {r.Range} {r.Status}")));
    }

    [TestMethod]
    public async Task WrongCredentialsGetAnErrorNamingTheBlobAndTheCause()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        string wrongKey = server.ConnectionString.Replace(AzuriteServer.AccountKey, Convert.ToBase64String(new byte[64]), StringComparison.Ordinal);
        var source = new AzureBlobByteSource(wrongKey, container, Prefix, FastRetries());

        var e = Assert.ThrowsExactly<UnauthorizedAccessException>(() => new MLContext().Data.LoadFromPcr(source));
        StringAssert.Contains(e.Message, $"{container}/{Prefix}/{PcrIndex.FileName}");
        StringAssert.Contains(e.Message, "403");
        Assert.IsFalse(e.Message.Contains('\n'), $"one line, not the SDK's dump: {e.Message}");
    }

    [TestMethod]
    public void AMissingContainerGetsAnErrorNamingIt()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = AzuriteFixture.NewContainerName();
        var source = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries());

        var e = Assert.ThrowsExactly<FileNotFoundException>(() => new MLContext().Data.LoadFromPcr(source));
        Assert.AreEqual($"Azure Blob container '{server.BlobEndpoint}/{container}' does not exist.", e.Message);
    }

    [TestMethod]
    public async Task AMissingIndexOrRecordBlobGetsAnErrorNamingIt()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await OwnContainer(server);
        var ml = new MLContext();

        var noIndex = new AzureBlobByteSource(server.ConnectionString, container, "no/such/prefix", FastRetries());
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => ml.Data.LoadFromPcr(noIndex));
        StringAssert.Contains(e.Message, $"{container}/no/such/prefix");
        StringAssert.Contains(e.Message, "holds no PCR index");

        // A record deleted after the dataset was opened: the read names the blob.
        var source = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries());
        PcrDataView view = ml.Data.LoadFromPcr(source);
        string record = view.Dataset.Records[1].Name;
        await new BlobContainerClient(server.ConnectionString, container).DeleteBlobAsync($"{Prefix}/{record}");
        var missing = Assert.ThrowsExactly<PcrFormatException>(() => view.Dataset.ReadRecord(1, 1));
        StringAssert.Contains(missing.Message, source.Describe(record));
        StringAssert.Contains(missing.Message, "missing");
        Assert.IsInstanceOfType<FileNotFoundException>(missing.InnerException);

        // Opening again finds the index naming a record that is not there.
        var reopened = Assert.ThrowsExactly<PcrFormatException>(() => ml.Data.LoadFromPcr(new AzureBlobByteSource(server.ConnectionString, container, Prefix)));
        StringAssert.Contains(reopened.Message, source.Describe(record));
    }

    [TestMethod]
    public async Task ABlobReplacedWhileTheDatasetIsReadIsDetectedNotMixed()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await OwnContainer(server);
        var source = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries());
        PcrDataset dataset = PcrDataset.Open(source);
        using (dataset.ReadRecord(3, 1)) { }
        string name = dataset.Records[3].Name;
        string versionBefore = source.GetVersion(name)!;

        // Re-uploaded with the same bytes: a new version all the same (a new ETag).
        await new BlobContainerClient(server.ConnectionString, container).GetBlobClient($"{Prefix}/{name}")
            .UploadAsync(Path.Combine(AzuriteFixture.LocalDataset, name), overwrite: true);

        var e = Assert.ThrowsExactly<PcrFormatException>(() => dataset.ReadRecord(3, 2));
        StringAssert.Contains(e.Message, "the dataset was replaced while it was being read");
        StringAssert.Contains(e.Message, source.Describe(name));
        StringAssert.Contains(e.Message, $"bytes 0..{dataset.Records[3].GetPrefixLength(2)}");
        Assert.AreEqual(versionBefore, source.GetVersion(name), "the source stays pinned to the version it opened");
        await Assert.ThrowsExactlyAsync<PcrFormatException>(async () => await source.ReadAsync(name, 0, new byte[16]));

        var fresh = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries());
        Assert.AreNotEqual(versionBefore, fresh.GetVersion(name));
        using PcrRecordPrefix reread = PcrDataset.Open(fresh).ReadRecord(3, 2);
        Assert.AreEqual(dataset.Records[3].ImageCount, reread.ImageCount);
    }

    [TestMethod]
    public async Task ACacheOverAzuriteDownloadsOnlyTheNewBytesOfAFidelityUpgradeAndNothingForLaterEpochs()
    {
        AzuriteServer server = AzuriteFixture.Require();
        string container = await SharedContainer(server);
        using var cacheDir = TestFiles.NewTempDirectory();
        var ml = new MLContext(seed: 1);
        var policy = new RequestCountingPolicy();
        var blobs = new AzureBlobByteSource(server.ConnectionString, container, Prefix, FastRetries(policy));
        var cache = new CachedByteSource(blobs, cacheDir.Path, 64L << 20);
        PcrDataView atScan1 = ml.Data.LoadFromPcr(cache, scan: 1);
        PcrDataView local = ml.Data.LoadFromPcr(AzuriteFixture.LocalDataset, scan: 1);
        long index = blobs.BytesDownloaded;

        AssertSameRows(Rows(local), Rows(atScan1), "scan 1, first epoch");
        Assert.AreEqual(atScan1.BytesPerPass, blobs.BytesDownloaded - index);
        PcrDataView atScan3 = atScan1.WithScan(3);
        AssertSameRows(Rows(local.WithScan(3)), Rows(atScan3), "scan 3, upgraded");
        Assert.AreEqual(atScan3.BytesPerPass, blobs.BytesDownloaded - index, "the upgrade downloaded scan 3's prefixes less scan 1's");
        PcrRecordInfo record = atScan1.Dataset.Records[0];
        CollectionAssert.AreEqual(
            new[] { $"bytes=0-{record.GetPrefixLength(1) - 1}", $"bytes={record.GetPrefixLength(1)}-{record.GetPrefixLength(3) - 1}" },
            policy.Gets(record.Name).Select(g => g.Range).ToList());

        long before = blobs.RangedReads;
        AssertSameRows(Rows(local.WithScan(2)), Rows(atScan1.WithScan(2)), "scan 2, inside what is cached");
        AssertSameRows(Rows(local.WithScan(3)), Rows(atScan3), "scan 3, second epoch");
        Assert.AreEqual(before, blobs.RangedReads, "later epochs download nothing");
        Assert.AreEqual(blobs.BytesDownloaded, cache.BytesFromSource);
        Assert.AreEqual(atScan1.BytesPerPass + atScan1.WithScan(2).BytesPerPass + atScan3.BytesPerPass, cache.BytesFromCache,
            "the upgrade's cached part (scan 1's prefixes) and the two later epochs");
    }

    [TestMethod]
    public void AddressesWithoutAContainerAreRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new AzureBlobByteSource(new Uri("https://account.blob.core.windows.net/")));
        StringAssert.Contains(e.Message, "names no container");
        Assert.ThrowsExactly<ArgumentException>(() => new AzureBlobByteSource(new Uri("datasets/small", UriKind.Relative)));
        Assert.ThrowsExactly<ArgumentException>(() => new AzureBlobByteSource("", "container"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AzureBlobByteSourceOptions { MaxRetries = -1 });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AzureBlobByteSourceOptions { NetworkTimeout = TimeSpan.Zero });

        var source = new AzureBlobByteSource(new Uri("https://account.blob.core.windows.net/images/sets/clothing/?sv=2024&sig=secret"));
        Assert.AreEqual("https://account.blob.core.windows.net/images/sets/clothing", source.Location);
        Assert.AreEqual("https://account.blob.core.windows.net/images/sets/clothing/PCR_0.pcr", source.Describe("PCR_0.pcr"));
        Assert.AreEqual("images", source.ContainerName);
    }
}
