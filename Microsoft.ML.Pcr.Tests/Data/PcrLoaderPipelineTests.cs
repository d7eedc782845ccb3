using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Conversion;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Tests.Format;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Pcr.Tests.Data;

[TestClass]
public sealed class PcrLoaderPipelineTests
{
    private static TestFiles.TempDirectory s_dir = null!;

    [ClassInitialize]
    public static void WriteDataset(TestContext context)
    {
        s_dir = TestFiles.NewTempDirectory();
        PcrRoundTripTests.WriteMixed(s_dir.Path, imagesPerRecord: 3, out var _);
    }

    [ClassCleanup]
    public static void DeleteDataset() => s_dir.Dispose();

    private static IEstimator<ITransformer> Featurize(MLContext ml, string input = "Image") =>
        ml.Transforms.DecodeImages("ImageObject", input, imageWidth: 32, imageHeight: 32)
            .Append(ml.Transforms.ResizeImages("ImageObject", 16, 16))
            .Append(ml.Transforms.ExtractPixels("Features", "ImageObject"));

    [TestMethod]
    public void LoadFromPcrThenDecodeResizeExtractAndTrainFitsAndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        PcrDataView data = ml.Data.LoadFromPcr(s_dir.Path, scan: 2);
        var pipeline = Featurize(ml).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        ITransformer model = pipeline.Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.AreEqual(3, metrics.PerClassLogLoss.Count);
        // The training rows themselves: the fitted model must beat the majority class (a third of the rows each).
        Assert.IsGreaterThan(0.5, metrics.MicroAccuracy, $"accuracy on the training rows {metrics.MicroAccuracy:P0}");

        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 2);
        Assert.AreEqual(2, folds.Count);
    }

    [TestMethod]
    public void TheConversionEstimatorComposesWithTransformsAndATrainer()
    {
        using var fixture = new Conversion.ImageFolderFixture();
        var ml = new MLContext(seed: 1);
        var converter = ml.Data.ConvertToPcr(fixture.Output(), scan: 3, new ImageFolderConversionOptions { ImagesPerRecord = 4 });

        SchemaShape shape = converter.GetOutputSchema();
        Assert.IsTrue(shape.Any(c => c.Name == "Label" && c.IsKey));
        Assert.IsTrue(shape.Any(c => c.Name == "Image" && c.Kind == SchemaShape.Column.VectorKind.VariableVector));

        var pipeline = converter.Append(Featurize(ml)).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var model = pipeline.Fit(fixture.Root);
        Assert.IsNotNull(converter.LastConversion);
        Assert.AreEqual(Conversion.ImageFolderFixture.GoodFiles.Length, converter.LastConversion.ImageCount);

        IDataView scored = model.Load(fixture.Root);
        Assert.AreEqual((long)Conversion.ImageFolderFixture.GoodFiles.Length, ml.Data.CreateEnumerable<Scored>(scored, false).LongCount());

        // Fitting again on unchanged inputs reuses the conversion, and says so with the reused conversion's own result.
        PcrConversionResult first = converter.LastConversion;
        DateTime indexWritten = File.GetLastWriteTimeUtc(Path.Combine(fixture.Output(), PcrIndex.FileName));
        converter.Fit(fixture.Root);
        PcrConversionResult reused = converter.LastConversion!;
        Assert.IsTrue(reused.Reused);
        Assert.IsFalse(first.Reused);
        Assert.IsNull(reused.ReportError);
        Assert.AreEqual(first.ImageCount, reused.ImageCount);
        Assert.AreEqual(first.RecordCount, reused.RecordCount);
        Assert.AreEqual(first.BytesOut, reused.BytesOut);
        CollectionAssert.AreEqual(first.Skipped.ToArray(), reused.Skipped.ToArray());
        CollectionAssert.AreEqual(first.Ignored.ToArray(), reused.Ignored.ToArray());
        Assert.AreEqual(indexWritten, File.GetLastWriteTimeUtc(Path.Combine(fixture.Output(), PcrIndex.FileName)), "nothing was rewritten");

        // Without its report, the reuse still happens (the index decides) and says what it cannot know.
        File.Delete(first.ReportPath);
        converter.Fit(fixture.Root);
        Assert.IsTrue(converter.LastConversion!.Reused);
        Assert.AreEqual(first.ImageCount, converter.LastConversion.ImageCount);
        StringAssert.Contains(converter.LastConversion.ReportError, "missing");
    }

    private sealed class Scored
    {
        public uint PredictedLabel { get; set; }
    }
}
