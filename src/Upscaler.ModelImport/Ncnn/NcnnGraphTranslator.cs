using Upscaler.ModelImport.Analysis;
using Upscaler.ModelImport.Onnx;
using static Upscaler.ModelImport.Ncnn.NcnnSizeProgram;
using static Upscaler.ModelImport.Onnx.OnnxGraphBuilder;

namespace Upscaler.ModelImport.Ncnn;

/// <summary>
/// Translates an ncnn network into ONNX layer by layer, with ncnn's semantics (learned from ncnn's
/// src/layer/*.cpp): image blobs become [1,C,H,W] tensors, ncnn's 1-D blobs (after global pooling
/// and fully-connected layers) become [1,C,1,1] so that ncnn's per-channel broadcasting is ONNX's.
/// Alongside it records spatial size rules (<see cref="NcnnSizeProgram"/>), the receptive field and
/// the cost, then folds the padding and crop the original tool applies around the network into the
/// graph (<see cref="NcnnPaddingPlan"/>, <see cref="NcnnToolConventions"/>).
/// </summary>
internal sealed class NcnnGraphTranslator
{
    private const string NetworkInput = "network_input";

    private readonly NcnnModel model;
    private readonly OnnxGraphBuilder graph = new("ncnn");
    private readonly OnnxOps ops;
    private readonly NcnnSizeProgram sizes = new();
    private readonly NetworkMetrics metrics = new();
    private readonly Dictionary<string, Blob> blobs = new(StringComparer.Ordinal);
    private readonly GlobalPooling pooling;
    private readonly List<PooledStatistic> pooledStatistics = [];
    private readonly List<string> pooledValues = [];

    /// <summary>What becomes of the network's global poolings.</summary>
    private enum GlobalPooling
    {
        /// <summary>Computed in the graph (one model, unbounded receptive field).</summary>
        InGraph,

        /// <summary>Replaced by graph inputs (the main graph of a split model: local).</summary>
        FromInputs,

        /// <summary>Computed and returned as the graph's outputs (the statistics graph of a split model).</summary>
        ToOutputs,
    }

    /// <summary>A translated blob. Vectors are ncnn 1-D blobs; <see cref="Slot"/> is the size rule of an image.</summary>
    private sealed record Blob(string Value, bool IsVector, int Channels, Footprint Footprint, int Slot);

    private NcnnGraphTranslator(NcnnModel model, GlobalPooling pooling)
    {
        this.model = model;
        this.pooling = pooling;
        ops = new OnnxOps(graph);
    }

    /// <summary>
    /// The network as one ONNX model. With <paramref name="splitGlobalPooling"/> and a network that
    /// pools globally (squeeze-excitation), the model takes the pooled values as inputs instead and
    /// <see cref="ConvertedModel.Statistics"/> holds the graph that computes them, so tiles can share
    /// statistics gathered over the whole image (what realcugan-ncnn-vulkan's syncgap mode does).
    /// </summary>
    public static ConvertedModel Translate(NcnnModel model, bool splitGlobalPooling = false)
    {
        var whole = new NcnnGraphTranslator(model, GlobalPooling.InGraph).Run(out _);
        if (!splitGlobalPooling || !whole.ReceptiveFieldUnbounded)
            return whole;
        var main = new NcnnGraphTranslator(model, GlobalPooling.FromInputs).Run(out var statistics);
        var statisticsGraph = new NcnnGraphTranslator(model, GlobalPooling.ToOutputs).Run(out _);
        return main with { Statistics = new PooledStatistics(statisticsGraph.Onnx, statistics) };
    }

    private ConvertedModel Run(out IReadOnlyList<PooledStatistic> statistics)
    {
        statistics = pooledStatistics;
        var provisional = NcnnToolConventions.For(model, cropsInternally: false);
        string outputBlob = provisional.OutputBlob;
        var needed = LayersFeeding(outputBlob);
        string image = graph.AddImageInput("image");

        foreach (var layer in model.Layers.Where(needed.Contains))
            Translate(layer);
        var output = blobs[outputBlob];
        if (output.IsVector || output.Channels != 3)
            throw Error($"the output blob '{outputBlob}' is not a 3-channel image");

        var plan = NcnnPaddingPlan.Analyse(sizes, output.Slot, model.ParamFile);
        var tool = NcnnToolConventions.For(model, cropsInternally: plan.Cropped > 0);
        if (tool.OutputBlob != outputBlob)
            throw Error("the network's input and output blobs are ambiguous");

        // Preprocessing, written last but moved in front of the network.
        int mark = graph.NodeCount;
        string networkInput = plan.Needed
            ? ops.PadSpatial(image, plan.Before, ops.ExtraForAlignment(ops.SpatialSize(image), 2 * plan.Before, plan.ExtraByResidue), tool.BorderMode)
            : image;
        graph.Alias(networkInput, NetworkInput);
        graph.MoveNodesToFront(mark);

        if (pooling == GlobalPooling.ToOutputs)
        {
            for (int i = 0; i < pooledStatistics.Count; i++)
                graph.AddVectorOutput(pooledValues[i], pooledStatistics[i].Name, pooledStatistics[i].Channels);
        }
        else
        {
            string result = plan.Needed ? ops.CropTopLeft(output.Value, image, plan.Scale) : output.Value;
            if (tool.AddsNearestInputAtX4 && plan.Scale == 4)
                result = ops.Add(result, ops.UpsampleNearest(image, 4, 4));
            graph.AddImageOutput(result, "upscaled");
        }

        var footprint = output.Footprint;
        return new ConvertedModel
        {
            Onnx = graph.Build($"ncnn model {Path.GetFileName(model.ParamFile)} converted by Upscaler.ModelImport ({tool.Tool} conventions)"),
            SourceFormat = ModelFormat.Ncnn,
            Converted = true,
            Architecture = $"ncnn network ({tool.Tool} conventions, x{plan.Scale}, {needed.Count} layers{(plan.Needed ? $", padded by {plan.Before} ({tool.BorderMode})" : "")}{(pooling == GlobalPooling.FromInputs ? ", global pooling as inputs" : "")})",
            InputName = image,
            OutputName = "upscaled",
            Range = PixelRange.ZeroToOne,
            Order = ChannelOrder.Rgb,
            Scale = plan.Scale,
            ReceptiveField = footprint.ReceptiveField,
            LocalReceptiveField = footprint.LocalReceptiveField,
            ReceptiveFieldUnbounded = footprint.Unbounded,
            Alignment = Alignment(),
            Features = metrics.Features,
            Parameters = needed.Sum(l => l.Weights.Values.Sum(w => (long)w.Length)),
            FlopsPerPixel = metrics.FlopsPerPixel,
        };
    }

