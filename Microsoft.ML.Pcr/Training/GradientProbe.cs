using System.Diagnostics;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The trainer's <see cref="IGradientProbe"/>: a seeded choice of the fewest training records that hold the batches asked for,
/// read unshuffled and without augmentation at each scan group as record prefixes through the loader, so every candidate sees the
/// same rows in the same order, and every row read is measured. The full-fidelity pass goes first and its record prefixes are
/// kept in memory (<see cref="RetainedPrefixByteSource"/>), so the candidates' prefixes, which are prefixes of those bytes, cost
/// no further reads of the training source: a measurement reads the chosen records once. The network runs in training mode, so
/// the gradient is the one a training step would take (batch statistics included; eval mode would give another gradient than
/// training uses), and its batch-norm buffers and parameter gradients are restored afterwards; the optimizer is never involved.
/// </summary>
internal sealed class GradientProbe(nn.Module<Tensor, Tensor> model, Device device, PcrDataView training, FeedSettings settings, int seed,
    CancellationToken cancellation) : IGradientProbe
{
    /// <summary>Gets what the last measurement read: its records (positions in the dataset) and the bytes its cursors read at each scan group (index 0: metadata only), most of them from memory.</summary>
    internal (int[] Records, long[] BytesByScan) LastReads { get; private set; } = ([], []);

    public (double[] Similarities, long BytesRead) Similarities(IReadOnlyList<int> candidates, int batches)
    {
        var memory = new RetainedPrefixByteSource(training.Dataset.Source);
        PcrDataset reading = training.Dataset.ReadingThrough(memory);
        PcrDataView rows = ChooseRows(batches, reading);
        using var scope = NewDisposeScope();
        Tensor[] buffers = [.. model.buffers()];
        Tensor[] savedBuffers;
        Tensor?[] savedGradients;
        var parameters = model.parameters().ToArray();
        using (no_grad())
        {
            savedBuffers = [.. buffers.Select(b => b.clone())];
            savedGradients = [.. parameters.Select(p => p.grad is { } g ? g.clone() : null)];
        }
        bool wasTraining = model.training;
        try
        {
            model.train();
            Tensor full = Gradient(rows.WithScan(rows.ScanGroupCount), parameters);
            var similarities = new double[candidates.Count];
            for (int i = 0; i < candidates.Count; i++)
            {
                Tensor g = candidates[i] == rows.ScanGroupCount ? full : Gradient(rows.WithScan(candidates[i]), parameters);
                double norms = full.norm().item<double>() * g.norm().item<double>();
                similarities[i] = norms == 0 ? 0 : full.dot(g).item<double>() / norms;
            }
            return (similarities, memory.BytesFromInner);
        }
        finally
        {
            using (no_grad())
            {
                for (int i = 0; i < buffers.Length; i++) buffers[i].copy_(savedBuffers[i]);
                for (int i = 0; i < parameters.Length; i++)
                {
                    if (savedGradients[i] is { } g) parameters[i].grad!.copy_(g);
                    else parameters[i].grad?.zero_();
                }
            }
            model.train(wasTraining);
            // What came from the training source counts on its dataset, as full-fidelity reads (the candidates' came from memory).
            training.Dataset.CountRead(training.ScanGroupCount, memory.BytesFromInner);
            LastReads = ([.. rows.Records], [.. Enumerable.Range(0, reading.ScanGroupCount + 1).Select(reading.GetBytesRead)]);
        }
    }

    /// <summary>
    /// A seeded choice of the fewest whole records whose rows (per worker) fill <paramref name="batches"/> batches, at least one per
    /// worker, read through <paramref name="readThrough"/>; every record when they are needed.
    /// </summary>
    private PcrDataView ChooseRows(int batches, PcrDataset readThrough)
    {
        long needed = (long)batches * settings.BatchSize;
        int[] order = [.. training.Records];
        new Random(seed).Shuffle(order);
        int count = Math.Min(training.WorkerCount, order.Length);
        while (count < order.Length && PcrEpochPlan.RowsPerWorker(training.Dataset, order[..count], training.WorkerCount) < needed) count++;
        return training.Subset(order[..count], readThrough);
    }

    /// <summary>
    /// The gradient of the cross-entropy over every row of <paramref name="data"/> (each batch's mean, weighted by its share of a full
    /// batch, summed), flattened, in double precision.
    /// </summary>
    private Tensor Gradient(PcrDataView data, TorchSharp.Modules.Parameter[] parameters)
    {
        model.zero_grad();
        using (var feeder = new BatchFeeder(data, null, 0, settings, cancellation))
        {
            foreach (ImageBatch batch in feeder.Batches(new Stopwatch()))
            {
                using (batch)
                using (DisposeScope step = NewDisposeScope())
                {
                    int valid = batch.Count - batch.Skipped;
                    if (valid > 0)
                        (nn.functional.cross_entropy(model.forward(batch.Images.to(device)), batch.Labels.to(device)) * ((double)valid / settings.BatchSize)).backward();
                }
            }
        }
        using (no_grad())
            return cat([.. parameters.Select(p => p.grad is { } g ? g.flatten() : zeros(p.numel(), device: device))]).to(ScalarType.Float64);
    }
}
