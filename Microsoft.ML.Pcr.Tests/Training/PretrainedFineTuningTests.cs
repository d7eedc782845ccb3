using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;
using Microsoft.ML.Pcr.Training.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Tests.Training;

// One trainer at a time, as PcrImageClassificationTrainerTests: TorchSharp's thread count is process-wide.
[TestClass]
[DoNotParallelize]
public sealed class PretrainedFineTuningTests
{
    // Tensors compared before and after training: the first and last convolutions, and batch-norm statistics.
    private static readonly string[] Watched =
    [
        "backbone.stem", "backbone.layer4",
    ];

    private static PcrImageClassificationTrainer.Options Tiny(PcrImageClassificationTrainer.FineTuneMode mode, int epochs) => new()
    {
        Arch = PcrImageClassificationTrainer.Architecture.ResNet18Pretrained,
        FineTune = mode,
        Epoch = epochs,
        InputSize = 64,
        BatchSize = 16,
        LearningRate = 0.01f,
        Seed = 5,
        NumberOfThreads = 1,
    };

    private static Dictionary<string, float[]> Snapshot(nn.Module module) => module.state_dict()
        .Where(kv => Watched.Any(w => kv.Key.StartsWith(w, StringComparison.Ordinal)) && kv.Value.dtype == ScalarType.Float32)
        .ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    private static Dictionary<string, float[]> Pretrained()
    {
        using OnnxResNetBackbone backbone = OnnxResNet18.LoadBackbone();
        return Snapshot(new PretrainedResNet(backbone, 3));
    }

