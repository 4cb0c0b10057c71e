using Microsoft.ML.OnnxRuntime;
using Upscaler.ModelImport.Onnx;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Analysis;

/// <summary>
/// How much CPU memory ONNX Runtime needs per input pixel at a model's peak, from the model itself
/// (the manifest's <c>memoryPerPixel</c>, which sizes tiles). A count of channels cannot tell it: Real-ESRGAN
/// x4plus's widest tensor has 192 channels at the input's size, but its last convolutions run 64 channels
/// at 16x the pixels, and it needs ~12 KB per input pixel where a channel count gives 2 KB.
/// <para>
/// The model runs once on a 16x16 input with every node's output exposed; walking the nodes in graph
/// order, each tensor computed from the image lives from the node that makes it to the last node that
/// reads it, and the largest sum of live tensors is the graph's own peak. (Tensors not computed from the
/// image, such as weights dequantized or blended in the graph, are the same for every tile.) ONNX Runtime needs more than that (blocked channel
/// layouts, convolution workspace): <see cref="RuntimeFactor"/>, measured.
/// </para>
/// </summary>
public static class InferenceMemory
{
    /// <summary>
    /// ONNX Runtime's peak against the graph's: measured as the growth of the command line's peak memory
    /// between two image sizes, 1.46x for Real-ESRGAN x4plus (12.0 against 8.2 KB per input pixel) and
    /// 1.59x for realesr-general-x4v3 (917 against 576 bytes); rounded up.
    /// </summary>
    public const double RuntimeFactor = 1.6;

    /// <summary>The side of the input the model is measured on: the smallest every model in the engine's contract takes.</summary>
    private const int Side = ModelFeeds.MinimumSide;

    /// <summary>
    /// Bytes per input pixel, or null for a model this cannot measure: inputs other than one image and a
    /// denoise strength of shape [1] (a model split into a statistics pass), subgraphs (If, Loop, Scan), or
    /// ONNX Runtime refusing to run it. The caller then falls back on the estimate from the channel count.
    /// </summary>
    public static double? PerInputPixel(byte[] onnx)
    {
        var model = OnnxProto.ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        if (ModelFeeds.Inputs(graph) is not var (image, other) || graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
            return null;

        // A copy whose every node output is a graph output, to read their sizes; ONNX Runtime infers their types.
        var probe = model.Clone();
        var declared = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0 && declared.Add(o)))
            probe.Graph.Output.Add(new OnnxProto.ValueInfoProto { Name = name });

        var bytes = new Dictionary<string, long>(StringComparer.Ordinal) { [image.Name] = 3L * Side * Side * sizeof(float) };
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probe), options);
            var names = new List<string> { image.Name };
            using var pixels = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(0.5f, 3 * Side * Side).ToArray(), [1, 3, Side, Side]);
            using var strength = OrtValue.CreateTensorValueFromMemory(new[] { 0f }, [1]);
            var values = new List<OrtValue> { pixels };
            if (other is not null)
            {
                names.Add(other.Name);
                values.Add(strength);
            }
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, session.OutputNames);
            foreach (var (name, value) in session.OutputNames.Zip(results))
                bytes[name] = value.OnnxType == OnnxValueType.ONNX_TYPE_TENSOR ? value.GetTensorSizeInBytes() : 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;   // optional: ONNX Runtime's refusal (or an output it cannot hand over) leaves the estimate
        }
        return PeakLiveBytes(graph, bytes, GrowWithTheImage(graph, image.Name)) * RuntimeFactor / (Side * Side);
    }

    /// <summary>
    /// The tensors computed from the image: their size follows its pixels. The rest (weights dequantized or
    /// blended in the graph, shapes, constants) are the same for every tile and belong to the model, not to a pixel.
    /// </summary>
    private static HashSet<string> GrowWithTheImage(OnnxProto.GraphProto graph, string image)
    {
        var grows = new HashSet<string>(StringComparer.Ordinal) { image };
        foreach (var node in graph.Node.Where(n => n.Input.Any(grows.Contains)))
            grows.UnionWith(node.Output.Where(o => o.Length > 0));
        return grows;
    }

    /// <summary>The largest sum of image-sized tensors alive at once when the nodes run in graph order.</summary>
    private static long PeakLiveBytes(OnnxProto.GraphProto graph, IReadOnlyDictionary<string, long> bytes, HashSet<string> counted)
    {
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < graph.Node.Count; k++)
            foreach (string input in graph.Node[k].Input)
                lastUse[input] = k;
        foreach (var output in graph.Output)
            lastUse[output.Name] = graph.Node.Count;   // outputs the caller reads stay to the end

        long Size(string tensor) => counted.Contains(tensor) ? bytes.GetValueOrDefault(tensor) : 0;
        var live = graph.Input.Where(i => Size(i.Name) > 0).ToDictionary(i => i.Name, i => Size(i.Name), StringComparer.Ordinal);
        long peak = live.Values.Sum();
        for (int k = 0; k < graph.Node.Count; k++)
        {
            foreach (string output in graph.Node[k].Output.Where(o => Size(o) > 0))
                live[output] = Size(output);
            peak = Math.Max(peak, live.Values.Sum());
            foreach (string done in live.Keys.Where(t => lastUse.GetValueOrDefault(t, -1) <= k).ToList())
                live.Remove(done);
        }
        return peak;
    }
}
