using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// Evens out the channels of the activations between two convolutions before quantization
/// (cross-layer equalization, Nagel et al. 2019, with SmoothQuant's square-root split). A uint8
/// activation has one scale for all its channels, so one channel ten times wider than the rest
/// leaves them a tenth of the levels; Real-ESRGAN's SRVGG networks have such channels in every
/// layer. For conv P → LeakyReLU/PReLU → conv B, channel c of P's output is divided by s_c and B's
/// weights for input c multiplied by s_c: the network computes the same (the activations are
/// positively homogeneous), but the activation's channels are closer in range.
/// </summary>
internal static class ChannelEqualizer
{
    /// <summary>Scales are kept within this factor either way: a dead channel must not blow up B's weights.</summary>
    private const float MaxScale = 32f;

    public static OnnxProto.ModelProto Equalize(OnnxProto.ModelProto model, IReadOnlyList<CalibrationInput> inputs, string image, string? denoise,
        CancellationToken cancellationToken = default)
    {
        var pairs = Pairs(model).ToList();
        if (pairs.Count == 0)
            return model;
        var maxima = ActivationCalibrator.ChannelMaxima(model, pairs.Select(p => p.Activation).ToList(), inputs, image, denoise, cancellationToken);
        var result = model.Clone();
        var initializers = result.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (producer, activation, consumer) in pairs)
        {
            float[] range = maxima[activation];
            float mean = range.Average();
            if (mean <= 0)
                continue;
            var scales = range.Select(r => r > 0 ? Math.Clamp(MathF.Sqrt(r / mean), 1 / MaxScale, MaxScale) : 1f).ToArray();
            Scale(initializers[producer.Input[1]], scales, divide: true, axis: 0);
            if (producer.Input.Count > 2 && producer.Input[2].Length > 0)
                Scale(initializers[producer.Input[2]], scales, divide: true, axis: 0);
            Scale(initializers[consumer.Input[1]], scales, divide: false, axis: 1);
        }
        return result;
    }

    /// <summary>conv → activation → conv links where each tensor has that one reader and all weights are the graph's own.</summary>
    private static IEnumerable<(OnnxProto.NodeProto Producer, string Activation, OnnxProto.NodeProto Consumer)> Pairs(OnnxProto.ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.Where(t => t.DataType == FloatInitializers.FloatType).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var readers = graph.Node.SelectMany(n => n.Input.Select(i => (i, n))).ToLookup(p => p.i, p => p.n, StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        bool Single(string tensor) => readers[tensor].Count() == 1 && !outputs.Contains(tensor);
        bool PlainConv(OnnxProto.NodeProto n) =>
            n.OpType == "Conv" && n.Input.Count >= 2 && initializers.TryGetValue(n.Input[1], out var w) && w.Dims.Count == 4
            && (n.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1) == 1
            && n.Input.Skip(1).All(i => i.Length == 0 || initializers.ContainsKey(i) && Single(i));

        foreach (var activation in graph.Node.Where(n => n.OpType is "LeakyRelu" or "PRelu"))
        {
            string x = activation.Output[0], pre = activation.Input[0];
            if (!Single(x) || !Single(pre) || !producers.TryGetValue(pre, out var producer) || !PlainConv(producer))
                continue;
            var consumer = readers[x].First();
            if (!PlainConv(consumer) || consumer.Input[0] != x)
                continue;
            if (activation.OpType == "PRelu" && !initializers.ContainsKey(activation.Input[1]))
                continue;
            yield return (producer, x, consumer);
        }
    }

    /// <summary>Multiplies (or divides) slice c along <paramref name="axis"/> (0 or 1) of a float initializer by scales[c].</summary>
    private static void Scale(OnnxProto.TensorProto tensor, float[] scales, bool divide, int axis)
    {
        float[] values = FloatInitializers.Read(tensor);
        long outer = tensor.Dims[0], inner = values.Length / outer;
        long channels = axis == 0 ? outer : tensor.Dims[1], per = axis == 0 ? inner : inner / channels;
        for (long i = 0; i < values.Length; i++)
        {
            long c = axis == 0 ? i / inner : i % inner / per;
            values[i] = divide ? values[i] / scales[c] : values[i] * scales[c];
        }
        FloatInitializers.Write(tensor, values);
    }
}
