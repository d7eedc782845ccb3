namespace Microsoft.ML.Pcr.Tests;

/// <summary>Paths of committed fixtures, shared datasets and scratch directories.</summary>
internal static class TestFiles
{
    public static string TestData => Path.Combine(AppContext.BaseDirectory, "TestData");

    public static string JpegInputs => Path.Combine(TestData, "jpeg", "inputs");

    public static string JpegGolden => Path.Combine(TestData, "jpeg", "golden");

    public static string Golden(string name) => Path.Combine(JpegGolden, name);

    /// <summary>The bytes of input fixture <paramref name="name"/>.</summary>
    public static byte[] ReadInput(string name) => File.ReadAllBytes(Path.Combine(JpegInputs, name));

    /// <summary>The bytes of jpegtran's output for input fixture <paramref name="name"/>.</summary>
    public static byte[] ReadGolden(string name) => File.ReadAllBytes(Golden(name));

    /// <summary>Every input fixture's name, as MSTest dynamic data.</summary>
    public static IEnumerable<object[]> InputFixtures => GoldenNames().Select(n => new object[] { n });

    /// <summary>The golden (jpegtran progressive) files of the real inputs in <see cref="JpegInputs"/>, by name (not the synthetic writer goldens).</summary>
    public static IEnumerable<string> GoldenNames() =>
        Directory.EnumerateFiles(JpegInputs, "*.jpg").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    /// <summary>
    /// The shared clothing-small dataset (../shared/datasets/clothing-small beside the checkout), found by
    /// walking up from the test binaries; null when this machine does not have it.
    /// </summary>
    public static string? ClothingSmall()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "datasets", "clothing-small");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Writes <paramref name="index"/> (an index of this project, edited by a test) as the writer would, its checksum recomputed, so that
    /// the test reaches the check it is about rather than the checksum.
    /// </summary>
    public static void SaveSealedIndex(string directory, Microsoft.ML.Pcr.Format.Proto.DatasetOffsetsIndex index) =>
        File.WriteAllBytes(System.IO.Path.Combine(directory, Microsoft.ML.Pcr.Format.PcrIndex.FileName), Microsoft.ML.Pcr.Format.PcrIndex.Serialize(index));
    /// The shared clothing-small dataset, or an inconclusive result that says why the test did not run (its reason is
    /// printed with <c>dotnet test --logger "console;verbosity=detailed"</c>).
    /// </summary>
    public static string RequireClothingSmall() =>
        ClothingSmall() ?? throw new AssertInconclusiveException(
            $"needs the real photos of ../shared/datasets/clothing-small, which no folder above '{AppContext.BaseDirectory}' holds");

    /// <summary>The checkout's root (the folder holding README.md and Pcr.MLNet.sln), found by walking up from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pcr.MLNet.sln")) && File.Exists(Path.Combine(dir.FullName, "README.md"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No folder above '{AppContext.BaseDirectory}' holds Pcr.MLNet.sln and README.md.");
    }

    /// <summary>A new empty directory under the system temp folder, deleted by disposing the result.</summary>
    public static TempDirectory NewTempDirectory() => new();

    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pcr-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

        public override string ToString() => Path;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
        }
    }
}