    /// <summary>The layers the output depends on (others are ignored, as ncnn's extractor does).</summary>
    private HashSet<NcnnLayer> LayersFeeding(string output)
    {
        var producer = new Dictionary<string, NcnnLayer>(StringComparer.Ordinal);
        foreach (var layer in model.Layers)
            foreach (string top in layer.Tops)
                producer[top] = layer;
        var needed = new HashSet<NcnnLayer>();
        var pending = new Stack<string>([output]);
        while (pending.TryPop(out var blob))
        {
            if (!producer.TryGetValue(blob, out var layer))
                throw Error($"blob '{blob}' is used but no layer produces it");
            if (needed.Add(layer))
                foreach (string b in layer.Bottoms)
                    pending.Push(b);
        }
        return needed;
    }

    /// <summary>Shift period of the network: the least common multiple of its downscaling factors.</summary>
    private int Alignment()
    {
        int result = 1;
        foreach (var b in blobs.Values.Where(b => !b.IsVector && b.Footprint.Scale < 1 - 1e-9))
        {
            int factor = (int)Math.Round(1 / b.Footprint.Scale);
            result = result / Gcd(result, factor) * factor;
        }
        return result;

        static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
    }

    private void Translate(NcnnLayer layer)
    {
        var p = layer.Params;
        var inputs = layer.Bottoms.Select(b => blobs.TryGetValue(b, out var blob) ? blob : throw Error($"{layer}: input blob '{b}' is not produced before it")).ToArray();

        void Output(Blob blob)
        {
            foreach (string top in layer.Tops)
                blobs[top] = blob;
        }

        Blob Single()
        {
            if (inputs.Length != 1)
                throw Unsupported(layer, $"{inputs.Length} inputs");
            return inputs[0];
        }

        Blob SingleImage()
        {
            var x = Single();
            if (x.IsVector)
                throw Unsupported(layer, "applied to a 1-D blob");
            return x;
        }

        switch (layer.Type)
        {
            case "Input":
                if (p.Int(2, 3) is not (0 or 3))
                    throw Unsupported(layer, $"{p.Int(2, 3)} input channels (expected 3)");
                Output(new Blob(NetworkInput, false, 3, Footprint.Input, NcnnSizeProgram.InputSlot));
                break;
            case "Split":
            case "Dropout":
            case "Noop":
                Output(Single());
                break;
            case "Flatten":
                Output(Single().IsVector ? inputs[0] : throw Unsupported(layer, "flattening an image"));
                break;
            case "Convolution":
            case "ConvolutionDepthWise":
                Output(Convolution(layer, SingleImage()));
                break;
            case "Deconvolution":
            case "DeconvolutionDepthWise":
                Output(Deconvolution(layer, SingleImage()));
                break;
            case "InnerProduct":
                Output(InnerProduct(layer, Single()));
                break;
            case "Pooling":
                Output(Pooling(layer, SingleImage()));
                break;
            case "ReLU":
            {
                var x = Single();
                float slope = p.Float(0, 0);
                Output(x with { Value = slope == 0 ? ops.Relu(x.Value) : ops.LeakyRelu(x.Value, slope) });
                break;
            }
            case "Sigmoid":
                Output(Single() with { Value = ops.Sigmoid(inputs[0].Value) });
                break;
            case "TanH":
                Output(Single() with { Value = ops.Tanh(inputs[0].Value) });
                break;
            case "Clip":
                Output(Single() with { Value = ops.Clip(inputs[0].Value, p.Float(0, -float.MaxValue), p.Float(1, float.MaxValue)) });
                break;
            case "PReLU":
            {
                var x = Single();
                float[] slope = layer.Weight("slope");
                if (slope.Length != 1 && slope.Length != x.Channels)
                    throw Unsupported(layer, $"{slope.Length} slopes for {x.Channels} channels");
                string s = graph.Weight(layer.Name + "_slope", slope, slope.Length == 1 ? [1] : [slope.Length, 1, 1]);
                Output(x with { Value = ops.PRelu(x.Value, s) });
                break;
            }
            case "Scale":
                Output(ScaleLayer(layer, inputs));
                break;
            case "BatchNorm":
                Output(BatchNorm(layer, Single()));
                break;
            case "Eltwise":
                Output(Eltwise(layer, inputs));
                break;
            case "BinaryOp":
                Output(BinaryOp(layer, inputs));
                break;
            case "Concat":
                Output(Concat(layer, inputs));
                break;
            case "Interp":
                Output(Interp(layer, SingleImage()));
                break;
            case "PixelShuffle":
                Output(PixelShuffle(layer, SingleImage()));
                break;
            case "Crop":
                Output(Crop(layer, inputs));
                break;
            case "Padding":
                Output(Padding(layer, SingleImage()));
                break;
            default:
                throw new ModelImportException(model.ParamFile, $"unsupported ncnn layer type '{layer.Type}' (layer '{layer.Name}')");
        }
    }

