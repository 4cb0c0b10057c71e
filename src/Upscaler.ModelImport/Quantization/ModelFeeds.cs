using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Upscaler.ModelImport.Quantization;

/// <summary>The inputs of a model in the engine's contract: the image, and the denoise strength where it has one.</summary>
internal static class ModelFeeds
{
    public static List<NamedOnnxValue> For(string image, DenseTensor<float> tensor, string? denoise, float strength)
    {
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(image, tensor) };
        if (denoise is not null)
            feeds.Add(NamedOnnxValue.CreateFromTensor(denoise, new DenseTensor<float>(new[] { strength }, [1])));
        return feeds;
    }
}
