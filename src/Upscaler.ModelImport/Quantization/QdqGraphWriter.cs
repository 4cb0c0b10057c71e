using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// Rewrites a float32 graph into the QDQ int8 form ONNX Runtime fuses into QLinearConv (as
/// models/training/quantize.py does for our own models): each quantized Conv reads
/// DequantizeLinear(int8 weights, per-output-channel scale, zero point 0) and DequantizeLinear(int32
/// bias, scale = input scale × weight scale), and its input and output pass through a
/// QuantizeLinear → DequantizeLinear pair (per-tensor uint8). Everything else stays float, and the
/// graph's inputs and outputs keep their names and types. The first and last quantizable convolutions
/// stay float32 too: they touch the 3-channel image, so they cost little, and they are where rounding
/// shows most (the first sees the image's fine steps, the last writes the result's).
/// </summary>
internal sealed class QdqGraphWriter
{
    /// <summary>The lowest opset with per-axis DequantizeLinear.</summary>
    public const int MinimumOpset = 13;

    private readonly OnnxProto.ModelProto model;
    private readonly Dictionary<string, OnnxProto.TensorProto> initializers;
    private readonly HashSet<string> graphOutputs;

    // Positions in the graph's node list: ONNX node names may be empty or repeated.
    private readonly HashSet<int> positions;

    /// <param name="model">The float32 model.</param>
    public QdqGraphWriter(OnnxProto.ModelProto model)
    {
        this.model = model;
        initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        graphOutputs = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var candidates = model.Graph.Node.Select((node, index) => (node, index)).Where(p => IsQuantizable(p.node)).ToList();
        var chosen = candidates.Count > 2 ? candidates.Skip(1).SkipLast(1).ToList() : [];
        Convolutions = chosen.Select(p => p.node).ToList();
        positions = chosen.Select(p => p.index).ToHashSet();
        ConvolutionCount = model.Graph.Node.Count(n => n.OpType == "Conv");
    }

    /// <summary>The convolutions that will be quantized, in graph order.</summary>
    public IReadOnlyList<OnnxProto.NodeProto> Convolutions { get; }

    /// <summary>All convolutions of the graph, quantized or not.</summary>
    public int ConvolutionCount { get; }

    /// <summary>The activation tensors calibration has to measure: each quantized convolution's input and output.</summary>
    public IReadOnlyList<string> ActivationTensors =>
        Convolutions.SelectMany(c => new[] { c.Input[0], c.Output[0] }).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The LeakyReLU slope applied to <paramref name="tensor"/> when that is its only use (else null).</summary>
    public float? LeakySlopeAfter(string tensor)
    {
        var users = model.Graph.Node.Where(n => n.Input.Contains(tensor)).ToList();
        if (users is not [{ OpType: "LeakyRelu" } relu])
            return null;
        return relu.Attribute.FirstOrDefault(a => a.Name == "alpha")?.F ?? 0.01f;
    }

