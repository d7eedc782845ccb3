using Microsoft.ML.Pcr.Training.Onnx.Proto;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training.Onnx;

/// <summary>
/// A contiguous run of an ONNX graph's nodes as a TorchSharp module: one tensor in (the value the run starts from),
/// one tensor out. It evaluates the nodes in graph order, so shortcuts and projection convolutions are wired exactly as
/// the graph wires them. Convolutions and batch normalizations are TorchSharp modules holding the graph's weights
/// (registered under the ONNX node names); ReLU, Add and MaxPool are functional.
/// </summary>
/// <remarks>
/// Padding comes from each node's <c>pads</c> attribute, including the asymmetric padding CNTK exports (begin and end
/// applied separately: the symmetric part by the operator, the rest by an explicit pad). CNTK exports its "same"
/// padding frozen for the graph's declared input size (224 x 224 for ResNet18.onnx), with the odd pixel at the
/// beginning: for example 1 before and 0 after a stride-2 3 x 3 convolution of a 56-pixel map. Frozen, those pads
/// make the shortcut and the main path disagree on odd-sized maps (a 112 x 112 input gives 7 x 7 before layer4). So
/// where a node's pads are exactly ONNX's SAME_LOWER padding at the declared size, the segment re-derives them from
/// the size of each input it runs on: identical at the declared size, and CNTK's own "same" rule at any other.
/// Pads that are not SAME_LOWER at the declared size are applied as given.
/// </remarks>
internal sealed class OnnxGraphSegment : nn.Module<Tensor, Tensor>
{
    private readonly Step[] _steps;
    private readonly string _input;
    private readonly string _output;
    private readonly List<BatchNorm2d> _batchNorms = new();
    private readonly List<OnnxConvolution> _convolutions = new();

    /// <summary>
    /// Builds the segment of <paramref name="nodes"/> reading <paramref name="input"/> and producing <paramref name="output"/>.
    /// <paramref name="sizes"/> holds the spatial size (height, width) of each value at the graph's declared input size,
    /// as far as known; the segment adds the sizes of the values it computes.
    /// </summary>
    public OnnxGraphSegment(string name, OnnxModelFile model, IReadOnlyList<NodeProto> nodes, string input, string output, Dictionary<string, (long H, long W)> sizes)
        : base(name)
    {
        _input = input;
        _output = output;
        var available = new HashSet<string>(StringComparer.Ordinal) { input };
        var steps = new List<Step>(nodes.Count);
        foreach (NodeProto node in nodes)
        {
            if (node.Output.Count < 1) throw model.Fail(node, "the node has no output");
            if (node.Input.Count < 1) throw model.Fail(node, "the node has no input");
            if (!available.Contains(node.Input[0]))
                throw model.Fail(node, $"reads '{node.Input[0]}', which is not computed before it in the segment '{name}' starting at '{input}'");
            Step step = node.OpType switch
            {
                "Conv" => Convolution(model, node, sizes),
                "BatchNormalization" => BatchNormalization(model, node),
                "Relu" => new Step(OpKind.Relu, node),
                "Add" => Add(model, node, available),
                "MaxPool" => MaxPool(model, node, sizes),
                _ => throw model.Fail(node, "this operator is not one the ResNet backbone reads (Conv, BatchNormalization, Relu, Add, MaxPool)"),
            };
            steps.Add(step);
            available.Add(node.Output[0]);
            if (sizes.TryGetValue(node.Input[0], out (long H, long W) size))
            {
                sizes[node.Output[0]] = step.Kernel is null ? size : (
                    OutputSize(size.H, step.Pads![0] + step.Pads[2], step.Kernel[0], step.Strides![0], step.Dilations![0]),
                    OutputSize(size.W, step.Pads[1] + step.Pads[3], step.Kernel[1], step.Strides[1], step.Dilations[1]));
            }
        }
        if (!available.Contains(output))
            throw model.Fail($"the segment '{name}' does not compute '{output}'");
        _steps = steps.ToArray();
        OpTypes = nodes.Select(n => n.OpType).ToArray();
        RegisterComponents();
    }

