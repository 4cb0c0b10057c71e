using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Onnx;

/// <summary>
/// Writes one ONNX graph (opset 17, float32 weights) node by node. It knows nothing about networks:
/// the architecture builders and the ncnn translator say what to add, this class gives every value
/// a unique name and serialises the result.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    public const int Opset = 17;

    private readonly OnnxProto.GraphProto graph = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> int64Constants = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName)
    {
        graph.Name = graphName;
    }

    /// <summary>Number of weights stored in float initializers so far.</summary>
    public long WeightCount { get; private set; }

    /// <summary>A float32 NCHW input [1, channels, height, width] with dynamic height and width.</summary>
    public string AddImageInput(string name, int channels = 3)
    {
        Reserve(name);
        graph.Input.Add(ImageValueInfo(name, channels, "height", "width"));
        return name;
    }

    /// <summary>A float32 input of shape [1] (the denoise strength).</summary>
    public string AddScalarInput(string name)
    {
        Reserve(name);
        var type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float, Shape = new OnnxProto.TensorShapeProto() } };
        type.TensorType.Shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimValue = 1 });
        graph.Input.Add(new OnnxProto.ValueInfoProto { Name = name, Type = type });
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as a graph output named <paramref name="name"/>.</summary>
    public string AddImageOutput(string value, string name, int channels = 3)
    {
        if (value != name)
        {
            Reserve(name);
            AddNode("Identity", [value], [name]);
        }
        graph.Output.Add(ImageValueInfo(name, channels, "out_height", "out_width"));
        return name;
    }

    /// <summary>A float32 input of shape [1, channels, 1, 1] (a per-channel statistic).</summary>
    public string AddVectorInput(string name, int channels)
    {
        Reserve(name);
        graph.Input.Add(VectorValueInfo(name, channels));
        return name;
    }

    /// <summary>Declares <paramref name="value"/>, of shape [1, channels, 1, 1], as a graph output named <paramref name="name"/>.</summary>
    public string AddVectorOutput(string value, string name, int channels)
    {
        Reserve(name);
        AddNode("Identity", [value], [name]);
        graph.Output.Add(VectorValueInfo(name, channels));
        return name;
    }

    /// <summary>A float32 initializer; counts towards <see cref="WeightCount"/>.</summary>
    public string Weight(string hint, ReadOnlySpan<float> data, params long[] dims)
    {
        long expected = 1;
        foreach (long d in dims)
            expected *= d;
        if (expected != data.Length)
            throw new InvalidOperationException($"initializer {hint}: {data.Length} values for shape [{string.Join(",", dims)}]");

        string name = Unique(hint);
        var tensor = new OnnxProto.TensorProto { Name = name, DataType = (int)OnnxProto.TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
        graph.Initializer.Add(tensor);
        WeightCount += data.Length;
        return name;
    }

    /// <summary>A float constant of shape [1]; a Constant node, so initializers hold only weights.</summary>
    public string FloatConstant(string hint, float value) => FloatVector(hint, value);

    /// <summary>A 1-D float constant; a Constant node, so initializers hold only weights.</summary>
    public string FloatVector(string hint, params float[] values)
    {
        string name = Unique(hint);
        var tensor = new OnnxProto.TensorProto { DataType = (int)OnnxProto.TensorProto.Types.DataType.Float };
        tensor.Dims.Add(values.Length);
        tensor.FloatData.AddRange(values);
        AddNode("Constant", [], [name], new OnnxProto.AttributeProto { Name = "value", Type = OnnxProto.AttributeProto.Types.AttributeType.Tensor, T = tensor });
        return name;
    }

    /// <summary>A 1-D int64 constant; identical constants are shared.</summary>
    public string Int64s(params long[] values)
    {
        string key = string.Join(",", values);
        if (int64Constants.TryGetValue(key, out string? existing))
            return existing;
        string name = Unique("i64_" + (values.Length <= 4 ? key.Replace('-', 'm').Replace(',', '_') : "vec"));
        var tensor = new OnnxProto.TensorProto { Name = name, DataType = (int)OnnxProto.TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        graph.Initializer.Add(tensor);
        int64Constants[key] = name;
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params OnnxProto.AttributeProto[] attributes)
    {
        string output = Unique(opType.ToLowerInvariant());
        AddNode(opType, inputs, [output], attributes);
        return output;
    }

    private void AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxProto.AttributeProto[] attributes)
    {
        var node = new OnnxProto.NodeProto { OpType = opType, Name = Unique("n_" + opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    /// <summary>Number of nodes so far (a mark for <see cref="MoveNodesToFront"/>).</summary>
    public int NodeCount => graph.Node.Count;

    /// <summary>
    /// Moves the nodes added since <paramref name="mark"/> before all others. For preprocessing that is
    /// decided after the network was written: it must only read graph inputs and constants.
    /// </summary>
    public void MoveNodesToFront(int mark)
    {
        var tail = graph.Node.Skip(mark).ToList();
        var head = graph.Node.Take(mark).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(tail);
        graph.Node.AddRange(head);
    }

    /// <summary>Adds an Identity node from <paramref name="value"/> to the given (reserved) name.</summary>
    public void Alias(string value, string name)
    {
        Reserve(name);
        AddNode("Identity", [value], [name]);
    }

    /// <summary>
    /// Serialises the model. Nodes and initializers that no graph output depends on are left out,
    /// so a graph can be written whole and then cut to the outputs it declares.
    /// </summary>
    public byte[] Build(string docString)
    {
        RemoveUnused();
        var model = new OnnxProto.ModelProto
        {
            IrVersion = 8,
            ProducerName = "Upscaler.ModelImport",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OnnxProto.OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    public static OnnxProto.AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.Int, I = value };

    public static OnnxProto.AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.Float, F = value };

    public static OnnxProto.AttributeProto Attr(string name, string value) =>
        new() { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static OnnxProto.AttributeProto Attr(string name, params long[] values)
    {
        var a = new OnnxProto.AttributeProto { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private void RemoveUnused()
    {
        var needed = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var keep = new List<OnnxProto.NodeProto>();
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (!node.Output.Any(needed.Contains))
                continue;
            keep.Add(node);
            foreach (string input in node.Input)
                needed.Add(input);
        }
        keep.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(keep);
        var initializers = graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
    }

    private static OnnxProto.ValueInfoProto VectorValueInfo(string name, int channels)
    {
        var shape = new OnnxProto.TensorShapeProto();
        foreach (long d in new long[] { 1, channels, 1, 1 })
            shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimValue = d });
        var type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float, Shape = shape } };
        return new OnnxProto.ValueInfoProto { Name = name, Type = type };
    }

    private static OnnxProto.ValueInfoProto ImageValueInfo(string name, int channels, string height, string width)
    {
        var shape = new OnnxProto.TensorShapeProto();
        shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimValue = 1 });
        shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimValue = channels });
        shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimParam = height });
        shape.Dim.Add(new OnnxProto.TensorShapeProto.Types.Dimension { DimParam = width });
        var type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float, Shape = shape } };
        return new OnnxProto.ValueInfoProto { Name = name, Type = type };
    }

    private void Reserve(string name)
    {
        if (!names.Add(name))
            throw new InvalidOperationException($"value name {name} used twice");
    }

    private string Unique(string hint)
    {
        string stem = Sanitise(hint);
        string name = stem;
        for (int i = 1; !names.Add(name); i++)
            name = $"{stem}_{i}";
        return name;
    }

    private static string Sanitise(string hint)
    {
        var chars = hint.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.' ? c : '_').ToArray();
        return chars.Length == 0 ? "v" : new string(chars);
    }
}
