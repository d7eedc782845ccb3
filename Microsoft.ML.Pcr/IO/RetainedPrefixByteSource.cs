using System.Collections.Concurrent;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// An <see cref="IPcrByteSource"/> over another that keeps in memory the longest prefix of each file it has read from offset 0,
/// and serves any later read inside a kept prefix from memory. A record read at full fidelity holds every lower scan group's
/// prefix, so reading it first and the lower scan groups after costs the bytes of the full-fidelity read only (the automatic scan
/// policy's measurement). Meant for a few records at a time: nothing is evicted until the source is dropped.
/// </summary>
internal sealed class RetainedPrefixByteSource(IPcrByteSource inner) : IPcrByteSource
{
    private readonly ConcurrentDictionary<string, byte[]> _prefixes = new(StringComparer.Ordinal);
    private long _bytesFromInner;
    private long _bytesFromMemory;

    /// <summary>Gets the bytes read from the inner source.</summary>
    public long BytesFromInner => Interlocked.Read(ref _bytesFromInner);

    /// <summary>Gets the bytes served from kept prefixes.</summary>
    public long BytesFromMemory => Interlocked.Read(ref _bytesFromMemory);

    public string Location => inner.Location;

    public string Describe(string fileName) => inner.Describe(fileName);

    public long GetLength(string fileName) => inner.GetLength(fileName);

    public int Read(string fileName, long offset, Span<byte> buffer)
    {
        if (TryServe(fileName, offset, buffer)) return buffer.Length;
        int read = inner.Read(fileName, offset, buffer);
        Keep(fileName, offset, buffer[..read]);
        return read;
    }

    public async ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TryServe(fileName, offset, buffer.Span)) return buffer.Length;
        int read = await inner.ReadAsync(fileName, offset, buffer, cancellationToken).ConfigureAwait(false);
        Keep(fileName, offset, buffer.Span[..read]);
        return read;
    }

    private bool TryServe(string fileName, long offset, Span<byte> buffer)
    {
        if (!_prefixes.TryGetValue(fileName, out byte[]? kept) || offset < 0 || offset + buffer.Length > kept.Length) return false;
        kept.AsSpan((int)offset, buffer.Length).CopyTo(buffer);
        Interlocked.Add(ref _bytesFromMemory, buffer.Length);
        return true;
    }

    private void Keep(string fileName, long offset, ReadOnlySpan<byte> read)
    {
        Interlocked.Add(ref _bytesFromInner, read.Length);
        if (offset != 0) return;
        byte[] copy = read.ToArray();
        _prefixes.AddOrUpdate(fileName, copy, (_, kept) => kept.Length >= copy.Length ? kept : copy);
    }
}
