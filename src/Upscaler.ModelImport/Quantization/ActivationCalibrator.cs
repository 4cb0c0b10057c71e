using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Upscaler.ModelImport.Onnx;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// Runs the float32 model in ONNX Runtime on calibration inputs with the tensors to be quantized
/// exposed as extra graph outputs, and gathers what each of them held.
/// </summary>
internal static class ActivationCalibrator
{
    /// <summary>What each of <paramref name="tensors"/> held over all inputs.</summary>
    public static IReadOnlyDictionary<string, ActivationStatistics> Measure(
        OnnxProto.ModelProto model, IReadOnlyList<string> tensors, IReadOnlyList<CalibrationInput> inputs, string imageInput, string? denoiseInput,
        CancellationToken cancellationToken = default)
    {
        var statistics = tensors.Select((t, i) => (t, new ActivationStatistics(seed: i))).ToDictionary(p => p.t, p => p.Item2, StringComparer.Ordinal);
        Run(model, tensors, inputs, imageInput, denoiseInput, (name, value) => statistics[name].Add(value.Buffer.Span), cancellationToken);
        return statistics;
    }

    /// <summary>The largest magnitude of each channel of each of <paramref name="tensors"/> (NCHW) over all inputs.</summary>
    public static IReadOnlyDictionary<string, float[]> ChannelMaxima(
        OnnxProto.ModelProto model, IReadOnlyList<string> tensors, IReadOnlyList<CalibrationInput> inputs, string imageInput, string? denoiseInput,
        CancellationToken cancellationToken = default)
    {
        var maxima = new Dictionary<string, float[]>(StringComparer.Ordinal);
        Run(model, tensors, inputs, imageInput, denoiseInput, (name, value) =>
        {
            int channels = value.Dimensions[1], plane = (int)(value.Length / channels);
            var max = maxima.TryGetValue(name, out var m) ? m : maxima[name] = new float[channels];
            for (int c = 0; c < channels; c++)
                max[c] = Math.Max(max[c], Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(value.Buffer.Span.Slice(c * plane, plane))));
        }, cancellationToken);
        return maxima;
    }

    private static void Run(OnnxProto.ModelProto model, IReadOnlyList<string> tensors, IReadOnlyList<CalibrationInput> inputs,
        string imageInput, string? denoiseInput, Action<string, DenseTensor<float>> seen, CancellationToken cancellationToken)
    {
        var probe = model.Clone();
        var graphInputs = probe.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var declared = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string t in tensors.Where(t => !graphInputs.Contains(t) && !declared.Contains(t)))
            probe.Graph.Output.Add(new OnnxProto.ValueInfoProto
            {
                Name = t,
                Type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float } },
            });

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probe), options);
        using var runs = new CancellableRuns(cancellationToken);
        var fetched = tensors.Where(t => !graphInputs.Contains(t)).ToList();
        foreach (var input in inputs)
        {
            var feeds = ModelFeeds.For(imageInput, input.Image, denoiseInput, input.Denoise);
            if (tensors.Contains(imageInput))
                seen(imageInput, input.Image);
            using var results = runs.Run(session, feeds, fetched);
            foreach (var r in results)
                seen(r.Name, (DenseTensor<float>)r.AsTensor<float>());
        }
    }
}