    /// <summary>Gets the ONNX operator types of the segment's nodes, in graph order.</summary>
    public IReadOnlyList<string> OpTypes { get; }

    /// <summary>Gets the segment's convolutions with the attributes read from the graph.</summary>
    public IReadOnlyList<OnnxConvolution> Convolutions => _convolutions;

    /// <summary>Gets the segment's batch normalization modules.</summary>
    public IReadOnlyList<BatchNorm2d> BatchNorms => _batchNorms;

    /// <summary>Gets whether the segment's MaxPool (if any) has SAME_LOWER pads at the declared input size, re-derived per input size.</summary>
    public bool MaxPoolPadsFollowInputSize { get; private set; }

    /// <summary>Gets the number of channels the segment outputs (that of its last convolution).</summary>
    public long OutputChannels { get; private set; }

    /// <summary>Runs the nodes on <paramref name="input"/> and returns the segment's output value.</summary>
    public override Tensor forward(Tensor input)
    {
        var values = new Dictionary<string, Tensor>(_steps.Length + 1, StringComparer.Ordinal) { [_input] = input };
        foreach (Step step in _steps)
        {
            Tensor x = values[step.Inputs[0]];
            values[step.Output] = step.Kind switch
            {
                OpKind.Convolution => Convolve(step, x),
                OpKind.BatchNorm => step.Module!.call(x),
                OpKind.Relu => nn.functional.relu(x),
                OpKind.Add => x.add(values[step.Inputs[1]]),
                OpKind.MaxPool => MaxPool(step, x),
                _ => throw new InvalidOperationException($"Unknown step kind {step.Kind}."),
            };
        }
        return values[_output];
    }

    private static Tensor Convolve(Step step, Tensor x)
    {
        var conv = (Conv2d)step.Module!;
        (long[] symmetric, Tensor padded) = Pad(step, x, 0);
        return nn.functional.conv2d(padded, conv.weight!, conv.bias, step.Strides!, symmetric, step.Dilations!, step.Groups);
    }

    // ONNX MaxPool pads never win the max: the operator's own padding is -inf, and so is the explicit remainder.
    private static Tensor MaxPool(Step step, Tensor x)
    {
        (long[] symmetric, Tensor padded) = Pad(step, x, double.NegativeInfinity);
        return nn.functional.max_pool2d(padded, step.Kernel!, step.Strides!, symmetric, step.Dilations!);
    }

    // Splits the node's pads (re-derived for this input's size where they are SAME_LOWER) into the symmetric part the
    // operator applies and an explicit pad of the rest.
    private static (long[] Symmetric, Tensor Padded) Pad(Step step, Tensor x, double value)
    {
        long[] pads = step.SameLower
            ? [.. SameLower(x.shape[2], step.Kernel![0], step.Strides![0], step.Dilations![0]), .. SameLower(x.shape[3], step.Kernel[1], step.Strides[1], step.Dilations[1])]
            : [step.Pads![0], step.Pads[2], step.Pads[1], step.Pads[3]];
        // pads: top, bottom, left, right
        long h = Math.Min(pads[0], pads[1]), w = Math.Min(pads[2], pads[3]);
        long[] symmetric = [h, w];
        if (pads[0] == pads[1] && pads[2] == pads[3]) return (symmetric, x);
        // torch's pad takes the last dimension first: left, right, top, bottom.
        return (symmetric, nn.functional.pad(x, [pads[2] - w, pads[3] - w, pads[0] - h, pads[1] - h], PaddingModes.Constant, value));
    }

    /// <summary>ONNX's SAME_LOWER padding of one axis (begin, end): output ceil(n / stride), the odd pixel at the beginning.</summary>
    internal static long[] SameLower(long size, long kernel, long stride, long dilation)
    {
        long output = (size + stride - 1) / stride;
        long total = Math.Max(0, (output - 1) * stride + (kernel - 1) * dilation + 1 - size);
        return [total - total / 2, total / 2];
    }

    private static long OutputSize(long size, long pad, long kernel, long stride, long dilation) =>
        (size + pad - ((kernel - 1) * dilation + 1)) / stride + 1;

