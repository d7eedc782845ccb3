using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using SkiaSharp;
using static Microsoft.ML.Pcr.Tests.Data.DecodeImagesTestData;

namespace Microsoft.ML.Pcr.Tests.Data;

[TestClass]
public sealed class DecodeImagesTests
{
    [TestMethod]
    public void DecodesEveryGoldenFixtureAsSkiaSharpDoes()
    {
        // Progressive 4:2:0/4:2:2/4:4:0/4:1:1/4:4:4, gray, CMYK, YCCK, RGB, arithmetic, restarts, 1x1, 37x23, 1200x40, truncated.
        var ml = new MLContext(seed: 1);
        string[] names = [.. TestFiles.GoldenNames()];
        Assert.IsGreaterThanOrEqualTo(30, names.Length);
        byte[][] files = [.. names.Select(n => File.ReadAllBytes(TestFiles.Golden(n)))];
        IDataView view = BytesView(ml, files);
        List<Decoded?> images = ReadImages(ml.Transforms.DecodeImages("Image", "Bytes").Fit(view).Transform(view));

        Assert.HasCount(names.Length, images);
        for (int i = 0; i < names.Length; i++)
        {
            // The reference is ML.NET's own decode (MLImage.CreateFromStream, as LoadImages does): SKBitmap.Decode.
            Decoded expected = Reference(files[i]) ?? throw new AssertFailedException($"{names[i]}: SkiaSharp cannot decode it");
            Decoded actual = images[i]!;
            Assert.AreEqual((expected.Width, expected.Height), (actual.Width, actual.Height), names[i]);
            Assert.AreEqual(0, MaxDifference(expected.Pixels, actual.Pixels), $"{names[i]}: same pixels");
        }
    }

    [TestMethod]
    public void ReducedScaleDecodesMatchSkiaSharpsScaledDecode()
    {
        var ml = new MLContext(seed: 1);
        string[] names = [.. TestFiles.GoldenNames()];
        byte[][] files = [.. names.Select(n => File.ReadAllBytes(TestFiles.Golden(n)))];
        IDataView view = BytesView(ml, files);
        List<Decoded?> images = ReadImages(ml.Transforms.DecodeImages("Image", "Bytes", 16, 16).Fit(view).Transform(view));
        for (int i = 0; i < names.Length; i++)
        {
            using SKCodec codec = SKCodec.Create(new MemoryStream(files[i]));
            var info = new SKImageInfo(images[i]!.Width, images[i]!.Height, SKColorType.Bgra8888, SKAlphaType.Premul);
            using var bitmap = new SKBitmap(info);
            Assert.IsTrue(codec.GetPixels(info, bitmap.GetPixels()) is SKCodecResult.Success or SKCodecResult.IncompleteInput, names[i]);
            Assert.AreEqual(0, MaxDifference(bitmap.GetPixelSpan().ToArray(), images[i]!.Pixels), names[i]);
            Assert.IsTrue(images[i]!.Width >= 16 && images[i]!.Height >= 16 || (images[i]!.Width, images[i]!.Height) == (codec.Info.Width, codec.Info.Height), names[i]);
        }
    }

