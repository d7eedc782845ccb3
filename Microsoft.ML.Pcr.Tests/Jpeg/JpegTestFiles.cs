namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>Locates the JPEG fixtures and the shared photo dataset.</summary>
internal static class JpegTestFiles
{
    /// <summary>Directory of the input fixtures.</summary>
    public static string InputDir => Path.Combine(AppContext.BaseDirectory, "TestData", "jpeg", "inputs");

    /// <summary>Directory of jpegtran's outputs for the fixtures.</summary>
    public static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "TestData", "jpeg", "golden");

    /// <summary>Names of all input fixtures.</summary>
    public static IEnumerable<object[]> AllFixtures =>
        Directory.GetFiles(InputDir, "*.jpg").Select(p => new object[] { Path.GetFileName(p) }).OrderBy(a => (string)a[0], StringComparer.Ordinal);

    /// <summary>Reads an input fixture.</summary>
    public static byte[] Input(string name) => File.ReadAllBytes(Path.Combine(InputDir, name));

    /// <summary>Reads jpegtran's output for a fixture.</summary>
    public static byte[] Golden(string name) => File.ReadAllBytes(Path.Combine(GoldenDir, name));

    /// <summary>Finds <c>shared/datasets/clothing-small</c> by walking up from the test directory, or null.</summary>
    public static string? FindClothingSmall()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "datasets", "clothing-small"), Path.Combine(dir.FullName, "datasets", "clothing-small") })
            {
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
