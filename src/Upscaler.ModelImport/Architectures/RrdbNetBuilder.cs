using System.Globalization;
using System.Text.RegularExpressions;
using Upscaler.ModelImport.Analysis;
using Upscaler.ModelImport.Onnx;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport.Architectures;

/// <summary>
/// ESRGAN's RRDBNet, in both key spellings: Real-ESRGAN/BasicSR (conv_first, body.N.rdbM.convK,
/// conv_body, conv_up1, conv_up2, conv_hr, conv_last) and the original ESRGAN (model.0,
/// model.1.sub.N.RDBM.convK.0, model.1.sub.{blocks}, upsampling convolutions, HR conv, last conv).
/// Depth, width, growth and scale come from the tensor shapes. Real-ESRGAN's x2plus/x1 models feed
/// a pixel-unshuffled input (12 or 48 channels): the graph pads the image to a multiple of the
/// unshuffle factor by reflection (as Real-ESRGAN's inference does) and crops the result back.
/// Input and output: RGB in [0, 1].
/// </summary>
internal static partial class RrdbNetBuilder
{
    private const float Slope = 0.2f;
    private const float ResidualScale = 0.2f;

    public static bool Matches(StateDict weights) =>
        (weights.Contains("conv_first.weight") && weights.Contains("body.0.rdb1.conv1.weight"))
        || (weights.Contains("model.0.weight") && weights.Contains("model.1.sub.0.RDB1.conv1.0.weight"));

    public static ConvertedModel Build(StateDict weights, ModelFormat format)
    {
        var names = KeyNames.For(weights);
        var first = weights.Get(names.First + ".weight", 4);
        int inChannels = first.Shape[1];
        int features = first.Shape[0];
        int growth = weights.Get(names.Rdb(0, 1, 1) + ".weight", 4).Shape[0];
        int unshuffle = inChannels switch
        {
            3 => 1,
            12 => 2,
            48 => 4,
            _ => throw new ModelImportException(weights.File, $"unsupported RRDBNet: {inChannels} input channels (only RGB, or RGB pixel-unshuffled by 2 or 4)"),
        };
        int outChannels = weights.Get(names.Last + ".weight", 4).Shape[0];
        if (outChannels != 3)
            throw new ModelImportException(weights.File, $"unsupported RRDBNet: {outChannels} output channels (only RGB)");
        int upFactor = 1 << names.Upsamplers.Count;
        if (upFactor % unshuffle != 0)
            throw new ModelImportException(weights.File, "unsupported RRDBNet: the pixel-unshuffle factor exceeds the upsampling");
        int scale = upFactor / unshuffle;

        var graph = new OnnxGraphBuilder("rrdbnet");
        var ops = new OnnxOps(graph);
        var emit = new WeightEmitter(ops, weights);
        var metrics = new NetworkMetrics();
        string image = graph.AddImageInput("image");

        string x = image;
        var footprint = Footprint.Input;
        Func<float[], float[]>? firstTransform = null;
        if (unshuffle > 1)
        {
            x = ops.PadSpatial(x, 0, ops.ExtraForAlignment(ops.SpatialSize(x), 0, ExtraToMultiple(unshuffle)), "reflect");
            x = ops.SpaceToDepth(x, unshuffle);
            footprint = footprint.Shuffle(1.0 / unshuffle);
            firstTransform = data => UnshuffleOrderToSpaceToDepth(data, features, unshuffle);
        }
        double bodyScale = 1.0 / unshuffle;

        string Conv(string input, string name, ref Footprint fp, double scaleNow, Func<float[], float[]>? transform = null)
        {
            var w = weights.Get(name + ".weight", 4);
            if (w.Shape[2] != w.Shape[3] || w.Shape[2] % 2 == 0)
                throw new ModelImportException(weights.File, $"unsupported RRDBNet: '{name}.weight' is not an odd square kernel");
            string? bias = weights.Contains(name + ".bias") ? emit.Tensor(name + ".bias", 1) : null;
            metrics.Conv(w.Shape[1], w.Shape[0], w.Shape[2], w.Shape[3], 1, scaleNow);
            metrics.Activation(w.Shape[1]);
            fp = fp.Conv(w.Shape[2]);
            return ops.SameConv(input, emit.Tensor(name + ".weight", 4, transform: transform), bias, w.Shape[2]);
        }

        x = Conv(x, names.First, ref footprint, bodyScale, firstTransform);

        string trunk = x;
        string body = x;
        for (int b = 0; b < names.Blocks; b++)
        {
            string blockInput = body;
            for (int r = 1; r <= 3; r++)
            {
                string rdbInput = body;
                var parts = new List<string> { rdbInput };
                for (int c = 1; c <= 5; c++)
                {
                    string input = parts.Count == 1 ? rdbInput : ops.Concat(parts, 1);
                    string y = Conv(input, names.Rdb(b, r, c), ref footprint, bodyScale);
                    if (c < 5)
                        parts.Add(ops.LeakyRelu(y, Slope));
                    else
                        body = ops.Add(ops.Scale(y, ResidualScale), rdbInput);
                }
            }
            body = ops.Add(ops.Scale(body, ResidualScale), blockInput);
        }
        body = Conv(body, names.Body, ref footprint, bodyScale);
        x = ops.Add(trunk, body);

        double scaleNow = bodyScale;
        foreach (string up in names.Upsamplers)
        {
            x = ops.UpsampleNearest(x, 2, 2);
            footprint = footprint.Resample(1, 2);
            scaleNow *= 2;
            x = ops.LeakyRelu(Conv(x, up, ref footprint, scaleNow), Slope);
        }
        x = ops.LeakyRelu(Conv(x, names.Hr, ref footprint, scaleNow), Slope);
        x = Conv(x, names.Last, ref footprint, scaleNow);
        if (unshuffle > 1)
            x = ops.CropTopLeft(x, image, scale);
        graph.AddImageOutput(x, "upscaled");
        metrics.Activation(features + 4 * growth);

        return new ConvertedModel
        {
            Onnx = graph.Build("RRDBNet converted by Upscaler.ModelImport"),
            SourceFormat = format,
            Converted = true,
            Architecture = $"RRDBNet ({names.Style}, x{scale}, {names.Blocks} blocks, {features} features, growth {growth}{(unshuffle > 1 ? $", pixel-unshuffle {unshuffle}" : "")})",
            InputName = image,
            OutputName = "upscaled",
            Range = PixelRange.ZeroToOne,
            Order = ChannelOrder.Rgb,
            Scale = scale,
            ReceptiveField = footprint.ReceptiveField,
            LocalReceptiveField = footprint.LocalReceptiveField,
            Alignment = unshuffle,
            Features = metrics.Features,
            Parameters = emit.ParameterCount,
            FlopsPerPixel = metrics.FlopsPerPixel,
        };
    }