    // Whether the node's pads (top, left, bottom, right) are SAME_LOWER at the declared size of its input.
    private static bool IsSameLower(Dictionary<string, (long H, long W)> sizes, NodeProto node, long[] kernel, long[] strides, long[] dilations, long[] pads) =>
        sizes.TryGetValue(node.Input[0], out (long H, long W) size)
        && SameLower(size.H, kernel[0], strides[0], dilations[0]).SequenceEqual([pads[0], pads[2]])
        && SameLower(size.W, kernel[1], strides[1], dilations[1]).SequenceEqual([pads[1], pads[3]]);

    private Step Convolution(OnnxModelFile model, NodeProto node, Dictionary<string, (long H, long W)> sizes)
    {
        if (node.Input.Count < 2 || !model.HasInitializer(node.Input[1]))
            throw model.Fail(node, "the weight input is not an initializer");
        float[] weight = model.ReadFloats(node.Input[1], out long[] dims);
        if (dims.Length != 4) throw model.Fail(node, $"the weight has {dims.Length} dimensions, expected 4 (out, in/group, kh, kw)");
        long groups = model.Int(node, "group", 1);
        (long[] kernel, long[] strides, long[] dilations, long[] pads) = ReadWindow(model, node, [dims[2], dims[3]]);
        if (groups < 1 || dims[0] % groups != 0) throw model.Fail(node, $"group {groups} does not divide the {dims[0]} output channels");
        if (kernel[0] != dims[2] || kernel[1] != dims[3])
            throw model.Fail(node, $"kernel_shape [{kernel[0]}, {kernel[1]}] differs from the weight's [{dims[2]}, {dims[3]}]");

        bool hasBias = node.Input.Count > 2 && node.Input[2].Length > 0;
        // The module holds the weights; forward convolves functionally with the node's padding.
        Conv2d conv = nn.Conv2d(dims[1] * groups, dims[0], (dims[2], dims[3]),
            stride: (strides[0], strides[1]), dilation: (dilations[0], dilations[1]), groups: groups, bias: hasBias);
        using (no_grad())
        {
            conv.weight!.copy_(torch.tensor(weight, dims));
            if (hasBias) conv.bias!.copy_(torch.tensor(model.ReadFloats(node.Input[2], out _, [dims[0]]), [dims[0]]));
        }
        register_module(ModuleName(node), conv);
        bool sameLower = IsSameLower(sizes, node, kernel, strides, dilations, pads);
        _convolutions.Add(new OnnxConvolution(OnnxModelFile.NodeName(node), dims[1] * groups, dims[0], kernel, strides, pads, dilations, groups, sameLower));
        OutputChannels = dims[0];
        return new Step(OpKind.Convolution, node)
        {
            Module = conv, Pads = pads, Kernel = kernel, Strides = strides, Dilations = dilations, Groups = groups, SameLower = sameLower,
        };
    }

    private Step BatchNormalization(OnnxModelFile model, NodeProto node)
    {
        if (node.Input.Count != 5) throw model.Fail(node, $"the node has {node.Input.Count} inputs, expected 5 (X, scale, B, mean, var)");
        if (model.Int(node, "spatial", 1) != 1) throw model.Fail(node, "spatial = 0 (per-activation statistics) is not read");
        float[] scale = model.ReadFloats(node.Input[1], out long[] dims);
        if (dims.Length != 1) throw model.Fail(node, $"the scale has {dims.Length} dimensions, expected 1");
        long channels = dims[0];
        float[] bias = model.ReadFloats(node.Input[2], out _, [channels]);
        float[] mean = model.ReadFloats(node.Input[3], out _, [channels]);
        float[] variance = model.ReadFloats(node.Input[4], out _, [channels]);
        float epsilon = model.Float(node, "epsilon", 1e-5f);
        // ONNX: running = running * momentum + batch * (1 - momentum); PyTorch's momentum is the batch's weight.
        float momentum = model.Float(node, "momentum", 0.9f);
        if (momentum is < 0 or > 1) throw model.Fail(node, $"momentum {momentum} is outside [0, 1]");
        BatchNorm2d batchNorm = nn.BatchNorm2d(channels, eps: epsilon, momentum: 1.0 - momentum);
        using (no_grad())
        {
            batchNorm.weight!.copy_(torch.tensor(scale, [channels]));
            batchNorm.bias!.copy_(torch.tensor(bias, [channels]));
            batchNorm.running_mean!.copy_(torch.tensor(mean, [channels]));
            batchNorm.running_var!.copy_(torch.tensor(variance, [channels]));
        }
        register_module(ModuleName(node), batchNorm);
        _batchNorms.Add(batchNorm);
        return new Step(OpKind.BatchNorm, node) { Module = batchNorm };
    }

