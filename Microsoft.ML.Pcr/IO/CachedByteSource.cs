using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// An <see cref="IPcrByteSource"/> that keeps what it reads from another source (typically object storage) in a local
/// directory, so later epochs read from disk. Each file is cached as a prefix: reading a record at a higher scan group
/// than before downloads only the missing bytes <c>[cached length, new prefix)</c> and appends them, so a fidelity
/// upgrade costs only the new bytes. Entries are keyed by the source's location, the file name, its version (an ETag)
/// and its length: a file whose version changes is read afresh and its old entry deleted.
/// </summary>
/// <remarks>
/// <para>
/// The directory may be shared by several sources and processes. An entry is never written in place: the grown prefix
/// goes to a temporary file in the same directory, which is then renamed over the entry, so a reader sees the old
/// prefix or the new one, never a partial write. Two processes that miss on the same file at once both download it;
/// the last rename wins, and both copies are the same bytes.
/// </para>
/// <para>
/// When the entries exceed <see cref="MaxBytes"/>, the least recently used are deleted until they fill at most 90% of
/// it (checked whenever this instance writes an entry, and at construction). Files whose version the source cannot
/// tell, and prefixes larger than <see cref="MaxBytes"/>, are read through without caching.
/// </para>
/// </remarks>
public sealed class CachedByteSource : IVersionedByteSource
{
    private const string EntryExtension = ".pcrc";
    private const string TemporaryExtension = ".tmp";
    private static readonly TimeSpan s_staleTemporaryAge = TimeSpan.FromHours(1);

    private readonly IVersionedByteSource _inner;
    private readonly Lock _evictionGate = new();
    private long _entryBytes;
    private long _bytesFromCache;
    private long _bytesFromSource;

