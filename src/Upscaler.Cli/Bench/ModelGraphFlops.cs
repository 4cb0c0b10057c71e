using System.Buffers.Binary;
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace Upscaler.Cli.Bench;

/// <summary>
/// Counts a model's floating-point operations per input (low-resolution) pixel from its ONNX graph:
/// 2 × the multiply-adds of every <c>Conv</c> and <c>ConvTranspose</c>, the usual convention, which is
/// where nearly all of an upscaler's arithmetic is. Biases, activations, element-wise ops and
/// resize/shuffle ops are not counted. Each conv's cost per spatial position comes from its weight's
/// dimensions; how many positions it runs on per input pixel comes from an "area factor" carried from
/// the graph input <c>image</c> (1) along the edges: strides shrink or grow it, <c>DepthToSpace</c>,
/// <c>SpaceToDepth</c> and constant-scale <c>Resize</c>/<c>Upsample</c> change it, any other op keeps the
/// largest of its inputs'. Convs on tensors that do not depend on the image cost nothing per pixel.
/// The file is read with <see cref="CodedInputStream"/> alone, only the few fields this needs.
/// </summary>
internal static class ModelGraphFlops
{
    private sealed record Tensor(long[] Dims, float[] Floats);

    private sealed class Attribute
    {
        public long I;
        public readonly List<long> Ints = [];
        public Tensor? T;
    }

    private sealed class Node
    {
        public string OpType = "";
        public readonly List<string> Inputs = [], Outputs = [];
        public readonly Dictionary<string, Attribute> Attributes = [];

        public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) ? a.I : fallback;

        public long Product(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints.Aggregate(1L, (p, v) => p * v) : 1;
    }

    private sealed class Graph
    {
        public readonly List<Node> Nodes = [];
        public readonly Dictionary<string, Tensor> Initializers = [];
        public readonly List<string> Inputs = [];
    }