    private Blob Convolution(NcnnLayer layer, Blob x)
    {
        var p = layer.Params;
        int outC = p.Int(0, 0);
        int kw = p.Int(1, 0), kh = p.Int(11, kw);
        int dw = p.Int(2, 1), dh = p.Int(12, dw);
        int sw = p.Int(3, 1), sh = p.Int(13, sw);
        int padL = p.Int(4, 0), padR = p.Int(15, padL), padT = p.Int(14, padL), padB = p.Int(16, padT);
        float padValue = p.Float(18, 0f);
        int group = layer.Type == "ConvolutionDepthWise" ? p.Int(7, 1) : 1;
        if (outC <= 0 || kw <= 0 || kh <= 0 || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || group <= 0)
            throw Unsupported(layer, "kernel, stride, dilation or output count out of range");
        if (x.Channels % group != 0 || outC % group != 0)
            throw Unsupported(layer, $"{group} groups for {x.Channels} -> {outC} channels");
        float[] weight = layer.Weight("weight");
        if (weight.Length != (long)outC * (x.Channels / group) * kh * kw)
            throw Mismatch(layer, $"{weight.Length} weights, but {x.Channels} input channels need {(long)outC * (x.Channels / group) * kh * kw}");

        string input = x.Value;
        bool same = padL == -233 && padR == -233 && padT == -233 && padB == -233;
        bool sameLower = padL == -234 && padR == -234 && padT == -234 && padB == -234;
        if (!same && !sameLower && (padL < 0 || padR < 0 || padT < 0 || padB < 0))
            throw Unsupported(layer, "padding values");
        int extentW = dw * (kw - 1) + 1, extentH = dh * (kh - 1) + 1;
        if (same || sameLower)
        {
            // Padding depends on the size: the ONNX auto_pad modes compute exactly ncnn's split.
            if (padValue != 0)
                throw Unsupported(layer, "'same' padding with a non-zero pad value");
        }
        else if (padValue != 0 && (padL | padR | padT | padB) != 0)
        {
            input = ops.PadConstant(input, graph.Int64s(0, 0, padT, padL, 0, 0, padB, padR), padValue);
            padL = padR = padT = padB = 0;
        }

        string w = graph.Weight(layer.Name + "_weight", weight, outC, x.Channels / group, kh, kw);
        string? b = layer.Weights.TryGetValue("bias", out var bias) ? graph.Weight(layer.Name + "_bias", bias, outC) : null;
        string y;
        if (same || sameLower)
        {
            y = graph.Node("Conv", b is null ? [input, w] : [input, w, b],
                Attr("kernel_shape", kh, kw), Attr("strides", sh, sw), Attr("dilations", dh, dw), Attr("group", (long)group),
                Attr("auto_pad", same ? "SAME_UPPER" : "SAME_LOWER"));
        }
        else
        {
            y = ops.Conv(input, w, b, kh, kw, sh, sw, padT, padL, padB, padR, dh, dw, group);
        }

        int slot = sizes.Add([x.Slot], s => same || sameLower
            ? new Size((s[0].H + sh - 1) / sh, (s[0].W + sw - 1) / sw)
            : ConvOut(s[0].H + padT + padB, extentH, sh) is int oh && ConvOut(s[0].W + padL + padR, extentW, sw) is int ow ? new Size(oh, ow) : null);
        var footprint = x.Footprint.Conv(Math.Max(kh, kw), Math.Max(dh, dw), Math.Max(sh, sw));
        metrics.Conv(x.Channels, outC, kh, kw, group, footprint.Scale);
        metrics.Activation(x.Channels);
        return new Blob(FusedActivation(layer, y), false, outC, footprint, slot);
    }

    private static int? ConvOut(int padded, int extent, int stride) => padded < extent ? null : (padded - extent) / stride + 1;

