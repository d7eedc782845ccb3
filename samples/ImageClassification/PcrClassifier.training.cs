using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Image;

namespace PcrImageClassification;

public partial class PcrClassifier
{
    /// <summary>The side of the square images the model sees (the default dataset's own size).</summary>
    public const int ImageSize = 128;

    /// <summary>
    /// Turns the loader's JPEG bytes into features: decode (at any scan group the bytes are a complete JPEG; larger
    /// photos decode at a reduced DCT scale that is still at least 128x128), make gray, fix the size, and read the
    /// pixels as floats in [0, 1]. Every step saves into the model file, so the saved model takes raw JPEG bytes.
    /// </summary>
    public static IEstimator<ITransformer> BuildFeaturizer(MLContext mlContext) =>
        mlContext.Transforms.DecodeImages(outputColumnName: "ImageObject", inputColumnName: "Image", imageWidth: ImageSize, imageHeight: ImageSize)
            .Append(mlContext.Transforms.ConvertToGrayscale("ImageObject"))
            .Append(mlContext.Transforms.ResizeImages("ImageObject", ImageSize, ImageSize))
            .Append(mlContext.Transforms.ExtractPixels("Features", "ImageObject",
                colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255));

    /// <summary>The trainer: multiclass logistic regression on the pixels; Label is already a key with the class names.</summary>
    public static IEstimator<ITransformer> BuildTrainer(MLContext mlContext) =>
        mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "Features",
            L2Regularization = 1f,
            // 16,384 pixel features: a bounded number of passes keeps each fit to seconds on two cores.
            MaximumNumberOfIterations = 40,
        })
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>The whole pipeline, as Model Builder generates it: featurizer then trainer.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext) =>
        BuildFeaturizer(mlContext).Append(BuildTrainer(mlContext));

    /// <summary>Trains the pipeline on <paramref name="trainData"/> (rows with Label and Image columns).</summary>
    public static ITransformer RetrainPipeline(MLContext mlContext, IDataView trainData) =>
        BuildPipeline(mlContext).Fit(trainData);
}
