using Microsoft.ML.Pcr.Imaging;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The <see cref="ITransformer"/> <see cref="PcrImageClassificationTrainer"/> produces: it decodes each row's encoded
/// image at full fidelity (JPEG, PNG or anything SkiaSharp reads), resizes it to the network's input size and adds
/// <c>Score</c> (one probability per class) and <c>PredictedLabel</c> (key with the class names). Save it with
/// <see cref="Save(string)"/> and load it with <see cref="Load(MLContext, string)"/>: ML.NET's model zip cannot hold it.
/// </summary>
public sealed class PcrImageClassificationTransformer : ITransformer, IDisposable
{
    private const string Magic = "PCR-CNN";
    private const int FormatVersion = 1;

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Device _device;
    private readonly IImageTensorDecoder _decoder;
    private readonly Lock _lock = new();
    private readonly string[] _classNames;

    internal PcrImageClassificationTransformer(nn.Module<Tensor, Tensor> model, Device device, PcrImageClassificationTrainer.Architecture arch,
        int inputSize, string[] classNames, string imageColumnName, string scoreColumnName, string predictedLabelColumnName, IImageTensorDecoder decoder)
    {
        _model = model;
        _device = device;
        _decoder = decoder;
        Arch = arch;
        InputSize = inputSize;
        _classNames = classNames;
        FeatureColumnName = imageColumnName;
        ScoreColumnName = scoreColumnName;
        PredictedLabelColumnName = predictedLabelColumnName;
        _model.eval();
    }

    /// <summary>Gets the network (for tests that inspect its weights).</summary>
    internal nn.Module<Tensor, Tensor> Network => _model;

    /// <summary>Gets the network architecture.</summary>
    public PcrImageClassificationTrainer.Architecture Arch { get; }

    /// <summary>Gets the side of the square network input, in pixels.</summary>
    public int InputSize { get; }

    /// <summary>Gets the class names, in key order (PredictedLabel k is ClassNames[k - 1]).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Gets the encoded image column read.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Gets the score column produced.</summary>
    public string ScoreColumnName { get; }

    /// <summary>Gets the predicted label column produced.</summary>
    public string PredictedLabelColumnName { get; }

