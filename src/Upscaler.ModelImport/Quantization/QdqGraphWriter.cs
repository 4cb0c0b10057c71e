using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// Rewrites a float32 graph into the QDQ int8 form ONNX Runtime fuses into QLinearConv (as
/// models/training/quantize.py does for our own models): each quantized Conv reads
/// DequantizeLinear(int8 weights, per-output-channel scale, zero point 0) and DequantizeLinear(int32
/// bias, scale = input scale × weight scale), and its input and output pass through a
/// QuantizeLinear → DequantizeLinear pair (per-tensor uint8). Everything else stays float, and the
/// graph's inputs and outputs keep their names and types.
/// </summary>
internal sealed class QdqGraphWriter
{
    private const int FloatType = (int)OnnxProto.TensorProto.Types.DataType.Float;

    /// <summary>The lowest opset with per-axis DequantizeLinear.</summary>
    public const int MinimumOpset = 13;

    private readonly OnnxProto.ModelProto model;
    private readonly Dictionary<string, OnnxProto.TensorProto> initializers;

    private readonly int weightMax;

    /// <param name="model">The float32 model.</param>
    /// <param name="floatFirst">Leave the first convolution in float32.</param>
    /// <param name="floatLast">Leave the last convolution in float32.</param>
    /// <param name="weightBits">8 (weights −127..127), or 7 (−63..63: AVX2's saturating int16 pair sums of uint8 × int8 products cannot overflow).</param>
    public QdqGraphWriter(OnnxProto.ModelProto model, bool floatFirst, bool floatLast, int weightBits = 8)
    {
        this.model = model;
        weightMax = (1 << (weightBits - 1)) - 1;
        initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var convolutions = model.Graph.Node.Where(IsQuantizable).ToList();
        int first = floatFirst ? 1 : 0, last = floatLast ? 1 : 0;
        Convolutions = convolutions.Count > first + last ? convolutions.Skip(first).SkipLast(last).ToList() : [];
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
    public OnnxProto.ModelProto Write(IReadOnlyDictionary<string, ActivationQuantization> activations)
    {
        var result = model.Clone();
        var graph = result.Graph;
        var quantized = Convolutions.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var nodes = new List<OnnxProto.NodeProto>();
        var added = new List<OnnxProto.TensorProto>();
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var dequantized = new Dictionary<string, string>(StringComparer.Ordinal);

        // An activation's Q/DQ pair, shared by every quantized convolution that reads it.
        string Dequantized(string tensor)
        {
            if (dequantized.TryGetValue(tensor, out string? existing))
                return existing;
            var (q, dq) = QuantizePair(tensor, tensor, tensor + "_dq", activations[tensor], nodes, added);
            nodes.Add(q);
            nodes.Add(dq);
            return dequantized[tensor] = tensor + "_dq";
        }

        foreach (var source in graph.Node)
        {
            if (!quantized.Contains(source.Name))
            {
                nodes.Add(source);
                continue;
            }
            var conv = source.Clone();
            string input = conv.Input[0], output = conv.Output[0];
            var x = activations[input];
            conv.Input[0] = Dequantized(input);

            var weight = initializers[conv.Input[1]];
            float[] scales = WeightScales(weight, out sbyte[] values);
            conv.Input[1] = AddDequantize(added, nodes, conv.Input[1], Int8Tensor(values, weight.Dims), scales, Zeros(scales.Length, OnnxProto.TensorProto.Types.DataType.Int8));
            replaced.Add(weight.Name);
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
            {
                var bias = initializers[conv.Input[2]];
                float[] biasScales = scales.Select(s => x.Scale * s).ToArray();
                int[] biasValues = Floats(bias).Select((b, i) => checked((int)Math.Round(b / biasScales[i]))).ToArray();
                conv.Input[2] = AddDequantize(added, nodes, conv.Input[2], Int32Tensor(biasValues), biasScales, Zeros(biasScales.Length, OnnxProto.TensorProto.Types.DataType.Int32));
                replaced.Add(bias.Name);
            }

            // The convolution writes a new tensor; its Q/DQ pair gives the old name to the old readers.
            conv.Output[0] = output + "_conv";
            nodes.Add(conv);
            var (quantizeOut, dequantizeOut) = QuantizePair(output, output + "_conv", output, activations[output], nodes, added);
            nodes.Add(quantizeOut);
            nodes.Add(dequantizeOut);
            if (activations.ContainsKey(output) && Convolutions.Any(c => c.Input[0] == output))
                dequantized[output] = output;   // already a dequantized value: its readers need no second pair
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var kept = graph.Initializer.Where(t => !replaced.Contains(t.Name) || nodes.Any(n => n.Input.Contains(t.Name))).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(kept.Concat(added));
        return result;
    }

    // Weights read by one node only, and not also graph inputs (which a caller could override).
    private bool IsQuantizable(OnnxProto.NodeProto node) =>
        node.OpType == "Conv"
        && node.Input.Count >= 2
        && node.Input.Skip(1).All(OwnedConstant)
        && initializers.TryGetValue(node.Input[1], out var w) && w.DataType == FloatType && w.Dims.Count == 4
        && (node.Input.Count < 3 || node.Input[2].Length == 0
            || initializers.TryGetValue(node.Input[2], out var b) && b.DataType == FloatType && b.Dims.Count == 1);

    private bool OwnedConstant(string name) =>
        name.Length == 0
        || initializers.ContainsKey(name)
            && model.Graph.Node.Sum(n => n.Input.Count(i => i == name)) == 1
            && model.Graph.Input.All(i => i.Name != name);

    /// <summary>Per-output-channel symmetric int8 weights (−weightMax..weightMax); an all-zero channel gets scale 1.</summary>
    private float[] WeightScales(OnnxProto.TensorProto weight, out sbyte[] values)
    {
        float[] w = Floats(weight);
        int channels = (int)weight.Dims[0], per = w.Length / channels;
        var scales = new float[channels];
        values = new sbyte[w.Length];
        for (int c = 0; c < channels; c++)
        {
            var span = w.AsSpan(c * per, per);
            // MaxMagnitude returns the value (with its sign) whose magnitude is largest.
            float max = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(span));
            scales[c] = max > 0 ? max / weightMax : 1f;
            for (int i = 0; i < per; i++)
                values[c * per + i] = (sbyte)Math.Clamp(Math.Round(span[i] / scales[c]), -weightMax, weightMax);
        }
        return scales;
    }

    private static (OnnxProto.NodeProto Quantize, OnnxProto.NodeProto Dequantize) QuantizePair(
        string name, string input, string output, ActivationQuantization q, List<OnnxProto.NodeProto> nodes, List<OnnxProto.TensorProto> added)
    {
        string scale = name + "_scale", zeroPoint = name + "_zero_point", quantized = name + "_quantized";
        added.Add(FloatTensor(scale, [q.Scale], scalar: true));
        var zp = new OnnxProto.TensorProto { Name = zeroPoint, DataType = (int)OnnxProto.TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(q.ZeroPoint) };
        added.Add(zp);
        return (Node("QuantizeLinear", name + "_QuantizeLinear", [input, scale, zeroPoint], quantized),
                Node("DequantizeLinear", name + "_DequantizeLinear", [quantized, scale, zeroPoint], output));
    }

    private static string AddDequantize(List<OnnxProto.TensorProto> added, List<OnnxProto.NodeProto> nodes, string name,
        OnnxProto.TensorProto values, float[] scales, OnnxProto.TensorProto zeroPoints)
    {
        values.Name = name + "_quantized";
        zeroPoints.Name = name + "_zero_point";
        added.Add(values);
        added.Add(FloatTensor(name + "_scale", scales, scalar: false));
        added.Add(zeroPoints);
        var dq = Node("DequantizeLinear", name + "_DequantizeLinear", [values.Name, name + "_scale", zeroPoints.Name], name + "_dequantized");
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

    private static float[] Floats(OnnxProto.TensorProto t) =>
        t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();

    private static OnnxProto.TensorProto FloatTensor(string name, float[] values, bool scalar)
    {
        var t = new OnnxProto.TensorProto { Name = name, DataType = FloatType };
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
}
