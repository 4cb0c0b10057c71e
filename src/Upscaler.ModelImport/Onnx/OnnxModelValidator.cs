using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Onnx;

/// <summary>
/// Checks that an ONNX file given directly fits the engine's I/O contract (one float32 NCHW 3-channel
/// image input with free height and width, optionally a one-element float denoise input, one 4-D
/// float output) and reports its names. The model itself is passed through unchanged.
/// </summary>
internal static class OnnxModelValidator
{
    private const int FloatType = (int)OnnxProto.TensorProto.Types.DataType.Float;

    /// <summary>True when the bytes can start an ONNX model (field 1, ir_version, comes first).</summary>
    public static bool LooksLike(ReadOnlySpan<byte> head) => head.Length > 0 && head[0] == 0x08;

    /// <summary>True when the whole file parses as an ONNX model with a graph.</summary>
    public static bool Parses(string path)
    {
        try
        {
            return OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph is { Node.Count: > 0 };
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    public static ConvertedModel Validate(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        OnnxProto.ModelProto model;
        try
        {
            model = OnnxProto.ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelImportException(path, "corrupt or truncated ONNX file", e);
        }
        var graph = model.Graph;
        if (graph is null || graph.Node.Count == 0)
            throw new ModelImportException(path, "not an ONNX model (no graph)");
        if (graph.Initializer.Any(t => t.DataLocation == OnnxProto.TensorProto.Types.DataLocation.External))
            throw new ModelImportException(path, "unsupported ONNX file: its weights are in external data files (save it as one file)");

        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var images = inputs.Where(i => Dims(i) is { Length: 4 }).ToList();
        if (images.Count != 1)
            throw new ModelImportException(path, $"unsupported ONNX model: {images.Count} 4-D inputs (expected one NCHW image)");
        var image = images[0];
        if (ElementType(image) != FloatType)
            throw new ModelImportException(path, $"unsupported ONNX model: input '{image.Name}' is not float32");
        var dims = Dims(image)!;
        if (dims[1].HasDimValue && dims[1].DimValue != 3)
            throw new ModelImportException(path, $"unsupported ONNX model: input '{image.Name}' has {dims[1].DimValue} channels (expected 3, NCHW)");
        if (dims[2].HasDimValue || dims[3].HasDimValue)
            throw new ModelImportException(path, $"unsupported ONNX model: input '{image.Name}' has a fixed height or width (the engine needs free ones)");

        string? denoise = null;
        foreach (var other in inputs.Where(i => i != image))
        {
            var d = Dims(other);
            bool oneElement = d is not null && d.All(x => x.HasDimValue && x.DimValue == 1);
            if (ElementType(other) != FloatType || !oneElement || denoise is not null)
                throw new ModelImportException(path, $"unsupported ONNX model: extra input '{other.Name}' (only a one-element float denoise input is allowed)");
            denoise = other.Name;
        }
        if (graph.Output.Count != 1 || Dims(graph.Output[0]) is not { Length: 4 } || ElementType(graph.Output[0]) != FloatType)
            throw new ModelImportException(path, "unsupported ONNX model: expected exactly one 4-D float32 output");

        long parameters = graph.Initializer.Where(t => t.DataType == FloatType || t.DataType == (int)OnnxProto.TensorProto.Types.DataType.Float16)
            .Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        return new ConvertedModel
        {
            Onnx = bytes,
            SourceFormat = ModelFormat.Onnx,
            Converted = false,
            Architecture = $"ONNX ({(string.IsNullOrEmpty(model.ProducerName) ? "unknown producer" : model.ProducerName)}, opset {model.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0)?.Version ?? 0})",
            InputName = image.Name,
            OutputName = graph.Output[0].Name,
            DenoiseInputName = denoise,
            Range = PixelRange.ZeroToOne,
            Order = ChannelOrder.Rgb,
            Parameters = parameters,
        };
    }

    private static OnnxProto.TensorShapeProto.Types.Dimension[]? Dims(OnnxProto.ValueInfoProto value) =>
        value.Type?.TensorType?.Shape?.Dim.ToArray();

    private static int ElementType(OnnxProto.ValueInfoProto value) => value.Type?.TensorType?.ElemType ?? 0;
}
