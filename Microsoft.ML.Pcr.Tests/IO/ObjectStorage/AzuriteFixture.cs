using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

/// <summary>
/// One Azurite for the whole test run, started by the first test that asks for it (so filtered runs that need none
/// start none) and stopped when the run ends; and one small PCR dataset on local disk to upload to it.
/// </summary>
[TestClass]
public static class AzuriteFixture
{
    private static readonly Lazy<(AzuriteServer? Server, string Reason)> s_server = new(() =>
    {
        AzuriteServer? server = AzuriteServer.TryStart(out string reason);
        if (server is null) Console.WriteLine($"Object-storage tests skipped: {reason}");
        return (server, reason);
    });

    private static readonly Lazy<TestFiles.TempDirectory> s_dataset = new(WriteDataset);

    /// <summary>The running emulator; the calling test is inconclusive (skipped, with the reason) when it cannot run here.</summary>
    internal static AzuriteServer Require()
    {
        (AzuriteServer? server, string reason) = s_server.Value;
        if (server is null) Assert.Inconclusive($"Skipped: {reason}.");
        return server;
    }

    /// <summary>A PCR dataset of 30 images in records of 4 (8 records, the last short), 3 classes, paths stored.</summary>
    internal static string LocalDataset => s_dataset.Value.Path;

    /// <summary>A container name no other test uses.</summary>
    internal static string NewContainerName() => "pcr-" + Guid.NewGuid().ToString("N")[..20];

    [AssemblyCleanup]
    public static void Stop()
    {
        if (s_server.IsValueCreated) s_server.Value.Server?.Dispose();
        if (s_dataset.IsValueCreated) s_dataset.Value.Dispose();
    }

    private static TestFiles.TempDirectory WriteDataset()
    {
        var dir = TestFiles.NewTempDirectory();
        string[] names = TestFiles.GoldenNames().Where(n => !n.StartsWith("truncated", StringComparison.Ordinal)).ToArray();
        using var writer = new PcrWriter(dir.Path, ["ant", "bee", "cat"], new PcrWriterOptions { ImagesPerRecord = 4 });
        for (int i = 0; i < 30; i++)
        {
            string name = names[i % names.Length];
            writer.Add(new PcrImageEntry(File.ReadAllBytes(TestFiles.Golden(name)), default, i % 3, $"{i % 3}/{i:D2}-{name}"));
        }
        writer.Complete();
        return dir;
    }
}
