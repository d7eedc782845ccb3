using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Reads PCR files from a local directory with positional reads (one system call per read,
/// no shared file position, so concurrent cursors never contend).
/// </summary>
public sealed class FileByteSource : IVersionedByteSource
{
    /// <summary>Creates a source over <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory that holds <c>PCR_index.pb</c> and the record files.</param>
    /// <exception cref="FileNotFoundException">The directory does not exist.</exception>
    public FileByteSource(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Location = Path.GetFullPath(directory);
        if (!Directory.Exists(Location))
            throw new FileNotFoundException($"PCR directory '{Location}' does not exist.", Location);
    }

    /// <inheritdoc/>
    public string Location { get; }

    /// <inheritdoc/>
    public string Describe(string fileName) => Path.Combine(Location, fileName);

    /// <inheritdoc/>
    public long GetLength(string fileName)
    {
        var info = new FileInfo(Describe(fileName));
        if (!info.Exists) return -1;
        // FileInfo describes a symbolic link itself; a dataset of linked files is measured by their targets.
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            return target.Exists ? target.Length : -1;
        return info.Length;
    }

    /// <inheritdoc/>
    /// <remarks>The version is the file's length and last write time (of its target, for a symbolic link).</remarks>
    public string? GetVersion(string fileName)
    {
        FileSystemInfo info = new FileInfo(Describe(fileName));
        if (info.LinkTarget is not null) info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
        if (info is not FileInfo { Exists: true } file) return null;
        return string.Create(CultureInfo.InvariantCulture, $"{file.Length}-{file.LastWriteTimeUtc.Ticks}");
    }

    /// <inheritdoc/>
    public int Read(string fileName, long offset, Span<byte> buffer)
    {
        using SafeFileHandle handle = Open(fileName);
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle handle = Open(fileName, FileOptions.Asynchronous);
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private SafeFileHandle Open(string fileName, FileOptions options = FileOptions.None)
    {
        string path = Describe(fileName);
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, options);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"PCR file '{path}' does not exist.", path, e);
        }
    }
}
