using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Tests.Training;

// One trainer at a time: TorchSharp's thread count is process-wide, and these tests should not compete for the two cores.
[TestClass]
[DoNotParallelize]
public sealed class PcrImageClassificationTrainerTests
{
    private static PcrImageClassificationTrainer.Options Small(int epochs = 6) => new()
    {
        Epoch = epochs,
        InputSize = 32,
        BatchSize = 16,
        LearningRate = 0.005f,
        Seed = 5,
        NumberOfThreads = 1,
    };

    private static float[][] Scores(ITransformer model, IDataView data) =>
        [.. model.Transform(data).GetColumn<float[]>("Score")];

    [TestMethod]
    public void ReachesHighAccuracyOnShapesAndEvaluates()
    {
        var mlContext = new MLContext(seed: 1);
        var log = new List<string>();
        mlContext.Log += (_, e) => { if (e.Source == nameof(PcrImageClassificationTrainer)) lock (log) log.Add(e.Message); };
        var epochs = new List<PcrTrainingEpochMetrics>();
        var progress = new List<PcrTrainingProgress>();
        PcrImageClassificationTrainer.Options options = Small(12);
        options.MetricsCallback = epochs.Add;
        options.Progress = new SynchronousProgress(progress.Add);
        options.ValidationSet = mlContext.Data.LoadFromPcr(TrainerTestData.TestPcr);

        PcrDataView train = mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr);
        using PcrImageClassificationTransformer model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(options).Fit(train);

        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(mlContext.Data.LoadFromPcr(TrainerTestData.TestPcr)));
        Assert.IsGreaterThan(0.9, metrics.MicroAccuracy, $"test accuracy {metrics.MicroAccuracy}\n{string.Join("\n", epochs)}");
        Assert.HasCount(12, epochs);
        Assert.IsTrue(epochs.All(e => e.Images == 180 && e.BytesRead > 0 && e.ImagesPerSecond > 0 && e.DataWaitShare is >= 0 and <= 1 && e.ValidationAccuracy is not null));
        Assert.IsLessThan(epochs[0].Loss, epochs[^1].Loss);
        Assert.IsTrue(log.Any(l => l.Contains("epoch 11: scan", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.IsTrue(progress.Count >= 12 * 12 && progress[^1].Images == 180 && progress[^1].Epoch == 11);
        CollectionAssert.AreEqual(TrainerTestData.Classes, model.ClassNames.ToArray());

        // The prediction engine on full-fidelity JPEG and PNG files.
        var engine = mlContext.Model.CreatePredictionEngine<ImageInput, ImageOutput>(model);
        string file = Directory.GetFiles(Path.Combine(TrainerTestData.TestImages, "square")).Order(StringComparer.Ordinal).First();
        ImageOutput jpeg = engine.Predict(new ImageInput { Image = File.ReadAllBytes(file) });
        using SKBitmap bitmap = SKBitmap.Decode(file);
        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        ImageOutput fromPng = engine.Predict(new ImageInput { Image = png.ToArray() });
        Assert.AreEqual(2u, jpeg.PredictedLabel, "square is class 2");
        Assert.AreEqual(jpeg.PredictedLabel, fromPng.PredictedLabel);
        Assert.AreEqual(1f, jpeg.Score.Sum(), 1e-4f);
    }

    [TestMethod]
    public void SameSeedAndOneThreadGiveIdenticalPredictions()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView test = mlContext.Data.LoadFromPcr(TrainerTestData.TestPcr);
        float[][] Train()
        {
            using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(2)).Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr));
            return Scores(model, test);
        }
        float[][] first = Train(), second = Train();
        for (int i = 0; i < first.Length; i++) CollectionAssert.AreEqual(first[i], second[i], $"row {i}");

        PcrImageClassificationTrainer.Options other = Small(2);
        other.Seed = 6;
        using var different = mlContext.MulticlassClassification.Trainers.PcrImageClassification(other).Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr));
        Assert.IsFalse(Scores(different, test).Zip(first).All(p => p.First.SequenceEqual(p.Second)), "another seed gives another model");
    }

    [TestMethod]
    public void WithoutAPolicyEveryEpochReadsAtTheScanGroupTheViewWasLoadedAt()
    {
        var mlContext = new MLContext(seed: 1);
        PcrDataView train = mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr, scan: 2);
        var epochs = new List<PcrTrainingEpochMetrics>();
        PcrImageClassificationTrainer.Options options = Small(2);
        options.MetricsCallback = epochs.Add;
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(options).Fit(train);

        CollectionAssert.AreEqual(new[] { 2, 2 }, epochs.Select(e => e.Scan).ToArray(), "LoadFromPcr(dir, scan: 2) trains at scan group 2");
        long expected = PcrRecordInfo.SumPrefixLengths(train.Dataset.Records, 2);
        Assert.IsTrue(epochs.All(e => e.BytesRead == expected), $"every epoch reads the scan group 2 prefixes ({expected} bytes)");
        Assert.IsLessThan(PcrRecordInfo.SumPrefixLengths(train.Dataset.Records, train.ScanGroupCount), expected);
    }

    [TestMethod]
    public void AScheduleReadsEachEpochsPrefixBytes()
    {
        var mlContext = new MLContext(seed: 1);
        PcrDataView train = mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr);
        var epochs = new List<PcrTrainingEpochMetrics>();
        PcrImageClassificationTrainer.Options options = Small(4);
        options.ScanPolicy = ScanPolicy.Parse("1,2,full");
        options.MetricsCallback = epochs.Add;
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(options).Fit(train);

        int full = train.ScanGroupCount;
        int[] expectedScans = [1, 2, full, full];
        CollectionAssert.AreEqual(expectedScans, epochs.Select(e => e.Scan).ToArray());
        for (int e = 0; e < 4; e++)
        {
            long expected = train.Dataset.Records.Sum(r => r.GetPrefixLength(expectedScans[e]));
            Assert.AreEqual(expected, epochs[e].BytesRead, $"epoch {e} at scan {expectedScans[e]}");
        }
        Assert.IsLessThan(epochs[2].BytesRead, epochs[0].BytesRead);
    }

    [TestMethod]
    public void SavedModelLoadsAndPredictsIdentically()
    {
        var mlContext = new MLContext(seed: 1);
        using var dir = TestFiles.NewTempDirectory();
        string path = dir.Combine("shapes.pcrcnn");
        IDataView test = mlContext.Data.LoadFromPcr(TrainerTestData.TestPcr);
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(2)).Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr));
        model.Save(path);
        using var loaded = PcrImageClassificationTransformer.Load(new MLContext(), path);
        Assert.AreEqual(32, loaded.InputSize);
        CollectionAssert.AreEqual(model.ClassNames.ToArray(), loaded.ClassNames.ToArray());
        float[][] before = Scores(model, test), after = Scores(loaded, test);
        for (int i = 0; i < before.Length; i++) CollectionAssert.AreEqual(before[i], after[i], $"row {i}");

        File.WriteAllBytes(dir.Combine("bad.pcrcnn"), [1, 2, 3]);
        Assert.ThrowsExactly<PcrFormatException>(() => PcrImageClassificationTransformer.Load(mlContext, dir.Combine("bad.pcrcnn")));
        Assert.ThrowsExactly<NotSupportedException>(() => mlContext.Model.Save(model, test.Schema, dir.Combine("model.zip")));
    }

    [TestMethod]
    public void ASavedModelPredictsIdenticallyInAFreshProcess()
    {
        var mlContext = new MLContext(seed: 1);
        using var dir = TestFiles.NewTempDirectory();
        string path = dir.Combine("shapes.pcrcnn");
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(2)).Fit(mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr));
        model.Save(path);

        foreach (string image in Directory.GetFiles(TrainerTestData.TestImages, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(3))
        {
            float[] here = model.Score(File.ReadAllBytes(image));
            // The sample's consumption mode loads the file in a process of its own and prints the scores round-trippably.
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "PcrImageClassification.dll"), "--predict", path, image }) start.ArgumentList.Add(a);
            // The same thread count as here (the trainer set one): libtorch sums in another order with another count.
            start.Environment["OMP_NUM_THREADS"] = "1";
            using var process = System.Diagnostics.Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
            Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the fresh process did not finish");
            Assert.AreEqual(0, process.ExitCode, $"{output.Result}\n{error.Result}");
            string line = output.Result.Trim();
            float[] there = [.. line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
            CollectionAssert.AreEqual(here, there, $"{image}: scores in a fresh process");
            StringAssert.StartsWith(line, model.ClassNames[Array.IndexOf(here, here.Max())] + ":");
        }
    }

    [TestMethod]
    public void BadSchemasGetMlNetStyleErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var trainer = mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(1));
        IDataView floatLabel = mlContext.Data.LoadFromEnumerable([new FloatLabelRow { Label = 1, Image = [1] }]);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(floatLabel));
        StringAssert.Contains(e.Message, "Schema mismatch for label column 'Label': expected Key, got Single");

        IDataView oneClass = mlContext.Data.LoadFromEnumerable([new OneClassRow { Label = 0, Image = [1] }]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(oneClass)).Message, "at least 2");

        IDataView textImage = mlContext.Data.LoadFromEnumerable([new TextImageRow { Label = 0, Image = "x.jpg" }]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(textImage)).Message,
            "Schema mismatch for feature column 'Image': expected VarVector<Byte>, got String");

        PcrImageClassificationTrainer.Options scans = Small(1);
        scans.ScanPolicy = ScanPolicy.Fixed(2);
        IDataView notPcr = mlContext.Data.LoadFromEnumerable([new KeyRow { Label = 0, Image = [1] }]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => mlContext.MulticlassClassification.Trainers.PcrImageClassification(scans).Fit(notPcr)).Message, "PcrDataView");
    }

    [TestMethod]
    public void UndecodableBytesNameTheRowOrAreSkippedAndCounted()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = new List<KeyRow>();
        string[] files = Directory.GetFiles(TrainerTestData.TestImages, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        foreach (string f in files.Take(12))
            rows.Add(new KeyRow { Label = (uint)Array.IndexOf(TrainerTestData.Classes, Path.GetFileName(Path.GetDirectoryName(f))), Image = File.ReadAllBytes(f) });
        rows.Insert(5, new KeyRow { Label = 1, Image = "not an image"u8.ToArray() });
        IDataView data = mlContext.Data.LoadFromEnumerable(rows);

        var e = Assert.ThrowsExactly<PcrFormatException>(() => mlContext.MulticlassClassification.Trainers.PcrImageClassification(Small(1)).Fit(data));
        StringAssert.Contains(e.Message, "row with id 5");

        var epochs = new List<PcrTrainingEpochMetrics>();
        PcrImageClassificationTrainer.Options skip = Small(1);
        skip.SkipUndecodableImages = true;
        skip.MetricsCallback = epochs.Add;
        using var model = mlContext.MulticlassClassification.Trainers.PcrImageClassification(skip).Fit(data);
        Assert.AreEqual(1, epochs[0].SkippedImages);
        Assert.AreEqual(12, epochs[0].Images);
        StringAssert.Contains(Assert.ThrowsExactly<PcrFormatException>(() => Scores(model, data)).Message, "row 5");
    }

    private sealed class SynchronousProgress(Action<PcrTrainingProgress> report) : IProgress<PcrTrainingProgress>
    {
        public void Report(PcrTrainingProgress value)
        {
            lock (this) report(value);
        }
    }

    private sealed class ImageInput
    {
        [VectorType]
        public byte[] Image = [];
    }

    private sealed class ImageOutput
    {
        public float[] Score = [];
        public uint PredictedLabel = 0;
    }

    private sealed class FloatLabelRow
    {
        public float Label;
        [VectorType]
        public byte[] Image = [];
    }

    private sealed class OneClassRow
    {
        [KeyType(1)]
        public uint Label;
        [VectorType]
        public byte[] Image = [];
    }

    private sealed class TextImageRow
    {
        [KeyType(3)]
        public uint Label;
        public string Image = "";
    }

    private sealed class KeyRow
    {
        [KeyType(3)]
        public uint Label;
        [VectorType]
        public byte[] Image = [];
    }
}
