using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Onnx;

/// <summary>The inputs of a model in the engine's contract: the image, and the denoise strength where it has one.</summary>
internal static class ModelFeeds
{
    /// <summary>The smallest input side every model in the engine's contract takes.</summary>
    public const int MinimumSide = 16;

    /// <summary>
    /// The graph's image (its one 4-D input) and its other input if it has one, initializers aside; null
    /// unless there is exactly one image and at most one other input. Whether the other is a denoise
    /// strength of shape [1] is the caller's question.
    /// </summary>
    public static (OnnxProto.ValueInfoProto Image, OnnxProto.ValueInfoProto? Other)? Inputs(OnnxProto.GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var images = inputs.Where(i => i.Type?.TensorType?.Shape?.Dim.Count == 4).ToList();
        var others = inputs.Except(images).ToList();
        return images.Count == 1 && others.Count <= 1 ? (images[0], others.FirstOrDefault()) : null;
    }

    public static List<NamedOnnxValue> For(string image, DenseTensor<float> tensor, string? denoise, float strength)
    {
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(image, tensor) };
        if (denoise is not null)
            feeds.Add(NamedOnnxValue.CreateFromTensor(denoise, new DenseTensor<float>(new[] { strength }, [1])));
        return feeds;
    }
}
