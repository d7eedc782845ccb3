using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Writes the files of a PCR dataset into a directory on local disk (created when the first file is written): a file is written as
/// <c>name.partial</c> and renamed to <c>name</c> on <see cref="Commit"/>, replacing what was there. The writer lock is a lock file
/// created exclusively, holding the writer's process id and host; the lock of a process that is gone is taken over.
/// </summary>
public sealed class DirectoryByteSink : IPcrByteSink
{
    /// <summary>The suffix of a file being written (before <see cref="Commit"/>).</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>Creates a sink into <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory; created when the first file is written or a lock is taken.</param>
    public DirectoryByteSink(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>Gets the directory's full path.</summary>
    public string Directory { get; }

    /// <inheritdoc/>
    public string Location => Directory;

    /// <inheritdoc/>
    public string Describe(string fileName) => Path.Combine(Directory, fileName);

    /// <inheritdoc/>
    public Stream Create(string fileName)
    {
        CheckName(fileName);
        System.IO.Directory.CreateDirectory(Directory);
        return new FileStream(Path.Combine(Directory, fileName + PartialSuffix), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
    }

    /// <inheritdoc/>
    public void Commit(string fileName)
    {
        CheckName(fileName);
        string partial = Path.Combine(Directory, fileName + PartialSuffix);
        if (!File.Exists(partial)) throw new InvalidOperationException($"Nothing was written to '{Describe(fileName)}' to commit.");
        File.Move(partial, Path.Combine(Directory, fileName), overwrite: true);
    }

    /// <inheritdoc/>
    public void Delete(string fileName)
    {
        CheckName(fileName);
        File.Delete(Path.Combine(Directory, fileName));
    }

    /// <inheritdoc/>
    /// <remarks>The files being written, or left by a writer that was interrupted, are listed with their <see cref="PartialSuffix"/>.</remarks>
    public IReadOnlyList<string> List() =>
        System.IO.Directory.Exists(Directory)
            ? [.. System.IO.Directory.EnumerateFileSystemEntries(Directory).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)]
            : [];

    /// <inheritdoc/>
    /// <remarks>
    /// A file created with <see cref="FileMode.CreateNew"/> holding the process id, host and start time. A lock whose process is gone (on
    /// this host) is taken over; a lock of another host is never taken over: delete it by hand when no writer runs there.
    /// </remarks>
    public IDisposable AcquireLock(string lockName)
    {
        CheckName(lockName);
        System.IO.Directory.CreateDirectory(Directory);
        return PcrWriterLock.Acquire(Directory, lockName);
    }

    /// <inheritdoc/>
    public IPcrByteSource OpenSource() => new FileByteSource(Directory);

    private static void CheckName(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (fileName.IndexOfAny(['/', '\\']) >= 0 || fileName is "." or "..")
            throw new ArgumentException($"Expected a file name without folder, got '{fileName}'.", nameof(fileName));
    }
}