    [TestMethod]
    public void HeadOnlyTrainsPredictsKeepsTheBackboneAndSavesAndLoadsIdentically()
    {
        var mlContext = new MLContext(seed: 1);
        using var dir = TestFiles.NewTempDirectory();
        IDataView test = mlContext.Data.LoadFromPcr(TrainerTestData.TestPcr);
        var epochs = new List<PcrTrainingEpochMetrics>();
        PcrImageClassificationTrainer.Options options = Tiny(PcrImageClassificationTrainer.FineTuneMode.HeadOnly, 2);
        options.MetricsCallback = epochs.Add;
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(options).Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr));

        Assert.AreEqual(PcrImageClassificationTrainer.Architecture.ResNet18Pretrained, model.Arch);
        Assert.HasCount(2, epochs);
        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.IsGreaterThan(0.6, metrics.MicroAccuracy, $"test accuracy {metrics.MicroAccuracy}\n{string.Join("\n", epochs)}");

        // Weights and batch-norm running statistics of the frozen backbone are the package's.
        Dictionary<string, float[]> pretrained = Pretrained(), trained = Snapshot(model.Network);
        Assert.IsTrue(pretrained.Keys.Any(k => k.Contains("running_mean", StringComparison.Ordinal)));
        Assert.IsGreaterThan(10, pretrained.Count);
        foreach ((string name, float[] values) in pretrained) CollectionAssert.AreEqual(values, trained[name], name);

        // Saved with the backbone's graph and weights; loading reads only the saved file.
        string path = dir.Combine("pretrained.pcrcnn");
        model.Save(path);
        using var loaded = PcrImageClassificationTransformer.Load(new MLContext(), path);
        Assert.AreEqual(PcrImageClassificationTrainer.Architecture.ResNet18Pretrained, loaded.Arch);
        Assert.AreEqual(64, loaded.InputSize);
        float[][] before = [.. model.Transform(test).GetColumn<float[]>("Score")], after = [.. loaded.Transform(test).GetColumn<float[]>("Score")];
        for (int i = 0; i < before.Length; i++) CollectionAssert.AreEqual(before[i], after[i], $"row {i}");

        // A damaged backbone graph is named as such.
        {
            var clean = new MLContext();
            byte[] bytes = File.ReadAllBytes(path);
            string text = System.Text.Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 1 << 16));
            int at = text.IndexOf("\"BackboneGraph\":\"", StringComparison.Ordinal) + "\"BackboneGraph\":\"".Length;
            Assert.IsGreaterThan(20, at);
            bytes[at] = (byte)'!';
            File.WriteAllBytes(dir.Combine("damaged.pcrcnn"), bytes);
            var error = Assert.ThrowsExactly<PcrFormatException>(() => PcrImageClassificationTransformer.Load(clean, dir.Combine("damaged.pcrcnn")));
            StringAssert.Contains(error.Message, "backbone graph");
        }
    }

    [TestMethod]
    public void AllModeChangesTheBackboneAndItsStatistics()
    {
        var mlContext = new MLContext(seed: 1);
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Tiny(PcrImageClassificationTrainer.FineTuneMode.All, 1))
            .Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr));
        Dictionary<string, float[]> pretrained = Pretrained(), trained = Snapshot(model.Network);
        foreach (string name in new[] { "backbone.stem", "backbone.layer4" })
        {
            Assert.IsTrue(pretrained.Keys.Where(k => k.StartsWith(name, StringComparison.Ordinal) && !k.Contains("running", StringComparison.Ordinal))
                .Any(k => !pretrained[k].SequenceEqual(trained[k])), $"{name} weights changed");
            Assert.IsTrue(pretrained.Keys.Where(k => k.StartsWith(name, StringComparison.Ordinal) && k.Contains("running_mean", StringComparison.Ordinal))
                .Any(k => !pretrained[k].SequenceEqual(trained[k])), $"{name} statistics changed (batch 16, All: not frozen by default)");
        }
    }

    [TestMethod]
    public void HeadAndLastStageFreezesTheRestAndGroupsTheBackboneAtItsFactor()
    {
        using OnnxResNetBackbone backbone = OnnxResNet18.LoadBackbone();
        using var network = new PretrainedResNet(backbone, 4);
        var groups = network.Configure(PcrImageClassificationTrainer.FineTuneMode.HeadAndLastStage, 0.1f, freezeBatchNormStatistics: true);

        Assert.HasCount(2, groups);
        Assert.AreEqual(1f, groups[0].Factor);
        Assert.AreEqual(0.1f, groups[1].Factor);
        Assert.AreEqual(backbone.Stages[3].parameters().Count(), groups[1].Parameters.Count);
        Assert.IsTrue(backbone.Stages[3].parameters().All(p => p.requires_grad));
        Assert.IsTrue(backbone.Stem.parameters().Concat(backbone.Stages[2].parameters()).All(p => !p.requires_grad));
        Assert.IsTrue(network.Head.parameters().All(p => p.requires_grad));
        network.train();
        Assert.IsTrue(backbone.BatchNormEval);
        Assert.IsTrue(backbone.Stages[3].BatchNorms.All(b => !b.training), "statistics stay frozen in train()");

        // Input sizes below 224 run through the whole network.
        network.eval();
        using var _ = no_grad();
        foreach (int side in new[] { 112, 160 })
        {
            using Tensor logits = network.forward(zeros(2, 3, side, side));
            CollectionAssert.AreEqual(new long[] { 2, 4 }, logits.shape);
        }
    }

    [TestMethod]
    public void MissingPretrainedModelNamesThePackage()
    {
        var mlContext = new MLContext(seed: 1);
        using var dir = TestFiles.NewTempDirectory();
        PcrImageClassificationTrainer.Options options = Tiny(PcrImageClassificationTrainer.FineTuneMode.HeadOnly, 1);
        options.PretrainedModelPath = dir.Combine("ResNet18Onnx", "ResNet18.onnx");
        var trainer = mlContext.MulticlassClassification.Trainers.PcrImageClassification(options);
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => trainer.Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr)));
        StringAssert.Contains(error.Message, "Microsoft.ML.DnnImageFeaturizer.ResNet18");

        options.BackboneLearningRateFactor = 0;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.PcrImageClassification(options));
    }
}
