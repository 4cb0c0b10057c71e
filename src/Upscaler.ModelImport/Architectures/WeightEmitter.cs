using Upscaler.ModelImport.Onnx;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport.Architectures;

/// <summary>
/// Puts state-dict tensors into the graph for the architecture builders. With one weight set each
/// tensor becomes an initializer. With a denoise twin (two weight sets of the same network) each
/// tensor becomes w = w_weak * (1 - d) + w_strong * d, computed in the graph from the [1]-shaped
/// denoise input d, so one ONNX file covers the whole range between the two trained ends.
/// </summary>
internal sealed class WeightEmitter
{
    private readonly OnnxGraphBuilder graph;
    private readonly OnnxOps ops;
    private readonly StateDict? strong;
    private readonly string? denoise;
    private readonly string? oneMinusDenoise;

    /// <param name="weights">The weights (for a twin: the weak-denoise end, used at d = 0).</param>
    /// <param name="strong">For a twin: the strong-denoise end (used at d = 1).</param>
    /// <param name="denoise">For a twin: the name of the [1]-shaped denoise input.</param>
    public WeightEmitter(OnnxOps ops, StateDict weights, StateDict? strong = null, string? denoise = null)
    {
        this.ops = ops;
        graph = ops.Graph;
        Weights = weights;
        this.strong = strong;
        this.denoise = denoise;
        if (strong is not null)
        {
            ArgumentNullException.ThrowIfNull(denoise);
            oneMinusDenoise = ops.Sub(graph.FloatConstant("one", 1f), denoise);
        }
    }

    /// <summary>The weights the network's shapes are read from.</summary>
    public StateDict Weights { get; }

    /// <summary>Weights used by the graph (one weight set's worth).</summary>
    public long ParameterCount { get; private set; }

    /// <summary>
    /// The tensor <paramref name="key"/> (checked to have <paramref name="rank"/> dimensions), optionally
    /// rearranged by <paramref name="transform"/> and stored with <paramref name="dims"/>.
    /// </summary>
    public string Tensor(string key, int rank, long[]? dims = null, Func<float[], float[]>? transform = null)
    {
        var weak = Weights.Get(key, rank);
        dims ??= weak.Shape.Select(d => (long)d).ToArray();
        float[] a = transform is null ? weak.Data : transform(weak.Data);
        ParameterCount += weak.Data.Length;
        if (strong is null)
            return graph.Weight(key, a, dims);

        var other = strong.Get(key, rank);
        if (!other.Shape.SequenceEqual(weak.Shape))
            throw new ModelImportException(strong.File, $"weight '{key}' has shape [{string.Join(",", other.Shape)}] but [{string.Join(",", weak.Shape)}] in {Path.GetFileName(Weights.File)}: the two files are not the same network");
        float[] b = transform is null ? other.Data : transform(other.Data);
        string wa = graph.Weight(key + "_weak", a, dims);
        string wb = graph.Weight(key + "_strong", b, dims);
        return ops.Add(ops.Mul(wa, oneMinusDenoise!), ops.Mul(wb, denoise!));
    }
}
