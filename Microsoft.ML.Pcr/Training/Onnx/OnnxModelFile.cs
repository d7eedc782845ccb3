using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.Pcr.Training.Onnx.Proto;

namespace Microsoft.ML.Pcr.Training.Onnx;

/// <summary>
/// An ONNX model read with Google.Protobuf: its graph, its initializers by name, and typed access to node
/// attributes and float tensors. Every error is a <see cref="PcrFormatException"/> that names the file.
/// </summary>
internal sealed class OnnxModelFile
{
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly bool _structureOnly;

    private OnnxModelFile(string path, ModelProto model, bool structureOnly = false)
    {
        FilePath = path;
        _structureOnly = structureOnly;
        Model = model;
        Graph = model.Graph ?? throw new PcrFormatException("the ONNX model holds no graph", path);
        _initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto initializer in Graph.Initializer)
            _initializers[initializer.Name] = initializer;
    }

    /// <summary>Gets the path of the file.</summary>
    public string FilePath { get; }

    /// <summary>Gets the parsed model.</summary>
    public ModelProto Model { get; }

    /// <summary>Gets the model's graph; its nodes are in topological order, as the ONNX specification requires.</summary>
    public GraphProto Graph { get; }

    /// <summary>Reads and parses the ONNX model at <paramref name="path"/>.</summary>
    public static OnnxModelFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto model;
        try
        {
            using FileStream stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new PcrFormatException($"the file is not an ONNX model ({e.Message})", path, inner: e);
        }
        return new OnnxModelFile(path, model);
    }

    /// <summary>
    /// Parses a model <see cref="ToStructure"/> wrote: the graph without the initializers' values. Its
    /// <see cref="ReadFloats"/> gives zeros of each initializer's shape, for weights that are loaded afterwards.
    /// </summary>
    /// <param name="structure">The serialized structure.</param>
    /// <param name="source">The file the structure was read from (for error messages).</param>
    public static OnnxModelFile FromStructure(ReadOnlySpan<byte> structure, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(structure.ToArray());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new PcrFormatException($"its backbone graph is not an ONNX model ({e.Message})", source, inner: e);
        }
        return new OnnxModelFile(source, model, structureOnly: true);
    }

    /// <summary>
    /// Returns the model without the initializers' values (names, data types and shapes kept): what rebuilds the
    /// same modules with <see cref="FromStructure"/>, a few kilobytes instead of the weights.
    /// </summary>
    public byte[] ToStructure()
    {
        ModelProto structure = Model.Clone();
        foreach (TensorProto initializer in structure.Graph.Initializer)
        {
            initializer.RawData = ByteString.Empty;
            initializer.FloatData.Clear();
        }
        return structure.ToByteArray();
    }

    /// <summary>Returns whether the graph has an initializer named <paramref name="name"/>.</summary>
    public bool HasInitializer(string name) => _initializers.ContainsKey(name);

    /// <summary>
    /// Reads the float initializer <paramref name="name"/> (from <c>float_data</c> or little-endian <c>raw_data</c>)
    /// and checks that its shape is <paramref name="expectedDims"/> when given.
    /// </summary>
    public float[] ReadFloats(string name, out long[] dims, long[]? expectedDims = null)
    {
        if (!_initializers.TryGetValue(name, out TensorProto? tensor))
            throw Fail($"initializer '{name}' is missing");
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw Fail($"initializer '{name}' has data type {tensor.DataType}, expected 1 (float)");
        dims = tensor.Dims.ToArray();
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw Fail($"initializer '{name}' has a negative dimension {d}");
            count *= d;
        }
        if (expectedDims is not null && !dims.AsSpan().SequenceEqual(expectedDims))
            throw Fail($"initializer '{name}' has shape [{string.Join(", ", dims)}], expected [{string.Join(", ", expectedDims)}]");

        float[] values;
        if (_structureOnly && tensor.RawData.Length == 0 && tensor.FloatData.Count == 0)
        {
            values = new float[count];
        }
        else if (tensor.RawData.Length > 0)
        {
            ReadOnlySpan<byte> raw = tensor.RawData.Span;
            if (raw.Length != count * sizeof(float))
                throw Fail($"initializer '{name}' holds {raw.Length} raw bytes, expected {count * sizeof(float)} for shape [{string.Join(", ", dims)}]");
            values = new float[count];
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * sizeof(float)));
            }
        }
        else
        {
            if (tensor.FloatData.Count != count)
                throw Fail($"initializer '{name}' holds {tensor.FloatData.Count} floats, expected {count} for shape [{string.Join(", ", dims)}]");
            values = tensor.FloatData.ToArray();
        }
        return values;
    }

    /// <summary>Returns the integer list attribute <paramref name="name"/> of <paramref name="node"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public long[] Ints(NodeProto node, string name, long[] defaultValue)
    {
        AttributeProto? attribute = Find(node, name);
        return attribute is null ? defaultValue : attribute.Ints.ToArray();
    }

    /// <summary>Returns the integer attribute <paramref name="name"/> of <paramref name="node"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public long Int(NodeProto node, string name, long defaultValue) => Find(node, name)?.I ?? defaultValue;

    /// <summary>Returns the float attribute <paramref name="name"/> of <paramref name="node"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public float Float(NodeProto node, string name, float defaultValue) => Find(node, name)?.F ?? defaultValue;

    /// <summary>Returns the string attribute <paramref name="name"/> of <paramref name="node"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public string String(NodeProto node, string name, string defaultValue) => Find(node, name)?.S.ToStringUtf8() ?? defaultValue;

    /// <summary>Creates the exception for a problem in this file.</summary>
    public PcrFormatException Fail(string reason) => new(reason, FilePath);

    /// <summary>Creates the exception for a problem with <paramref name="node"/>.</summary>
    public PcrFormatException Fail(NodeProto node, string reason) =>
        new($"node '{NodeName(node)}' ({node.OpType}): {reason}", FilePath);

    /// <summary>Gets the node's name, or its first output when it has none.</summary>
    public static string NodeName(NodeProto node) =>
        node.Name.Length > 0 ? node.Name : node.Output.Count > 0 ? node.Output[0] : node.OpType;

    private static AttributeProto? Find(NodeProto node, string name)
    {
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (attribute.Name == name) return attribute;
        }
        return null;
    }
}