    /// <summary>Creates a cache of <paramref name="inner"/> in <paramref name="directory"/>, holding at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="inner">Where bytes come from on a miss; its versions (for example ETags) key the entries.</param>
    /// <param name="directory">The cache directory; created if missing. It may be shared with other caches and processes.</param>
    /// <param name="maxBytes">The size limit of the entries in bytes; must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBytes"/> is not positive.</exception>
    public CachedByteSource(IVersionedByteSource inner, string directory, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (maxBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The cache's size limit must be a positive number of bytes.");
        _inner = inner;
        Directory = Path.GetFullPath(directory);
        MaxBytes = maxBytes;
        System.IO.Directory.CreateDirectory(Directory);
        _entryBytes = Evict(force: false);
    }

    /// <summary>Gets the cache directory.</summary>
    public string Directory { get; }

    /// <summary>Gets the size limit of the entries, in bytes.</summary>
    public long MaxBytes { get; }

    /// <summary>Gets the source that misses are read from.</summary>
    public IVersionedByteSource Inner => _inner;

    /// <summary>Gets the bytes served from the cache directory so far.</summary>
    public long BytesFromCache => Interlocked.Read(ref _bytesFromCache);

    /// <summary>Gets the bytes read from <see cref="Inner"/> so far (over the network, for object storage).</summary>
    public long BytesFromSource => Interlocked.Read(ref _bytesFromSource);

    /// <summary>Gets the bytes the cache directory's entries held when this instance last measured them, plus what it wrote since.</summary>
    public long EntryBytes => Interlocked.Read(ref _entryBytes);

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <inheritdoc/>
    public string Describe(string fileName) => _inner.Describe(fileName);

    /// <inheritdoc/>
    public long GetLength(string fileName) => _inner.GetLength(fileName);

    /// <inheritdoc/>
    public string? GetVersion(string fileName) => _inner.GetVersion(fileName);

    /// <inheritdoc/>
    public int Read(string fileName, long offset, Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length, 1));
        try
        {
            ValueTask<int> pending = ReadCore(fileName, offset, rented.AsMemory(0, buffer.Length), useAsync: false, CancellationToken.None);
            // With useAsync false every step completes synchronously.
            int read = pending.GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCore(fileName, offset, buffer, useAsync: true, cancellationToken);

    private async ValueTask<int> ReadCore(string fileName, long offset, Memory<byte> buffer, bool useAsync, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (buffer.Length == 0) return 0;
        string? version = _inner.GetVersion(fileName);
        long length = _inner.GetLength(fileName);
        long end = Math.Min(offset + buffer.Length, length);
        if (version is null || length < 0 || end > MaxBytes)
            return await ReadThrough(fileName, offset, buffer, useAsync, cancellationToken).ConfigureAwait(false);
        if (offset >= end) return 0;
        int wanted = (int)(end - offset);

        string entry = EntryPath(fileName, version, length);
        using SafeFileHandle? cached = OpenEntry(entry, useAsync);
        long cachedLength = cached is null ? 0 : RandomAccess.GetLength(cached);
        int fromCache = 0;
        if (cached is not null && offset < cachedLength)
        {
            int available = (int)Math.Min(wanted, cachedLength - offset);
            fromCache = await ReadFully(cached, buffer[..available], offset, useAsync, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _bytesFromCache, fromCache);
            Touch(entry);
            if (fromCache == wanted) return wanted;
            cachedLength = offset + fromCache;
        }
        if (offset + fromCache > cachedLength)
        {
            // A read that starts past the cached prefix: growing the prefix would download the gap too, so read through.
            return await ReadThrough(fileName, offset, buffer, useAsync, cancellationToken).ConfigureAwait(false);
        }

        // The missing range [cachedLength, end): downloaded once, then the entry grows by exactly those bytes.
        Memory<byte> missing = buffer[fromCache..wanted];
        int downloaded = useAsync
            ? await _inner.ReadAsync(fileName, cachedLength, missing, cancellationToken).ConfigureAwait(false)
            : _inner.Read(fileName, cachedLength, missing.Span);
        Interlocked.Add(ref _bytesFromSource, downloaded);
        if (downloaded == missing.Length)
            await Grow(entry, fileName, cached, cachedLength, missing, useAsync, cancellationToken).ConfigureAwait(false);
        return fromCache + downloaded;
    }

    private async ValueTask<int> ReadThrough(string fileName, long offset, Memory<byte> buffer, bool useAsync, CancellationToken cancellationToken)
    {
        int read = useAsync
            ? await _inner.ReadAsync(fileName, offset, buffer, cancellationToken).ConfigureAwait(false)
            : _inner.Read(fileName, offset, buffer.Span);
        Interlocked.Add(ref _bytesFromSource, read);
        return read;
    }

    // Writes [0, cachedLength) of the old entry and then the new bytes to a temporary file and renames it over the entry.
    private async ValueTask Grow(string entry, string fileName, SafeFileHandle? cached, long cachedLength, ReadOnlyMemory<byte> appended,
        bool useAsync, CancellationToken cancellationToken)
    {
        long newLength = cachedLength + appended.Length;
        string temporary = $"{entry}.{Environment.ProcessId}.{Guid.NewGuid():N}{TemporaryExtension}";
        try
        {
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16,
                useAsync ? FileOptions.Asynchronous : FileOptions.None))
            {
                if (cached is not null && cachedLength > 0)
                    await CopyPrefix(cached, cachedLength, output, useAsync, cancellationToken).ConfigureAwait(false);
                if (useAsync) await output.WriteAsync(appended, cancellationToken).ConfigureAwait(false);
                else output.Write(appended.Span);
                // On disk before the rename, so that a crash never leaves an entry whose tail was not written.
                output.Flush(flushToDisk: true);
            }
            // Another process may have grown the entry further meanwhile: keep the longer one.
            var current = new FileInfo(entry);
            if (current.Exists && current.Length >= newLength)
            {
                File.Delete(temporary);
                return;
            }
            long previous = current.Exists ? current.Length : 0;
            File.Move(temporary, entry, overwrite: true);
            if (previous == 0) DeleteOtherVersions(entry);
            if (Interlocked.Add(ref _entryBytes, newLength - previous) > MaxBytes)
                Interlocked.Exchange(ref _entryBytes, Evict(force: true));
        }
        catch (IOException e)
        {
            // The cache is an optimisation: a full disk or a lost race costs the next read a download, not this read its bytes.
            TryDelete(temporary);
            System.Diagnostics.Trace.TraceWarning($"PCR cache: could not store '{Describe(fileName)}' in '{Directory}': {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            TryDelete(temporary);
            System.Diagnostics.Trace.TraceWarning($"PCR cache: could not store '{Describe(fileName)}' in '{Directory}': {e.Message}");
        }
    }

