using Microsoft.ML.Pcr.Conversion;
using PcrImageClassification;

namespace Microsoft.ML.Pcr.Tests.Training;

/// <summary>Small generated PCR datasets for the trainer tests: three shapes (disk, square, triangle), made once per test run.</summary>
internal static class TrainerTestData
{
    public static readonly string[] Classes = ["disk", "square", "triangle"];

    private static readonly Lazy<(string Train, string Test, string Images)> Data = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string TrainPcr => Data.Value.Train;

    public static string TestPcr => Data.Value.Test;

    /// <summary>The ImageFolder of the test split (full-fidelity JPEGs).</summary>
    public static string TestImages => Path.Combine(Data.Value.Images, "test");

    private static (string, string, string) Create()
    {
        string root = Path.Combine(Path.GetTempPath(), $"pcr-trainer-tests-{Environment.ProcessId}");
        Write(Path.Combine(root, "images", "train"), 60, 11);
        Write(Path.Combine(root, "images", "test"), 12, 12);
        var options = new ImageFolderConversionOptions { ImagesPerRecord = 16, Overwrite = true, Seed = 3 };
        ImageFolderConverter.Convert(Path.Combine(root, "images", "train"), Path.Combine(root, "train"), options);
        ImageFolderConverter.Convert(Path.Combine(root, "images", "test"), Path.Combine(root, "test"), options);
        return (Path.Combine(root, "train"), Path.Combine(root, "test"), Path.Combine(root, "images"));
    }

    private static void Write(string folder, int perClass, int seed)
    {
        var random = new Random(seed);
        foreach (string shape in Classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, shape));
            for (int i = 0; i < perClass; i++)
                File.WriteAllBytes(Path.Combine(folder, shape, $"{i:D3}.jpg"), DefaultDataset.Draw(shape, "smooth", random));
        }
    }
}
