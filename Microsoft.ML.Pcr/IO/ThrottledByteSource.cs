using System.Diagnostics;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// An <see cref="IPcrByteSource"/> that wraps another and limits the bytes read per second across all its readers,
/// to stand in for a slow disk or network link in experiments: PCRs pay off when reading is the bottleneck.
/// A token bucket: tokens accrue at <see cref="BytesPerSecond"/> up to <see cref="BurstBytes"/>; a read of n bytes
/// takes n tokens and, when fewer are left, waits until the debt is paid. Reads queue behind each other's debt, so the
/// rate holds however many cursors read at once. Lengths (<see cref="GetLength"/>) are not throttled.
/// </summary>
public sealed class ThrottledByteSource : IVersionedByteSource
{
    private readonly IPcrByteSource _inner;
    private readonly object _gate = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private double _tokens;
    private double _lastRefillSeconds;

    /// <summary>Creates a source that reads from <paramref name="inner"/> at most <paramref name="bytesPerSecond"/> bytes per second.</summary>
    /// <param name="inner">Where the bytes come from.</param>
    /// <param name="bytesPerSecond">The sustained rate, in bytes per second; must be positive.</param>
    /// <param name="burstBytes">
    /// How many bytes may be read without waiting after a pause (the bucket's size); null for a tenth of a second's worth.
    /// The bucket starts full.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not positive, or the burst is negative.</exception>
    public ThrottledByteSource(IPcrByteSource inner, double bytesPerSecond, long? burstBytes = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(bytesPerSecond > 0) || double.IsInfinity(bytesPerSecond))
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "The rate must be a positive number of bytes per second.");
        if (burstBytes is < 0)
            throw new ArgumentOutOfRangeException(nameof(burstBytes), burstBytes, "The burst must be 0 or more bytes.");
        _inner = inner;
        BytesPerSecond = bytesPerSecond;
        BurstBytes = burstBytes ?? (long)(bytesPerSecond / 10);
        _tokens = BurstBytes;
    }

    /// <summary>Gets the sustained rate, in bytes per second.</summary>
    public double BytesPerSecond { get; }

    /// <summary>Gets the bucket's size: the bytes that may be read at once without waiting after a pause.</summary>
    public long BurstBytes { get; }

    /// <summary>Gets the total time reads have waited for tokens, summed over readers.</summary>
    public TimeSpan TotalDelay => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));

    private long _delayTicks;

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <inheritdoc/>
    public string Describe(string fileName) => _inner.Describe(fileName);

    /// <inheritdoc/>
    public long GetLength(string fileName) => _inner.GetLength(fileName);

    /// <inheritdoc/>
    /// <remarks>The wrapped source's version, or <see langword="null"/> when it cannot tell versions.</remarks>
    public string? GetVersion(string fileName) => (_inner as IVersionedByteSource)?.GetVersion(fileName);

    /// <inheritdoc/>
    /// <remarks>Waits (blocking the calling thread) until the bucket has paid for <c>buffer.Length</c> bytes, then reads.</remarks>
    public int Read(string fileName, long offset, Span<byte> buffer)
    {
        TimeSpan wait = Take(buffer.Length);
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
        return _inner.Read(fileName, offset, buffer);
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        TimeSpan wait = Take(buffer.Length);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        return await _inner.ReadAsync(fileName, offset, buffer, cancellationToken).ConfigureAwait(false);
    }

    // Takes the tokens at once (the balance may go negative) and returns how long the caller must wait for the debt.
    private TimeSpan Take(int bytes)
    {
        double waitSeconds;
        lock (_gate)
        {
            double now = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            _tokens = Math.Min(BurstBytes, _tokens + (now - _lastRefillSeconds) * BytesPerSecond);
            _lastRefillSeconds = now;
            _tokens -= bytes;
            waitSeconds = _tokens < 0 ? -_tokens / BytesPerSecond : 0;
        }
        TimeSpan wait = TimeSpan.FromSeconds(waitSeconds);
        Interlocked.Add(ref _delayTicks, wait.Ticks);
        return wait;
    }
}
