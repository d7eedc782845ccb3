using Azure.Core;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML;

/// <summary>
/// Extension methods of <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>) that read Progressive Compressed
/// Records from Azure Blob Storage.
/// </summary>
public static class AzureBlobPcrCatalog
{
    /// <summary>
    /// Create a <see cref="PcrDataView"/>, which reads the PCR dataset stored under <paramref name="location"/> in Azure
    /// Blob Storage with every image at scan group <paramref name="scan"/>: each record costs one ranged download of
    /// exactly the prefix the scan group needs, pinned to the version the blob had when the dataset was opened.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="location">
    /// The container and prefix that hold <c>PCR_index.pb</c> and the records, as
    /// <c>https://account.blob.core.windows.net/container/prefix</c>; with a SAS token as its query when
    /// <paramref name="credential"/> is null.
    /// </param>
    /// <param name="credential">A Microsoft Entra ID credential (for example <c>DefaultAzureCredential</c>); null for anonymous or SAS access.</param>
    /// <param name="scan">The scan group, 1..L (low to full fidelity); null for full fidelity.</param>
    /// <param name="options">Column names, shuffling, sharding and checking options; null for defaults.</param>
    /// <param name="blobOptions">Retries and network timeout; null for defaults.</param>
    /// <returns>
    /// The view; its <see cref="PcrDataView.Dataset"/>'s <see cref="Pcr.Format.PcrDataset.Source"/> is the
    /// <see cref="AzureBlobByteSource"/>, which counts the bytes downloaded. To keep what was read on local disk for
    /// later epochs, build the source yourself, wrap it in a <see cref="CachedByteSource"/> and pass that to
    /// <see cref="PcrCatalog.LoadFromPcr(DataOperationsCatalog, IPcrByteSource, int?, PcrLoader.Options?)"/>.
    /// </returns>
    /// <exception cref="FileNotFoundException">The container does not exist, or holds no PCR index under the prefix.</exception>
    /// <exception cref="UnauthorizedAccessException">The credential was refused.</exception>
    /// <exception cref="Pcr.PcrFormatException">The index or a record is malformed.</exception>
    public static PcrDataView LoadFromPcr(this DataOperationsCatalog catalog, Uri location, TokenCredential? credential = null, int? scan = null,
        PcrLoader.Options? options = null, AzureBlobByteSourceOptions? blobOptions = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(location);
        AzureBlobByteSource source = credential is null
            ? new AzureBlobByteSource(location, blobOptions)
            : new AzureBlobByteSource(location, credential, blobOptions);
        return catalog.LoadFromPcr(source, scan, options);
    }
}
