using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Training.Onnx;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Tests.Training;

[TestClass]
public sealed class OnnxResNet18Tests
{
    private const int Side = 224;

    [TestMethod]
    public void GraphIsWalkedIntoStemAndFourStagesWithTheGraphsAttributes()
    {
        using OnnxResNetBackbone backbone = OnnxResNet18.LoadBackbone(OnnxResNet18.DefaultModelPath, out int featureCount);

        Assert.AreEqual(512, featureCount);
        CollectionAssert.AreEqual(new[] { "Conv", "BatchNormalization", "Relu", "MaxPool" }, backbone.Stem.OpTypes.ToArray());
        var all = new[] { backbone.Stem }.Concat(backbone.Stages).ToArray();
        Assert.AreEqual(22, all.Sum(s => s.Convolutions.Count));
        Assert.AreEqual(22, all.Sum(s => s.BatchNorms.Count));
        Assert.AreEqual(19, all.Sum(s => s.OpTypes.Count(t => t == "Relu")));
        // CNTK's ResNet-18 has 2, 2, 2 and 3 residual blocks (22 convolutions: one block more than torchvision's in layer4).
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 3 }, backbone.Stages.Select(s => s.OpTypes.Count(t => t == "Add")).ToArray());
        CollectionAssert.AreEqual(new[] { 4, 5, 5, 7 }, backbone.Stages.Select(s => s.Convolutions.Count).ToArray());

        OnnxConvolution stemConv = backbone.Stem.Convolutions.Single();
        CollectionAssert.AreEqual(new long[] { 7, 7 }, stemConv.Kernel);
        CollectionAssert.AreEqual(new long[] { 2, 2 }, stemConv.Strides);
        CollectionAssert.AreEqual(new long[] { 3, 3, 2, 2 }, stemConv.Pads, "CNTK's asymmetric stem padding");

        Assert.AreEqual(4, backbone.Stages[0].Convolutions.Count);
        Assert.IsTrue(backbone.Stages[0].Convolutions.All(c => c.Strides.All(s => s == 1)));
        long[] widths = [64, 128, 256, 512];
        for (int k = 0; k < 4; k++)
        {
            OnnxGraphSegment stage = backbone.Stages[k];
            Assert.AreEqual(widths[k], stage.OutputChannels, $"layer{k + 1} width");
            if (k == 0) continue;
            OnnxConvolution[] strided = stage.Convolutions.Where(c => c.Strides[0] == 2).ToArray();
            Assert.AreEqual(2, strided.Length, $"layer{k + 1}: the first block's 3x3 and its 1x1 projection stride");
            OnnxConvolution projection = strided.Single(c => c.Kernel[0] == 1);
            CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0 }, projection.Pads);
            CollectionAssert.AreEqual(new long[] { 1, 1, 0, 0 }, strided.Single(c => c.Kernel[0] == 3).Pads);
        }
        CollectionAssert.AreEqual(new long[] { 7, 7 }, backbone.GraphPoolKernel.ToArray());
        // Every exported pad is CNTK's "same" padding at 224 (odd pixel first), so it is re-derived for other sizes.
        Assert.IsTrue(all.SelectMany(s => s.Convolutions).All(c => c.PadsFollowInputSize));
        Assert.IsTrue(backbone.Stem.MaxPoolPadsFollowInputSize);

        backbone.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // At 224 the last map is 7 x 7, which the graph's 7 x 7 AveragePool averages whole: the adaptive pool is the same.
        CollectionAssert.AreEqual(new long[] { 1, 512, 7, 7 }, backbone.ForwardFeatureMap(zeros(1, 3, Side, Side)).shape);
        // 112 makes odd maps (7 x 7 into layer4), where frozen 224 pads would split the shortcut from the main path.
        foreach (int side in new[] { 112, 160, 97, 32 })
        {
            Tensor small = backbone.call(backbone.Preprocess(rand(2, 3, side, side)));
            CollectionAssert.AreEqual(new long[] { 2, 512 }, small.shape, $"{side} x {side}");
            Assert.IsTrue(small.isfinite().all().item<bool>());
        }
    }

    [TestMethod]
    [DataRow(224L, 7L, 2L, 3L, 2L)]   // the stem at 224: CNTK exported pads 3 before, 2 after
    [DataRow(112L, 3L, 2L, 1L, 0L)]   // the max-pool of the stem's 112 map: 1 before, 0 after
    [DataRow(7L, 3L, 2L, 1L, 1L)]     // an odd map: symmetric, so the 3 x 3 and the 1 x 1 projection both give 4
    [DataRow(56L, 1L, 2L, 0L, 0L)]    // the projection: no padding
    public void SameLowerPaddingPutsTheOddPixelFirst(long size, long kernel, long stride, long before, long after)
    {
        CollectionAssert.AreEqual(new[] { before, after }, OnnxGraphSegment.SameLower(size, kernel, stride, 1));
    }

    [TestMethod]
    public void PreprocessReordersToBgrAndSubtractsTheMeanImageAtAnySize()
    {
        using OnnxResNetBackbone backbone = OnnxResNet18.LoadBackbone();
        using var scope = NewDisposeScope();
        Tensor mean = OnnxResNet18.ReadMeanImage(OnnxModelFile.Read(OnnxResNet18.DefaultPreprocessPath));
        CollectionAssert.AreEqual(new long[] { 1, 3, 224, 224 }, mean.shape);

        Tensor red = zeros(1, 3, Side, Side);
        red[0, 0] = tensor(1f);
        Tensor full = backbone.Preprocess(red);
        Assert.AreEqual(0f, full[0, 2].sub(255f).add(mean[0, 2]).abs().max().item<float>(), 1e-4f, "red lands in the last (BGR) plane as 255 minus the mean");
        Assert.AreEqual(0f, full[0, 0].add(mean[0, 0]).abs().max().item<float>(), 1e-4f);

        Tensor half = backbone.Preprocess(zeros(1, 3, 112, 112));
        Tensor expected = nn.functional.avg_pool2d(mean, 2).neg();
        Assert.AreEqual(0f, half.sub(expected).abs().max().item<float>(), 1e-3f, "at 112 the mean image is averaged 2 x 2");
    }

    [TestMethod]
    public void BatchNormEvalKeepsRunningStatisticsWhileTraining()
    {
        using OnnxResNetBackbone backbone = OnnxResNet18.LoadBackbone();
        using var scope = NewDisposeScope();
        var batchNorm = backbone.Stages[3].BatchNorms[^1];
        Tensor before = batchNorm.running_mean!.clone();

        backbone.SetBatchNormEval(true);
        backbone.train();
        Assert.IsTrue(backbone.training);
        Assert.IsFalse(batchNorm.training);
        backbone.call(backbone.Preprocess(rand(2, 3, 64, 64))).sum().backward();
        Assert.AreEqual(0f, before.sub(batchNorm.running_mean!).abs().max().item<float>(), "running statistics unchanged in BN-eval mode");
        Assert.IsNotNull(backbone.Stages[0].parameters().First().grad, "the rest still trains");

        backbone.SetBatchNormEval(false);
        Assert.IsTrue(batchNorm.training);
        backbone.call(backbone.Preprocess(rand(2, 3, 64, 64)));
        Assert.AreNotEqual(0f, before.sub(batchNorm.running_mean!).abs().max().item<float>(), "running statistics update again");
    }

    [TestMethod]
    public void MissingModelNamesThePackageAndHowToAddIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "pcr-tests", Guid.NewGuid().ToString("N"), "ResNet18.onnx");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => OnnxResNet18.LoadBackbone(path));
        StringAssert.Contains(e.Message, "Microsoft.ML.DnnImageFeaturizer.ResNet18");
        StringAssert.Contains(e.Message, "dotnet add package");
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void MalformedOrForeignModelsAreFormatErrorsNamingTheFile()
    {
        using var dir = TestFiles.NewTempDirectory();
        string garbage = Path.Combine(dir.Path, "garbage.onnx");
        File.WriteAllBytes(garbage, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);
        var e = Assert.ThrowsExactly<PcrFormatException>(() => OnnxResNet18.LoadBackbone(garbage, OnnxResNet18.DefaultPreprocessPath));
        Assert.AreEqual(garbage, e.FilePath);

        // The preprocessing model is valid ONNX but no ResNet.
        var foreign = Assert.ThrowsExactly<PcrFormatException>(() => OnnxResNet18.LoadBackbone(OnnxResNet18.DefaultPreprocessPath, OnnxResNet18.DefaultPreprocessPath));
        StringAssert.Contains(foreign.Message, "no MaxPool ending a ResNet stem");
        var notPreprocess = Assert.ThrowsExactly<PcrFormatException>(() => OnnxResNet18.ReadMeanImage(OnnxModelFile.Read(OnnxResNet18.DefaultModelPath)));
        StringAssert.Contains(notPreprocess.Message, "expected [Split, Concat, Sub]");
    }

    [TestMethod]
    public void FeaturesEqualTheOnnxModelRunByOnnxTransformerOnRealPhotos()
    {
        string? dataset = TestFiles.ClothingSmall();
        if (dataset is null) Assert.Inconclusive("../shared/datasets/clothing-small is not on this machine: the pretrained-weights check needs real photos.");
        string[] photos = Directory.GetDirectories(Path.Combine(dataset, "test")).Order(StringComparer.Ordinal).Take(6)
            .Select(d => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).First()).ToArray();
        float[][] planes = photos.Select(RgbPlanes).ToArray();

        // ML.NET: ResNetPreprocess.onnx then ResNet18.onnx through OnnxTransformer, on the 0-255 RGB planes.
        var ml = new MLContext(seed: 1);
        IDataView input = ml.Data.LoadFromEnumerable(planes.Select(p => new PhotoRow { OriginalInput = p }));
        var pipeline = ml.Transforms.ApplyOnnxModel("PreprocessedInput", "OriginalInput", OnnxResNet18.DefaultPreprocessPath)
            .Append(ml.Transforms.CopyColumns("Input247", "PreprocessedInput"))
            .Append(ml.Transforms.ApplyOnnxModel("Pooling395_Output_0", "Input247", OnnxResNet18.DefaultModelPath));
        float[][] expected = ml.Data.CreateEnumerable<FeatureRow>(pipeline.Fit(input).Transform(input), reuseRowObject: false)
            .Select(r => r.Features).ToArray();

        using OnnxResNetBackbone backbone = OnnxResNet18.LoadBackbone();
        backbone.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor rgb01 = tensor(planes.SelectMany(p => p).ToArray(), [planes.Length, 3, Side, Side]).div(255f);
        float[] actual = backbone.call(backbone.Preprocess(rgb01)).data<float>().ToArray();

        double worst = 0;
        for (int i = 0; i < photos.Length; i++)
        {
            Assert.AreEqual(512, expected[i].Length);
            double maxDiff = 0, maxRef = 0;
            for (int j = 0; j < 512; j++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(actual[i * 512 + j] - expected[i][j]));
                maxRef = Math.Max(maxRef, Math.Abs(expected[i][j]));
            }
            Assert.IsTrue(maxRef > 0.1, $"{photos[i]}: the ONNX features are not all near zero");
            worst = Math.Max(worst, maxDiff / maxRef);
        }
        Console.WriteLine($"TorchSharp backbone vs OnnxTransformer on {photos.Length} photos: max |a-b| / max |b| = {worst:E2}");
        Assert.IsTrue(worst <= 1e-4, $"relative difference {worst:E2} exceeds 1e-4");
    }

    // Decoded with SkiaSharp and resized to 224 x 224; planes R, G, B in 0-255, as ML.NET's ExtractPixels gives them.
    private static float[] RgbPlanes(string path)
    {
        using SKBitmap decoded = SKBitmap.Decode(path) ?? throw new AssertFailedException($"{path} does not decode");
        using SKBitmap resized = decoded.Resize(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.Medium);
        byte[] rgba = resized.Bytes;
        var planes = new float[3 * Side * Side];
        for (int p = 0; p < Side * Side; p++)
        {
            for (int c = 0; c < 3; c++) planes[c * Side * Side + p] = rgba[p * 4 + c];
        }
        return planes;
    }

    private sealed class PhotoRow
    {
        [VectorType(3, Side, Side)]
        public float[] OriginalInput { get; set; } = [];
    }

    private sealed class FeatureRow
    {
        [ColumnName("Pooling395_Output_0")]
        public float[] Features { get; set; } = [];
    }
}
