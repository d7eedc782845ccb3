// samples/ReadmeSnippets/Program.cs; run it with: dotnet run -c Release --project samples/ReadmeSnippets -- <ImageFolder>
using Microsoft.ML;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Trainers;

string imageFolder = args.Length > 0 ? args[0] : "training_set"; // one sub-folder per class
var ml = new MLContext(seed: 1);

// ImageFolder to PCRs, in process and in parallel, inputs never modified; an up-to-date conversion is reused.
// (ImageFolderConverter.Convert does the same outside a pipeline; ml.Data.SaveAsPcr saves an IDataView of image paths.)
PcrConversionEstimator converter = ml.Data.ConvertToPcr("pcr");
converter.Fit(imageFolder);

// The front door: rows with Label (a key with the class names) and Image (JPEG bytes at the chosen scan group).
// One split by records gives two PcrDataViews, so each side keeps WithScan.
PcrDataView data = ml.Data.LoadFromPcr("pcr");
PcrTrainTestData split = data.SplitByRecords(testFraction: 0.2, seed: 1);

// Decode small (JPEGs decode at a reduced DCT scale), gray, pixels scaled to [0, 1], cached once for the trainer's passes;
// a bounded L-BFGS keeps the fit to seconds; MapKeyToValue turns the predicted key back into the class name.
var pipeline = ml.Transforms.DecodeImages("ImageObject", "Image", imageWidth: 32, imageHeight: 32)
    .Append(ml.Transforms.ResizeImages("ImageObject", 32, 32))
    .Append(ml.Transforms.ConvertToGrayscale("ImageObject"))
    .Append(ml.Transforms.ExtractPixels("Features", "ImageObject", scaleImage: 1f / 255))
    .AppendCacheCheckpoint(ml)
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(
        new LbfgsMaximumEntropyMulticlassTrainer.Options { MaximumNumberOfIterations = 30 }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

// The scan group is a hyperparameter: train at scan group 3, test at full fidelity, on the same split.
PcrDataView train = split.TrainSet.WithScan(3);
PcrDataView test = split.TestSet.WithScan(data.ScanGroupCount);
ITransformer model = pipeline.Fit(train);
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Accuracy at full fidelity of a model trained at scan group 3: {metrics.MicroAccuracy:P1}");

// Counters: each view counts its own cursors' reads; the dataset counts every view, by scan group.
Console.WriteLine($"A pass over the training split reads {train.BytesPerPass:N0} bytes at scan group 3, " +
    $"{split.TrainSet.WithScan(data.ScanGroupCount).BytesPerPass:N0} at full fidelity");
Console.WriteLine($"Read: {data.Dataset.GetBytesRead(3):N0} bytes at scan group 3 (training), " +
    $"{data.Dataset.GetBytesRead(data.ScanGroupCount):N0} at full fidelity (test); {data.Dataset.BytesRead:N0} in all");

// Predict the class name of one image file, and save the model: it takes raw image bytes, at any fidelity.
var engine = ml.Model.CreatePredictionEngine<ImageInput, ImagePrediction>(model);
string someImage = Directory.EnumerateFiles(imageFolder, "*.jpg", SearchOption.AllDirectories).First();
Console.WriteLine($"{Path.GetFileName(someImage)}: {engine.Predict(new ImageInput { Image = File.ReadAllBytes(someImage) }).PredictedLabel}");
ml.Model.Save(model, train.Schema, "model.zip");

/// <summary>The model's input: the bytes of an image file.</summary>
public sealed class ImageInput
{
    /// <summary>The image file's bytes (JPEG, PNG, ...).</summary>
    public byte[] Image { get; set; } = [];
}

/// <summary>The model's output: the predicted class name.</summary>
public sealed class ImagePrediction
{
    /// <summary>The predicted class name.</summary>
    public string PredictedLabel { get; set; } = "";
}