    private static Step Add(OnnxModelFile model, NodeProto node, HashSet<string> available)
    {
        if (node.Input.Count != 2) throw model.Fail(node, $"the node has {node.Input.Count} inputs, expected 2");
        if (!available.Contains(node.Input[1]))
            throw model.Fail(node, $"reads '{node.Input[1]}', which is not computed before it in the segment");
        return new Step(OpKind.Add, node);
    }

    private Step MaxPool(OnnxModelFile model, NodeProto node, Dictionary<string, (long H, long W)> sizes)
    {
        if (model.Int(node, "ceil_mode", 0) != 0) throw model.Fail(node, "ceil_mode = 1 is not read");
        (long[] kernel, long[] strides, long[] dilations, long[] pads) = ReadWindow(model, node, []);
        bool sameLower = IsSameLower(sizes, node, kernel, strides, dilations, pads);
        MaxPoolPadsFollowInputSize = sameLower;
        return new Step(OpKind.MaxPool, node) { Pads = pads, Kernel = kernel, Strides = strides, Dilations = dilations, SameLower = sameLower };
    }

    // The sliding-window attributes of a Conv or MaxPool, checked: 2-D, explicit pads (top, left, bottom, right).
    private static (long[] Kernel, long[] Strides, long[] Dilations, long[] Pads) ReadWindow(OnnxModelFile model, NodeProto node, long[] defaultKernel)
    {
        string autoPad = model.String(node, "auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or ""))
            throw model.Fail(node, $"auto_pad '{autoPad}' is not read; expected explicit pads (NOTSET)");
        long[] kernel = model.Ints(node, "kernel_shape", defaultKernel);
        long[] strides = model.Ints(node, "strides", [1, 1]);
        long[] dilations = model.Ints(node, "dilations", [1, 1]);
        long[] pads = model.Ints(node, "pads", [0, 0, 0, 0]);
        CheckPair(model, node, "kernel_shape", kernel);
        CheckPair(model, node, "strides", strides);
        CheckPair(model, node, "dilations", dilations);
        CheckPads(model, node, pads);
        return (kernel, strides, dilations, pads);
    }

    private static void CheckPair(OnnxModelFile model, NodeProto node, string attribute, long[] values)
    {
        if (values.Length != 2 || values[0] < 1 || values[1] < 1)
            throw model.Fail(node, $"{attribute} is [{string.Join(", ", values)}], expected two positive values");
    }

    private static void CheckPads(OnnxModelFile model, NodeProto node, long[] pads)
    {
        if (pads.Length != 4 || pads.Any(p => p < 0))
            throw model.Fail(node, $"pads is [{string.Join(", ", pads)}], expected four non-negative values (top, left, bottom, right)");
    }

    private static string ModuleName(NodeProto node) => OnnxModelFile.NodeName(node).Replace('.', '_');

    private enum OpKind { Convolution, BatchNorm, Relu, Add, MaxPool }

    private sealed class Step(OpKind kind, NodeProto node)
    {
        public OpKind Kind { get; } = kind;
        public string[] Inputs { get; } = node.Input.ToArray();
        public string Output { get; } = node.Output[0];
        public nn.Module<Tensor, Tensor>? Module { get; init; }
        public long[]? Pads { get; init; }
        public long Groups { get; init; } = 1;
        public bool SameLower { get; init; }
        public long[]? Kernel { get; init; }
        public long[]? Strides { get; init; }
        public long[]? Dilations { get; init; }
    }
}
