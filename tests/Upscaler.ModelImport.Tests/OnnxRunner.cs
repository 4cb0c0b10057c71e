using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Upscaler.ModelImport.Tests;

/// <summary>Runs a converted model in ONNX Runtime, as the engine does.</summary>
public static class OnnxRunner
{
    public static (float[] Data, int[] Shape) Run(ConvertedModel model, float[] image, int height, int width, float? denoise = null)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model.Onnx, options);
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor(model.InputName, new DenseTensor<float>(image, [1, 3, height, width])),
        };
        if (model.DenoiseInputName is not null)
            inputs.Add(NamedOnnxValue.CreateFromTensor(model.DenoiseInputName, new DenseTensor<float>(new[] { denoise ?? 0f }, [1])));
        using var results = session.Run(inputs);
        var output = results.Single(r => r.Name == model.OutputName).AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    /// <summary>Runs a graph on named [1,C,H,W]-shaped inputs and returns all outputs by name.</summary>
    public static Dictionary<string, (float[] Data, int[] Shape)> RunGraph(byte[] onnx, IReadOnlyDictionary<string, (float[] Data, int[] Shape)> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        var values = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Key, new DenseTensor<float>(i.Value.Data, i.Value.Shape))).ToList();
        using var results = session.Run(values);
        return results.ToDictionary(r => r.Name, r => (r.AsTensor<float>().ToArray(), r.AsTensor<float>().Dimensions.ToArray()));
    }

    public static float MaxAbsDifference(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        float max = 0;
        for (int i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
