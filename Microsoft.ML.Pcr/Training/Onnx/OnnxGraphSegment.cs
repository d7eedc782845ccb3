using Microsoft.ML.Pcr.Training.Onnx.Proto;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Pcr.Training.Onnx;

/// <summary>
/// A contiguous run of an ONNX graph's nodes as a TorchSharp module: one tensor in (the value the run starts from),
/// one tensor out. It evaluates the nodes in graph order, so shortcuts and projection convolutions are wired exactly as
/// the graph wires them. Convolutions and batch normalizations are TorchSharp modules holding the graph's weights
/// (registered under the ONNX node names); ReLU, Add and MaxPool are functional. Padding is taken from each node's
/// <c>pads</c> attribute as given, including the asymmetric padding CNTK exports (begin and end sides applied
/// separately by an explicit pad).
/// </summary>
internal sealed class OnnxGraphSegment : nn.Module<Tensor, Tensor>
{
    private readonly Step[] _steps;
    private readonly string _input;
    private readonly string _output;
    private readonly List<BatchNorm2d> _batchNorms = new();
    private readonly List<OnnxConvolution> _convolutions = new();

    /// <summary>Builds the segment of <paramref name="nodes"/> reading <paramref name="input"/> and producing <paramref name="output"/>.</summary>
    public OnnxGraphSegment(string name, OnnxModelFile model, IReadOnlyList<NodeProto> nodes, string input, string output)
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
                "Conv" => Convolution(model, node),
                "BatchNormalization" => BatchNormalization(model, node),
                "Relu" => new Step(OpKind.Relu, node),
                "Add" => Add(model, node, available),
                "MaxPool" => MaxPool(model, node),
                _ => throw model.Fail(node, "this operator is not one the ResNet backbone reads (Conv, BatchNormalization, Relu, Add, MaxPool)"),
            };
            steps.Add(step);
            available.Add(node.Output[0]);
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
                OpKind.Convolution => step.Module!.call(step.Pad is null ? x : nn.functional.pad(x, step.Pad)),
                OpKind.BatchNorm => step.Module!.call(x),
                OpKind.Relu => nn.functional.relu(x),
                OpKind.Add => x.add(values[step.Inputs[1]]),
                // ONNX MaxPool pads never win the max: pad with -inf, then pool without padding.
                OpKind.MaxPool => nn.functional.max_pool2d(
                    step.Pad is null ? x : nn.functional.pad(x, step.Pad, PaddingModes.Constant, double.NegativeInfinity),
                    step.Kernel!, step.Strides!, dilation: step.Dilations!),
                _ => throw new InvalidOperationException($"Unknown step kind {step.Kind}."),
            };
        }
        return values[_output];
    }

    private Step Convolution(OnnxModelFile model, NodeProto node)
    {
        if (node.Input.Count < 2 || !model.HasInitializer(node.Input[1]))
            throw model.Fail(node, "the weight input is not an initializer");
        string autoPad = model.String(node, "auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or ""))
            throw model.Fail(node, $"auto_pad '{autoPad}' is not read; expected explicit pads (NOTSET)");
        float[] weight = model.ReadFloats(node.Input[1], out long[] dims);
        if (dims.Length != 4) throw model.Fail(node, $"the weight has {dims.Length} dimensions, expected 4 (out, in/group, kh, kw)");
        long groups = model.Int(node, "group", 1);
        long[] kernel = model.Ints(node, "kernel_shape", [dims[2], dims[3]]);
        long[] strides = model.Ints(node, "strides", [1, 1]);
        long[] dilations = model.Ints(node, "dilations", [1, 1]);
        long[] pads = model.Ints(node, "pads", [0, 0, 0, 0]);
        if (groups < 1 || dims[0] % groups != 0) throw model.Fail(node, $"group {groups} does not divide the {dims[0]} output channels");
        CheckPair(model, node, "kernel_shape", kernel);
        CheckPair(model, node, "strides", strides);
        CheckPair(model, node, "dilations", dilations);
        CheckPads(model, node, pads);
        if (kernel[0] != dims[2] || kernel[1] != dims[3])
            throw model.Fail(node, $"kernel_shape [{kernel[0]}, {kernel[1]}] differs from the weight's [{dims[2]}, {dims[3]}]");

        bool hasBias = node.Input.Count > 2 && node.Input[2].Length > 0;
        bool symmetric = pads[0] == pads[2] && pads[1] == pads[3];
        Conv2d conv = nn.Conv2d(dims[1] * groups, dims[0], (dims[2], dims[3]),
            stride: (strides[0], strides[1]),
            padding: symmetric ? (pads[0], pads[1]) : (0, 0),
            dilation: (dilations[0], dilations[1]),
            groups: groups, bias: hasBias);
        using (no_grad())
        {
            conv.weight!.copy_(torch.tensor(weight, dims));
            if (hasBias) conv.bias!.copy_(torch.tensor(model.ReadFloats(node.Input[2], out _, [dims[0]]), [dims[0]]));
        }
        register_module(ModuleName(node), conv);
        _convolutions.Add(new OnnxConvolution(OnnxModelFile.NodeName(node), dims[1] * groups, dims[0], kernel, strides, pads, dilations, groups));
        OutputChannels = dims[0];
        return new Step(OpKind.Convolution, node) { Module = conv, Pad = symmetric ? null : TorchPad(pads) };
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

    private static Step MaxPool(OnnxModelFile model, NodeProto node)
    {
        string autoPad = model.String(node, "auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "")) throw model.Fail(node, $"auto_pad '{autoPad}' is not read; expected explicit pads (NOTSET)");
        if (model.Int(node, "ceil_mode", 0) != 0) throw model.Fail(node, "ceil_mode = 1 is not read");
        long[] kernel = model.Ints(node, "kernel_shape", []);
        long[] strides = model.Ints(node, "strides", [1, 1]);
        long[] dilations = model.Ints(node, "dilations", [1, 1]);
        long[] pads = model.Ints(node, "pads", [0, 0, 0, 0]);
        CheckPair(model, node, "kernel_shape", kernel);
        CheckPair(model, node, "strides", strides);
        CheckPair(model, node, "dilations", dilations);
        CheckPads(model, node, pads);
        bool none = pads.All(p => p == 0);
        return new Step(OpKind.MaxPool, node) { Pad = none ? null : TorchPad(pads), Kernel = kernel, Strides = strides, Dilations = dilations };
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

    // ONNX pads are [top, left, bottom, right]; torch's pad takes the last dimension first: [left, right, top, bottom].
    private static long[] TorchPad(long[] pads) => [pads[1], pads[3], pads[0], pads[2]];

    private static string ModuleName(NodeProto node) => OnnxModelFile.NodeName(node).Replace('.', '_');

    private enum OpKind { Convolution, BatchNorm, Relu, Add, MaxPool }

    private sealed class Step(OpKind kind, NodeProto node)
    {
        public OpKind Kind { get; } = kind;
        public string[] Inputs { get; } = node.Input.ToArray();
        public string Output { get; } = node.Output[0];
        public nn.Module<Tensor, Tensor>? Module { get; init; }
        public long[]? Pad { get; init; }
        public long[]? Kernel { get; init; }
        public long[]? Strides { get; init; }
        public long[]? Dilations { get; init; }
    }
}
