using Microsoft.ML.Pcr.Training.Onnx.Proto;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training.Onnx;

/// <summary>
/// A pretrained ResNet backbone built from an ONNX graph (see <see cref="OnnxResNet18"/>): the stem (everything up to
/// and including the max-pool), four stages of residual blocks, and a global average pool giving
/// <see cref="FeatureCount"/> features per image. Input: <see cref="Preprocess"/>'s output, N x 3 x H x W, BGR, 0-255 minus
/// the ImageNet mean image, any H and W of about 32 and up.
/// </summary>
/// <remarks>
/// The graph ends in an AveragePool whose fixed kernel (7 x 7 in ResNet18.onnx) covers the whole feature map at the
/// graph's 224 x 224 input. The backbone pools adaptively to 1 x 1 instead: at 224 that is the same average, and at
/// other sizes it is still the global average the features were trained with.
/// Fine-tuning uses <see cref="Stem"/> and <see cref="Stages"/> as parameter groups (freeze, unfreeze, per-group learning
/// rates); <see cref="SetBatchNormEval"/> keeps batch-norm statistics fixed while training on batches too small to
/// estimate them.
/// </remarks>
internal sealed class OnnxResNetBackbone : nn.Module<Tensor, Tensor>
{
    private readonly OnnxGraphSegment _stem;
    private readonly OnnxGraphSegment _layer1;
    private readonly OnnxGraphSegment _layer2;
    private readonly OnnxGraphSegment _layer3;
    private readonly OnnxGraphSegment _layer4;
    private bool _batchNormEval;

    /// <summary>Builds the backbone from the segments and the preprocessing mean image (1 x 3 x h x w, BGR, 0-255).</summary>
    public OnnxResNetBackbone(OnnxGraphSegment stem, IReadOnlyList<OnnxGraphSegment> stages, long[] graphPoolKernel, Tensor meanImage)
        : base(nameof(OnnxResNetBackbone))
    {
        if (stages.Count != 4) throw new ArgumentException($"Expected 4 stages, got {stages.Count}.", nameof(stages));
        _stem = stem;
        (_layer1, _layer2, _layer3, _layer4) = (stages[0], stages[1], stages[2], stages[3]);
        GraphPoolKernel = graphPoolKernel;
        FeatureCount = (int)_layer4.OutputChannels;
        register_module("stem", _stem);
        register_module("layer1", _layer1);
        register_module("layer2", _layer2);
        register_module("layer3", _layer3);
        register_module("layer4", _layer4);
        register_buffer("mean_image", meanImage);
    }

    /// <summary>Gets the number of features per image (512 for ResNet-18).</summary>
    public int FeatureCount { get; }

    /// <summary>Gets the stem: the first convolution, its batch norm and ReLU, and the max-pool.</summary>
    public OnnxGraphSegment Stem => _stem;

    /// <summary>Gets the four stages (layer1 to layer4); each starts where the graph first strides (except layer1) and ends with a residual block's ReLU.</summary>
    public IReadOnlyList<OnnxGraphSegment> Stages => [_layer1, _layer2, _layer3, _layer4];

    /// <summary>Gets the ONNX graph the backbone was built from without its weights (see <see cref="OnnxModelFile.ToStructure"/>), which a saved model keeps to rebuild it.</summary>
    public byte[] GraphStructure { get; init; } = [];

    /// <summary>Gets the shape of the preprocessing mean image (1 x 3 x h x w).</summary>
    public long[] MeanImageShape => get_buffer("mean_image")!.shape;

    /// <summary>Gets the kernel of the graph's final AveragePool, which the backbone replaces by a global average pool.</summary>
    public IReadOnlyList<long> GraphPoolKernel { get; }

    /// <summary>Gets whether batch normalization stays in evaluation mode (running statistics) when the module trains.</summary>
    public bool BatchNormEval => _batchNormEval;

    /// <summary>
    /// Returns the features of <paramref name="input"/> (N x 3 x H x W, preprocessed by <see cref="Preprocess"/>): N x <see cref="FeatureCount"/>.
    /// </summary>
    public override Tensor forward(Tensor input) =>
        nn.functional.adaptive_avg_pool2d(ForwardFeatureMap(input), [1, 1]).flatten(1);

    /// <summary>Returns the last stage's feature map, N x <see cref="FeatureCount"/> x h x w, before the global pool.</summary>
    public Tensor ForwardFeatureMap(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 3)
            throw new ArgumentException($"Expected an N x 3 x H x W tensor, got [{string.Join(", ", input.shape)}].", nameof(input));
        return _layer4.call(_layer3.call(_layer2.call(_layer1.call(_stem.call(input)))));
    }

    /// <summary>
    /// Applies the package's preprocessing (ResNetPreprocess.onnx: RGB planes to BGR, minus the ImageNet mean image) to
    /// <paramref name="rgb01"/>, N x 3 x H x W, RGB in [0, 1]. The mean image is 224 x 224; at other sizes it is
    /// averaged down (adaptive average pooling) or bilinearly enlarged to H x W. Returns a new tensor.
    /// </summary>
    public Tensor Preprocess(Tensor rgb01)
    {
        if (rgb01.dim() != 4 || rgb01.shape[1] != 3)
            throw new ArgumentException($"Expected an N x 3 x H x W RGB tensor, got [{string.Join(", ", rgb01.shape)}].", nameof(rgb01));
        long h = rgb01.shape[2], w = rgb01.shape[3];
        using var scope = NewDisposeScope();
        // The registered buffer, not the constructor's tensor: Module.to(device) replaces buffers.
        Tensor mean = get_buffer("mean_image")!.to(rgb01.dtype, rgb01.device);
        if (mean.shape[2] != h || mean.shape[3] != w)
        {
            mean = h <= mean.shape[2] && w <= mean.shape[3]
                ? nn.functional.adaptive_avg_pool2d(mean, [h, w])
                : nn.functional.interpolate(mean, [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        Tensor bgr = rgb01.flip(1).mul(255f);
        return bgr.sub_(mean).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Keeps every batch normalization in evaluation mode (running statistics, no updates) when <paramref name="eval"/>
    /// is true, also after <c>train()</c>; use it when the batch is too small to estimate the statistics. Its affine
    /// parameters still train unless frozen.
    /// </summary>
    public void SetBatchNormEval(bool eval)
    {
        _batchNormEval = eval;
        if (training) SetBatchNormTraining(!eval);
    }

    /// <inheritdoc/>
    public override void train(bool on = true)
    {
        base.train(on);
        if (on && _batchNormEval) SetBatchNormTraining(false);
    }

    private void SetBatchNormTraining(bool on)
    {
        foreach (OnnxGraphSegment segment in new[] { _stem, _layer1, _layer2, _layer3, _layer4 })
        {
            foreach (BatchNorm2d batchNorm in segment.BatchNorms)
                batchNorm.train(on);
        }
    }
}
