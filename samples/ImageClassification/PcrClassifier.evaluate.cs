using Microsoft.ML;
using Microsoft.ML.Data;

namespace PcrImageClassification;

public partial class PcrClassifier
{
    /// <summary>Scores <paramref name="testData"/> with <paramref name="model"/> and returns ML.NET's multiclass metrics.</summary>
    public static MulticlassClassificationMetrics Evaluate(MLContext mlContext, ITransformer model, IDataView testData) =>
        mlContext.MulticlassClassification.Evaluate(model.Transform(testData), labelColumnName: "Label");
}
