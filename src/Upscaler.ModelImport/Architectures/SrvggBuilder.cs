using Upscaler.ModelImport.Analysis;
using Upscaler.ModelImport.Onnx;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport.Architectures;

/// <summary>
/// Real-ESRGAN's SRVGGNetCompact (realesr-general-x4v3, realesr-animevideov3): a plain stack of 3x3
/// convolutions with PReLU (or LeakyReLU 0.1 / ReLU, which leave no weights in the state dict), a
/// pixel shuffle, and the nearest-upsampled input added back. State dict keys: body.{2i}.weight/bias
/// for the convolutions, body.{2i+1}.weight for PReLU slopes. Width, depth and scale come from the
/// tensor shapes. Input and output: RGB in [0, 1].
/// </summary>
internal static class SrvggBuilder
{
    /// <summary>What an SRVGGNetCompact without PReLU weights uses between convolutions.</summary>
    public enum ActivationWithoutWeights
    {
        LeakyRelu,
        Relu,
    }

    public static bool Matches(StateDict weights) =>
        weights.Find("body.0.weight") is { Rank: 4 } first && first.Shape[1] == 3
        && !weights.Keys.Any(k => k.StartsWith("conv_first", StringComparison.Ordinal) || k.StartsWith("model.", StringComparison.Ordinal));

    public static ConvertedModel Build(StateDict weights, ModelFormat format, ActivationWithoutWeights plainActivation = ActivationWithoutWeights.LeakyRelu,
        StateDict? strongDenoise = null)
    {
        var bodyIndices = weights.Keys
            .Select(k => System.Text.RegularExpressions.Regex.Match(k, @"^body\.(\d+)\.weight$"))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToList();
        var convIndices = bodyIndices.Where(i => weights.Find($"body.{i}.weight")!.Rank == 4).ToList();
        if (bodyIndices.Any(i => weights.Find($"body.{i}.weight")!.Rank is not (1 or 4)))
            throw new ModelImportException(weights.File, "unknown architecture: 'body.N.weight' tensors that are neither convolutions nor PReLU slopes");
        if (convIndices.Count < 2)
            throw new ModelImportException(weights.File, "unknown architecture: too few convolutions for SRVGGNetCompact");

        var last = weights.Get($"body.{convIndices[^1]}.weight", 4);
        int features = weights.Get("body.0.weight", 4).Shape[0];
        int outChannels = last.Shape[0];
        int scale = (int)Math.Round(Math.Sqrt(outChannels / 3.0));
        if (scale < 1 || scale * scale * 3 != outChannels)
            throw new ModelImportException(weights.File, $"unknown architecture: the last convolution has {outChannels} outputs, not 3 x scale^2");
        bool prelu = weights.Find("body.1.weight") is { Rank: 1 };

        var graph = new OnnxGraphBuilder("srvgg");
        var ops = new OnnxOps(graph);
        string image = graph.AddImageInput("image");
        string? denoise = strongDenoise is null ? null : graph.AddScalarInput("denoise");
        var emit = new WeightEmitter(ops, weights, strongDenoise, denoise);
        var metrics = new NetworkMetrics();
        var footprint = Footprint.Input;

        string x = image;
        for (int n = 0; n < convIndices.Count; n++)
        {
            int i = convIndices[n];
            var w = weights.Get($"body.{i}.weight", 4);
            if (w.Shape[2] != 3 || w.Shape[3] != 3)
                throw new ModelImportException(weights.File, $"unknown architecture: 'body.{i}.weight' is not a 3x3 convolution");
            string? bias = weights.Contains($"body.{i}.bias") ? emit.Tensor($"body.{i}.bias", 1) : null;
            x = ops.SameConv(x, emit.Tensor($"body.{i}.weight", 4), bias, 3);
            metrics.Conv(w.Shape[1], w.Shape[0], 3, 3, 1, 1);
            footprint = footprint.Conv(3);
            if (n == convIndices.Count - 1)
                break;
            if (prelu)
            {
                var slope = weights.Get($"body.{i + 1}.weight", 1);
                x = ops.PRelu(x, emit.Tensor($"body.{i + 1}.weight", 1, [slope.Shape[0], 1, 1]));
            }
            else
            {
                x = plainActivation == ActivationWithoutWeights.Relu ? ops.Relu(x) : ops.LeakyRelu(x, 0.1f);
            }
        }
        x = ops.PixelShuffle(x, scale);
        x = ops.Add(x, ops.UpsampleNearest(image, scale, scale));
        graph.AddImageOutput(x, "upscaled");

        string activation = prelu ? "PReLU" : plainActivation == ActivationWithoutWeights.Relu ? "ReLU" : "LeakyReLU";
        return new ConvertedModel
        {
            Onnx = graph.Build("SRVGGNetCompact converted by Upscaler.ModelImport"),
            SourceFormat = format,
            Converted = true,
            Architecture = $"SRVGGNetCompact (x{scale}, {features} features, {convIndices.Count - 2} body convolutions, {activation}{(strongDenoise is null ? "" : ", denoise twin")})",
            InputName = image,
            OutputName = "upscaled",
            DenoiseInputName = denoise,
            Range = PixelRange.ZeroToOne,
            Order = ChannelOrder.Rgb,
            Scale = scale,
            ReceptiveField = footprint.ReceptiveField,
            LocalReceptiveField = footprint.LocalReceptiveField,
            Features = Math.Max(metrics.Features, 3),
            Parameters = emit.ParameterCount,
            FlopsPerPixel = metrics.FlopsPerPixel,
        };
    }
}