    private Blob Deconvolution(NcnnLayer layer, Blob x)
    {
        var p = layer.Params;
        int outC = p.Int(0, 0);
        int kw = p.Int(1, 0), kh = p.Int(11, kw);
        int dw = p.Int(2, 1), dh = p.Int(12, dw);
        int sw = p.Int(3, 1), sh = p.Int(13, sw);
        int padL = p.Int(4, 0), padR = p.Int(15, padL), padT = p.Int(14, padL), padB = p.Int(16, padT);
        int outPadR = p.Int(18, 0), outPadB = p.Int(19, outPadR);
        int group = layer.Type == "DeconvolutionDepthWise" ? p.Int(7, 1) : 1;
        if (p.Int(20, 0) != 0 || p.Int(21, 0) != 0)
            throw Unsupported(layer, "a fixed output size");
        if (padL < 0 || padR < 0 || padT < 0 || padB < 0 || outPadR < 0 || outPadB < 0)
            throw Unsupported(layer, "padding values");
        if (outC <= 0 || kw <= 0 || kh <= 0 || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || group <= 0 || x.Channels % group != 0 || outC % group != 0)
            throw Unsupported(layer, "kernel, stride, dilation, groups or output count");
        int inPerGroup = x.Channels / group, outPerGroup = outC / group, k = kh * kw;
        float[] weight = layer.Weight("weight");
        if (weight.Length != (long)outC * inPerGroup * k)
            throw Mismatch(layer, $"{weight.Length} weights, but {x.Channels} input channels need {(long)outC * inPerGroup * k}");

        // ncnn stores [group][out][in][k]; ONNX ConvTranspose wants [group * in][out][k].
        var onnxWeight = new float[weight.Length];
        for (int g = 0; g < group; g++)
            for (int o = 0; o < outPerGroup; o++)
                for (int i = 0; i < inPerGroup; i++)
                    Array.Copy(weight, ((g * outPerGroup + o) * inPerGroup + i) * k, onnxWeight, ((g * inPerGroup + i) * outPerGroup + o) * k, k);
        string w = graph.Weight(layer.Name + "_weight", onnxWeight, x.Channels, outPerGroup, kh, kw);
        string? b = layer.Weights.TryGetValue("bias", out var bias) ? graph.Weight(layer.Name + "_bias", bias, outC) : null;
        string y = ops.ConvTranspose(x.Value, w, b, kh, kw, sh, sw, padT, padL, padB, padR, outPadB, outPadR, dh, dw, group);

        int extentW = dw * (kw - 1) + 1, extentH = dh * (kh - 1) + 1;
        int slot = sizes.Add([x.Slot], s => new Size(
            (s[0].H - 1) * sh + extentH + outPadB - padT - padB,
            (s[0].W - 1) * sw + extentW + outPadR - padL - padR));
        var footprint = x.Footprint.Deconv(Math.Max(kh, kw), Math.Max(sh, sw), Math.Max(dh, dw));
        metrics.Deconv(x.Channels, outC, kh, kw, group, x.Footprint.Scale);
        return new Blob(FusedActivation(layer, y), false, outC, footprint, slot);
    }

    private Blob InnerProduct(NcnnLayer layer, Blob x)
    {
        var p = layer.Params;
        int outC = p.Int(0, 0);
        if (!x.IsVector)
            throw Unsupported(layer, "a fully-connected layer on an image (only after global pooling)");
        float[] weight = layer.Weight("weight");
        if (outC <= 0 || weight.Length != (long)outC * x.Channels)
            throw Mismatch(layer, $"{weight.Length} weights for {x.Channels} inputs and {outC} outputs");
        // On a [1, C, 1, 1] vector a fully-connected layer is a 1x1 convolution.
        string w = graph.Weight(layer.Name + "_weight", weight, outC, x.Channels, 1, 1);
        string? b = layer.Weights.TryGetValue("bias", out var bias) ? graph.Weight(layer.Name + "_bias", bias, outC) : null;
        string y = ops.Conv(x.Value, w, b, 1, 1);
        return new Blob(FusedActivation(layer, y), true, outC, x.Footprint, x.Slot);
    }

