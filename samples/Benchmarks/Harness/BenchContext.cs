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
    private string? _generatedFolder;

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

    /// <summary>The training photos of clothing-small, sorted by path (3,068 of them).</summary>
    public string[] ClothingTrainPhotos => _clothingTrain ??=
        [.. Directory.EnumerateFiles(Path.Combine(ClothingSmall!, "train"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Every <paramref name="count"/>-th-spread sample of the training photos: deterministic, every class present.</summary>
    public string[] SampleClothingPhotos(int count)
    {
        string[] all = ClothingTrainPhotos;
        if (count >= all.Length) return all;
        return [.. Enumerable.Range(0, count).Select(i => all[(int)((long)i * all.Length / count)])];
    }

    /// <summary>The PCR conversion of clothing-small's training split (default options), made once.</summary>
    public string ClothingPcr => _clothingPcr ??= ConvertOnce(Path.Combine(ClothingSmall!, "train"), "clothing-train-pcr");

    /// <summary>An ImageFolder of photo-like 640x480 JPEGs made from clothing photos with ImageMagick (240 in quick mode, 600 in full, 10 classes).</summary>
    public string GeneratedFolder => _generatedFolder ??= GeneratedImages.PhotoLikeFolder(this, $"generated-640x480-{GeneratedCount}", GeneratedCount);

    private int GeneratedCount => Pick(240, 600);

    /// <summary>Converts <paramref name="imageFolder"/> to a PCR dataset under the data directory, unless an up-to-date conversion is there.</summary>
    public string ConvertOnce(string imageFolder, string name)
    {
        string output = Path.Combine(DataDirectory, name);
        var options = new ImageFolderConversionOptions { Overwrite = true };
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
