// samples/ReadmeSnippets/CnnTraining.cs: the TorchSharp CNN reads the PCRs every epoch, at a scan group chosen per epoch
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Training;

namespace ReadmeSnippets;

/// <summary>LoadFromPcr, the CNN trainer, Evaluate, save, load and predict (the application references libtorch-cpu-linux-x64 or a CUDA libtorch).</summary>
public static class CnnTraining
{
    /// <summary>Trains on <paramref name="pcr"/>, evaluates on <paramref name="pcrTest"/> and scores <paramref name="photo"/> with the reloaded model.</summary>
    public static MulticlassClassificationMetrics Train(string pcr, string pcrTest, string photo, string modelPath, int epochs = 10)
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.PcrImageClassification(new PcrImageClassificationTrainer.Options
        {
            Epoch = epochs,
            InputSize = 64,                                    // DCT-scaled decode straight to 64x64
            ScanPolicy = ScanPolicy.Schedule(2, 2, 5, 5, null), // per-epoch scan groups; null = full fidelity
            ValidationSet = ml.Data.LoadFromPcr(pcrTest),      // read at full fidelity
            MetricsCallback = m => Console.WriteLine(m),       // scan group, bytes, loss, accuracy, images/s, data-wait share
        });
        using PcrImageClassificationTransformer model = trainer.Fit(ml.Data.LoadFromPcr(pcr));
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromPcr(pcrTest)));

        model.Save(modelPath);                                 // NOT ml.Model.Save: see below
        using var loaded = PcrImageClassificationTransformer.Load(ml, modelPath);
        float[] scores = loaded.Score(File.ReadAllBytes(photo)); // or PredictionEngine / Transform, JPEG or PNG
        Console.WriteLine($"accuracy {metrics.MicroAccuracy:P1}; {photo}: class {Array.IndexOf(scores, scores.Max())} ({loaded.ClassNames[Array.IndexOf(scores, scores.Max())]})");
        return metrics;
    }
}
