using System.Buffers;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// Holds the converted images of one batch in a few large pooled chunks instead of one array each: a record's worth
/// of ~100 KB arrays would mostly miss the pool and become large-object garbage, and the heap would grow with the
/// image count. Appends are thread-safe. The chunks go back to the pool when the batch is sealed and every image
/// appended has been released (its record written).
/// </summary>
internal sealed class ImageArena
{
    private const int ChunkSize = 4 << 20;

    private readonly ArrayPool<byte> _pool;
    private readonly List<byte[]> _chunks = [];
    private readonly Lock _lock = new();
    private byte[]? _current;
    private int _used;
    private int _outstanding;
    private bool _sealed;

    public ImageArena(ArrayPool<byte> pool) => _pool = pool;

    /// <summary>Copies <paramref name="bytes"/> into the arena and returns where they now are.</summary>
    public ReadOnlyMemory<byte> Append(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_sealed && _outstanding == 0, this);
            if (_current is null || _current.Length - _used < bytes.Length)
            {
                _current = _pool.Rent(Math.Max(ChunkSize, bytes.Length));
                _chunks.Add(_current);
                _used = 0;
            }
            bytes.CopyTo(_current.AsSpan(_used));
            ReadOnlyMemory<byte> stored = _current.AsMemory(_used, bytes.Length);
            _used += bytes.Length;
            _outstanding++;
            return stored;
        }
    }

    /// <summary>Says no more images will be appended; frees the chunks now if none is outstanding.</summary>
    public void Seal()
    {
        lock (_lock)
        {
            _sealed = true;
            ReturnChunksIfDone();
        }
    }

    /// <summary>Says one appended image is no longer needed.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _outstanding--;
            ReturnChunksIfDone();
        }
    }

    private void ReturnChunksIfDone()
    {
        if (!_sealed || _outstanding > 0) return;
        foreach (byte[] chunk in _chunks) _pool.Return(chunk);
        _chunks.Clear();
        _current = null;
    }
}