    private Blob Pooling(NcnnLayer layer, Blob x)
    {
        var p = layer.Params;
        int type = p.Int(0, 0);
        if (type is not (0 or 1))
            throw Unsupported(layer, $"pooling type {type}");
        if (p.Int(4, 0) != 0)
            return GlobalPool(type == 0, x);
        if (p.Int(7, 0) != 0)
            throw Unsupported(layer, "adaptive pooling");

        int kw = p.Int(1, 0), kh = p.Int(11, kw);
        int sw = p.Int(2, 1), sh = p.Int(12, sw);
        int padL = p.Int(3, 0), padR = p.Int(14, padL), padT = p.Int(13, padL), padB = p.Int(15, padT);
        int padMode = p.Int(5, 0);
        bool countPad = p.Int(6, 0) != 0;
        if (kw <= 0 || kh <= 0 || sw <= 0 || sh <= 0 || padL < 0 || padR < 0 || padT < 0 || padB < 0)
            throw Unsupported(layer, "kernel, stride or padding");
        // Average pooling over ncnn's extra 'full' tail padding counts differently from ONNX: only
        // the modes that agree exactly are translated.
        bool exactAverage = padMode == 1 && (countPad || (padL | padR | padT | padB) == 0);
        if (type == 1 && !exactAverage)
            throw Unsupported(layer, $"average pooling with pad mode {padMode}");
        if (padMode is < 0 or > 3)
            throw Unsupported(layer, $"pad mode {padMode}");

        var attrs = new List<global::Onnx.AttributeProto> { Attr("kernel_shape", kh, kw), Attr("strides", sh, sw) };
        if (padMode is 2 or 3)
            attrs.Add(Attr("auto_pad", padMode == 2 ? "SAME_UPPER" : "SAME_LOWER"));
        else
            attrs.Add(Attr("pads", padT, padL, padB, padR));
        if (padMode == 0)
            attrs.Add(Attr("ceil_mode", 1L));
        if (type == 1)
            attrs.Add(Attr("count_include_pad", countPad ? 1L : 0L));
        string y = graph.Node(type == 0 ? "MaxPool" : "AveragePool", [x.Value], attrs.ToArray());

        int slot = sizes.Add([x.Slot], s =>
        {
            int Out(int n, int k, int st, int before, int after) => padMode switch
            {
                0 => n + before + after < k ? -1 : (n + before + after - k + st - 1) / st + 1,
                1 => n + before + after < k ? -1 : (n + before + after - k) / st + 1,
                _ => (n + st - 1) / st,
            };
            int oh = Out(s[0].H, kh, sh, padT, padB), ow = Out(s[0].W, kw, sw, padL, padR);
            return oh > 0 && ow > 0 ? new Size(oh, ow) : null;
        });
        return new Blob(y, false, x.Channels, x.Footprint.Conv(Math.Max(kh, kw), 1, Math.Max(sh, sw)), slot);
    }

    private Blob GlobalPool(bool max, Blob x)
    {
        string name = $"pooled_{pooledStatistics.Count}";
        pooledStatistics.Add(new PooledStatistic(name, x.Channels, max ? PoolingKind.Max : PoolingKind.Mean));
        if (pooling == GlobalPooling.FromInputs)
        {
            // A statistic from outside is a constant for the tile: it adds no reach.
            pooledValues.Add(name);
            return new Blob(graph.AddVectorInput(name, x.Channels), true, x.Channels, x.Footprint with { Radius = 0 }, x.Slot);
        }
        string value = max ? ops.GlobalMaxPool(x.Value) : ops.GlobalAveragePool(x.Value);
        pooledValues.Add(value);
        return new Blob(value, true, x.Channels, x.Footprint.Global(), x.Slot);
    }

    private Blob ScaleLayer(NcnnLayer layer, Blob[] inputs)
    {
        var p = layer.Params;
        var x = inputs[0];
        if (p.Int(0, 0) == -233)
        {
            if (inputs.Length != 2 || !inputs[1].IsVector || inputs[1].Channels != x.Channels)
                throw Unsupported(layer, "a scale input that is not one value per channel");
            if (p.Int(1, 0) != 0)
                throw Unsupported(layer, "a bias with a scale input");
            return x with { Value = ops.Mul(x.Value, inputs[1].Value), Footprint = Footprint.Merge(x.Footprint, inputs[1].Footprint) };
        }
        if (inputs.Length != 1)
            throw Unsupported(layer, $"{inputs.Length} inputs");
        float[] scale = layer.Weight("scale");
        if (scale.Length != x.Channels && scale.Length != 1)
            throw Mismatch(layer, $"{scale.Length} scales for {x.Channels} channels");
        long[] dims = scale.Length == 1 ? [1] : [scale.Length, 1, 1];
        string y = ops.Mul(x.Value, graph.Weight(layer.Name + "_scale", scale, dims));
        if (layer.Weights.TryGetValue("bias", out var bias))
            y = ops.Add(y, graph.Weight(layer.Name + "_bias", bias, dims));
        return x with { Value = y };
    }

    private Blob BatchNorm(NcnnLayer layer, Blob x)
    {
        int c = layer.Params.Int(0, 0);
        if (c != x.Channels)
            throw Mismatch(layer, $"{c} channels for a {x.Channels}-channel input");
        float eps = layer.Params.Float(1, 0f);
        float[] slope = layer.Weight("slope"), mean = layer.Weight("mean"), variance = layer.Weight("variance"), bias = layer.Weight("bias");
        var a = new float[c];
        var b = new float[c];
        for (int i = 0; i < c; i++)
        {
            float sd = MathF.Sqrt(variance[i] + eps);
            a[i] = slope[i] / sd;
            b[i] = bias[i] - slope[i] * mean[i] / sd;
        }
        return x with { Value = ops.Add(ops.Mul(x.Value, graph.Weight(layer.Name + "_a", a, c, 1, 1)), graph.Weight(layer.Name + "_b", b, c, 1, 1)) };
    }

