using Microsoft.ML.Pcr.Imaging;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>One decoded batch: images in a (N, 3, S, S) tensor, labels (0-based; -100 for a skipped image) in a (N) tensor.</summary>
internal sealed class ImageBatch(Tensor images, Tensor labels, int count, long encodedBytes, int skipped) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor Labels { get; } = labels;
    public int Count { get; } = count;
    public long EncodedBytes { get; } = encodedBytes;
    public int Skipped { get; } = skipped;

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>What the feeder reads and how it prepares images.</summary>
internal sealed record FeedSettings(int LabelColumn, int ImageColumn, string ImageColumnName, int BatchSize, int InputSize,
    bool Augment, float MinCropArea, bool Flip, int Seed, bool SkipUndecodable, int BatchesInFlight, IImageTensorDecoder Decoder,
    Func<ulong, bool>? RowFilter);

/// <summary>
/// Reads one pass of a cursor on a background thread and decodes batches on the thread pool, straight into each batch
/// tensor's memory, while the caller trains on earlier batches. At most <see cref="FeedSettings.BatchesInFlight"/>
/// batches exist at once (being decoded or waiting), which bounds memory. Batches come out in cursor order, and each
/// image's augmentation depends only on the seed, the epoch and the row's id, so the result does not depend on timing
/// or on the number of threads.
/// </summary>
internal sealed class BatchFeeder : IDisposable
{
    private const int IgnoredLabel = -100; // cross_entropy's default ignore_index

    private readonly BlockingCollection<Task<ImageBatch>> _queue;
    private readonly CancellationTokenSource _stop;
    private readonly Thread _reader;
    private readonly FeedSettings _settings;
    private readonly int _epoch;
    // A decode started just as the feeder was stopped, which never reached the queue (set by the reader thread, read after
    // it is joined). Dispose waits for it as for the queued ones, so that no thread-pool thread is still creating or filling
    // batch tensors once the feeder is gone (libtorch is then free to change its thread settings).
    private Task<ImageBatch>? _unqueued;

    public BatchFeeder(IDataView data, Random? shuffle, int epoch, FeedSettings settings, CancellationToken cancellation)
    {
        _settings = settings;
        _epoch = epoch;
        _queue = new BlockingCollection<Task<ImageBatch>>(Math.Max(1, settings.BatchesInFlight));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        DataViewSchema.Column[] columns = [data.Schema[settings.LabelColumn], data.Schema[settings.ImageColumn]];
        _reader = new Thread(() => Read(data, columns, shuffle)) { IsBackground = true, Name = "PCR trainer reader" };
        _reader.Start();
    }

    /// <summary>The batches in order; the caller disposes each. Time spent blocked in MoveNext is the data wait.</summary>
    public IEnumerable<ImageBatch> Batches(Stopwatch wait)
    {
        while (true)
        {
            wait.Start();
            bool got = _queue.TryTake(out Task<ImageBatch>? next, Timeout.Infinite, _stop.Token);
            ImageBatch? batch = null;
            if (got)
            {
                try
                {
                    batch = next!.GetAwaiter().GetResult();
                }
                finally
                {
                    wait.Stop();
                }
            }
            else wait.Stop();
            if (batch is null) yield break;
            yield return batch;
        }
    }

