using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML;

/// <summary>
/// Extension methods of <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>) for Progressive Compressed Records.
/// </summary>
public static class PcrCatalog
{
    /// <summary>
    /// Create a <see cref="PcrDataView"/>, which reads the PCR dataset in <paramref name="directory"/> with every
    /// image at scan group <paramref name="scan"/>: reading a record reads only the prefix of its file that the
    /// scan group needs.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="directory">A directory holding <c>PCR_index.pb</c> and its record files.</param>
    /// <param name="scan">The scan group, 1..L (low to full fidelity); null for full fidelity. Change it between epochs with <see cref="PcrDataView.WithScan(int)"/>.</param>
    /// <param name="options">Column names, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>
    /// A view with columns Label (key of UInt32, class names in its KeyValues annotation), Image (variable-length
    /// vector of Byte: the JPEG at the scan group) and, when the dataset stores them, ImagePath (text).
    /// </returns>
    /// <exception cref="FileNotFoundException">The directory or its index does not exist.</exception>
    /// <exception cref="Pcr.PcrFormatException">The index or a record is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scan"/> is outside 1..L.</exception>
    public static PcrDataView LoadFromPcr(this DataOperationsCatalog catalog, string directory, int? scan = null, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return LoadFromPcr(catalog, new FileByteSource(directory), scan, options);
    }

    /// <summary>
    /// Create a <see cref="PcrDataView"/>, which reads the PCR dataset held by <paramref name="source"/> (local
    /// files, object storage, a rate-limited wrapper) with every image at scan group <paramref name="scan"/>.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="source">Where the index and the record files are read from.</param>
    /// <param name="scan">The scan group, 1..L; null for full fidelity.</param>
    /// <param name="options">Column names, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>The view; see <see cref="LoadFromPcr(DataOperationsCatalog, string, int?, PcrLoader.Options?)"/> for its columns.</returns>
    public static PcrDataView LoadFromPcr(this DataOperationsCatalog catalog, IPcrByteSource source, int? scan = null, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(source);
        PcrLoader.Options effective = (options ?? new PcrLoader.Options()).Clone();
        if (scan is not null) effective.Scan = scan;
        effective.Validate();
        return new PcrDataView(PcrDataset.Open(source), effective);
    }

    /// <summary>
    /// Create a <see cref="PcrLoader"/>, which loads PCR directories with the schema of the dataset in
    /// <paramref name="directory"/>, so that it can start a pipeline: <c>loader.Append(transforms).Fit(directory)</c>.
    /// </summary>
    /// <param name="catalog">The data operations catalog.</param>
    /// <param name="directory">The PCR directory that fixes the schema (class names) and that <c>Load</c> usually reads.</param>
    /// <param name="options">Column names, scan group, shuffling, sharding and checking options; null for defaults.</param>
    /// <returns>The loader.</returns>
    public static PcrLoader CreatePcrLoader(this DataOperationsCatalog catalog, string directory, PcrLoader.Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return new PcrLoader(PcrDataset.Open(new FileByteSource(directory)), options);
    }
}