    private Blob Eltwise(NcnnLayer layer, Blob[] inputs)
    {
        var p = layer.Params;
        int op = p.Int(0, 0);
        float[] coeffs = p.Floats(1);
        if (inputs.Length < 2)
            throw Unsupported(layer, "fewer than two inputs");
        if (inputs.Any(i => i.IsVector != inputs[0].IsVector || i.Channels != inputs[0].Channels))
            throw Unsupported(layer, "inputs of different shapes");
        if (op == 1 && coeffs.Length != 0 && coeffs.Length != inputs.Length)
            throw Unsupported(layer, $"{coeffs.Length} coefficients for {inputs.Length} inputs");

        string Term(int i) => op == 1 && coeffs.Length > 0 && coeffs[i] != 1f ? ops.Scale(inputs[i].Value, coeffs[i]) : inputs[i].Value;
        string y = Term(0);
        for (int i = 1; i < inputs.Length; i++)
        {
            y = op switch
            {
                0 => ops.Mul(y, inputs[i].Value),
                1 => ops.Add(y, Term(i)),
                2 => ops.Max(y, inputs[i].Value),
                _ => throw Unsupported(layer, $"operation {op}"),
            };
        }
        return Combined(inputs, y, inputs[0].Channels);
    }

    private Blob BinaryOp(NcnnLayer layer, Blob[] inputs)
    {
        var p = layer.Params;
        int op = p.Int(0, 0);
        if (p.Int(1, 0) != 0)
        {
            if (inputs.Length != 1)
                throw Unsupported(layer, "a scalar operand and two inputs");
            string b = graph.FloatConstant(layer.Name + "_b", p.Float(2, 0f));
            return inputs[0] with { Value = Binary(layer, op, inputs[0].Value, b) };
        }
        if (inputs.Length != 2)
            throw Unsupported(layer, $"{inputs.Length} inputs");
        var (a, c) = (inputs[0], inputs[1]);
        // ncnn broadcasts a 1-D blob over the channels of an image when its length is the channel count.
        bool compatible = a.IsVector == c.IsVector
            ? a.Channels == c.Channels || a.Channels == 1 || c.Channels == 1
            : (a.IsVector ? a : c).Channels is var n && (n == 1 || n == (a.IsVector ? c : a).Channels);
        if (!compatible)
            throw Unsupported(layer, $"broadcasting {a.Channels} over {c.Channels} values (only per-channel)");
        return Combined(inputs, Binary(layer, op, a.Value, c.Value), Math.Max(a.Channels, c.Channels));
    }

    private string Binary(NcnnLayer layer, int op, string a, string b) => op switch
    {
        0 => ops.Add(a, b),
        1 => ops.Sub(a, b),
        2 => ops.Mul(a, b),
        3 => ops.Div(a, b),
        4 => ops.Max(a, b),
        5 => ops.Min(a, b),
        6 => ops.Pow(a, b),
        7 => ops.Sub(b, a),
        8 => ops.Div(b, a),
        9 => ops.Pow(b, a),
        _ => throw Unsupported(layer, $"binary operation {op}"),
    };

    /// <summary>The result of an element-wise layer: an image if any input is one (all images the same size).</summary>
    private Blob Combined(Blob[] inputs, string value, int channels)
    {
        var images = inputs.Where(i => !i.IsVector).ToArray();
        var footprint = inputs.Select(i => i.Footprint).Aggregate(Footprint.Merge);
        if (images.Length == 0)
            return new Blob(value, true, channels, footprint, inputs[0].Slot);
        int slot = images.Length == 1 ? images[0].Slot : sizes.Add(images.Select(i => i.Slot).ToArray(), s => s.All(x => x == s[0]) ? s[0] : null);
        metrics.Activation(channels);
        return new Blob(value, false, channels, footprint, slot);
    }

    private Blob Concat(NcnnLayer layer, Blob[] inputs)
    {
        int axis = layer.Params.Int(0, 0);
        if (inputs.Length == 0 || inputs.Any(i => i.IsVector != inputs[0].IsVector))
            throw Unsupported(layer, "inputs of different kinds");
        bool vector = inputs[0].IsVector;
        int dims = vector ? 1 : 3;
        if (axis < 0)
            axis += dims;
        if (axis < 0 || axis >= dims)
            throw Unsupported(layer, $"axis {layer.Params.Int(0, 0)}");
        string y = ops.Concat(inputs.Select(i => i.Value).ToList(), axis + 1);
        var footprint = inputs.Select(i => i.Footprint).Aggregate(Footprint.Merge);
        if (vector)
            return new Blob(y, true, inputs.Sum(i => i.Channels), footprint, inputs[0].Slot);
        if (axis == 0)
        {
            int slot = sizes.Add(inputs.Select(i => i.Slot).ToArray(), s => s.All(x => x == s[0]) ? s[0] : null);
            int channels = inputs.Sum(i => i.Channels);
            metrics.Activation(channels);
            return new Blob(y, false, channels, footprint, slot);
        }
        if (inputs.Any(i => i.Channels != inputs[0].Channels))
            throw Unsupported(layer, "spatial concatenation of different channel counts");
        int spatialSlot = sizes.Add(inputs.Select(i => i.Slot).ToArray(), s => axis == 1
            ? s.All(x => x.W == s[0].W) ? new Size(s.Sum(x => x.H), s[0].W) : null
            : s.All(x => x.H == s[0].H) ? new Size(s[0].H, s.Sum(x => x.W)) : null);
        return new Blob(y, false, inputs[0].Channels, footprint, spatialSlot);
    }