    /// <summary>Gets what each training epoch measured (empty for a loaded model).</summary>
    public IReadOnlyList<PcrTrainingEpochMetrics> History { get; internal set; } = [];

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>Returns the schema <see cref="Transform"/> produces from <paramref name="inputSchema"/>: every input column, then Score and PredictedLabel.</summary>
    /// <param name="inputSchema">The input schema; it must have the encoded image column (variable-length vector of Byte).</param>
    /// <returns>The output schema.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or is not a vector of bytes.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return BuildOutputSchema(inputSchema, out _);
    }

    /// <summary>Scores every row of <paramref name="input"/> (lazily, as its cursors move).</summary>
    /// <param name="input">Data with the encoded image column.</param>
    /// <returns>The input's columns plus Score and PredictedLabel.</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new AddedColumnsDataView(new ScoringMapper(this, input.Schema), input);
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ScoringMapper(this, inputSchema);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        "ML.NET's model files cannot hold third-party transformers (ModelSaveContext is internal to ML.NET). " +
        "Save this model with PcrImageClassificationTransformer.Save(path) and load it with PcrImageClassificationTransformer.Load(mlContext, path).");

    /// <summary>
    /// Writes the model to one file: a versioned header (architecture, input size, preprocessing, class names, column
    /// names; for the pretrained ResNet-18 also its ONNX graph without weights) and the network's weights, fine-tuned
    /// backbone included, so that <see cref="Load(MLContext, string)"/> needs neither the package nor its model file. The file is written beside <paramref name="path"/> and renamed over it.
    /// </summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp-" + Environment.ProcessId;
        var header = new ModelHeader(Arch.ToString(), InputSize, "whole image, bilinear resize, RGB, ImageNet mean and std",
            ImageTensorResampler.Mean, ImageTensorResampler.Std, _classNames, FeatureColumnName, ScoreColumnName, PredictedLabelColumnName)
        {
            // The pretrained backbone's graph without its weights (those are in the weights below): loading needs no package.
            BackboneGraph = _model is PretrainedResNet pretrained ? Convert.ToBase64String(pretrained.Backbone.GraphStructure) : null,
            BackboneMeanImageShape = (_model as PretrainedResNet)?.Backbone.MeanImageShape,
        };
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(JsonSerializer.Serialize(header));
                lock (_lock) _model.save(writer);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Loads a model <see cref="Save(string)"/> wrote.</summary>
    /// <param name="mlContext">The context (its GpuDeviceId and FallbackToCpu choose the device).</param>
    /// <param name="path">The model file.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="PcrFormatException">The file is not such a model, or of a newer format version.</exception>
    public static PcrImageClassificationTransformer Load(MLContext mlContext, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        using var reader = new BinaryReader(stream);
        ModelHeader header;
        try
        {
            if (reader.ReadString() != Magic) throw new PcrFormatException("it is not a PCR image classification model", path);
            int version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new PcrFormatException($"it is of format version {version}; this library reads version {FormatVersion}", path);
            header = JsonSerializer.Deserialize<ModelHeader>(reader.ReadString()) ?? throw new PcrFormatException("its header is empty", path);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or FormatException)
        {
            throw new PcrFormatException($"its header is damaged ({e.Message})", path, inner: e);
        }
        if (!Enum.TryParse(header.Arch, out PcrImageClassificationTrainer.Architecture arch) || header.InputSize < 16 || header.ClassNames is not { Length: >= 2 })
            throw new PcrFormatException($"its header names architecture '{header.Arch}', input size {header.InputSize} and {header.ClassNames?.Length ?? 0} classes, which this library cannot build", path);
        Device device = PcrImageClassificationTrainer.ChooseDevice(mlContext.GpuDeviceId, mlContext.FallbackToCpu);
        nn.Module<Tensor, Tensor> model = arch == PcrImageClassificationTrainer.Architecture.ResNet18Pretrained
            ? new PretrainedResNet(RebuildBackbone(header, path), header.ClassNames.Length)
            : CnnNetworks.Create(arch, header.ClassNames.Length);
        try
        {
            model.load(reader);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            model.Dispose();
            throw new PcrFormatException($"its weights do not fit a {arch} of {header.ClassNames.Length} classes ({e.Message})", path, inner: e);
        }
        model.to(device);
        return new PcrImageClassificationTransformer(model, device, arch, header.InputSize, header.ClassNames,
            header.FeatureColumnName, header.ScoreColumnName, header.PredictedLabelColumnName, JpegImageTensorDecoder.Instance);
    }

    private static Onnx.OnnxResNetBackbone RebuildBackbone(ModelHeader header, string path)
    {
        if (header.BackboneGraph is null || header.BackboneMeanImageShape is null)
            throw new PcrFormatException("its header names the pretrained ResNet-18 but holds no backbone graph", path);
        byte[] structure;
        try
        {
            structure = Convert.FromBase64String(header.BackboneGraph);
        }
        catch (FormatException e)
        {
            throw new PcrFormatException($"its backbone graph is damaged ({e.Message})", path, inner: e);
        }
        return Onnx.OnnxResNet18.FromStructure(structure, header.BackboneMeanImageShape, path);
    }

    /// <summary>Scores one encoded image: one probability per class.</summary>
    /// <param name="encoded">The encoded image (JPEG, PNG, ...).</param>
    /// <returns>The class probabilities, in key order.</returns>
    /// <exception cref="PcrFormatException">The bytes cannot be decoded.</exception>
    public float[] Score(ReadOnlySpan<byte> encoded) => Score(encoded, "the image");

    internal float[] Score(ReadOnlySpan<byte> encoded, string where)
    {
        float[] pixels = new float[3 * InputSize * InputSize];
        try
        {
            _decoder.Decode(encoded, InputSize, ImageCrop.Whole, pixels);
        }
        catch (ImageDecodeFailure failure)
        {
            throw new PcrFormatException($"cannot decode the image in {where}: {failure.Message}");
        }
        lock (_lock)
        {
            using DisposeScope scope = NewDisposeScope();
            using var _ = no_grad();
            Tensor input = tensor(pixels, [1, 3, InputSize, InputSize]).to(_device);
            Tensor probabilities = nn.functional.softmax(_model.forward(input), 1).cpu();
            return probabilities.data<float>().ToArray();
        }
    }

    internal static uint ArgMax(float[] scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return (uint)best;
    }

    /// <summary>Checks the image column and returns the output schema and the image column's index.</summary>
    internal DataViewSchema BuildOutputSchema(DataViewSchema input, out int imageIndex)
    {
        imageIndex = ScoringSchema.CheckImageColumn(input, FeatureColumnName, "inputSchema");
        return ScoringSchema.BuildOutputSchema(input, _classNames, ScoreColumnName, PredictedLabelColumnName);
    }

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => _model.Dispose();

    private sealed record ModelHeader(string Arch, int InputSize, string Preprocessing, float[] Mean, float[] Std, string[] ClassNames,
        string FeatureColumnName, string ScoreColumnName, string PredictedLabelColumnName)
    {
        /// <summary>For the pretrained architecture: its backbone's ONNX graph without weights, base64.</summary>
        public string? BackboneGraph { get; init; }

        /// <summary>For the pretrained architecture: the shape of its preprocessing mean image.</summary>
        public long[]? BackboneMeanImageShape { get; init; }
    }
}