    private void Read(IDataView data, DataViewSchema.Column[] columns, Random? shuffle)
    {
        try
        {
            using DataViewRowCursor cursor = data.GetRowCursor(columns, shuffle);
            ValueGetter<uint> label = cursor.GetGetter<uint>(columns[0]);
            ValueGetter<VBuffer<byte>> image = cursor.GetGetter<VBuffer<byte>>(columns[1]);
            ValueGetter<DataViewRowId> id = cursor.GetIdGetter();
            uint key = 0;
            VBuffer<byte> bytes = default;
            DataViewRowId rowId = default;
            var pending = new List<PendingImage>(_settings.BatchSize);
            while (cursor.MoveNext())
            {
                _stop.Token.ThrowIfCancellationRequested();
                id(ref rowId);
                if (_settings.RowFilter is { } keep && !keep(rowId.Low)) continue;
                label(ref key);
                if (key == 0) continue; // a missing label: ML.NET's trainers skip such rows too
                image(ref bytes);
                ReadOnlySpan<byte> encoded = bytes.GetValues();
                byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, encoded.Length));
                encoded.CopyTo(copy);
                pending.Add(new PendingImage(copy, encoded.Length, (int)key - 1, rowId.Low));
                if (pending.Count == _settings.BatchSize)
                {
                    Enqueue(pending);
                    pending = new List<PendingImage>(_settings.BatchSize);
                }
            }
            if (pending.Count > 0) Enqueue(pending);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            try { _queue.Add(Task.FromException<ImageBatch>(e)); } catch (InvalidOperationException) { }
        }
        finally
        {
            _queue.CompleteAdding();
        }
    }

    private void Enqueue(List<PendingImage> images)
    {
        Task<ImageBatch> task = Task.Run(() => Decode(images));
        try
        {
            _queue.Add(task, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            _unqueued = task;
            throw;
        }
    }

    private ImageBatch Decode(List<PendingImage> images)
    {
        int n = images.Count, size = _settings.InputSize, floats = 3 * size * size;
        Tensor tensor = empty([n, 3, size, size], ScalarType.Float32);
        long[] labels = new long[n];
        long bytes = 0;
        int skipped = 0;
        try
        {
            // The tensor's own CPU memory: images are resampled straight into it.
            Span<float> all = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.bytes);
            for (int i = 0; i < n; i++)
            {
                PendingImage p = images[i];
                bytes += p.Length;
                labels[i] = p.Label;
                Span<float> target = all.Slice(i * floats, floats);
                try
                {
                    _settings.Decoder.Decode(p.Bytes.AsSpan(0, p.Length), size, ChooseCrop(p.RowId), target);
                }
                catch (ImageDecodeFailure failure)
                {
                    if (!_settings.SkipUndecodable)
                        throw new PcrFormatException($"cannot decode the image in column '{_settings.ImageColumnName}' of the row with id {p.RowId}: {failure.Message}" +
                            " (set SkipUndecodableImages to skip and count such images)");
                    target.Clear();
                    labels[i] = IgnoredLabel;
                    skipped++;
                }
            }
            return new ImageBatch(tensor, torch_tensor(labels), n, bytes, skipped);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        finally
        {
            foreach (PendingImage p in images) ArrayPool<byte>.Shared.Return(p.Bytes);
        }
    }

    private static Tensor torch_tensor(long[] labels) => tensor(labels, ScalarType.Int64);

    /// <summary>The crop of an image: random resized crop and flip from a generator seeded by (seed, epoch, row id), or the centre square.</summary>
    private ImageCrop ChooseCrop(ulong rowId)
    {
        if (!_settings.Augment) return ImageCrop.Whole;
        var random = new Random(unchecked((int)Mix((ulong)_settings.Seed, (ulong)_epoch, rowId)));
        float area = _settings.MinCropArea + (float)random.NextDouble() * (1 - _settings.MinCropArea);
        float logRatio = (float)(random.NextDouble() * 2 - 1) * MathF.Log(4f / 3f);
        float ratio = MathF.Exp(logRatio);
        float w = Math.Min(1, MathF.Sqrt(area * ratio)), h = Math.Min(1, MathF.Sqrt(area / ratio));
        float x = (float)random.NextDouble() * (1 - w), y = (float)random.NextDouble() * (1 - h);
        return new ImageCrop(x, y, w, h, _settings.Flip && random.Next(2) == 1);
    }

    // SplitMix64 over the three values: a fixed function, the same in every process (unlike HashCode).
    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong z = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL ^ c * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _reader.Join();
        // After the join: the queue holds what the consumer did not take, and _unqueued what never got in.
        foreach (Task<ImageBatch> t in _unqueued is { } unqueued ? [.. _queue, unqueued] : _queue.ToArray())
        {
            try { t.GetAwaiter().GetResult().Dispose(); } catch (Exception) { /* the error was the consumer's to see; it stopped reading */ }
        }
        _queue.Dispose();
        _stop.Dispose();
    }

    private readonly record struct PendingImage(byte[] Bytes, int Length, int Label, ulong RowId);
}