    private Blob Interp(NcnnLayer layer, Blob x)
    {
        var p = layer.Params;
        int type = p.Int(0, 0);
        float hs = p.Float(1, 1f), ws = p.Float(2, 1f);
        if (p.Int(3, 0) != 0 || p.Int(4, 0) != 0 || p.Int(5, 0) != 0 || p.Text(9) is not null)
            throw Unsupported(layer, "a fixed or dynamic output size (only scale factors)");
        if (hs <= 0 || ws <= 0)
            throw Unsupported(layer, "scale factors");
        bool alignCorners = p.Int(6, 0) != 0;
        string y = type switch
        {
            1 => ops.UpsampleNearest(x.Value, hs, ws),
            2 => ops.Resize(x.Value, hs, ws, "linear", alignCorners ? "align_corners" : "half_pixel"),
            3 => ops.Resize(x.Value, hs, ws, "cubic", alignCorners ? "align_corners" : "half_pixel"),
            _ => throw Unsupported(layer, $"resize type {type}"),
        };
        int slot = sizes.Add([x.Slot], s => new Size((int)(s[0].H * hs), (int)(s[0].W * ws)));
        double factor = Math.Max(hs, ws);
        return new Blob(y, false, x.Channels, x.Footprint.Resample(type == 3 ? 2 : 1, factor), slot);
    }

    private Blob PixelShuffle(NcnnLayer layer, Blob x)
    {
        int r = layer.Params.Int(0, 1);
        int mode = layer.Params.Int(1, 0);
        if (r < 1 || x.Channels % (r * r) != 0 || mode is not (0 or 1))
            throw Unsupported(layer, $"factor {r} / mode {mode} for {x.Channels} channels");
        string y = mode == 0 ? ops.PixelShuffle(x.Value, r) : ops.DepthToSpaceDcr(x.Value, r);
        int slot = sizes.Add([x.Slot], s => new Size(s[0].H * r, s[0].W * r));
        return new Blob(y, false, x.Channels / (r * r), x.Footprint.Shuffle(r), slot);
    }

    private Blob Crop(NcnnLayer layer, Blob[] inputs)
    {
        var p = layer.Params;
        var x = inputs[0];
        if (p.Text(19) is not null || p.Text(20) is not null || p.Text(21) is not null)
            throw Unsupported(layer, "crop expressions");
        if (x.IsVector)
            throw Unsupported(layer, "cropping a 1-D blob");

        int[] starts = p.Ints(9), ends = p.Ints(10), axes = p.Ints(11);
        if (starts.Length > 0 && ends.Length > 0)
            return SliceCrop(layer, x, starts, ends, axes);

        int woff = p.Int(0, 0), hoff = p.Int(1, 0), coff = p.Int(2, 0);
        if (woff < 0 || hoff < 0 || coff < 0)
            throw Unsupported(layer, "negative offsets");
        if (inputs.Length == 2)
        {
            // Offsets from the parameters, size from the reference blob.
            var reference = inputs[1];
            if (reference.IsVector)
                throw Unsupported(layer, "a 1-D reference blob");
            string refSize = ops.SpatialSize(reference.Value);
            string offsets = graph.Int64s(hoff, woff);
            string y = ops.Slice(x.Value, offsets, ops.Add(offsets, refSize), graph.Int64s(2, 3));
            int channels = reference.Channels;
            if (coff != 0 || channels != x.Channels)
            {
                if (coff + channels > x.Channels)
                    throw Unsupported(layer, "a channel range outside its input");
                y = ops.Slice(y, graph.Int64s(coff), graph.Int64s(coff + channels), graph.Int64s(1));
            }
            int slot = sizes.Add([x.Slot, reference.Slot], s => hoff + s[1].H <= s[0].H && woff + s[1].W <= s[0].W ? s[1] : null);
            return new Blob(y, false, channels, Footprint.Merge(x.Footprint, reference.Footprint), slot);
        }

        int outW = p.Int(3, 0), outH = p.Int(4, 0), outC = p.Int(5, 0);
        int woff2 = p.Int(6, 0), hoff2 = p.Int(7, 0), coff2 = p.Int(8, 0);
        if (woff2 < 0 || hoff2 < 0 || coff2 < 0)
            throw Unsupported(layer, "negative offsets");
        int cAvailable = x.Channels - coff - coff2;
        int c = outC == -233 ? cAvailable : Math.Min(outC, cAvailable);
        if (c <= 0)
            throw Unsupported(layer, "an empty channel range");
        // ncnn: size = (param == -233 ? rest : min(param, rest)) with rest = size - offset - offset2.
        string value = ops.Slice(x.Value, graph.Int64s(hoff, woff), graph.Int64s(hoff2 == 0 ? long.MaxValue : -hoff2, woff2 == 0 ? long.MaxValue : -woff2), graph.Int64s(2, 3));
        if (outH != -233 || outW != -233)
            value = ops.Slice(value, graph.Int64s(0, 0), graph.Int64s(outH == -233 ? long.MaxValue : outH, outW == -233 ? long.MaxValue : outW), graph.Int64s(2, 3));
        if (coff != 0 || c != x.Channels)
            value = ops.Slice(value, graph.Int64s(coff), graph.Int64s(coff + c), graph.Int64s(1));
        int oneSlot = sizes.Add([x.Slot], s =>
        {
            int h = s[0].H - hoff - hoff2, w = s[0].W - woff - woff2;
            return new Size(outH == -233 ? h : Math.Min(outH, h), outW == -233 ? w : Math.Min(outW, w));
        });
        return new Blob(value, false, c, x.Footprint, oneSlot);
    }

