// samples/ReadmeSnippets/AutomaticScanChoice.cs: the CNN trainer chooses the scan group from gradients while the training bytes come over a slow link
using Microsoft.ML;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Training;

namespace ReadmeSnippets;

/// <summary>The automatic scan policy of the CNN trainer, on training records read at a limited bandwidth.</summary>
public static class AutomaticScanChoice
{
    /// <summary>Trains on <paramref name="pcr"/> read at <paramref name="bytesPerSecond"/>, validating on <paramref name="pcrTest"/>; returns every epoch's metrics.</summary>
    public static IReadOnlyList<PcrTrainingEpochMetrics> Train(string pcr, string pcrTest, double bytesPerSecond, int epochs = 8)
    {
        var ml = new MLContext(seed: 1);
        // Every training byte through a bandwidth limit, as from a network share or object storage (any IPcrByteSource works).
        PcrDataView train = ml.Data.LoadFromPcr(new ThrottledByteSource(new FileByteSource(pcr), bytesPerSecond));
        var epochsSeen = new List<PcrTrainingEpochMetrics>();
        var trainer = ml.MulticlassClassification.Trainers.PcrImageClassification(new PcrImageClassificationTrainer.Options
        {
            Epoch = epochs,
            ScanPolicy = ScanPolicy.Automatic(new AutomaticScanPolicyOptions
            {
                InitialScan = 1,        // epoch 0 reads scan group 1 (null: full fidelity)
                StartEpoch = 1,         // measure before epoch 1 ...
                Frequency = 3,          // ... and every 3 epochs after (the paper: from epoch 5 every 15 of 90)
                BatchesMeasured = 5,    // on the fewest whole records that hold 5 batches, read once at full fidelity
                Threshold = 0.8,        // the smallest candidate whose gradient has cosine similarity >= 0.8 with full fidelity's
                Candidates = [1, 2, 5], // full fidelity is always one; null: every scan group
                AllowIncrease = true,   // a later measurement may go back up
            }),
            ValidationSet = ml.Data.LoadFromPcr(pcrTest), // read at full fidelity
            MetricsCallback = epochsSeen.Add,
        });
        using PcrImageClassificationTransformer model = trainer.Fit(train);
        foreach (PcrTrainingEpochMetrics e in epochsSeen)
            Console.WriteLine(e.ScanDecision is { } d ? $"{d}\n{e}" : $"{e}"); // similarities, bytes and time of each measurement
        return epochsSeen;
    }
}