    public static double PerInputPixel(string onnxPath)
    {
        Graph? graph;
        try
        {
            graph = ReadModel(ByteString.CopyFrom(File.ReadAllBytes(onnxPath)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"{onnxPath}: not a readable ONNX model ({e.Message})", e);
        }
        if (graph is null)
            throw new InvalidDataException($"{onnxPath}: not an ONNX model (it has no graph)");
        if (!graph.Inputs.Contains("image"))
            throw new InvalidDataException($"{onnxPath}: the graph has no input named 'image'");

        var constants = new Dictionary<string, Tensor>(graph.Initializers);
        var factors = new Dictionary<string, double> { ["image"] = 1 };
        double? Factor(string tensor) => factors.TryGetValue(tensor, out double f) ? f : null; // null: not image-sized
        double flops = 0;
        foreach (var node in graph.Nodes) // ONNX stores nodes in topological order
        {
            if (node.OpType == "Constant" && node.Attributes.TryGetValue("value", out var value) && value.T is not null && node.Outputs.Count == 1)
            {
                constants[node.Outputs[0]] = value.T;
                continue;
            }
            double? largest = node.Inputs.Select(Factor).Max();
            double? factor = largest;
            if (node.OpType is "Conv" or "ConvTranspose")
            {
                if (node.Inputs.Count < 2 || !constants.TryGetValue(node.Inputs[1], out var weight))
                    throw new InvalidDataException($"{onnxPath}: {node.OpType} weight '{node.Inputs.ElementAtOrDefault(1)}' is not an initializer");
                // Conv weight [Cout, Cin/group, k...] per output position; ConvTranspose [Cin, Cout/group, k...] per input position.
                double perPosition = 2.0 * weight.Dims.Aggregate(1.0, (p, d) => p * d);
                double? input = Factor(node.Inputs[0]);
                factor = node.OpType == "Conv" ? input / node.Product("strides") : input * node.Product("strides");
                flops += perPosition * ((node.OpType == "Conv" ? factor : input) ?? 0);
            }
            else if (node.OpType is "DepthToSpace" or "SpaceToDepth")
            {
                double area = node.Int("blocksize", 1) * (double)node.Int("blocksize", 1);
                factor = node.OpType == "DepthToSpace" ? largest * area : largest / area;
            }
            else if (node.OpType is "Resize" or "Upsample")
            {
                string scales = node.Inputs.ElementAtOrDefault(node.OpType == "Resize" ? 2 : 1) ?? "";
                if (constants.TryGetValue(scales, out var s) && s.Floats.Length >= 2)
                    factor = Factor(node.Inputs[0]) * s.Floats[^1] * s.Floats[^2]; // scales is input 1 or 2, so input 0 exists
            }
            if (factor is double known)
                foreach (string output in node.Outputs)
                    factors[output] = known;
        }
        return flops;
    }

    // Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto node = 1, initializer = 5, input = 11;
    // ValueInfoProto.name = 1; NodeProto input = 1, output = 2, op_type = 4, attribute = 5;
    // AttributeProto name = 1, i = 3, t = 5, ints = 8; TensorProto dims = 1, data_type = 2 (1 = FLOAT),
    // float_data = 4, name = 8, raw_data = 9. Everything else is skipped.
    private static Graph? ReadModel(ByteString bytes)
    {
        Graph? graph = null;
        Read(bytes, (input, field, wire) =>
        {
            if (field == 7 && wire == WireType.LengthDelimited)
                graph = ReadGraph(input.ReadBytes());
            else
                input.SkipLastField();
        });
        return graph;
    }

    private static Graph ReadGraph(ByteString bytes)
    {
        var graph = new Graph();
        Read(bytes, (input, field, wire) =>
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): graph.Nodes.Add(ReadNode(input.ReadBytes())); break;
                case (5, WireType.LengthDelimited):
                    var (name, tensor) = ReadTensor(input.ReadBytes());
                    graph.Initializers[name] = tensor;
                    break;
                case (11, WireType.LengthDelimited):
                    Read(input.ReadBytes(), (info, f, w) =>
                    {
                        if (f == 1 && w == WireType.LengthDelimited) graph.Inputs.Add(info.ReadString());
                        else info.SkipLastField();
                    });
                    break;
                default: input.SkipLastField(); break;
            }
        });
        return graph;
    }

    private static Node ReadNode(ByteString bytes)
    {
        var node = new Node();
        Read(bytes, (input, field, wire) =>
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): node.Inputs.Add(input.ReadString()); break;
                case (2, WireType.LengthDelimited): node.Outputs.Add(input.ReadString()); break;
                case (4, WireType.LengthDelimited): node.OpType = input.ReadString(); break;
                case (5, WireType.LengthDelimited):
                    var (name, attribute) = ReadAttribute(input.ReadBytes());
                    node.Attributes[name] = attribute;
                    break;
                default: input.SkipLastField(); break;
            }
        });
        return node;
    }

    private static (string Name, Attribute Attribute) ReadAttribute(ByteString bytes)
    {
        string name = "";
        var attribute = new Attribute();
        Read(bytes, (input, field, wire) =>
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): name = input.ReadString(); break;
                case (3, WireType.Varint): attribute.I = input.ReadInt64(); break;
                case (5, WireType.LengthDelimited): attribute.T = ReadTensor(input.ReadBytes()).Tensor; break;
                case (8, _): ReadRepeated(input, wire, WireType.Varint, s => attribute.Ints.Add(s.ReadInt64())); break;
                default: input.SkipLastField(); break;
            }
        });
        return (name, attribute);
    }

    private static (string Name, Tensor Tensor) ReadTensor(ByteString bytes)
    {
        string name = "";
        int dataType = 0;
        var dims = new List<long>();
        var floats = new List<float>();
        ByteString raw = ByteString.Empty;
        Read(bytes, (input, field, wire) =>
        {
            switch (field, wire)
            {
                case (1, _): ReadRepeated(input, wire, WireType.Varint, s => dims.Add(s.ReadInt64())); break;
                case (2, WireType.Varint): dataType = input.ReadInt32(); break;
                case (4, _): ReadRepeated(input, wire, WireType.Fixed32, s => floats.Add(s.ReadFloat())); break;
                case (8, WireType.LengthDelimited): name = input.ReadString(); break;
                case (9, WireType.LengthDelimited): raw = input.ReadBytes(); break;
                default: input.SkipLastField(); break;
            }
        });
        if (dataType == 1 && floats.Count == 0)
            for (int i = 0; i + 4 <= raw.Length; i += 4)
                floats.Add(BinaryPrimitives.ReadSingleLittleEndian(raw.Span[i..]));
        return (name, new Tensor([.. dims], [.. floats]));
    }

    /// <summary>Calls <paramref name="field"/> for each field of a message; it must read or skip the field's value.</summary>
    private static void Read(ByteString message, Action<CodedInputStream, int, WireType> field)
    {
        var input = message.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
            field(input, GetTagFieldNumber(tag), GetTagWireType(tag));
    }

    /// <summary>A repeated scalar, either packed (one length-delimited run) or one value per tag.</summary>
    private static void ReadRepeated(CodedInputStream input, WireType wire, WireType element, Action<CodedInputStream> read)
    {
        if (wire == WireType.LengthDelimited)
        {
            var packed = input.ReadBytes().CreateCodedInput();
            while (!packed.IsAtEnd)
                read(packed);
        }
        else if (wire == element)
            read(input);
        else
            input.SkipLastField();
    }
}
