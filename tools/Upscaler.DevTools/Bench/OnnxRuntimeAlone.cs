using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Upscaler.DevTools.Bench;

/// <summary>
/// Times a model file in ONNX Runtime with nothing of ours around it: one whole-image tensor in, the
/// output tensor out, with the session settings the engine uses on the CPU (all graph optimisations,
/// the memory arena). The engine's rows are judged against this: what the model itself costs.
/// </summary>
internal static class OnnxRuntimeAlone
{
    /// <param name="planarRgb">The image, planar, in the model's value range.</param>
    /// <param name="denoise">The strength for a model's second input (its denoise control); models without one ignore it.</param>
    public static double BestSeconds(string modelFile, float[] planarRgb, int width, int height, float denoise, int repeats)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, EnableCpuMemArena = true };
        using var session = new InferenceSession(modelFile, options);
        using var image = OrtValue.CreateTensorValueFromMemory(planarRgb, [1, 3, height, width]);
        using var strength = OrtValue.CreateTensorValueFromMemory(new[] { denoise }, [1]);
        var names = session.InputNames.Take(2).ToArray();
        OrtValue[] values = names.Length == 2 ? [image, strength] : [image];

        double best = double.MaxValue;
        // The first run plans memory for this shape and fills the arena; it is not counted.
        for (int i = 0; i <= repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using (session.Run(new RunOptions(), names, values, session.OutputNames)) { }
            if (i > 0)
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