    /// <summary>Returns the QDQ model; <paramref name="activations"/> holds every tensor of <see cref="ActivationTensors"/>.</summary>
    /// <param name="activations">Each activation tensor's uint8 quantization.</param>
    /// <param name="weightBits">8 (weights −127..127), or 7 (−63..63: AVX2's saturating int16 sums of pairs of uint8 × int8 products cannot overflow).</param>
    public OnnxProto.ModelProto Write(IReadOnlyDictionary<string, ActivationQuantization> activations, int weightBits = 8)
    {
        int weightMax = (1 << (weightBits - 1)) - 1;
        var result = model.Clone();
        var graph = result.Graph;
        var names = new UniqueNames(model.Graph);
        var nodes = new List<OnnxProto.NodeProto>();
        var added = new List<OnnxProto.TensorProto>();
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var dequantized = new Dictionary<string, string>(StringComparer.Ordinal);

        // An activation's Q/DQ pair, shared by every quantized convolution that reads it.
        string Dequantized(string tensor)
        {
            if (dequantized.TryGetValue(tensor, out string? existing))
                return existing;
            string output = names.Fresh(tensor + "_dq");
            AddQuantizePair(tensor, tensor, output, activations[tensor], names, nodes, added);
            return dequantized[tensor] = output;
        }

        for (int index = 0; index < graph.Node.Count; index++)
        {
            var source = graph.Node[index];
            if (!positions.Contains(index))
            {
                nodes.Add(source);
                continue;
            }
            var conv = source.Clone();
            string input = conv.Input[0], output = conv.Output[0];
            var x = activations[input];
            conv.Input[0] = Dequantized(input);

            var weight = initializers[conv.Input[1]];
            float[]? bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? FloatInitializers.Read(initializers[conv.Input[2]]) : null;
            var (values, scales) = QuantizeWeights(FloatInitializers.Read(weight), (int)weight.Dims[0], weightMax, bias, x.Scale);
            conv.Input[1] = AddDequantize(conv.Input[1], Int8Tensor(values, weight.Dims), scales, Zeros(scales.Length, OnnxProto.TensorProto.Types.DataType.Int8), names, nodes, added);
            replaced.Add(weight.Name);
            if (bias is not null)
            {
                float[] biasScales = scales.Select(s => x.Scale * s).ToArray();
                int[] biasValues = bias.Select((b, c) => (int)Math.Round(b / biasScales[c])).ToArray();
                conv.Input[2] = AddDequantize(conv.Input[2], Int32Tensor(biasValues), biasScales, Zeros(biasScales.Length, OnnxProto.TensorProto.Types.DataType.Int32), names, nodes, added);
                replaced.Add(source.Input[2]);
            }

            // The convolution writes a new tensor; its Q/DQ pair gives the old name to the old readers.
            conv.Output[0] = names.Fresh(output + "_conv");
            nodes.Add(conv);
            AddQuantizePair(output, conv.Output[0], output, activations[output], names, nodes, added);
            dequantized[output] = output;   // already a dequantized value: quantized convolutions reading it need no second pair
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var used = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var kept = graph.Initializer.Where(t => !replaced.Contains(t.Name) || used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(kept.Concat(added));
        return result;
    }

    // Weights read by this node only and not graph inputs (a caller could override those); an output
    // the graph returns stays float, or its values would be rounded to 256 levels.
    private bool IsQuantizable(OnnxProto.NodeProto node) =>
        node.OpType == "Conv"
        && node.Input.Count >= 2
        && node.Input.Skip(1).All(OwnedConstant)
        && !graphOutputs.Contains(node.Output[0])
        && initializers.TryGetValue(node.Input[1], out var w) && w.DataType == FloatInitializers.FloatType && w.Dims.Count == 4
        && (node.Input.Count < 3 || node.Input[2].Length == 0
            || initializers.TryGetValue(node.Input[2], out var b) && b.DataType == FloatInitializers.FloatType && b.Dims.Count == 1);

    private bool OwnedConstant(string name) =>
        name.Length == 0
        || initializers.ContainsKey(name)
            && model.Graph.Node.Sum(n => n.Input.Count(i => i == name)) == 1
            && model.Graph.Input.All(i => i.Name != name);

    /// <summary>
    /// Per-output-channel symmetric weights in −weightMax..weightMax (an all-zero channel gets scale 1).
    /// A channel's scale is raised where its bias would not fit an int32 at input scale × weight scale
    /// (weights near zero under a large bias), as ONNX Runtime's own quantizer does.
    /// </summary>
    private static (sbyte[] Values, float[] Scales) QuantizeWeights(float[] w, int channels, int weightMax, float[]? bias, float inputScale)
    {
        int per = w.Length / channels;
        var scales = new float[channels];
        var values = new sbyte[w.Length];
        for (int c = 0; c < channels; c++)
        {
            var span = w.AsSpan(c * per, per);
            // MaxMagnitude returns the value (with its sign) whose magnitude is largest.
            float max = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(span));
            float scale = max > 0 ? max / weightMax : 1f;
            if (bias is not null)   // twice the least scale that fits, so rounding cannot push it over
                scale = Math.Max(scale, (float)(Math.Abs(bias[c]) / (inputScale * (double)int.MaxValue) * 2));
            scales[c] = scale;
            for (int i = 0; i < per; i++)
                values[c * per + i] = (sbyte)Math.Clamp(Math.Round(span[i] / scale), -weightMax, weightMax);
        }
        return (values, scales);
    }

    private static void AddQuantizePair(string name, string input, string output, ActivationQuantization q,
        UniqueNames names, List<OnnxProto.NodeProto> nodes, List<OnnxProto.TensorProto> added)
    {
        string scale = names.Fresh(name + "_scale"), zeroPoint = names.Fresh(name + "_zero_point"), quantized = names.Fresh(name + "_quantized");
        added.Add(FloatTensor(scale, [q.Scale], scalar: true));
        added.Add(new OnnxProto.TensorProto { Name = zeroPoint, DataType = (int)OnnxProto.TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(q.ZeroPoint) });
        nodes.Add(Node("QuantizeLinear", names.Fresh(name + "_QuantizeLinear"), [input, scale, zeroPoint], quantized));
        nodes.Add(Node("DequantizeLinear", names.Fresh(name + "_DequantizeLinear"), [quantized, scale, zeroPoint], output));
    }

    private static string AddDequantize(string name, OnnxProto.TensorProto values, float[] scales, OnnxProto.TensorProto zeroPoints,
        UniqueNames names, List<OnnxProto.NodeProto> nodes, List<OnnxProto.TensorProto> added)
    {
        values.Name = names.Fresh(name + "_quantized");
        zeroPoints.Name = names.Fresh(name + "_zero_point");
        string scale = names.Fresh(name + "_scale");
        added.Add(values);
        added.Add(FloatTensor(scale, scales, scalar: false));
        added.Add(zeroPoints);
        var dq = Node("DequantizeLinear", names.Fresh(name + "_DequantizeLinear"), [values.Name, scale, zeroPoints.Name], names.Fresh(name + "_dequantized"));
        dq.Attribute.Add(new OnnxProto.AttributeProto { Name = "axis", Type = OnnxProto.AttributeProto.Types.AttributeType.Int, I = 0 });
        nodes.Add(dq);
        return dq.Output[0];
    }

    private static OnnxProto.NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new OnnxProto.NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static OnnxProto.TensorProto FloatTensor(string name, float[] values, bool scalar)
    {
        var t = new OnnxProto.TensorProto { Name = name, DataType = FloatInitializers.FloatType };
        if (!scalar)
            t.Dims.Add(values.Length);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static OnnxProto.TensorProto Int8Tensor(sbyte[] values, IEnumerable<long> dims)
    {
        var t = new OnnxProto.TensorProto { DataType = (int)OnnxProto.TensorProto.Types.DataType.Int8 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static OnnxProto.TensorProto Int32Tensor(int[] values)
    {
        var t = new OnnxProto.TensorProto { DataType = (int)OnnxProto.TensorProto.Types.DataType.Int32 };
        t.Dims.Add(values.Length);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static OnnxProto.TensorProto Zeros(int count, OnnxProto.TensorProto.Types.DataType type)
    {
        var t = new OnnxProto.TensorProto { DataType = (int)type };
        t.Dims.Add(count);
        int size = type == OnnxProto.TensorProto.Types.DataType.Int32 ? 4 : 1;
        t.RawData = ByteString.CopyFrom(new byte[count * size]);
        return t;
    }

    /// <summary>Names not yet used anywhere in the graph (tensors, initializers, nodes), so added ones never collide with a user's.</summary>
    private sealed class UniqueNames
    {
        private readonly HashSet<string> taken;

        public UniqueNames(OnnxProto.GraphProto graph)
        {
            taken = graph.Node.SelectMany(n => n.Input.Concat(n.Output).Append(n.Name))
                .Concat(graph.Input.Select(i => i.Name)).Concat(graph.Output.Select(o => o.Name))
                .Concat(graph.Initializer.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        }

        public string Fresh(string hint)
        {
            string name = hint;
            for (int i = 2; !taken.Add(name); i++)
                name = $"{hint}_{i}";
            return name;
        }
    }
}
