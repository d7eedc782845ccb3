using Microsoft.ML.Pcr.Training.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// <see cref="PcrImageClassificationTrainer.Architecture.ResNet18Pretrained"/>: the ONNX ResNet-18 backbone
/// (<see cref="OnnxResNetBackbone"/>) and a new linear head. Its input is what every network of the trainer gets (RGB,
/// ImageNet mean and standard deviation, <see cref="ImageTensorResampler"/>); the forward pass turns it into the
/// backbone's preprocessing (BGR, 0-255, minus the mean image), one multiply-add and a subtraction per pixel.
/// </summary>
internal sealed class PretrainedResNet : nn.Module<Tensor, Tensor>
{
    private readonly OnnxResNetBackbone backbone;
    private readonly Linear head;

    public PretrainedResNet(OnnxResNetBackbone backbone, int classes) : base(nameof(PretrainedResNet))
    {
        this.backbone = backbone;
        head = nn.Linear(backbone.FeatureCount, classes);
        RegisterComponents();
        // Per-channel scale and shift from the decoder's normalization back to RGB in [0, 1].
        register_buffer("std", tensor(ImageTensorResampler.Std, [1, 3, 1, 1]), persistent: false);
        register_buffer("mean", tensor(ImageTensorResampler.Mean, [1, 3, 1, 1]), persistent: false);
    }

    /// <summary>Gets the pretrained backbone.</summary>
    public OnnxResNetBackbone Backbone => backbone;

    /// <summary>Gets the classification head.</summary>
    public Linear Head => head;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor rgb01 = input.mul(get_buffer("std")!).add_(get_buffer("mean")!);
        Tensor features = backbone.forward(backbone.Preprocess(rgb01));
        return head.forward(features).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Freezes what <paramref name="mode"/> does not train (requires_grad false) and returns the parameter groups with
    /// their learning-rate factors: the head at 1, the trained backbone parameters at <paramref name="backboneFactor"/>.
    /// </summary>
    public IReadOnlyList<(IReadOnlyList<Parameter> Parameters, float Factor)> Configure(PcrImageClassificationTrainer.FineTuneMode mode, float backboneFactor, bool freezeBatchNormStatistics)
    {
        IEnumerable<OnnxGraphSegment> trained = mode switch
        {
            PcrImageClassificationTrainer.FineTuneMode.HeadOnly => [],
            PcrImageClassificationTrainer.FineTuneMode.HeadAndLastStage => [backbone.Stages[^1]],
            PcrImageClassificationTrainer.FineTuneMode.All => [backbone.Stem, .. backbone.Stages],
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown fine-tuning mode."),
        };
        foreach (Parameter p in backbone.parameters()) p.requires_grad = false;
        var backboneParameters = new List<Parameter>();
        foreach (OnnxGraphSegment segment in trained)
        {
            foreach (Parameter p in segment.parameters())
            {
                p.requires_grad = true;
                backboneParameters.Add(p);
            }
        }
        backbone.SetBatchNormEval(freezeBatchNormStatistics);
        var groups = new List<(IReadOnlyList<Parameter>, float)> { (head.parameters().ToList(), 1f) };
        if (backboneParameters.Count > 0) groups.Add((backboneParameters, backboneFactor));
        return groups;
    }
}
