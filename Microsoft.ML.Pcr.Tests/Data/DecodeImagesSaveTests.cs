using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Transforms.Image;
using static Microsoft.ML.Pcr.Tests.Data.DecodeImagesTestData;

namespace Microsoft.ML.Pcr.Tests.Data;

/// <summary>Models holding DecodeImages saved with mlContext.Model.Save and loaded back.</summary>
[TestClass]
public sealed class DecodeImagesSaveTests
{
    private static readonly string[] Fixtures = ["baseline-420.jpg", "gray.jpg", "cmyk-adobe.jpg", "photo-clothing.jpg", "odd-37x23.jpg", "panorama-1200x40.jpg"];

    private static IDataView Paths(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Fixtures.Select((n, i) => new PathRow { Path = n, Label = i % 2 == 0 ? "a" : "b" }).ToArray());

    [TestMethod]
    [DataRow(null, UndecodableImageHandling.Throw, "Picture", DisplayName = "full size, renamed output")]
    [DataRow(64, UndecodableImageHandling.Blank, "Bytes", DisplayName = "64x64, blank, in place")]
    [DataRow(224, UndecodableImageHandling.Missing, "Image", DisplayName = "224x224, missing")]
    public void SavedModelLoadsAndGivesTheSameImagesAndPixels(int? size, UndecodableImageHandling handling, string output)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Paths(ml);
        var pipeline = ml.Transforms.LoadRawImageBytes("Bytes", TestFiles.JpegGolden, "Path")
            .Append(ml.Transforms.DecodeImages(output, "Bytes", size, size, handling))
            .Append(ml.Transforms.ResizeImages("Small", 16, 16, output))
            .Append(ml.Transforms.ExtractPixels("Features", "Small"));
        var model = pipeline.Fit(data);
        Assert.IsTrue(model.LastTransformer is not null && ((ITransformer)model).GetOutputSchema(data.Schema)[output].Type is ImageDataViewType);

        using var dir = TestFiles.NewTempDirectory();
        string path = dir.Combine("model.zip");
        ml.Model.Save(model, data.Schema, path);
        ITransformer loaded = ml.Model.Load(path, out DataViewSchema inputSchema);

        Assert.AreEqual("Path", inputSchema[0].Name);
        IDataView before = model.Transform(data), after = loaded.Transform(data);
        Assert.IsInstanceOfType<ImageDataViewType>(after.Schema[output].Type);
        Assert.IsNull(after.Schema.GetColumnOrNull(DecodeImagesMappingInput.ColumnName), "the fixed mapping columns are dropped");
        Assert.IsNull(after.Schema.GetColumnOrNull(DecodeImagesMappingOutput.ColumnName));

        List<Decoded?> expected = ReadImages(before, output), actual = ReadImages(after, output);
        Assert.HasCount(Fixtures.Length, actual);
        for (int i = 0; i < Fixtures.Length; i++)
        {
            Assert.AreEqual((expected[i]!.Width, expected[i]!.Height), (actual[i]!.Width, actual[i]!.Height), Fixtures[i]);
            CollectionAssert.AreEqual(expected[i]!.Pixels, actual[i]!.Pixels, Fixtures[i]);
        }
        float[][] a = [.. before.GetColumn<float[]>("Features")], b = [.. after.GetColumn<float[]>("Features")];
        for (int i = 0; i < Fixtures.Length; i++)
            CollectionAssert.AreEqual(a[i], b[i], Fixtures[i]);
    }

    [TestMethod]
    public void SavedModelWithATrainerPredictsTheSame()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Paths(ml);
        var model = ml.Transforms.LoadRawImageBytes("Bytes", TestFiles.JpegGolden, "Path")
            .Append(ml.Transforms.DecodeImages("Image", "Bytes", 32, 32))
            .Append(ml.Transforms.ResizeImages("Small", 16, 16, "Image"))
            .Append(ml.Transforms.ExtractPixels("Features", "Small", scaleImage: 1f / 255))
            .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", "Features"))
            .Fit(data);

        using var dir = TestFiles.NewTempDirectory();
        ml.Model.Save(model, data.Schema, dir.Combine("model.zip"));
        ITransformer loaded = ml.Model.Load(dir.Combine("model.zip"), out _);

        float[][] before = [.. model.Transform(data).GetColumn<float[]>("Score")];
        float[][] after = [.. loaded.Transform(data).GetColumn<float[]>("Score")];
        for (int i = 0; i < Fixtures.Length; i++)
            CollectionAssert.AreEqual(before[i], after[i]);

        var engine = ml.Model.CreatePredictionEngine<PathRow, ScoreRow>(loaded);
        CollectionAssert.AreEqual(before[1], engine.Predict(new PathRow { Path = Fixtures[1] }).Score);
    }

    private sealed class ScoreRow
    {
        public float[] Score = [];
    }

    [TestMethod]
    public void UnsaveableConfigurationsSayWhyAndWhatToDo()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Paths(ml);
        var model = ml.Transforms.LoadRawImageBytes("Bytes", TestFiles.JpegGolden, "Path")
            .Append(ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 100, imageHeight: 50))
            .Fit(data);
        Assert.IsFalse(model.LastTransformer.IsSaveable);

        using var dir = TestFiles.NewTempDirectory();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => ml.Model.Save(model, data.Schema, dir.Combine("model.zip")));
        StringAssert.Contains(e.Message, "imageWidth 100 and imageHeight 50 cannot be saved");
        StringAssert.Contains(e.Message, "ResizeImages");

        // Every advertised size is saveable, in every handling.
        foreach (int size in ImageDecodingEstimator.SaveableImageSizes)
        {
            foreach (UndecodableImageHandling handling in Enum.GetValues<UndecodableImageHandling>())
                Assert.IsTrue(ml.Transforms.DecodeImages("Image", "Bytes", size, size, handling).Fit(BytesView(ml, [])).IsSaveable, $"{size} {handling}");
        }
        Assert.IsTrue(ml.Transforms.DecodeImages("Image", "Bytes").Fit(BytesView(ml, [])).IsSaveable);
        Assert.IsFalse(ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 64).Fit(BytesView(ml, [])).IsSaveable, "one-sided sizes have no factory");
    }
}