    [TestMethod]
    public void DownscalesRealPhotosToAQuarterForA64x64Request()
    {
        string dataset = TestFiles.RequireClothingSmall();
        var ml = new MLContext(seed: 1);
        string[] paths = [.. Directory.EnumerateFiles(Path.Combine(dataset, "test"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(24)];
        byte[][] files = [.. paths.Select(File.ReadAllBytes)];
        IDataView view = BytesView(ml, files);
        List<Decoded?> images = ReadImages(ml.Transforms.DecodeImages("Image", "Bytes", 64, 64).Fit(view).Transform(view));
        for (int i = 0; i < files.Length; i++)
        {
            using SKCodec codec = SKCodec.Create(new MemoryStream(files[i]));
            var (w, h) = (codec.Info.Width, codec.Info.Height);
            // The smallest of 1/1, 1/2, 1/4, 1/8 (libjpeg rounds up) with both sides >= 64.
            int denominator = new[] { 8, 4, 2, 1 }.First(d => (w + d - 1) / d >= 64 && (h + d - 1) / d >= 64 || d == 1);
            Assert.AreEqual(((w + denominator - 1) / denominator, (h + denominator - 1) / denominator), (images[i]!.Width, images[i]!.Height), paths[i]);
        }
    }

    [TestMethod]
    public void DecodesPngAndOtherFormatsAtFullSize()
    {
        var ml = new MLContext(seed: 1);
        byte[] png = Synthetic(90, 70, SKEncodedImageFormat.Png);
        byte[] webp = Synthetic(90, 70, SKEncodedImageFormat.Webp);
        IDataView view = BytesView(ml, [png, webp]);
        List<Decoded?> images = ReadImages(ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 16, imageHeight: 16).Fit(view).Transform(view));

        Assert.AreEqual((90, 70), (images[0]!.Width, images[0]!.Height), "PNG's codec does not scale: full size");
        CollectionAssert.AreEqual(Reference(png)!.Pixels, images[0]!.Pixels, "lossless: identical to LoadImages");
        Assert.IsGreaterThanOrEqualTo(16, images[1]!.Width);
        Assert.IsGreaterThanOrEqualTo(16, images[1]!.Height);
    }

    [TestMethod]
    [DataRow("photo-clothing.jpg", 64, 64, 100, 134, DisplayName = "400x533 photo, 64x64: 1/4 (1/8 = 50x67 is too small)")]
    [DataRow("photo-clothing.jpg", 50, 67, 50, 67, DisplayName = "400x533 photo, 50x67: 1/8 exactly")]
    [DataRow("photo-clothing.jpg", 224, 224, 400, 533, DisplayName = "400x533 photo, 224x224: full (1/2 = 200x267 is too narrow)")]
    [DataRow("photo-clothing.jpg", 200, null, 200, 267, DisplayName = "400x533 photo, width 200 only: 1/2")]
    [DataRow("panorama-1200x40.jpg", 64, 64, 1200, 40, DisplayName = "1200x40, 64x64: full, never upscaled")]
    [DataRow("panorama-1200x40.jpg", 64, 10, 300, 10, DisplayName = "1200x40, 64x10: 1/4")]
    [DataRow("one-pixel.jpg", 64, 64, 1, 1, DisplayName = "1x1, 64x64: 1x1")]
    [DataRow("odd-37x23.jpg", 5, 3, 5, 3, DisplayName = "37x23, 5x3: 1/8 rounds up")]
    public void DownscalesToTheSmallestDctScaleNotBelowTheRequest(string name, int? width, int? height, int expectedWidth, int expectedHeight)
    {
        var ml = new MLContext(seed: 1);
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden(name));
        IDataView view = BytesView(ml, [jpeg]);
        Decoded image = ReadImages(ml.Transforms.DecodeImages("Image", "Bytes", width, height).Fit(view).Transform(view)).Single()!;

        Assert.AreEqual((expectedWidth, expectedHeight), (image.Width, image.Height));
        using SKCodec codec = SKCodec.Create(new MemoryStream(jpeg));
        foreach (float scale in new[] { 1f, 0.5f, 0.25f, 0.125f })
        {
            // No DCT scale smaller than the chosen one still covers the request.
            SKSizeI s = codec.GetScaledDimensions(scale);
            if (s.Width < image.Width && s.Width >= (width ?? 1) && s.Height >= (height ?? 1))
                Assert.Fail($"scale {scale} ({s}) is smaller and still covers the request");
        }
    }

    [TestMethod]
    public void DownscaledDecodeOfA640x480IsCloseToFullDecodeThenResize()
    {
        var ml = new MLContext(seed: 1);
        byte[] jpeg = Synthetic(640, 480);
        IDataView view = BytesView(ml, [jpeg]);
        IDataView full = ml.Transforms.DecodeImages("Image", "Bytes").Append(ml.Transforms.ResizeImages("Small", 64, 64, "Image"))
            .Fit(view).Transform(view);
        IDataView scaled = ml.Transforms.DecodeImages("Image", "Bytes", 64, 64).Append(ml.Transforms.ResizeImages("Small", 64, 64, "Image"))
            .Fit(view).Transform(view);

        Assert.AreEqual((160, 120), (ReadImages(scaled).Single()!.Width, ReadImages(scaled).Single()!.Height), "1/4 of 640x480");
        byte[] a = ReadImages(full, "Small").Single()!.Pixels, b = ReadImages(scaled, "Small").Single()!.Pixels;
        double meanDifference = a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
        Assert.IsLessThan(8.0, meanDifference, "the same picture at 64x64");
    }

    [TestMethod]
    public void ComposesFromLoadRawImageBytesToATrainer()
    {
        var ml = new MLContext(seed: 1);
        // Made-up labels: colour fixtures against the gray one (two copies each so every class has rows).
        string[] color = ["baseline-420.jpg", "baseline-444.jpg", "progressive-420.jpg", "photo-clothing.jpg", "odd-37x23.jpg", "baseline-422.jpg"];
        string[] gray = ["gray.jpg", "gray-2x2-sampling.jpg"];
        PathRow[] rows = [.. color.Select(n => new PathRow { Path = n, Label = "color" }), .. gray.Select(n => new PathRow { Path = n, Label = "gray" }),
            .. gray.Select(n => new PathRow { Path = n, Label = "gray" })];
        IDataView data = ml.Data.LoadFromEnumerable(rows);

        var pipeline = ml.Transforms.LoadRawImageBytes("Bytes", TestFiles.JpegGolden, "Path")
            .Append(ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 32, imageHeight: 32))
            .Append(ml.Transforms.ResizeImages("Small", 16, 16, "Image"))
            .Append(ml.Transforms.ExtractPixels("Features", "Small", scaleImage: 1f / 255))
            .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", "Features", l1Regularization: 0, l2Regularization: 1e-4f))
            .Append(ml.Transforms.Conversion.MapKeyToValue("Predicted", "PredictedLabel"));
        var model = pipeline.Fit(data);

