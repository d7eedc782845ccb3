using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;
using Pcr.Benchmarks.Harness;
using TorchSharp;
using static TorchSharp.torch;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 12b: where the CNN trainer's time goes at 64x64 on clothing-small (SmallResNet, batch 32, augmentation on),
/// side by side in one run: the network alone (forward, backward and step on batches decoded beforehand), the feeder
/// alone (reader thread and thread-pool decoders draining an epoch, no network), and whole training epochs, each with
/// the SkiaSharp tensor decoder and with ours (the trainer's default).
/// </summary>
internal sealed class CnnInputPipeline : IBenchmarkTable
{
    private const int Size = 64, Batch = 32;

    public string Name => "cnnfeed";

    public string Title => "12b. CNN trainer's input pipeline: network, feeder and training, per decoder";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;

        var ml = new MLContext(seed: 1);
        PcrDataView pcr = ml.Data.LoadFromPcr(context.ClothingPcr);
        int images = (int)Math.Min(context.Pick(192, 3068), pcr.GetRowCount() ?? long.MaxValue);
        var waits = new Dictionary<string, List<double>>();
        int threads = Environment.ProcessorCount;
        var decoders = new (string Name, IImageTensorDecoder Decoder)[] { ("SkiaSharp", SkiaImageTensorDecoder.Instance), ("ours", JpegImageTensorDecoder.Instance) };
        var rows = new List<IReadOnlyList<string>>();
        int half = Math.Max(1, threads / 2);
        var trainings = new (string Name, IImageTensorDecoder Decoder, int TorchThreads)[]
        {
            ($"before: SkiaSharp, {threads} torch threads", SkiaImageTensorDecoder.Instance, threads),
            ($"ours, {threads} torch threads", JpegImageTensorDecoder.Instance, threads),
            ($"SkiaSharp, {half} torch thread(s)", SkiaImageTensorDecoder.Instance, half),
            ($"after: ours, {half} torch thread(s) (default)", JpegImageTensorDecoder.Instance, half),
        };

        int repeats = context.Pick(1, 3);
        foreach (int scan in new[] { pcr.ScanGroupCount, 1 })
        {
            IDataView data = ml.Data.TakeRows(pcr.WithScan(scan), images);
            string what = scan == pcr.ScanGroupCount ? $"scan {scan} (full)" : $"scan {scan}";
            List<ImageBatch> decoded = Decoded(data, threads);
            try
            {
                // Every contender once to warm up, then interleaved rounds; medians of images/s.
                var contenders = new List<(string Name, Func<double> Run)>();
                contenders.Add(("network, 2 torch threads", () => NetworkPass(decoded, threads)));
                contenders.Add(("network, 1 torch thread", () => NetworkPass(decoded, 1)));
                foreach (var (name, decoder) in decoders)
                    contenders.Add(($"feeder {name}", () => FeederPass(data, decoder, threads)));
                foreach (var (name, decoder, torchThreads) in trainings)
                    contenders.Add((name, () => TrainingEpoch(ml, data, decoder, torchThreads, waits, name)));

                var results = contenders.Select(_ => new List<double>()).ToArray();
                for (int round = 0; round <= repeats; round++)
                {
                    for (int i = 0; i < contenders.Count; i++)
                    {
                        int c = round % 2 == 0 ? i : contenders.Count - 1 - i;
                        double imagesPerSecond = contenders[c].Run();
                        if (round > 0)
                            results[c].Add(imagesPerSecond);
                    }
                }

                double Median(string name) => results[contenders.FindIndex(c => c.Name == name)].Order().ElementAt(repeats / 2);
                double network = Median("network, 2 torch threads");
                string feeders = string.Join(" / ", decoders.Select(d => Report.F(Median($"feeder {d.Name}"), 0)));
                string networks = $"{Report.F(network, 0)} / {Report.F(Median("network, 1 torch thread"), 0)}";
                foreach (var (name, _, _) in trainings)
                {
                    rows.Add([what, name, networks, feeders, Report.F(Median(name), 0), Report.Percent(waits[name].Order().ElementAt(waits[name].Count / 2))]);
                }
            }
            finally
            {
                foreach (ImageBatch b in decoded) b.Dispose();
            }

            waits.Clear();
        }

