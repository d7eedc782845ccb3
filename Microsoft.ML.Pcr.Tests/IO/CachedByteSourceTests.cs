using System.Collections.Concurrent;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

namespace Microsoft.ML.Pcr.Tests.IO;

[TestClass]
public sealed class CachedByteSourceTests
{
    /// <summary>Local files standing in for object storage: every read is recorded, and versions can be changed at will.</summary>
    private sealed class RecordingSource(string directory) : IVersionedByteSource
    {
        private readonly FileByteSource _files = new(directory);

        public ConcurrentQueue<(string File, long Offset, int Length)> Reads { get; } = new();

        public ConcurrentDictionary<string, string?> Versions { get; } = new();

        public string Location => _files.Location;

        public string Describe(string fileName) => _files.Describe(fileName);

        public long GetLength(string fileName) => _files.GetLength(fileName);

        public string? GetVersion(string fileName) => Versions.TryGetValue(fileName, out string? v) ? v : "v1";

        public int Read(string fileName, long offset, Span<byte> buffer)
        {
            Reads.Enqueue((fileName, offset, buffer.Length));
            return _files.Read(fileName, offset, buffer);
        }

        public ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads.Enqueue((fileName, offset, buffer.Length));
            return _files.ReadAsync(fileName, offset, buffer, cancellationToken);
        }
    }

    private static PcrDataset Local => PcrDataset.Open(AzuriteFixture.LocalDataset);

    private static byte[] Prefix(string name, long length) =>
        File.ReadAllBytes(Path.Combine(AzuriteFixture.LocalDataset, name)).AsSpan(0, checked((int)length)).ToArray();

    private static async Task<byte[]> Read(IPcrByteSource source, string name, long length, bool useAsync)
    {
        var buffer = new byte[length];
        int read = useAsync ? await source.ReadAsync(name, 0, buffer) : source.Read(name, 0, buffer);
        Assert.AreEqual(length, read);
        return buffer;
    }

    private static int Entries(string directory) => Directory.GetFiles(directory, "*.pcrc").Length;

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task AHigherScanGroupDownloadsOnlyTheMissingRangeAndLaterReadsComeFromDisk(bool useAsync)
    {
        using var dir = TestFiles.NewTempDirectory();
        var inner = new RecordingSource(AzuriteFixture.LocalDataset);
        var cache = new CachedByteSource(inner, dir.Path, 1 << 30);
        PcrRecordInfo record = Local.Records[0];
        long p1 = record.GetPrefixLength(1), p3 = record.GetPrefixLength(3);

        CollectionAssert.AreEqual(Prefix(record.Name, p1), await Read(cache, record.Name, p1, useAsync));
        CollectionAssert.AreEqual(Prefix(record.Name, p3), await Read(cache, record.Name, p3, useAsync));
        CollectionAssert.AreEqual(Prefix(record.Name, p1), await Read(cache, record.Name, p1, useAsync));
        CollectionAssert.AreEqual(Prefix(record.Name, p3), await Read(cache, record.Name, p3, useAsync));

        CollectionAssert.AreEqual(new[] { (record.Name, 0L, (int)p1), (record.Name, p1, (int)(p3 - p1)) }, inner.Reads.ToArray(),
            "the upgrade asks for [scan 1 prefix, scan 3 prefix) only");
        Assert.AreEqual(p3, cache.BytesFromSource);
        Assert.AreEqual(p1 + p1 + p3, cache.BytesFromCache, "the upgrade's first part and both later reads");
        Assert.AreEqual(1, Entries(dir.Path));
        Assert.AreEqual(p3, new FileInfo(Directory.GetFiles(dir.Path, "*.pcrc")[0]).Length);
        Assert.AreEqual(p3, cache.EntryBytes);
    }

    [TestMethod]
    public async Task AChangedVersionIsReadAfreshAndItsOldEntryDeleted()
    {
        using var dir = TestFiles.NewTempDirectory();
        var inner = new RecordingSource(AzuriteFixture.LocalDataset);
        var cache = new CachedByteSource(inner, dir.Path, 1 << 30);
        PcrRecordInfo record = Local.Records[1];
        long p2 = record.GetPrefixLength(2);
        await Read(cache, record.Name, p2, useAsync: false);

        inner.Versions[record.Name] = "v2";
        CollectionAssert.AreEqual(Prefix(record.Name, p2), await Read(cache, record.Name, p2, useAsync: false));

        Assert.AreEqual(2, inner.Reads.Count, "the new version is downloaded whole");
        Assert.AreEqual((record.Name, 0L, (int)p2), inner.Reads.Last());
        Assert.AreEqual(1, Entries(dir.Path), "the old version's entry is gone");
    }

    [TestMethod]
    public async Task FilesWithoutAVersionAreReadThroughAndNothingIsStored()
    {
        using var dir = TestFiles.NewTempDirectory();
        var inner = new RecordingSource(AzuriteFixture.LocalDataset);
        var cache = new CachedByteSource(inner, dir.Path, 1 << 30);
        PcrRecordInfo record = Local.Records[1];
        inner.Versions[record.Name] = null;
        long length = record.GetPrefixLength(1);
        CollectionAssert.AreEqual(Prefix(record.Name, length), await Read(cache, record.Name, length, useAsync: true));
        await Read(cache, record.Name, length, useAsync: true);
        Assert.AreEqual(2, inner.Reads.Count);
        Assert.AreEqual(0, Entries(dir.Path));
        Assert.AreEqual(0, cache.BytesFromCache);
    }

    [TestMethod]
    public async Task TheLeastRecentlyUsedEntriesAreEvictedOverTheLimit()
    {
        using var dir = TestFiles.NewTempDirectory();
        var inner = new RecordingSource(AzuriteFixture.LocalDataset);
        PcrRecordInfo[] records = [.. Local.Records.Take(3)];
        long[] lengths = [.. records.Select(r => r.Length)];
        // Room for two whole records but not three.
        var cache = new CachedByteSource(inner, dir.Path, lengths.Sum() - 1);

        await Read(cache, records[0].Name, lengths[0], useAsync: false);
        await Read(cache, records[1].Name, lengths[1], useAsync: false);
        File.SetLastAccessTimeUtc(Directory.GetFiles(dir.Path).Single(f => new FileInfo(f).Length == lengths[0]), DateTime.UtcNow.AddMinutes(-10));
        File.SetLastAccessTimeUtc(Directory.GetFiles(dir.Path).Single(f => new FileInfo(f).Length == lengths[1]), DateTime.UtcNow.AddMinutes(-20));
        await Read(cache, records[0].Name, lengths[0], useAsync: false);   // a hit: record 0 becomes the most recent
        await Read(cache, records[2].Name, lengths[2], useAsync: false);   // over the limit: record 1, the oldest, goes

        Assert.IsTrue(cache.EntryBytes <= cache.MaxBytes, $"{cache.EntryBytes} <= {cache.MaxBytes}");
        inner.Reads.Clear();
        await Read(cache, records[0].Name, lengths[0], useAsync: false);
        await Read(cache, records[2].Name, lengths[2], useAsync: false);
        Assert.AreEqual(0, inner.Reads.Count, "records 0 and 2 are still cached");
        await Read(cache, records[1].Name, lengths[1], useAsync: false);
        Assert.AreEqual(1, inner.Reads.Count, "record 1 was evicted");
    }

    [TestMethod]
    public async Task TwoCachesSharingADirectoryServeEachOthersEntriesAndConcurrentUpgradesStayCorrect()
    {
        using var dir = TestFiles.NewTempDirectory();
        var innerA = new RecordingSource(AzuriteFixture.LocalDataset);
        var innerB = new RecordingSource(AzuriteFixture.LocalDataset);
        var a = new CachedByteSource(innerA, dir.Path, 1 << 30);
        var b = new CachedByteSource(innerB, dir.Path, 1 << 30);
        PcrRecordInfo[] records = [.. Local.Records];
        PcrRecordInfo first = records[0];

        await Read(a, first.Name, first.GetPrefixLength(1), useAsync: false);
        await Read(b, first.Name, first.GetPrefixLength(3), useAsync: true);
        Assert.AreEqual((first.Name, first.GetPrefixLength(1), (int)(first.GetPrefixLength(3) - first.GetPrefixLength(1))), innerB.Reads.Single(),
            "the second cache found the first one's entry and downloaded only the rest");
        await Read(a, first.Name, first.GetPrefixLength(3), useAsync: false);
        Assert.AreEqual(1, innerA.Reads.Count, "and the first one reads the second one's upgrade from disk");

        // Both at once, every record, rising scan groups in different orders: every read returns the file's bytes.
        await Parallel.ForAsync(0, records.Length * 2 * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            CachedByteSource cache = i % 2 == 0 ? a : b;
            PcrRecordInfo record = records[i / 2 % records.Length];
            int scan = 1 + (i * 7 % record.ScanGroupCount);
            long length = record.GetPrefixLength(scan);
            CollectionAssert.AreEqual(Prefix(record.Name, length), await Read(cache, record.Name, length, useAsync: i % 3 == 0));
        });
        Assert.AreEqual(records.Length, Entries(dir.Path), "one entry per record, no temporary files left");
        Assert.AreEqual(0, Directory.GetFiles(dir.Path, "*.tmp").Length);
    }

    [TestMethod]
    public void LoadFromPcrThroughTheCacheGivesTheSameRowsAndAReopenedCacheReadsNothing()
    {
        using var dir = TestFiles.NewTempDirectory();
        var ml = new MLContext(seed: 1);
        var expected = AzureBlobByteSourceTests.Rows(ml.Data.LoadFromPcr(AzuriteFixture.LocalDataset, scan: 2));
        var inner = new RecordingSource(AzuriteFixture.LocalDataset);
        PcrDataView first = ml.Data.LoadFromPcr(new CachedByteSource(inner, dir.Path, 1 << 30), scan: 2);
        AzureBlobByteSourceTests.AssertSameRows(expected, AzureBlobByteSourceTests.Rows(first), "first epoch");

        var again = new RecordingSource(AzuriteFixture.LocalDataset);
        var reopened = new CachedByteSource(again, dir.Path, 1 << 30);
        AzureBlobByteSourceTests.AssertSameRows(expected, AzureBlobByteSourceTests.Rows(ml.Data.LoadFromPcr(reopened, scan: 2)), "from the cache");
        Assert.AreEqual(0, again.Reads.Count, "index and records all come from disk");
        Assert.AreEqual(first.BytesPerPass + new FileInfo(Path.Combine(AzuriteFixture.LocalDataset, PcrIndex.FileName)).Length,
            reopened.BytesFromCache);
    }

    [TestMethod]
    public void ArgumentsAreChecked()
    {
        using var dir = TestFiles.NewTempDirectory();
        var inner = new RecordingSource(AzuriteFixture.LocalDataset);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CachedByteSource(inner, dir.Path, 0));
        Assert.ThrowsExactly<ArgumentNullException>(() => new CachedByteSource(null!, dir.Path, 1));
        Assert.ThrowsExactly<ArgumentException>(() => new CachedByteSource(inner, " ", 1));
        var cache = new CachedByteSource(inner, dir.Path, 1 << 20);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cache.Read(PcrIndex.FileName, -1, new byte[4]));
        Assert.AreEqual(inner.Location, cache.Location);
        Assert.AreEqual(inner.Describe("PCR_0.pcr"), cache.Describe("PCR_0.pcr"));
    }
}
