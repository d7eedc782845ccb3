using Microsoft.ML;
using Microsoft.ML.Data;

namespace PcrImageClassification;

public partial class PcrClassifier
{
    /// <summary>One input: the bytes of an image file (any scan group of a PCR, or a plain JPEG/PNG at full fidelity).</summary>
    public class ModelInput
    {
        [ColumnName("Image")]
        public byte[] Image { get; set; } = [];
    }

    /// <summary>The prediction: the class name and one score per class.</summary>
    public class ModelOutput
    {
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        [ColumnName("Score")]
        public float[] Score { get; set; } = [];
    }

    /// <summary>Where <see cref="Predict(ModelInput)"/> loads the model from.</summary>
    public static string ModelPath { get; set; } = Path.GetFullPath("PcrClassifier.mlnet");

    private static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(CreatePredictEngine, isThreadSafe: true);

    /// <summary>Predicts the class of one image.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    /// <summary>Predicts the class of the image file at <paramref name="imagePath"/>, read at full fidelity.</summary>
    public static ModelOutput Predict(string imagePath) => Predict(new ModelInput { Image = File.ReadAllBytes(imagePath) });

    private static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        ITransformer model = mlContext.Model.Load(ModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
    }
}
