using System.Diagnostics;
using Microsoft.ML.Pcr.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The trainer's <see cref="IGradientProbe"/>: a seeded choice of training records (about the rows the measurement
/// needs), read unshuffled and without augmentation at each scan group as record prefixes, so every candidate sees the
/// same rows in the same order. The network runs in training mode, so the gradient is the one a training step would
/// take (batch statistics included; eval mode would give another gradient than training uses), and its batch-norm
/// buffers and parameter gradients are restored afterwards; the optimizer is never involved.
/// </summary>
internal sealed class GradientProbe(nn.Module<Tensor, Tensor> model, Device device, PcrDataView training, FeedSettings settings, int seed,
    CancellationToken cancellation) : IGradientProbe
{
    public (double[] Similarities, long BytesRead) Similarities(IReadOnlyList<int> candidates, int batches)
    {
        PcrDataView rows = ChooseRows(batches);
        long bytesBefore = rows.Dataset.BytesRead;
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
            Tensor full = Gradient(rows.WithScan(rows.ScanGroupCount), batches, parameters);
            var similarities = new double[candidates.Count];
            for (int i = 0; i < candidates.Count; i++)
            {
                Tensor g = candidates[i] == rows.ScanGroupCount ? full : Gradient(rows.WithScan(candidates[i]), batches, parameters);
                double norms = full.norm().item<double>() * g.norm().item<double>();
                similarities[i] = norms == 0 ? 0 : full.dot(g).item<double>() / norms;
            }
            return (similarities, rows.Dataset.BytesRead - bytesBefore);
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
        }
    }

    /// <summary>A seeded choice of whole records holding about <paramref name="batches"/> batches (the whole view when it is small).</summary>
    private PcrDataView ChooseRows(int batches)
    {
        long needed = (long)batches * settings.BatchSize;
        long rows = training.GetRowCount() ?? training.Dataset.ImageCount;
        int records = training.Dataset.Records.Count;
        if (records < 2 || needed >= rows) return training;
        // One record more than the mean would need, so that records of fewer images still fill the batches.
        double share = Math.Min((double)needed / rows + 1.0 / records, 0.99);
        try
        {
            return training.SplitByRecords(share, seed).TestSet;
        }
        catch (InvalidOperationException)
        {
            return training; // too few records per worker for a split: measure on the whole view
        }
    }

    /// <summary>The gradient of the mean cross-entropy summed over the first <paramref name="batches"/> batches of <paramref name="data"/>, flattened, in double precision.</summary>
    private Tensor Gradient(PcrDataView data, int batches, TorchSharp.Modules.Parameter[] parameters)
    {
        model.zero_grad();
        int taken = 0;
        using (var feeder = new BatchFeeder(data, null, 0, settings, cancellation))
        {
            foreach (ImageBatch batch in feeder.Batches(new Stopwatch()))
            {
                using (batch)
                using (DisposeScope step = NewDisposeScope())
                {
                    if (batch.Count > batch.Skipped)
                        nn.functional.cross_entropy(model.forward(batch.Images.to(device)), batch.Labels.to(device)).backward();
                }
                if (++taken == batches) break;
            }
        }
        using (no_grad())
            return cat([.. parameters.Select(p => p.grad is { } g ? g.flatten() : zeros(p.numel(), device: device))]).to(ScalarType.Float64);
    }
}