        Assert.IsInstanceOfType<VectorDataViewType>(model.GetOutputSchema(data.Schema)["Bytes"].Type);
        var predictions = ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).ToList();
        Assert.HasCount(rows.Length, predictions);
        Assert.IsGreaterThanOrEqualTo(rows.Length - 1, predictions.Zip(rows).Count(p => p.First.Predicted == p.Second.Label), "learns colour vs gray");

        // The row-to-row path (prediction engine) too.
        var engine = ml.Model.CreatePredictionEngine<PathRow, Prediction>(model);
        Assert.AreEqual("gray", engine.Predict(new PathRow { Path = "gray.jpg" }).Predicted);
    }

    private sealed class Prediction
    {
        public string Predicted = "";
    }

    [TestMethod]
    public void UndecodableBytesThrowNamingTheRow()
    {
        var ml = new MLContext(seed: 1);
        byte[] good = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        IDataView view = BytesView(ml, [good, good, "not an image at all"u8.ToArray(), good]);
        IDataView decoded = ml.Transforms.DecodeImages("Image", "Bytes").Fit(view).Transform(view);

        var e = Assert.ThrowsExactly<PcrFormatException>(() => ReadImages(decoded));
        StringAssert.Contains(e.Message, "row 2 of column 'Bytes'");
        StringAssert.Contains(e.Message, "no image format");

        IDataView empty = BytesView(ml, [good, []]);
        e = Assert.ThrowsExactly<PcrFormatException>(() => ReadImages(ml.Transforms.DecodeImages("Image", "Bytes").Fit(empty).Transform(empty)));
        StringAssert.Contains(e.Message, "row 1 of column 'Bytes': the byte vector is empty");

        // A JPEG whose header is fine but whose data is garbage.
        byte[] corrupt = [.. good[..200], .. Enumerable.Repeat((byte)0xFF, 4), 0x01, 0x02];
        IDataView broken = BytesView(ml, [corrupt]);
        var e2 = Assert.Throws<PcrFormatException>(() => ReadImages(ml.Transforms.DecodeImages("Image", "Bytes").Fit(broken).Transform(broken)));
        StringAssert.Contains(e2.Message, "row 0");

        // A truncated JPEG (no EOI, data missing) is damaged, not an image SkiaSharp may fill with gray.
        byte[] photo = File.ReadAllBytes(Path.Combine(TestFiles.JpegInputs, "photo-clothing.jpg"));
        IDataView truncated = BytesView(ml, [photo[..700]]);
        var e3 = Assert.ThrowsExactly<PcrFormatException>(() => ReadImages(ml.Transforms.DecodeImages("Image", "Bytes").Fit(truncated).Transform(truncated)));
        StringAssert.Contains(e3.Message, "truncated");

        // Inside a trainer (which reads through cursor sets), the exception reaches the caller of Fit.
        IDataView labelled = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 6).Select(i => new LabelledBytes
        {
            Bytes = i == 4 ? [1, 2, 3] : good,
            Label = i % 2,
        }).ToArray());
        var trainer = ml.Transforms.DecodeImages("Image", "Bytes")
            .Append(ml.Transforms.ResizeImages("Small", 8, 8, "Image"))
            .Append(ml.Transforms.ExtractPixels("Features", "Small"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Key", "Label"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Key", "Features"));
        Exception thrown = Assert.Throws<Exception>(() => trainer.Fit(labelled));
        Exception root = thrown;
        while (root is not PcrFormatException && root.InnerException is not null)
            root = root.InnerException;
        Assert.IsInstanceOfType<PcrFormatException>(root, thrown.ToString());
        StringAssert.Contains(root.Message, "row 4 of column 'Bytes'");
    }

    private sealed class LabelledBytes
    {
        public byte[] Bytes = [];
        public float Label;
    }

    [TestMethod]
    public void OptInGivesMissingOrBlankImagesAndThePipelineContinues()
    {
        var ml = new MLContext(seed: 1);
        byte[] good = File.ReadAllBytes(TestFiles.Golden("baseline-420.jpg"));
        IDataView view = BytesView(ml, [good, [0x12, 0x34], good, []]);

        // Missing: null, as LoadImages gives for an empty path.
        List<Decoded?> missing = ReadImages(ml.Transforms.DecodeImages("Image", "Bytes", undecodableImages: UndecodableImageHandling.Missing).Fit(view).Transform(view));
        Assert.IsNotNull(missing[0]);
        Assert.IsNull(missing[1]);
        Assert.IsNotNull(missing[2]);
        Assert.IsNull(missing[3]);

        // Blank: flows through ResizeImages and ExtractPixels as an all-zero vector.
        var pipeline = ml.Transforms.DecodeImages("Image", "Bytes", undecodableImages: UndecodableImageHandling.Blank)
            .Append(ml.Transforms.ResizeImages("Small", 8, 8, "Image"))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Small"));
        float[][] pixels = [.. pipeline.Fit(view).Transform(view).GetColumn<float[]>("Pixels")];
        Assert.HasCount(4, pixels);
        Assert.IsTrue(pixels[0].Any(v => v != 0));
        Assert.IsTrue(pixels[1].All(v => v == 0));
        Assert.IsTrue(pixels[2].Any(v => v != 0));
        Assert.IsTrue(pixels[3].All(v => v == 0));
        CollectionAssert.AreEqual(pixels[0], pixels[2]);
    }

    [TestMethod]
    public void MissingImagesBreakResizeImagesInMLNet501()
    {
        // Documents why UndecodableImageHandling.Blank exists: ResizeImages disposes its previous output and returns it
        // again for a null input, so the next transform reads a disposed image. If this starts passing, ML.NET fixed it.
        var ml = new MLContext(seed: 1);
        byte[] good = File.ReadAllBytes(TestFiles.Golden("baseline-420.jpg"));
        IDataView view = BytesView(ml, [good, [0x12, 0x34]]);
        var pipeline = ml.Transforms.DecodeImages("Image", "Bytes", undecodableImages: UndecodableImageHandling.Missing)
            .Append(ml.Transforms.ResizeImages("Small", 8, 8, "Image"))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Small"));
        IDataView output = pipeline.Fit(view).Transform(view);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => output.GetColumn<float[]>("Pixels").ToList());
        StringAssert.Contains(e.Message, "disposed");
    }

    [TestMethod]
    public void WrongOrMissingInputColumnsGetSchemaMismatchErrors()
    {
        var ml = new MLContext(seed: 1);
        IDataView paths = ml.Data.LoadFromEnumerable([new PathRow { Path = "gray.jpg", Label = "x" }]);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DecodeImages("Image", "Path").Fit(paths));
        StringAssert.Contains(e.Message, "Schema mismatch for input column 'Path': expected VarVector<Byte>, got String");
        Assert.AreEqual("inputSchema", e.ParamName);

        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DecodeImages("Image", "Nope").Fit(paths));
        StringAssert.Contains(e.Message, "Could not find input column 'Nope'");

        // In a pipeline, EstimatorChain propagates SchemaShapes first: our GetOutputSchema(SchemaShape) answers.
        var chain = ml.Transforms.CopyColumns("Copy", "Path").Append(ml.Transforms.DecodeImages("Image", "Copy"));
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => chain.Fit(paths));
        StringAssert.Contains(e.Message, "Schema mismatch for input column 'Copy': expected VarVector<Byte>, got String");

        var floats = ml.Data.LoadFromEnumerable([new FloatRow()]);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DecodeImages("Image", "Values").Fit(floats));
        StringAssert.Contains(e.Message, "expected VarVector<Byte>, got Vector<Single, 3>");

        // Arguments are checked up front, naming the parameter.
        var a = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DecodeImages("Image", imageWidth: 0));
        Assert.AreEqual("imageWidth", a.ParamName);
        a = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DecodeImages("Image", imageHeight: -3));
        Assert.AreEqual("imageHeight", a.ParamName);
    }

    private sealed class FloatRow
    {
        [VectorType(3)]
        public float[] Values = [1, 2, 3];
    }

    [TestMethod]
    public void OutputSchemaIsAnImageColumnThatResizeImagesAccepts()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = BytesView(ml, [File.ReadAllBytes(TestFiles.Golden("gray.jpg"))]);
        var transformer = ml.Transforms.DecodeImages("Bytes").Fit(view);
        DataViewSchema schema = transformer.GetOutputSchema(view.Schema);

        Assert.IsInstanceOfType<Microsoft.ML.Transforms.Image.ImageDataViewType>(schema["Bytes"].Type, "in place: the image hides the bytes");
        Assert.HasCount(2, schema);
        Assert.IsTrue(schema[0].IsHidden);
        Assert.AreEqual("Bytes", transformer.InputColumnName);
        Assert.AreEqual(1, ReadImages(transformer.Transform(view), "Bytes").Count);
    }
}
