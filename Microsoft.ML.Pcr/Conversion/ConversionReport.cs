using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// The report written beside a converted dataset: counts, skipped files with reasons, empty classes, the
/// quality used for non-JPEG inputs, and a fingerprint of the inputs and options that lets a later run
/// reuse an up-to-date conversion.
/// </summary>
internal static class ConversionReport
{
    public const string FileName = "conversion-report.json";

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
        IReadOnlyList<SkippedFile> Skipped);

    public static void Write(PcrConversionResult result, ImageFolderListing listing, ImageFolderConversionOptions options)
    {
        var document = new Document(
            "Pcr.MLNet", Fingerprint(listing, options), listing.Root, result.ImageCount, result.RecordCount, result.ClassNames.Count,
            result.ClassNames, result.EmptyClasses, result.BytesIn, result.BytesOut, result.Quality, result.ReencodedCount,
            options.GetImagesPerRecord(listing.Images.Count), options.Shuffle, options.Seed, Math.Round(result.Elapsed.TotalSeconds, 3), result.Skipped);
        string path = Path.Combine(result.OutputDirectory, FileName);
        File.WriteAllText(path + ".partial", JsonSerializer.Serialize(document, Json));
        File.Move(path + ".partial", path, overwrite: true);
    }

    public static string? TryReadFingerprint(string outputDirectory)
    {
        string path = Path.Combine(outputDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.TryGetProperty("fingerprint", out JsonElement f) ? f.GetString() : null;
        }
        catch (JsonException)
        {
            return null; // an unreadable report means "not up to date", never an error
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
