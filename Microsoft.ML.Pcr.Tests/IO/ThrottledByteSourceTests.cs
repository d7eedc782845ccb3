using System.Diagnostics;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Tests.IO;

// Not speed tests: the lower bounds follow from the rate (a sleep is never shorter than asked), the upper bounds are loose.
[TestClass]
public sealed class ThrottledByteSourceTests
{
    private const double Rate = 400_000; // bytes per second

    [TestMethod]
    public void ReadsPassTheBytesThroughUnchanged()
    {
        var inner = new MemorySource(10_000);
        var source = new ThrottledByteSource(inner, 1e9);
        byte[] buffer = new byte[100];
        Assert.AreEqual(100, source.Read("a", 50, buffer));
        CollectionAssert.AreEqual(inner.Bytes[50..150], buffer);
        Assert.AreEqual(10_000, source.GetLength("a"));
        Assert.AreEqual(inner.Location, source.Location);
    }

    [TestMethod]
    public void ReadsAreDelayedInProportionToTheirSize()
    {
        var source = new ThrottledByteSource(new MemorySource(1 << 20), Rate, burstBytes: 0);
        double small = TimeReads(source, count: 4, size: 20_000);   // 80 KB: 0.2 s at the rate
        double large = TimeReads(source, count: 4, size: 80_000);   // 320 KB: 0.8 s
        Assert.IsTrue(small >= 0.15 && small < 5, $"80 KB took {small:F2} s at {Rate} B/s");
        Assert.IsTrue(large >= 0.7 && large < 10, $"320 KB took {large:F2} s at {Rate} B/s");
        Assert.IsTrue(large > 2 * small, $"4x the bytes took {large:F2} s against {small:F2} s");
        Assert.IsTrue(source.TotalDelay.TotalSeconds >= 0.85, $"waited {source.TotalDelay.TotalSeconds:F2} s in all");
    }

    [TestMethod]
    public async Task TheRateIsSharedByConcurrentReaders()
    {
        var source = new ThrottledByteSource(new MemorySource(1 << 20), Rate, burstBytes: 0);
        var stopwatch = Stopwatch.StartNew();
        // 4 readers x 4 x 25 KB = 400 KB: about 1 s at the rate, whatever the number of readers.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            byte[] buffer = new byte[25_000];
            for (int i = 0; i < 4; i++) await source.ReadAsync("a", 0, buffer);
        })));
        double seconds = stopwatch.Elapsed.TotalSeconds;
        Assert.IsTrue(seconds >= 0.85 && seconds < 10, $"400 KB from 4 readers took {seconds:F2} s at {Rate} B/s");
    }

    [TestMethod]
    public void ABurstIsReadWithoutWaiting()
    {
        var source = new ThrottledByteSource(new MemorySource(1 << 20), 1_000, burstBytes: 100_000);
        double seconds = TimeReads(source, count: 1, size: 50_000); // 50 s at the rate, but within the burst
        Assert.IsTrue(seconds < 5, $"a read within the burst took {seconds:F2} s");
    }

    [TestMethod]
    public void BadArgumentsAreRefused()
    {
        var inner = new MemorySource(10);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ThrottledByteSource(inner, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ThrottledByteSource(inner, double.NaN));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ThrottledByteSource(inner, 10, burstBytes: -1));
        Assert.ThrowsExactly<ArgumentNullException>(() => new ThrottledByteSource(null!, 10));
    }

    private static double TimeReads(IPcrByteSource source, int count, int size)
    {
        byte[] buffer = new byte[size];
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) source.Read("a", 0, buffer);
        return stopwatch.Elapsed.TotalSeconds;
    }

    private sealed class MemorySource(int length) : IPcrByteSource
    {
        public byte[] Bytes { get; } = [.. Enumerable.Range(0, length).Select(i => (byte)i)];

        public string Location => "memory";

        public string Describe(string fileName) => "memory/" + fileName;

        public long GetLength(string fileName) => Bytes.Length;

        public int Read(string fileName, long offset, Span<byte> buffer)
        {
            int n = (int)Math.Clamp(Bytes.Length - offset, 0, buffer.Length);
            Bytes.AsSpan((int)offset, n).CopyTo(buffer);
            return n;
        }

        public ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(fileName, offset, buffer.Span));
    }
}
