using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// The report written beside a converted dataset, for people: counts, skipped and ignored files with reasons, empty classes, the
/// quality used for non-JPEG inputs, and the conversion's fingerprint. It is a side file: what decides reuse is the fingerprint
/// committed inside the index (<see cref="Format.PcrIndex.ConversionFingerprint"/>); the report only fills in the details of a reused
/// conversion, and only when its fingerprint is the index's.
/// </summary>
internal static class ConversionReport
{
    public const string FileName = "conversion-report.json";

    /// <summary>The temporary name the report is written under before it is renamed into place.</summary>
    public const string PartialFileName = FileName + ".partial";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record Document(
        string Writer,
        string Fingerprint,
        string Source,
        int Images,
        int Records,
        int Classes,
        IReadOnlyList<string> ClassNames,
        IReadOnlyList<string> EmptyClasses,
        long BytesIn,
        long BytesOut,
        int Quality,
        int Reencoded,
        int ImagesPerRecord,
        bool Shuffle,
        int Seed,
        double ElapsedSeconds,
        IReadOnlyList<SkippedFile> Skipped,
        IReadOnlyList<SkippedFile>? Ignored);

    /// <summary>The report of worker <paramref name="worker"/>'s slice of a sliced conversion.</summary>
    public static string SliceFileName(int worker, int workers) => $"conversion-report.slice_{worker}_of_{workers}.json";

    public static void Write(PcrConversionResult result, ImageFolderListing listing, ImageFolderConversionOptions options, string fingerprint, IO.IPcrByteSink sink, string fileName)
    {
        var document = new Document(
            "Pcr.MLNet", fingerprint, listing.Root, result.ImageCount, result.RecordCount, result.ClassNames.Count,
            result.ClassNames, result.EmptyClasses, result.BytesIn, result.BytesOut, result.Quality, result.ReencodedCount,
            options.GetImagesPerRecord(listing.Images.Count), options.Shuffle, options.Seed, Math.Round(result.Elapsed.TotalSeconds, 3), result.Skipped, result.Ignored);
        using (Stream stream = sink.Create(fileName))
            JsonSerializer.Serialize(stream, document, Json);
        sink.Commit(fileName);
    }

    /// <summary>Removes the report of a previous conversion, so that no report describes another dataset than the one in place.</summary>
    public static void Delete(IO.IPcrByteSink sink) => sink.Delete(FileName);

    /// <summary>
    /// Reads back what the conversion with <paramref name="fingerprint"/> reported, as a result marked <see cref="PcrConversionResult.Reused"/>;
    /// null when the report is missing, unreadable or describes another conversion.
    /// </summary>
    public static PcrConversionResult? TryRead(string outputDirectory, string fingerprint)
    {
        string path = Path.Combine(outputDirectory, FileName);
        try
        {
            Document? d = JsonSerializer.Deserialize<Document>(File.ReadAllBytes(path), Json);
            if (d is null || d.Fingerprint != fingerprint || d.ClassNames is null || d.EmptyClasses is null || d.Skipped is null) return null;
            return new PcrConversionResult
            {
                OutputDirectory = Path.GetFullPath(outputDirectory),
                ClassNames = d.ClassNames,
                ImageCount = d.Images,
                RecordCount = d.Records,
                BytesIn = d.BytesIn,
                BytesOut = d.BytesOut,
                ReencodedCount = d.Reencoded,
                Quality = d.Quality,
                Skipped = d.Skipped,
                Ignored = d.Ignored ?? [],
                EmptyClasses = d.EmptyClasses,
                Elapsed = TimeSpan.FromSeconds(d.ElapsedSeconds),
                Reused = true,
                ReportPath = path,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null; // a missing or unreadable report only loses the details, never the dataset
        }
    }

    /// <summary>SHA-256 of everything that decides the output: options, class names, and every input's path, size and modification time.</summary>
    public static string Fingerprint(ImageFolderListing listing, ImageFolderConversionOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => hash.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        Add($"pcr-conversion 1|{options.ImagesPerRecord}|{options.Shuffle}|{options.Seed}|{options.Quality}|{options.StoreRelativePaths}|{options.MaxPixels}");
        foreach (string name in listing.ClassNames) Add("class " + name);
        foreach (SourceImage image in listing.Images)
        {
            var info = new FileInfo(image.FullPath);
            Add($"{image.Label}|{image.RelativePath}|{(info.Exists ? info.Length : -1)}|{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}");
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
