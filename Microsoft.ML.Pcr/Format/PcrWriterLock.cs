using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// The lock a writer holds on its output directory: a file <c>.pcr-writer.lock</c> created with <see cref="FileMode.CreateNew"/> (so
/// two writers cannot both create it), holding the writer's process id, host and start time. A lock whose process is gone (a
/// killed conversion) is stale and is taken over; a live one refuses the second writer before it touches anything.
/// </summary>
internal sealed class PcrWriterLock : IDisposable
{
    /// <summary>The lock's file name inside the output directory.</summary>
    public const string FileName = ".pcr-writer.lock";

    // A lock file without readable content is being written by a writer that is starting, unless it is older than this.
    private static readonly TimeSpan UnreadableGrace = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private bool _released;

    private PcrWriterLock(string path, string? interruptedWriter)
    {
        _path = path;
        InterruptedWriter = interruptedWriter;
    }

    /// <summary>Gets who held the stale lock this writer took over ("process 123 on host, started ..."), or null when there was none.</summary>
    public string? InterruptedWriter { get; }

    /// <summary>Takes the lock on <paramref name="directory"/> (which must exist).</summary>
    /// <exception cref="IOException">Another writer, alive or on another host, holds the lock; the message names the directory and the writer.</exception>
    public static PcrWriterLock Acquire(string directory) => Acquire(directory, FileName);

    /// <summary>Takes the lock file <paramref name="lockName"/> in <paramref name="directory"/> (which must exist).</summary>
    /// <exception cref="IOException">Another writer, alive or on another host, holds the lock; the message names the directory and the writer.</exception>
    public static PcrWriterLock Acquire(string directory, string lockName)
    {
        string path = Path.Combine(directory, lockName);
        byte[] content = Encoding.UTF8.GetBytes(Describe(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow));
        string? interrupted = null;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                    file.Write(content);
                return new PcrWriterLock(path, interrupted);
            }
            catch (IOException) when (File.Exists(path))
            {
                string text = ReadAll(path);
                Holder holder = Holder.Parse(text);
                if (holder.IsAlive(File.GetLastWriteTimeUtc(path)))
                    throw new IOException(
                        $"Another conversion is writing into '{directory}': {holder}. Wait for it to finish; if no conversion is running there, delete '{path}'.");
                if (TakeOver(path, text)) interrupted = holder.ToString();
            }
        }
        throw new IOException($"Could not take the writer lock '{path}': other writers keep taking it.");
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        try { File.Delete(_path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string Describe(int pid, string host, DateTime startedUtc) =>
        $"pid={pid}\nhost={host}\nstarted={startedUtc.ToString("O", CultureInfo.InvariantCulture)}\n";

    // Renamed aside rather than deleted, so that of two writers taking over the same stale lock only one succeeds; and the renamed
    // file is checked to be the stale one (another writer may have taken the lock between the read and the rename).
    private static bool TakeOver(string path, string staleText)
    {
        string aside = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.stale";
        try
        {
            File.Move(path, aside);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        if (ReadAll(aside) != staleText)
        {
            try { File.Move(aside, path); }
            catch (IOException) { } // yet another writer holds it now; ours retries and meets that one
            return false;
        }
        File.Delete(aside);
        return true;
    }

    private static string ReadAll(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    /// <summary>What a lock file says about its writer.</summary>
    private sealed record Holder(int? Pid, string? Host, DateTime? StartedUtc)
    {
        public static Holder Parse(string text)
        {
            int? pid = null;
            string? host = null;
            DateTime? started = null;
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                string key = line[..eq], value = line[(eq + 1)..];
                if (key == "pid" && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p)) pid = p;
                else if (key == "host") host = value;
                else if (key == "started" && DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTime t)) started = t.ToUniversalTime();
            }
            return new Holder(pid, host, started);
        }

        /// <summary>Whether the writer may still be running: a live process on this host (not a later process that reused its id), or any writer on another host.</summary>
        public bool IsAlive(DateTime lockWrittenUtc)
        {
            if (Pid is not int pid || Host is null) return DateTime.UtcNow - lockWrittenUtc < UnreadableGrace;
            if (!string.Equals(Host, Environment.MachineName, StringComparison.Ordinal)) return true; // cannot tell from here
            try
            {
                using Process process = Process.GetProcessById(pid);
                if (process.HasExited) return false;
                // A process that started after the lock was written only reused the id.
                return StartedUtc is not DateTime started || process.StartTime.ToUniversalTime() <= started.AddSeconds(2);
            }
            catch (ArgumentException)
            {
                return false; // no such process
            }
            catch (InvalidOperationException)
            {
                return false; // it exited while we looked
            }
        }

        public override string ToString() =>
            Pid is null ? "a writer whose lock file is still being written"
                : $"process {Pid} on {Host ?? "an unknown host"}" + (StartedUtc is DateTime t ? $", started {t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC" : "");
    }
}
