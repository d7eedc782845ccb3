using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training;

/// <summary>The networks of <see cref="PcrImageClassificationTrainer.Architecture"/>, built from scratch (random initialization).</summary>
internal static class CnnNetworks
{
    public static nn.Module<Tensor, Tensor> Create(PcrImageClassificationTrainer.Architecture arch, int classes) => arch switch
    {
        PcrImageClassificationTrainer.Architecture.SmallResNet => new SmallResNet(classes),
        PcrImageClassificationTrainer.Architecture.ResNet18 => torchvision.models.resnet18(num_classes: classes),
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "Unknown architecture."),
    };

    /// <summary>
    /// A residual network sized for CPU training: a stride-2 3x3 stem of 24 channels, three basic blocks (24, 48, 96
    /// channels; the last two stride 2), global average pooling and a linear classifier; about 0.2 M parameters.
    /// </summary>
    private sealed class SmallResNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> stem, blocks, head;

        public SmallResNet(int classes) : base(nameof(SmallResNet))
        {
            stem = nn.Sequential(nn.Conv2d(3, 24, 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(24), nn.ReLU(inplace: true));
            blocks = nn.Sequential(new BasicBlock(24, 24, 1), new BasicBlock(24, 48, 2), new BasicBlock(48, 96, 2));
            head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, classes));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using Tensor s = stem.forward(input);
            using Tensor b = blocks.forward(s);
            return head.forward(b);
        }
    }

    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> body;
        private readonly nn.Module<Tensor, Tensor>? shortcut;

        public BasicBlock(int inChannels, int outChannels, int stride) : base(nameof(BasicBlock))
        {
            body = nn.Sequential(
                nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false), nn.BatchNorm2d(outChannels), nn.ReLU(inplace: true),
                nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false), nn.BatchNorm2d(outChannels));
            if (stride != 1 || inChannels != outChannels)
                shortcut = nn.Sequential(nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), nn.BatchNorm2d(outChannels));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using Tensor y = body.forward(input);
            using Tensor s = shortcut is null ? input.alias() : shortcut.forward(input);
            return nn.functional.relu(y + s);
        }
    }
}
