using Microsoft.ML.Pcr.Training.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training.Onnx;

/// <summary>
/// The pretrained ImageNet ResNet-18 of the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (MIT licence),
/// taken into TorchSharp: <c>ResNet18.onnx</c> (a CNTK 2.6 export, opset 8) is parsed with Google.Protobuf, its graph walked
/// into an <see cref="OnnxResNetBackbone"/> and its initializers loaded as the weights; <c>ResNetPreprocess.onnx</c> gives
/// the preprocessing. Nothing is downloaded: the application references the package, whose build props copy both files
/// beside its output (<c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c>, <c>DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx</c>).
/// The library itself does not reference the 64 MB package.
/// </summary>
internal static class OnnxResNet18
{
    /// <summary>The NuGet package that ships the model files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version the backbone was verified against.</summary>
    public const string PackageVersion = "0.23.1";

    /// <summary>The model's path relative to the application output, as the package's build props place it.</summary>
    public static readonly string ModelRelativePath = Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The preprocessing model's path relative to the application output, as the package's build props place it.</summary>
    public static readonly string PreprocessRelativePath = Path.Combine("DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>Gets where the package puts <c>ResNet18.onnx</c> for this application.</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, ModelRelativePath);

    /// <summary>Gets where the package puts <c>ResNetPreprocess.onnx</c> for this application.</summary>
    public static string DefaultPreprocessPath => Path.Combine(AppContext.BaseDirectory, PreprocessRelativePath);

    /// <summary>
    /// Loads the pretrained backbone: the graph of <paramref name="modelPath"/> (default <see cref="DefaultModelPath"/>)
    /// with its weights, and the mean image of <paramref name="preprocessPath"/> (default: <c>ResNetPreprocess.onnx</c>
    /// in <c>../ResNetPrepOnnx/</c> beside the model, as the package lays them out).
    /// </summary>
    /// <exception cref="FileNotFoundException">A model file is missing; the message names the package and how to add it.</exception>
    /// <exception cref="PcrFormatException">A model file is not the ResNet graph or preprocessing the backbone reads.</exception>
    public static OnnxResNetBackbone LoadBackbone(string? modelPath = null, string? preprocessPath = null)
    {
        modelPath = RequireFile(modelPath ?? DefaultModelPath, "ResNet18.onnx");
        preprocessPath = RequireFile(
            preprocessPath ?? Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(modelPath)))!, "ResNetPrepOnnx", "ResNetPreprocess.onnx"),
            "ResNetPreprocess.onnx");
        Tensor meanImage = ReadMeanImage(OnnxModelFile.Read(preprocessPath));
        return Build(OnnxModelFile.Read(modelPath), meanImage);
    }

    /// <summary>Loads the backbone from <paramref name="modelPath"/> and returns its feature count (512) as well.</summary>
    public static OnnxResNetBackbone LoadBackbone(string? modelPath, out int featureCount)
    {
        OnnxResNetBackbone backbone = LoadBackbone(modelPath);
        featureCount = backbone.FeatureCount;
        return backbone;
    }

    /// <summary>Returns <paramref name="path"/> when the file exists, else throws the error that names the package.</summary>
    public static string RequireFile(string path, string fileName)
    {
        if (File.Exists(path)) return path;
        throw new FileNotFoundException(
            $"The pretrained ResNet-18 backbone needs {fileName}, which was not found at '{path}'. It ships in the NuGet package " +
            $"{PackageId} (version {PackageVersion}, MIT licence), whose build props copy it beside the application output " +
            $"(DnnImageModels/). Add the package to the application project (dotnet add package {PackageId} --version {PackageVersion}, " +
            $"or <PackageReference Include=\"{PackageId}\" Version=\"{PackageVersion}\" />), or pass the file's path explicitly.",
            path);
    }

    /// <summary>
    /// Reads the mean image of ResNetPreprocess.onnx and checks the graph is what the backbone reproduces:
    /// Split of the RGB planes, Concat in B, G, R order, Sub of a 1 x 3 x h x w initializer. Returns that initializer.
    /// </summary>
    public static Tensor ReadMeanImage(OnnxModelFile model)
    {
        IList<NodeProto> nodes = model.Graph.Node;
        if (nodes.Count != 3 || nodes[0].OpType != "Split" || nodes[1].OpType != "Concat" || nodes[2].OpType != "Sub")
            throw model.Fail($"the preprocessing graph is [{string.Join(", ", nodes.Select(n => n.OpType))}], expected [Split, Concat, Sub]");
        NodeProto split = nodes[0], concat = nodes[1], sub = nodes[2];
        if (model.Int(split, "axis", 0) != 1 || split.Output.Count != 3)
            throw model.Fail(split, "expected a split of the channel axis into three planes");
        if (model.Int(concat, "axis", 0) != 1 || concat.Input.Count != 3
            || concat.Input[0] != split.Output[2] || concat.Input[1] != split.Output[1] || concat.Input[2] != split.Output[0])
            throw model.Fail(concat, "expected the three planes concatenated in reverse order (RGB to BGR)");
        if (sub.Input.Count != 2 || sub.Input[0] != concat.Output[0])
            throw model.Fail(sub, "expected the mean image subtracted from the reordered planes");
        float[] mean = model.ReadFloats(sub.Input[1], out long[] dims);
        if (dims.Length != 4 || dims[0] != 1 || dims[1] != 3)
            throw model.Fail(sub, $"the mean image has shape [{string.Join(", ", dims)}], expected [1, 3, h, w]");
        return torch.tensor(mean, dims);
    }

    /// <summary>
    /// Builds the backbone from a ResNet graph: the stem ends at the first MaxPool; each residual block ends at the ReLU
    /// that follows an Add; a block with a strided convolution starts a new stage; the graph must end in one AveragePool.
    /// </summary>
    public static OnnxResNetBackbone Build(OnnxModelFile model, Tensor meanImage)
    {
        GraphProto graph = model.Graph;
        IList<NodeProto> nodes = graph.Node;
        string input = graph.Input.Select(i => i.Name).FirstOrDefault(n => !model.HasInitializer(n))
            ?? throw model.Fail("the graph has no input besides its initializers");

        var sizes = new Dictionary<string, (long H, long W)>(StringComparer.Ordinal);
        TensorShapeProto? shape = graph.Input.First(i => i.Name == input).Type?.TensorType?.Shape;
        if (shape is { Dim.Count: 4 } && shape.Dim[2].HasDimValue && shape.Dim[3].HasDimValue)
            sizes[input] = (shape.Dim[2].DimValue, shape.Dim[3].DimValue);

        int stemEnd = IndexOf(nodes, "MaxPool", 0);
        if (stemEnd < 0) throw model.Fail("the graph has no MaxPool ending a ResNet stem");
        var stem = new OnnxGraphSegment("stem", model, Slice(nodes, 0, stemEnd + 1), input, nodes[stemEnd].Output[0], sizes);

        // Residual blocks: runs of nodes closed by Relu(Add(...)).
        var blocks = new List<(int Start, int End)>();
        int start = stemEnd + 1;
        for (int i = start; i < nodes.Count; i++)
        {
            if (nodes[i].OpType == "Relu" && i > start && nodes[i - 1].OpType == "Add" && nodes[i].Input[0] == nodes[i - 1].Output[0])
            {
                blocks.Add((start, i));
                start = i + 1;
            }
        }
        if (blocks.Count == 0) throw model.Fail("the graph has no residual block (Relu after Add) after the stem");

        var stageRanges = new List<(int Start, int End)>();
        foreach ((int s, int e) in blocks)
        {
            bool strided = Slice(nodes, s, e + 1).Any(n => n.OpType == "Conv" && model.Ints(n, "strides", [1, 1]).Any(v => v > 1));
            if (stageRanges.Count == 0 || strided) stageRanges.Add((s, e));
            else stageRanges[^1] = (stageRanges[^1].Start, e);
        }
        if (stageRanges.Count != 4)
            throw model.Fail($"the graph has {stageRanges.Count} stages of residual blocks, expected 4 (layer1 to layer4)");

        var stages = new List<OnnxGraphSegment>(4);
        string value = nodes[stemEnd].Output[0];
        for (int k = 0; k < 4; k++)
        {
            (int s, int e) = stageRanges[k];
            stages.Add(new OnnxGraphSegment($"layer{k + 1}", model, Slice(nodes, s, e + 1), value, nodes[e].Output[0], sizes));
            value = nodes[e].Output[0];
        }

        int tail = stageRanges[^1].End + 1;
        if (nodes.Count != tail + 1 || nodes[tail].OpType != "AveragePool" || nodes[tail].Input[0] != value)
            throw model.Fail($"the graph should end with one AveragePool of the last block's output '{value}'");
        NodeProto pool = nodes[tail];
        if (model.Ints(pool, "pads", [0, 0, 0, 0]).Any(p => p != 0))
            throw model.Fail(pool, "a padded final AveragePool is not a global average pool");
        return new OnnxResNetBackbone(stem, stages, model.Ints(pool, "kernel_shape", []), meanImage) { GraphStructure = model.ToStructure() };
    }

    /// <summary>
    /// Rebuilds a backbone from <see cref="OnnxResNetBackbone.GraphStructure"/> with zero weights and a zero mean image
    /// of <paramref name="meanImageShape"/>, for a saved model whose weights are loaded into it: no package file needed.
    /// </summary>
    /// <exception cref="PcrFormatException">The structure is not the ResNet graph the backbone reads; the message names <paramref name="source"/>.</exception>
    public static OnnxResNetBackbone FromStructure(ReadOnlySpan<byte> structure, long[] meanImageShape, string source)
    {
        if (meanImageShape is not [1, 3, > 0, > 0])
            throw new PcrFormatException($"its backbone mean image has shape [{string.Join(", ", meanImageShape)}], expected [1, 3, h, w]", source);
        return Build(OnnxModelFile.FromStructure(structure, source), torch.zeros(meanImageShape));
    }

    private static int IndexOf(IList<NodeProto> nodes, string opType, int from)
    {
        for (int i = from; i < nodes.Count; i++)
        {
            if (nodes[i].OpType == opType) return i;
        }
        return -1;
    }

    private static List<NodeProto> Slice(IList<NodeProto> nodes, int start, int end)
    {
        var slice = new List<NodeProto>(end - start);
        for (int i = start; i < end; i++) slice.Add(nodes[i]);
        return slice;
    }
}