        report.Note($"{images} training photos of clothing-small (400x534 JPEG, decoded at 1/4), SmallResNet at {Size}x{Size}, batch {Batch}, augmentation on, " +
            $"{threads} threads; medians of {repeats} interleaved rounds after one warm-up round, each a pass over the photos: the network alone " +
            "(forward, backward and AdamW step on batches decoded beforehand), the feeder alone (reader thread and thread-pool decoders, no network) " +
            "and one training epoch (batches decoded on the thread pool while the network computes). Before: SkiaSharp's decoder and " +
            $"TorchSharp on every core ({threads}); after: ours and TorchSharp on half the cores (the default), the other half left to the decoders.");
        report.Table(["PCR data", "training", $"network alone, {threads} / 1 torch threads (img/s)", "feeder alone, SkiaSharp / ours (img/s)", "training (img/s)", "data wait"], rows);
    }

    private static FeedSettings Settings(IDataView data, IImageTensorDecoder decoder, int threads) =>
        new(data.Schema["Label"].Index, data.Schema["Image"].Index, "Image", Batch, Size, Augment: true, MinCropArea: 0.35f, Flip: true,
            Seed: 1, SkipUndecodable: false, BatchesInFlight: Math.Max(2, threads + 1), decoder, RowFilter: null);

    private static double FeederPass(IDataView data, IImageTensorDecoder decoder, int threads)
    {
        var watch = Stopwatch.StartNew();
        long count = 0;
        using (var feeder = new BatchFeeder(data, new Random(1), 1, Settings(data, decoder, threads), CancellationToken.None))
        {
            foreach (ImageBatch batch in feeder.Batches(new Stopwatch()))
            {
                count += batch.Count;
                batch.Dispose();
            }
        }

        return count / watch.Elapsed.TotalSeconds;
    }

    private static List<ImageBatch> Decoded(IDataView data, int threads)
    {
        using var feeder = new BatchFeeder(data, new Random(0), 0, Settings(data, JpegImageTensorDecoder.Instance, threads), CancellationToken.None);
        return [.. feeder.Batches(new Stopwatch())];
    }

    private static double NetworkPass(List<ImageBatch> batches, int torchThreads)
    {
        torch.set_num_threads(torchThreads);
        torch.manual_seed(1);
        using var model = CnnNetworks.Create(PcrImageClassificationTrainer.Architecture.SmallResNet, 10);
        using var optimizer = optim.AdamW(model.parameters(), 1e-3);
        model.train();
        var watch = Stopwatch.StartNew();
        long count = 0;
        foreach (ImageBatch batch in batches)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(model.forward(batch.Images), batch.Labels);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
            count += batch.Count;
        }

        return count / watch.Elapsed.TotalSeconds;
    }

    private static double TrainingEpoch(MLContext ml, IDataView data, IImageTensorDecoder decoder, int threads, Dictionary<string, List<double>> waits, string name)
    {
        var metrics = new List<PcrTrainingEpochMetrics>();
        var options = new PcrImageClassificationTrainer.Options { Epoch = 1, InputSize = Size, BatchSize = Batch, Seed = 1, NumberOfThreads = threads, MetricsCallback = metrics.Add };
        PcrImageClassificationTrainer trainer = ml.MulticlassClassification.Trainers.PcrImageClassification(options);
        trainer.Decoder = decoder;
        using (trainer.Fit(data))
        {
        }

        if (!waits.TryGetValue(name, out var list))
            waits[name] = list = [];
        list.Add(metrics[0].DataWaitShare);
        return metrics[0].ImagesPerSecond;
    }
}