    private static async ValueTask CopyPrefix(SafeFileHandle source, long length, FileStream output, bool useAsync, CancellationToken cancellationToken)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            for (long position = 0; position < length;)
            {
                int want = (int)Math.Min(chunk.Length, length - position);
                int n = await ReadFully(source, chunk.AsMemory(0, want), position, useAsync, cancellationToken).ConfigureAwait(false);
                if (n < want) throw new IOException($"the cache entry shrank while it was copied (at byte {position + n} of {length})");
                if (useAsync) await output.WriteAsync(chunk.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                else output.Write(chunk, 0, n);
                position += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static async ValueTask<int> ReadFully(SafeFileHandle handle, Memory<byte> buffer, long offset, bool useAsync, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = useAsync
                ? await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false)
                : RandomAccess.Read(handle, buffer.Span[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static SafeFileHandle? OpenEntry(string entry, bool useAsync)
    {
        try
        {
            // Delete shared: another process may evict or replace the entry while this one reads the old inode.
            return File.OpenHandle(entry, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                useAsync ? FileOptions.Asynchronous : FileOptions.None);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    // Least recently used: a hit sets the entry's access time explicitly (mounts with noatime or relatime would not).
    private static void Touch(string entry)
    {
        try
        {
            File.SetLastAccessTimeUtc(entry, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // Evicted or replaced meanwhile: nothing to keep fresh.
        }
        catch (UnauthorizedAccessException)
        {
            // A read-only cache directory still serves hits.
        }
    }

    // Entries are "<hash of location and file>.<hash of version and length>.pcrc", so older versions of a file are found by name.
    private string EntryPath(string fileName, string version, long length)
    {
        string file = Hash($"{_inner.Location}\n{fileName}");
        string key = Hash($"{version}\n{length}");
        return Path.Combine(Directory, $"{file}.{key}{EntryExtension}");
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));

    private void DeleteOtherVersions(string entry)
    {
        string name = Path.GetFileName(entry);
        string file = name[..name.IndexOf('.', StringComparison.Ordinal)];
        foreach (string other in System.IO.Directory.EnumerateFiles(Directory, $"{file}.*{EntryExtension}"))
        {
            if (!string.Equals(other, entry, StringComparison.Ordinal) && TryDelete(other) is long freed)
                Interlocked.Add(ref _entryBytes, -freed);
        }
    }

    // Measures the entries, deletes temporary files left by crashed writers and, when over the limit (or forced to check),
    // the least recently used entries down to 90% of it. Returns the bytes the entries hold afterwards.
    private long Evict(bool force)
    {
        lock (_evictionGate)
        {
            var entries = new List<FileInfo>();
            long total = 0;
            foreach (FileInfo info in new DirectoryInfo(Directory).EnumerateFiles())
            {
                if (info.Name.EndsWith(TemporaryExtension, StringComparison.Ordinal))
                {
                    if (DateTime.UtcNow - info.LastWriteTimeUtc > s_staleTemporaryAge) TryDelete(info.FullName);
                }
                else if (info.Name.EndsWith(EntryExtension, StringComparison.Ordinal))
                {
                    entries.Add(info);
                    total += info.Length;
                }
            }
            if (total <= MaxBytes && !force) return total;
            long lowWater = MaxBytes / 10 * 9;
            foreach (FileInfo info in entries.OrderBy(e => e.LastAccessTimeUtc))
            {
                if (total <= lowWater) break;
                if (TryDelete(info.FullName) is long freed) total -= freed;
            }
            return total;
        }
    }

    private static long? TryDelete(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            long length = info.Length;
            info.Delete();
            return length;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
