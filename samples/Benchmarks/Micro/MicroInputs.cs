namespace Pcr.Benchmarks.Micro;

/// <summary>Inputs of the micro-benchmarks: committed test fixtures, found by walking up to the repository.</summary>
internal static class MicroInputs
{
    public static string FixturePhoto()
    {
        string relative = Path.Combine("Microsoft.ML.Pcr.Tests", "TestData", "jpeg", "golden", "photo-clothing.jpg");
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException($"Could not find {relative} above the working directory; run from the repository.");
    }
}
