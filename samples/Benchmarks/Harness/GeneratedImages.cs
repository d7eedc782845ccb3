namespace Pcr.Benchmarks.Harness;

/// <summary>
/// Inputs made from clothing-small photos with ImageMagick, once, and cached in the data directory
/// (a folder is complete when its ".done" marker exists).
/// </summary>
internal static class GeneratedImages
{
    private const int Classes = 10;
    private const int PerConvertCall = 40;

    /// <summary>
    /// An ImageFolder of <paramref name="count"/> photo-like 640x480 baseline JPEGs (quality 90) in 10 classes: clothing
    /// photos scaled to cover 640x480 and centre-cropped, every other one mirrored, so content and statistics are a photo's.
    /// </summary>
    public static string PhotoLikeFolder(BenchContext context, string name, int count)
    {
        string folder = Path.Combine(context.DataDirectory, name);
        string done = Path.Combine(context.DataDirectory, name + ".done");
        if (File.Exists(done)) return folder;
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        string[] photos = context.SampleClothingPhotos(count);
        string staging = Directory.CreateDirectory(Path.Combine(context.DataDirectory, name + ".staging")).FullName;
        foreach (string file in Directory.EnumerateFiles(staging)) File.Delete(file);
        // One convert process per batch of photos: a process per image would dominate the time.
        Parallel.ForEach(Enumerable.Range(0, (photos.Length + PerConvertCall - 1) / PerConvertCall), new ParallelOptions { MaxDegreeOfParallelism = 2 }, batch =>
        {
            int first = batch * PerConvertCall;
            string[] inputs = photos[first..Math.Min(first + PerConvertCall, photos.Length)];
            ExternalTools.Run(context.ImageMagick!, [.. inputs, "-resize", "640x480^", "-gravity", "center", "-extent", "640x480",
                "-quality", "90", "-sampling-factor", "2x2,1x1,1x1", "-strip", Path.Combine(staging, $"b{batch:D4}-%03d.jpg")]);
        });
        string[] made = [.. Directory.EnumerateFiles(staging, "*.jpg").Order(StringComparer.Ordinal)];
        for (int i = 0; i < made.Length; i++)
        {
            string classDir = Directory.CreateDirectory(Path.Combine(folder, $"class{i % Classes}")).FullName;
            File.Move(made[i], Path.Combine(classDir, $"img{i:D5}.jpg"));
        }
        Directory.Delete(staging, recursive: true);
        File.WriteAllText(done, $"{made.Length}\n");
        return folder;
    }

    /// <summary>
    /// An ImageFolder of <paramref name="count"/> entries that are symbolic links to the images of <paramref name="source"/>
    /// taken round-robin: a large dataset (for memory against image count) without the disk space of one.
    /// </summary>
    public static string LinkedFolder(BenchContext context, string source, string name, int count)
    {
        string folder = Path.Combine(context.DataDirectory, name);
        string done = Path.Combine(context.DataDirectory, name + ".done");
        if (File.Exists(done)) return folder;
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        string[] images = [.. Directory.EnumerateFiles(source, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
        for (int i = 0; i < count; i++)
        {
            string classDir = Path.Combine(folder, $"class{i % Classes}");
            if (i < Classes) Directory.CreateDirectory(classDir);
            File.CreateSymbolicLink(Path.Combine(classDir, $"img{i:D6}.jpg"), images[i % images.Length]);
        }
        File.WriteAllText(done, $"{count}\n");
        return folder;
    }

    /// <summary>One clothing photo stretched to <paramref name="width"/> x <paramref name="height"/> (baseline 4:2:0, quality 90).</summary>
    public static string ResizedPhoto(BenchContext context, int width, int height)
    {
        string path = Path.Combine(context.DataDirectory, $"photo-{width}x{height}.jpg");
        if (File.Exists(path)) return path;
        string temp = path + ".tmp.jpg";
        ExternalTools.Run(context.ImageMagick!, [context.ClothingTrainPhotos[0], "-resize", $"{width}x{height}!",
            "-quality", "90", "-sampling-factor", "2x2,1x1,1x1", "-strip", temp]);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
