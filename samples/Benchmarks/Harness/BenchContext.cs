using Microsoft.ML.Pcr.Conversion;

namespace Pcr.Benchmarks.Harness;

/// <summary>
/// What every table needs: the mode (quick or full), where the inputs are, which outside tools exist, and the
/// datasets made once and shared (cached in <see cref="DataDirectory"/> across runs).
/// </summary>
internal sealed class BenchContext
{
    private string[]? _clothingTrain;
    private string? _clothingPcr;
    private string? _clothingTestPcr;
    private string? _generatedFolder;
    private (string Folder, string Pcr)? _epochDataset;

    public BenchContext(bool quick, string dataDirectory)
    {
        Quick = quick;
        DataDirectory = Directory.CreateDirectory(dataDirectory).FullName;
        ClothingSmall = FindClothingSmall();
        Jpegtran = ExternalTools.FindJpegtran();
        ImageMagick = ExternalTools.FindImageMagick();
    }

    /// <summary>Small counts and fewer repeats: a few minutes, for CI.</summary>
    public bool Quick { get; }

    /// <summary>Generated images and conversions live here and are reused by later runs.</summary>
    public string DataDirectory { get; }

    /// <summary>The clothing-small dataset (real photos), or null when it is not beside the repository.</summary>
    public string? ClothingSmall { get; }

    public string? Jpegtran { get; }

    public string? ImageMagick { get; }

    /// <summary>Picks <paramref name="quick"/> in quick mode and <paramref name="full"/> otherwise.</summary>
    public T Pick<T>(T quick, T full) => Quick ? quick : full;

    public string? MissingClothing => ClothingSmall is null
        ? "clothing-small not found (looked for shared/datasets/clothing-small above the working directory and the program)"
        : null;

    public string? MissingJpegtran => Jpegtran is null ? "jpegtran not found (apt-get install libjpeg-turbo-progs)" : null;

    public string? MissingImageMagick => ImageMagick is null ? "ImageMagick not found (apt-get install imagemagick)" : null;

    /// <summary>Whether clothing-small is here; when it is not, reports the table skipped and says why.</summary>
    public bool HasClothing(Report report) => Has(report, MissingClothing);

    /// <summary>
    /// Whether an input is here (<paramref name="missing"/>, one of the Missing* reasons, is null); when it is not, reports the
    /// table skipped, saying why and, when given, what the input is for.
    /// </summary>
    public static bool Has(Report report, string? missing, string? purpose = null)
    {
        if (missing is null) return true;
        report.Skipped(purpose is null ? missing : $"{missing} ({purpose})");
        return false;
    }

    /// <summary>The training split of clothing-small: an ImageFolder of 3,068 photos in 10 classes.</summary>
    public string ClothingTrainFolder => Path.Combine(ClothingSmall!, "train");

    /// <summary>The training photos of clothing-small, sorted by path (3,068 of them).</summary>
    public string[] ClothingTrainPhotos => _clothingTrain ??=
        [.. Directory.EnumerateFiles(ClothingTrainFolder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Every <paramref name="count"/>-th-spread sample of the training photos: deterministic, every class present.</summary>
    public string[] SampleClothingPhotos(int count)
    {
        string[] all = ClothingTrainPhotos;
        if (count >= all.Length) return all;
        return [.. Enumerable.Range(0, count).Select(i => all[(int)((long)i * all.Length / count)])];
    }

    /// <summary>The PCR conversion of clothing-small's training split (default options), made once.</summary>
    public string ClothingPcr => _clothingPcr ??= ConvertOnce(ClothingTrainFolder, "clothing-train-pcr");

    /// <summary>The PCR conversion of clothing-small's test split (default options), made once.</summary>
    public string ClothingTestPcr => _clothingTestPcr ??= ConvertOnce(Path.Combine(ClothingSmall!, "test"), "clothing-test-pcr");

    /// <summary>An ImageFolder of photo-like 640x480 JPEGs made from clothing photos with ImageMagick (240 in quick mode, 600 in full, 10 classes).</summary>
    public string GeneratedFolder => _generatedFolder ??= GeneratedImages.PhotoLikeFolder(this, $"generated-640x480-{GeneratedCount}", GeneratedCount);

    private int GeneratedCount => Pick(240, 600);

    /// <summary>Images per record of <see cref="EpochDataset"/>: 128 (quick mode: 32).</summary>
    public int EpochImagesPerRecord => Pick(32, 128);

    /// <summary>
    /// The dataset of the epoch tables (local, throttled and from object storage), made once: clothing-small's training split
    /// (quick mode: a spread sample of 320 of its photos) and its PCR conversion in records of <see cref="EpochImagesPerRecord"/>
    /// images, so that read-ahead overlaps reading and decoding at a fine grain and an epoch is a few dozen record reads.
    /// </summary>
    public (string Folder, string Pcr) EpochDataset => _epochDataset ??= MakeEpochDataset();

    private (string Folder, string Pcr) MakeEpochDataset()
    {
        string folder = Quick ? ClothingSubsetFolder(320) : ClothingTrainFolder;
        string pcr = ConvertOnce(folder, Quick ? "epochs-pcr-quick" : "epochs-pcr", EpochImagesPerRecord);
        return (folder, pcr);
    }

    // A spread sample of clothing-small's training split, copied into class folders (copies, not symbolic links:
    // FileByteSource.GetLength reports a link's own size, not its target's).
    private string ClothingSubsetFolder(int count)
    {
        string folder = Path.Combine(DataDirectory, $"clothing-subset-{count}");
        if (Directory.Exists(folder)) return folder;
        string[] photos = SampleClothingPhotos(count);
        string staging = folder + ".staging";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        foreach (string photo in photos)
        {
            string classDir = Directory.CreateDirectory(Path.Combine(staging, Path.GetFileName(Path.GetDirectoryName(photo))!)).FullName;
            File.Copy(photo, Path.Combine(classDir, Path.GetFileName(photo)));
        }
        Directory.Move(staging, folder);
        return folder;
    }

    /// <summary>
    /// Converts <paramref name="imageFolder"/> to a PCR dataset under the data directory (in records of
    /// <paramref name="imagesPerRecord"/> images, or the converter's default), unless an up-to-date conversion is there.
    /// </summary>
    public string ConvertOnce(string imageFolder, string name, int? imagesPerRecord = null)
    {
        string output = Path.Combine(DataDirectory, name);
        var options = new ImageFolderConversionOptions { Overwrite = true, ImagesPerRecord = imagesPerRecord };
        if (!ImageFolderConverter.IsUpToDate(imageFolder, output, options))
            ImageFolderConverter.Convert(imageFolder, output, options);
        return output;
    }

    // Walks up from the working directory and from the program's directory to shared/datasets/clothing-small.
    private static string? FindClothingSmall()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "datasets", "clothing-small");
                if (Directory.Exists(Path.Combine(candidate, "train"))) return candidate;
            }
        }
        return null;
    }
}