    /// <summary>Extra pixels that bring a size to the next multiple of <paramref name="m"/>, by size mod m.</summary>
    private static long[] ExtraToMultiple(int m) => Enumerable.Range(0, m).Select(r => (long)((m - r) % m)).ToArray();

    /// <summary>
    /// PyTorch's pixel_unshuffle puts input channel c, offset (i, j) at channel c*r*r + i*r + j; ONNX
    /// SpaceToDepth at (i*r + j)*C + c. Reordering the first convolution's input channels makes the two agree.
    /// </summary>
    private static float[] UnshuffleOrderToSpaceToDepth(float[] weight, int outChannels, int r)
    {
        const int colours = 3;
        int inChannels = colours * r * r;
        int k = weight.Length / (outChannels * inChannels);
        var result = new float[weight.Length];
        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < colours; c++)
                for (int offset = 0; offset < r * r; offset++)
                {
                    int torchChannel = c * r * r + offset;
                    int onnxChannel = offset * colours + c;
                    Array.Copy(weight, (o * inChannels + torchChannel) * k, result, (o * inChannels + onnxChannel) * k, k);
                }
        return result;
    }

    /// <summary>The state-dict names of one RRDBNet, in whichever spelling the file uses.</summary>
    private sealed record KeyNames(string Style, string First, int Blocks, Func<int, int, int, string> Rdb, string Body, IReadOnlyList<string> Upsamplers, string Hr, string Last)
    {
        public static KeyNames For(StateDict weights)
        {
            if (weights.Contains("conv_first.weight"))
            {
                int blocks = CountIndices(weights, NewBlock());
                var ups = Enumerable.Range(1, 8).Select(i => $"conv_up{i}").TakeWhile(n => weights.Contains(n + ".weight")).ToList();
                return new KeyNames("Real-ESRGAN", "conv_first", blocks, (b, r, c) => $"body.{b}.rdb{r}.conv{c}", "conv_body", ups, "conv_hr", "conv_last");
            }

            int oldBlocks = CountIndices(weights, OldBlock());
            // model.2 onwards: upsampling convolutions, then the HR convolution, then the last one.
            var tail = weights.Keys
                .Select(k => OldTail().Match(k))
                .Where(m => m.Success)
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .Where(i => i >= 2)
                .Distinct()
                .Order()
                .Select(i => $"model.{i}")
                .ToList();
            if (tail.Count < 2)
                throw new ModelImportException(weights.File, "unknown architecture: ESRGAN-style keys without the final convolutions");
            return new KeyNames("ESRGAN", "model.0", oldBlocks, (b, r, c) => $"model.1.sub.{b}.RDB{r}.conv{c}.0", $"model.1.sub.{oldBlocks}", tail[..^2], tail[^2], tail[^1]);
        }

        private static int CountIndices(StateDict weights, Regex pattern) =>
            weights.Keys.Select(k => pattern.Match(k)).Where(m => m.Success)
                .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Count();
    }

    [GeneratedRegex(@"^body\.(\d+)\.rdb1\.conv1\.weight$")]
    private static partial Regex NewBlock();

    [GeneratedRegex(@"^model\.1\.sub\.(\d+)\.RDB1\.conv1\.0\.weight$")]
    private static partial Regex OldBlock();

    [GeneratedRegex(@"^model\.(\d+)\.weight$")]
    private static partial Regex OldTail();
}
