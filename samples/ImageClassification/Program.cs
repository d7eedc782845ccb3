// A Model Builder-style image classification sample on Progressive Compressed Records (PCRs).
//
// With no arguments it generates its own small dataset (nine classes of 128x128 JPEGs whose differences range from
// coarse shapes to 2-pixel stripes), converts it to PCRs, trains the same pipeline at several scan groups, and prints
// what each scan group reads and scores on a test split kept at full fidelity. Then it saves the model, loads it back
// and predicts one test image through PcrClassifier.Predict.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;
using PcrImageClassification;

var options = SampleOptions.Parse(args);
if (options is null) return 2;
if (options.Help)
{
    SampleOptions.PrintUsage();
    return 0;
}

var mlContext = new MLContext(seed: 1);
if (options.PredictModel is { } savedModel)
{
    // Consumption only, as Model Builder's consume step: the saved CNN in a fresh process, one line of scores ("R" round-trips).
    using var model = PcrImageClassificationTransformer.Load(mlContext, savedModel);
    float[] scores = model.Score(File.ReadAllBytes(options.PredictImage!));
    int best = Array.IndexOf(scores, scores.Max());
    Console.WriteLine($"{model.ClassNames[best]}: {string.Join(' ', scores.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
    return 0;
}
Directory.CreateDirectory(options.OutputDirectory);

// 1-2. Get a PCR dataset: convert the default dataset or the user's ImageFolder (reusing an up-to-date conversion), or take --pcr.
string pcrDirectory = options.PcrDirectory ?? Path.Combine(options.OutputDirectory, "pcr");
if (options.PcrDirectory is null)
{
    string imageFolder = options.ImageFolder ?? DefaultDataset.EnsureCreated(Path.Combine(options.OutputDirectory, "images"), options.ImagesPerClass);
    // The default record size: 1024 images, or fewer for small datasets so that there are at least 16 records to read in parallel.
    var conversion = new ImageFolderConversionOptions { Overwrite = true };
    if (!ImageFolderConverter.IsUpToDate(imageFolder, pcrDirectory, conversion))
    {
        Console.WriteLine($"Converting {imageFolder} to PCRs in {pcrDirectory} ...");
        PcrConversionResult converted = ImageFolderConverter.Convert(imageFolder, pcrDirectory, conversion);
        Console.WriteLine($"  {converted.ImageCount} images in {converted.RecordCount} records, {converted.Skipped.Count} skipped, {converted.Elapsed.TotalSeconds:F1} s");
    }
}

// 3. Load the PCRs. The scan group is a hyperparameter: WithScan gives the same rows at another fidelity, nothing reopened.
PcrDataView full = mlContext.Data.LoadFromPcr(pcrDirectory);
int[] scans = options.Scans is { } chosen ? chosen : [.. new[] { 1, 2, 3, 5, full.ScanGroupCount }.Where(s => s <= full.ScanGroupCount).Distinct()];
foreach (int s in scans.Where(s => s < 1 || s > full.ScanGroupCount))
{
    Console.Error.WriteLine($"error: --scan {s} is outside 1..{full.ScanGroupCount} for {pcrDirectory}");
    return 2;
}

// One split by records, two PcrDataViews: training reads its records at each scan group (WithScan), the test split is
// read at full fidelity.
PcrTrainTestData split = full.SplitByRecords(testFraction: 0.2, seed: 7);
IDataView testData = mlContext.Data.Cache(split.TestSet);
long fullPassBytes = split.TrainSet.BytesPerPass;
Console.WriteLine($"Dataset: {full.GetRowCount()} images, {full.Dataset.ClassNames.Count} classes, {full.ScanGroupCount} scan groups, {full.BytesPerPass / 1e6:F1} MB at full fidelity");
Console.WriteLine();

if (options.Trainer == "cnn")
    return TrainCnn(mlContext, split.TrainSet, scans, testData, options);

var rows = new List<string[]>();
ITransformer? lastModel = null;
DataViewSchema? lastSchema = null;
foreach (int scan in scans)
{
    PcrDataView view = split.TrainSet.WithScan(scan);
    IDataView trainData = view;

    // Load: read each record's prefix, decode, featurize, cache.
    long bytesBefore = view.BytesRead;
    var clock = Stopwatch.StartNew();
    ITransformer featurizer = PcrClassifier.BuildFeaturizer(mlContext).Fit(trainData);
    IDataView features = mlContext.Data.Cache(featurizer.Transform(trainData));
    Touch(features, "Features");
    TimeSpan load = clock.Elapsed;
    long bytesRead = view.BytesRead - bytesBefore;

    clock.Restart();
    ITransformer trainer = PcrClassifier.BuildTrainer(mlContext).Fit(features);
    TimeSpan train = clock.Elapsed;

    ITransformer model = featurizer.Append(trainer);
    MulticlassClassificationMetrics metrics = PcrClassifier.Evaluate(mlContext, model, testData);
    rows.Add([
        scan == full.ScanGroupCount ? $"{scan} (full)" : scan.ToString(CultureInfo.InvariantCulture),
        $"{bytesRead / 1e6:F2} MB", $"{100.0 * bytesRead / fullPassBytes:F1}%",
        $"{load.TotalSeconds:F2} s", $"{train.TotalSeconds:F2} s",
        $"{metrics.MicroAccuracy:P1}", $"{metrics.MacroAccuracy:P1}", $"{metrics.LogLoss:F3}",
    ]);
    lastModel = model;
    lastSchema = view.Schema;
}
PrintTable(["scan group", "bytes read", "of full", "load", "train", "accuracy (micro)", "accuracy (macro)", "log-loss"], rows);

// Every view of the dataset counts into the dataset's own counters, by scan group: training at each scan group, the test split at full.
Console.WriteLine();
Console.WriteLine($"The dataset read {full.Dataset.BytesRead / 1e6:F2} MB in all: " +
    string.Join(", ", Enumerable.Range(1, full.ScanGroupCount).Where(k => full.Dataset.GetBytesRead(k) > 0)
        .Select(k => $"{full.Dataset.GetBytesRead(k) / 1e6:F2} MB at scan group {k}")) +
    $" (training: {split.TrainSet.RecordIndices.Count} records; test, at full fidelity: {split.TestSet.RecordIndices.Count} records).");

// 5. Save the model trained at the last scan group, load it back through the consumption code, predict one test image.
string modelPath = Path.Combine(options.OutputDirectory, "PcrClassifier.mlnet");
mlContext.Model.Save(lastModel!, lastSchema, modelPath);
PcrClassifier.ModelPath = modelPath;
var (imagePath, trueLabel) = WriteFirstTestImage(mlContext, testData, options.OutputDirectory);
PcrClassifier.ModelOutput prediction = PcrClassifier.Predict(imagePath);
Console.WriteLine();
Console.WriteLine($"Saved the model trained at scan group {scans[^1]} to {modelPath}.");
Console.WriteLine($"Predicted '{prediction.PredictedLabel}' for {imagePath} (true class '{trueLabel}', score {prediction.Score.Max():F3}).");
return 0;

// --trainer cnn: the CNN trained end to end at each scan group; it reads the training split (the records SplitByRecords
// kept for training, never the test split's) anew every epoch.
static int TrainCnn(MLContext mlContext, PcrDataView trainSplit, int[] scans, IDataView testData, SampleOptions options)
{
    var rows = new List<string[]>();
    PcrImageClassificationTransformer? last = null;
    foreach (int scan in scans)
    {
        PcrDataView view = trainSplit.WithScan(scan);
        IDataView trainData = view;
        var trainer = mlContext.MulticlassClassification.Trainers.PcrImageClassification(new PcrImageClassificationTrainer.Options
        {
            Epoch = options.Epochs,
            InputSize = options.InputSize ?? (options.Pretrained ? 112 : 64),
            Seed = 1,
            // --pretrained: ImageNet weights from ResNet18.onnx, which the package reference puts beside the sample (DnnImageModels/).
            Arch = options.Pretrained ? PcrImageClassificationTrainer.Architecture.ResNet18Pretrained : PcrImageClassificationTrainer.Architecture.SmallResNet,
            FineTune = options.FineTune switch
            {
                "last" => PcrImageClassificationTrainer.FineTuneMode.HeadAndLastStage,
                "all" => PcrImageClassificationTrainer.FineTuneMode.All,
                _ => PcrImageClassificationTrainer.FineTuneMode.HeadOnly,
            },
        });
        long bytesBefore = view.BytesRead;
        var clock = Stopwatch.StartNew();
        last?.Dispose();
        last = trainer.Fit(trainData);
        TimeSpan train = clock.Elapsed;
        long perEpoch = (view.BytesRead - bytesBefore) / options.Epochs;
        MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(last.Transform(testData));
        rows.Add([
            scan == trainSplit.ScanGroupCount ? $"{scan} (full)" : scan.ToString(CultureInfo.InvariantCulture),
            $"{perEpoch / 1e6:F2} MB", $"{100.0 * perEpoch / trainSplit.WithScan(trainSplit.ScanGroupCount).BytesPerPass:F1}%",
            $"{train.TotalSeconds / options.Epochs:F2} s",
            $"{metrics.MicroAccuracy:P1}", $"{metrics.MacroAccuracy:P1}", $"{metrics.LogLoss:F3}",
        ]);
    }
    PrintTable(["scan group", "bytes per epoch", "of full", "epoch time", "accuracy (micro)", "accuracy (macro)", "log-loss"], rows);

    // Its own model file (ML.NET's model zip cannot hold it), loaded back to predict one test image.
    string modelPath = Path.Combine(options.OutputDirectory, "PcrClassifier.pcrcnn");
    last!.Save(modelPath);
    using var loaded = PcrImageClassificationTransformer.Load(mlContext, modelPath);
    var (imagePath, trueLabel) = WriteFirstTestImage(mlContext, testData, options.OutputDirectory);
    float[] scores = loaded.Score(File.ReadAllBytes(imagePath));
    int best = Array.IndexOf(scores, scores.Max());
    Console.WriteLine();
    Console.WriteLine($"Saved the CNN trained at scan group {scans[^1]} to {modelPath}.");
    Console.WriteLine($"Predicted '{loaded.ClassNames[best]}' for {imagePath} (true class '{trueLabel}', score {scores[best]:F3}).");
    last.Dispose();
    return 0;
}

static void Touch(IDataView data, string column)
{
    using DataViewRowCursor cursor = data.GetRowCursor([data.Schema[column]]);
    while (cursor.MoveNext()) { }
}

static (string Path, string Label) WriteFirstTestImage(MLContext mlContext, IDataView testData, string outputDirectory)
{
    using DataViewRowCursor cursor = testData.GetRowCursor(testData.Schema);
    cursor.MoveNext();
    VBuffer<byte> bytes = default;
    uint key = 0;
    cursor.GetGetter<VBuffer<byte>>(testData.Schema["Image"])(ref bytes);
    cursor.GetGetter<uint>(testData.Schema["Label"])(ref key);
    VBuffer<ReadOnlyMemory<char>> names = default;
    testData.Schema["Label"].GetKeyValues(ref names);
    string path = Path.Combine(outputDirectory, "test-image.jpg");
    File.WriteAllBytes(path, bytes.DenseValues().ToArray());
    return (path, names.GetItemOrDefault((int)key - 1).ToString());
}

static void PrintTable(string[] header, List<string[]> rows)
{
    int[] widths = [.. header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length)))];
    string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |";
    Console.WriteLine(Line(header));
    Console.WriteLine("|" + string.Join("|", widths.Select((w, i) => i == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
    foreach (string[] row in rows) Console.WriteLine(Line(row));
}
