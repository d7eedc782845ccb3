// samples/ReadmeSnippets/ObjectStorage.cs: a dataset converted straight into a container, then read one ranged download per record prefix
using Microsoft.ML;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.IO;

namespace ReadmeSnippets;

/// <summary>PCRs in Azure Blob Storage (or Azurite, the emulator the tests run this against).</summary>
public static class ObjectStorage
{
    /// <summary>Converts <paramref name="imageFolder"/> into container "datasets", prefix "clothing", then reads it at scan group 2 and at full fidelity.</summary>
    public static (long Downloaded, long FromCache) ConvertAndRead(string connectionString, string imageFolder, string cacheDirectory)
    {
        var ml = new MLContext();
        // Records first, the index last, so a partly written dataset never looks complete. With a token instead:
        // new AzureBlobByteSink(new Uri("https://account.blob.core.windows.net/datasets/clothing"), credential).
        var sink = new AzureBlobByteSink(connectionString, "datasets", "clothing");
        ImageFolderConverter.Convert(imageFolder, sink, new ImageFolderConversionOptions { Overwrite = true });
        // Too big for one machine: worker i of n converts its slice into the same place
        // (ImageFolderConversionOptions.WorkerIndex = i, WorkerCount = n), then ImageFolderConverter.Merge(sink) writes the index once.

        // Each record prefix is one ranged download pinned to the blob's ETag; what was read stays on local disk.
        // The front door with a token: ml.Data.LoadFromPcr(new Uri("https://account.blob.core.windows.net/datasets/clothing"), credential, scan: 3).
        var blobs = new AzureBlobByteSource(connectionString, "datasets", "clothing",
            new AzureBlobByteSourceOptions { MaxRetries = 5, NetworkTimeout = TimeSpan.FromSeconds(30) });
        var cached = new CachedByteSource(blobs, cacheDirectory, maxBytes: 20L << 30);
        PcrDataView epochs = ml.Data.LoadFromPcr(cached, scan: 2);
        ReadAll(epochs);
        // Later, at full fidelity: only the bytes past scan group 2's prefixes are downloaded.
        ReadAll(epochs.WithScan(epochs.ScanGroupCount));
        Console.WriteLine($"{blobs.BytesDownloaded} bytes over the network, {cached.BytesFromCache} from the cache");
        return (blobs.BytesDownloaded, cached.BytesFromCache);
    }

    private static void ReadAll(IDataView view)
    {
        using var cursor = view.GetRowCursor(view.Schema);
        while (cursor.MoveNext()) { }
    }
}