    private Blob SliceCrop(NcnnLayer layer, Blob x, int[] starts, int[] ends, int[] axes)
    {
        if (axes.Length == 0)
            axes = Enumerable.Range(0, starts.Length).ToArray();
        if (starts.Length != ends.Length || axes.Length != starts.Length)
            throw Unsupported(layer, "starts, ends and axes of different lengths");
        string value = x.Value;
        int channels = x.Channels;
        var spatial = new List<(int Axis, int Start, int End)>();
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = axes[i] < 0 ? axes[i] + 3 : axes[i];
            int start = starts[i] == -233 ? 0 : starts[i];
            int end = ends[i] == -233 ? 0 : ends[i];
            if (axis == 0)
            {
                int s = start >= 0 ? start : channels + start;
                int e = Math.Min(channels, end > 0 ? end : channels + end);
                if (s < 0 || e <= s)
                    throw Unsupported(layer, "an empty channel range");
                value = ops.Slice(value, graph.Int64s(s), graph.Int64s(e), graph.Int64s(1));
                channels = e - s;
            }
            else if (axis is 1 or 2)
            {
                spatial.Add((axis, start, end));
            }
            else
            {
                throw Unsupported(layer, $"axis {axes[i]}");
            }
        }
        if (spatial.Count > 0)
        {
            // ncnn treats end <= 0 as counting from the end, 0 meaning the end itself.
            value = ops.Slice(value,
                graph.Int64s(spatial.Select(s => (long)s.Start).ToArray()),
                graph.Int64s(spatial.Select(s => s.End > 0 ? s.End : s.End == 0 ? long.MaxValue : s.End).ToArray()),
                graph.Int64s(spatial.Select(s => (long)s.Axis + 1).ToArray()));
        }
        var cuts = spatial.ToArray();
        int slot = sizes.Add([x.Slot], s =>
        {
            int h = s[0].H, w = s[0].W;
            foreach (var (axis, start, end) in cuts)
            {
                int d = axis == 1 ? h : w;
                int from = start >= 0 ? start : d + start;
                int to = Math.Min(d, end > 0 ? end : d + end);
                if (from < 0 || to <= from)
                    return null;
                if (axis == 1)
                    h = to - from;
                else
                    w = to - from;
            }
            return new Size(h, w);
        });
        return new Blob(value, false, channels, x.Footprint, slot);
    }

    private Blob Padding(NcnnLayer layer, Blob x)
    {
        var p = layer.Params;
        int top = p.Int(0, 0), bottom = p.Int(1, 0), left = p.Int(2, 0), right = p.Int(3, 0);
        int type = p.Int(4, 0);
        if (p.Int(6, 0) != 0 || p.Int(7, 0) != 0 || p.Int(8, 0) != 0)
            throw Unsupported(layer, "per-channel or channel padding");
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw Unsupported(layer, "negative padding");
        string pads = graph.Int64s(0, 0, top, left, 0, 0, bottom, right);
        string y = type switch
        {
            0 => ops.PadConstant(x.Value, pads, p.Float(5, 0f)),
            1 => ops.Pad(x.Value, pads, "edge"),
            2 => ops.Pad(x.Value, pads, "reflect"),
            _ => throw Unsupported(layer, $"padding type {type}"),
        };
        int slot = sizes.Add([x.Slot], s => type == 2 && (top >= s[0].H || bottom >= s[0].H || left >= s[0].W || right >= s[0].W)
            ? null
            : new Size(s[0].H + top + bottom, s[0].W + left + right));
        return new Blob(y, false, x.Channels, x.Footprint, slot);
    }

    /// <summary>ncnn's activation fused into convolution-type layers (param 9, arguments in param 10).</summary>
    private string FusedActivation(NcnnLayer layer, string y)
    {
        int type = layer.Params.Int(9, 0);
        float[] a = layer.Params.Floats(10);
        float Arg(int i, float fallback) => i < a.Length ? a[i] : fallback;
        return type switch
        {
            0 => y,
            1 => ops.Relu(y),
            2 => ops.LeakyRelu(y, Arg(0, 0f)),
            3 => ops.Clip(y, Arg(0, -float.MaxValue), Arg(1, float.MaxValue)),
            4 => ops.Sigmoid(y),
            5 => ops.Mul(y, ops.Tanh(graph.Node("Softplus", [y]))),
            6 => ops.Mul(y, graph.Node("HardSigmoid", [y], Attr("alpha", Arg(0, 0.2f)), Attr("beta", Arg(1, 0.5f)))),
            _ => throw Unsupported(layer, $"fused activation {type}"),
        };
    }

    private ModelImportException Unsupported(NcnnLayer layer, string what) =>
        new(model.ParamFile, $"unsupported ncnn parameter in {layer.Type} '{layer.Name}': {what}");

    private ModelImportException Mismatch(NcnnLayer layer, string what) =>
        new(model.ParamFile, $".param and .bin do not match at {layer.Type} '{layer.Name}': {what}");

    private ModelImportException Error(string problem) => new(model.ParamFile, problem);
}
