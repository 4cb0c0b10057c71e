using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Upscaler.Core.Inference;

/// <summary>What probing an ONNX file found: its tensor names, its scale and how far its outputs look.</summary>
/// <param name="ReceptiveField">Input pixels on each side that reach an output pixel, or null when a probe saw no bound.</param>
internal sealed record ProbedModel(string InputName, string OutputName, string? DenoiseInputName, int Scale, int? ReceptiveField);

/// <summary>
/// Finds out, by running it, how an ONNX upscaler must be driven: which input is the image and which
/// (if any) the denoise strength, the integer scale (two probe sizes must agree), and its receptive field,
/// from where a one-pixel change on a random image shows up in the output. A model that cannot be
/// driven this way is a one-line <see cref="ModelCatalogException"/>.
/// </summary>
internal static class ModelProbe
{
    private const int ProbeEdge = 96;

    /// <param name="rangeMax">The top of the model's value range (1 or 255), for realistic probe images.</param>
    /// <param name="pooled">For a split model's main graph: its pooled-value inputs, fed zeros while probing.</param>
    public static ProbedModel Probe(string file, float rangeMax, bool measureReceptiveField, IReadOnlyList<PooledValueSpec>? pooled = null)
    {
        var extra = (pooled ?? []).ToDictionary(p => p.Name, p => p.Channels);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        InferenceSession session;
        try
        {
            session = new InferenceSession(file, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelCatalogException($"{file} is not an ONNX model ONNX Runtime can load: {ErrorText.OneLine(e.Message)}", e);
        }
        using (session)
        {
            var (image, denoise) = Inputs(file, session, extra);
            var output = session.OutputMetadata.FirstOrDefault(o => o.Value.ElementType == typeof(float) && o.Value.Dimensions.Length == 4).Key
                ?? throw new ModelCatalogException($"{file} has no 4-D float output for the upscaled image");

            int scale = ScaleOf(file, session, image, denoise, output, 16, 16, rangeMax);
            if (ScaleOf(file, session, image, denoise, output, 20, 24, rangeMax) != scale)
                throw new ModelCatalogException($"{file} does not upscale by one integer factor (its outputs for two input sizes disagree)");
            int? receptiveField = measureReceptiveField ? ReceptiveField(session, image, denoise, output, scale, rangeMax) : null;
            return new ProbedModel(image, output, denoise, scale, receptiveField);
        }
    }

    private static (string Image, string? Denoise) Inputs(string file, InferenceSession session, Dictionary<string, int> pooled)
    {
        string? image = null, denoise = null;
        foreach (var name in pooled.Keys.Where(n => !session.InputMetadata.ContainsKey(n)))
            throw new ModelCatalogException($"{file} has no input \"{name}\" for the pooled statistics");
        foreach (var (name, meta) in session.InputMetadata.Where(i => !pooled.ContainsKey(i.Key)))
        {
            bool isFloat = meta.ElementType == typeof(float);
            if (isFloat && meta.Dimensions.Length == 4 && meta.Dimensions[1] is 3 or -1 && image is null)
                image = name;
            else if (isFloat && meta.Dimensions.All(d => d is 1 or -1) && meta.Dimensions.Length <= 4 && denoise is null)
                denoise = name;
            else
                throw new ModelCatalogException($"{file} has an input \"{name}\" that is neither a 3-channel float image nor a one-value denoise strength");
        }
        return (image ?? throw new ModelCatalogException($"{file} has no 3-channel float image input (NCHW)"), denoise);
    }

    private static int ScaleOf(string file, InferenceSession session, string image, string? denoise, string output, int height, int width, float rangeMax)
    {
        var (_, dims) = Run(session, image, denoise, output, RandomImage(height, width, rangeMax, seed: 1), height, width, file);
        if (dims.Length != 4 || dims[1] != 3 || dims[2] % height != 0 || dims[3] % width != 0 || dims[2] / height != dims[3] / width)
            throw new ModelCatalogException($"{file} turns a {width}x{height} image into [{string.Join(", ", dims)}], not a 3-channel image an integer factor larger");
        int scale = dims[2] / height;
        return scale is >= 1 and <= 8 ? scale : throw new ModelCatalogException($"{file} upscales by x{scale}; factors 1 to 8 are supported");
    }

    /// <summary>
    /// The farthest any output moves when the centre pixel of a random image changes, in input pixels;
    /// null when the change reaches the probe's border (global pooling, very deep networks).
    /// </summary>
    private static int? ReceptiveField(InferenceSession session, string image, string? denoise, string output, int scale, float rangeMax)
    {
        int reach = 0, centre = ProbeEdge / 2;
        for (int seed = 2; seed <= 3; seed++)
        {
            var input = RandomImage(ProbeEdge, ProbeEdge, rangeMax, seed);
            var (before, _) = Run(session, image, denoise, output, input, ProbeEdge, ProbeEdge, "the receptive-field probe");
            for (int c = 0; c < 3; c++)
                input[(c * ProbeEdge + centre) * ProbeEdge + centre] += rangeMax * 0.5f;
            var (after, _) = Run(session, image, denoise, output, input, ProbeEdge, ProbeEdge, "the receptive-field probe");

            int size = ProbeEdge * scale;
            for (int i = 0; i < before.Length; i++)
            {
                if (Math.Abs(after[i] - before[i]) <= 1e-6f * rangeMax)
                    continue;
                int y = i / size % size, x = i % size;
                int dy = Math.Abs(y / scale - centre), dx = Math.Abs(x / scale - centre);
                reach = Math.Max(reach, Math.Max(dx, dy));
            }
        }
        return reach >= centre - 2 ? null : reach;
    }

    private static float[] RandomImage(int height, int width, float rangeMax, int seed)
    {
        var random = new Random(seed);
        var data = new float[3 * height * width];
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)random.NextDouble() * rangeMax;
        return data;
    }

    /// <summary>One run; the output is copied out before ONNX Runtime frees its buffer.</summary>
    private static (float[] Data, int[] Dimensions) Run(InferenceSession session, string image, string? denoise, string output, float[] data, int height, int width, string file)
    {
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(image, new DenseTensor<float>(data, [1, 3, height, width])) };
        foreach (var (name, meta) in session.InputMetadata.Where(i => i.Key != image && i.Key != denoise))
        {
            int channels = meta.Dimensions.Length == 4 && meta.Dimensions[1] > 0 ? meta.Dimensions[1] : 1;
            inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(new float[channels], [1, channels, 1, 1])));
        }
        if (denoise is not null)
        {
            int rank = session.InputMetadata[denoise].Dimensions.Length;
            inputs.Add(NamedOnnxValue.CreateFromTensor(denoise, new DenseTensor<float>(new[] { 0f }, Enumerable.Repeat(1, rank).ToArray())));
        }
        try
        {
            using var results = session.Run(inputs, [output]);
            var tensor = results[0].AsTensor<float>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray());
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelCatalogException($"{file} fails on a {width}x{height} probe image: {ErrorText.OneLine(e.Message)}", e);
        }
    }
}
