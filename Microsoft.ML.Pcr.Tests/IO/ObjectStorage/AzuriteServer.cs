using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

/// <summary>
/// Azurite's blob service (Microsoft's Azure Storage emulator, from npm), started as a child process on a free loopback
/// port with in-memory storage and no telemetry, and stopped by disposing. Used by the object-storage tests and linked
/// into the benchmarks. Azurite is looked for in <c>PCR_AZURITE</c>, then in <c>build/azurite</c> of the checkout
/// (which <c>.ci/run</c> fills with <c>npm install --prefix build/azurite</c>, and which is filled here when npm is
/// present and it is empty), then on the PATH.
/// </summary>
internal sealed partial class AzuriteServer : IDisposable
{
    /// <summary>The emulator's well-known development account (published in Azurite's documentation).</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The development account's well-known key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workspace;

    private AzuriteServer(Process process, string workspace, int port)
    {
        _process = process;
        _workspace = workspace;
        Port = port;
    }

    /// <summary>Gets the loopback port the blob service listens on.</summary>
    public int Port { get; }

    /// <summary>Gets the connection string of the development account.</summary>
    public string ConnectionString => ConnectionStringFor(Port);

    /// <summary>Gets the blob endpoint of the development account, <c>http://127.0.0.1:port/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>The development account's connection string through <paramref name="port"/> (for example a proxy in front of the emulator).</summary>
    public static string ConnectionStringFor(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{port}/{AccountName};";

    /// <summary>Starts the emulator, or returns null with the reason it cannot run here.</summary>
    public static AzuriteServer? TryStart(out string reason)
    {
        string? executable = FindOrInstall(out reason);
        if (executable is null) return null;
        string workspace = Path.Combine(Path.GetTempPath(), "pcr-azurite", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workspace);
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
            "--extentMemoryLimit", "512", "--disableTelemetry", "--skipApiVersionCheck", "--silent",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            reason = $"Azurite ({executable}) did not start: {e.Message}";
            return null;
        }
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            Match match = ListeningLine().Match(e.Data);
            if (match.Success) listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("Azurite exited"));
        process.EnableRaisingEvents = true;

        Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(60))).GetAwaiter().GetResult();
        if (!listening.Task.IsCompletedSuccessfully)
        {
            Stop(process);
            process.WaitForExit(); // flushes the output handlers
            reason = $"Azurite ({executable}) did not report a listening port: {string.Join(" | ", output)}";
            return null;
        }
        reason = "";
        return new AzuriteServer(process, workspace, listening.Task.Result);
    }

    /// <summary>Uploads every file of <paramref name="directory"/> (not its sub-folders) as blobs under <paramref name="prefix"/>, creating the container.</summary>
    public async Task UploadDirectoryAsync(string directory, string container, string prefix)
    {
        var client = new BlobContainerClient(ConnectionString, container);
        await client.CreateIfNotExistsAsync();
        string root = prefix.Trim('/');
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            string name = root.Length == 0 ? Path.GetFileName(file) : $"{root}/{Path.GetFileName(file)}";
            await client.GetBlobClient(name).UploadAsync(file, overwrite: true);
        }
    }

    public void Dispose()
    {
        Stop(_process);
        _process.Dispose();
        try { Directory.Delete(_workspace, recursive: true); }
        catch (IOException) { }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string? FindOrInstall(out string reason)
    {
        reason = "";
        string? configured = Environment.GetEnvironmentVariable("PCR_AZURITE");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured)) return configured;
        string? folder = RepositoryAzuriteFolder();
        string? local = folder is null ? null : Path.Combine(folder, "node_modules", ".bin", "azurite-blob");
        if (local is not null && File.Exists(local)) return local;
        string? onPath = OnPath("azurite-blob");
        if (onPath is not null) return onPath;

        if (OnPath("node") is null)
        {
            reason = "Node.js is not installed, so Azurite (the Azure Storage emulator) cannot run";
            return null;
        }
        string? npm = OnPath("npm");
        if (folder is null || npm is null)
        {
            reason = "Azurite is not installed: run `npm install --prefix build/azurite` in the checkout";
            return null;
        }
        // Test processes running at once install once: the second waits for the first's lock.
        using (var installLock = WaitForLock(Path.Combine(folder, ".install.lock")))
        {
            if (!File.Exists(local))
            {
                Console.WriteLine($"Installing Azurite into {folder} (npm install, once)...");
                var install = new ProcessStartInfo(npm) { UseShellExecute = false, RedirectStandardError = true };
                foreach (string a in new[] { "install", "--prefix", folder, "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error" })
                    install.ArgumentList.Add(a);
                string errors;
                using (Process p = Process.Start(install) ?? throw new InvalidOperationException($"{npm} did not start"))
                {
                    errors = p.StandardError.ReadToEnd();
                    p.WaitForExit();
                }
                if (!File.Exists(local))
                {
                    reason = $"Azurite is not installed and `npm install --prefix build/azurite` failed: {errors.Trim()}";
                    return null;
                }
            }
        }
        return local;
    }

    private static FileStream WaitForLock(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                Thread.Sleep(500);
            }
        }
    }

    private static string? RepositoryAzuriteFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "build", "azurite");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        return null;
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    [GeneratedRegex(@"successfully listens on https?://[^:]+:(\d+)")]
    private static partial Regex ListeningLine();
}
