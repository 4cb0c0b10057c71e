using static Upscaler.ModelImport.Onnx.OnnxGraphBuilder;

namespace Upscaler.ModelImport.Onnx;

/// <summary>
/// The ONNX operators the converters use, each with the attribute spelling ONNX expects, so the
/// architecture code reads like the network it writes.
/// </summary>
internal sealed class OnnxOps(OnnxGraphBuilder graph)
{
    public OnnxGraphBuilder Graph { get; } = graph;

    public string Conv(string x, string weight, string? bias, int kernelH, int kernelW, int strideH = 1, int strideW = 1,
        int padTop = 0, int padLeft = 0, int padBottom = 0, int padRight = 0, int dilationH = 1, int dilationW = 1, int group = 1)
    {
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        return Graph.Node("Conv", inputs,
            Attr("kernel_shape", kernelH, kernelW),
            Attr("strides", strideH, strideW),
            Attr("pads", padTop, padLeft, padBottom, padRight),
            Attr("dilations", dilationH, dilationW),
            Attr("group", (long)group));
    }

    /// <summary>A 'same' 3x3 (or k x k, odd k) convolution with stride 1.</summary>
    public string SameConv(string x, string weight, string? bias, int kernel) =>
        Conv(x, weight, bias, kernel, kernel, padTop: kernel / 2, padLeft: kernel / 2, padBottom: kernel / 2, padRight: kernel / 2);

    public string ConvTranspose(string x, string weight, string? bias, int kernelH, int kernelW, int strideH, int strideW,
        int padTop, int padLeft, int padBottom, int padRight, int outPadH, int outPadW, int dilationH, int dilationW, int group)
    {
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        return Graph.Node("ConvTranspose", inputs,
            Attr("kernel_shape", kernelH, kernelW),
            Attr("strides", strideH, strideW),
            Attr("pads", padTop, padLeft, padBottom, padRight),
            Attr("output_padding", outPadH, outPadW),
            Attr("dilations", dilationH, dilationW),
            Attr("group", (long)group));
    }

    public string LeakyRelu(string x, float slope) => Graph.Node("LeakyRelu", [x], Attr("alpha", slope));

    public string Relu(string x) => Graph.Node("Relu", [x]);

    public string Sigmoid(string x) => Graph.Node("Sigmoid", [x]);

    public string Tanh(string x) => Graph.Node("Tanh", [x]);

    public string Clip(string x, float min, float max) =>
        Graph.Node("Clip", [x, Graph.FloatConstant("clip_min", min), Graph.FloatConstant("clip_max", max)]);

    /// <summary>PReLU with one slope per channel; <paramref name="slope"/> has shape [C,1,1].</summary>
    public string PRelu(string x, string slope) => Graph.Node("PRelu", [x, slope]);

    public string Add(string a, string b) => Graph.Node("Add", [a, b]);

    public string Sub(string a, string b) => Graph.Node("Sub", [a, b]);

    public string Mul(string a, string b) => Graph.Node("Mul", [a, b]);

    public string Div(string a, string b) => Graph.Node("Div", [a, b]);

    public string Max(string a, string b) => Graph.Node("Max", [a, b]);

    public string Min(string a, string b) => Graph.Node("Min", [a, b]);

    public string Pow(string a, string b) => Graph.Node("Pow", [a, b]);

    public string Scale(string x, float factor) => Mul(x, Graph.FloatConstant("factor", factor));

    public string Concat(IReadOnlyList<string> xs, int axis) => Graph.Node("Concat", xs, Attr("axis", (long)axis));

    /// <summary>PyTorch's pixel_shuffle (ONNX DepthToSpace in CRD order).</summary>
    public string PixelShuffle(string x, int factor) =>
        Graph.Node("DepthToSpace", [x], Attr("blocksize", (long)factor), Attr("mode", "CRD"));

    /// <summary>DepthToSpace in DCR order (ncnn PixelShuffle mode 1).</summary>
    public string DepthToSpaceDcr(string x, int factor) =>
        Graph.Node("DepthToSpace", [x], Attr("blocksize", (long)factor), Attr("mode", "DCR"));

    /// <summary>ONNX SpaceToDepth: output channel (i * r + j) * C + c.</summary>
    public string SpaceToDepth(string x, int factor) => Graph.Node("SpaceToDepth", [x], Attr("blocksize", (long)factor));

    /// <summary>Nearest-neighbour upscaling by an integer factor (PyTorch 'nearest', ncnn Interp type 1).</summary>
    public string UpsampleNearest(string x, float factorH, float factorW) => Resize(x, factorH, factorW, "nearest", "asymmetric");

    public string Resize(string x, float factorH, float factorW, string mode, string coordinates)
    {
        string scales = Graph.FloatVector("scales", 1f, 1f, factorH, factorW);
        var attrs = new List<global::Onnx.AttributeProto>
        {
            Attr("mode", mode),
            Attr("coordinate_transformation_mode", coordinates),
        };
        if (mode == "nearest")
            attrs.Add(Attr("nearest_mode", "floor"));
        if (mode == "cubic")
        {
            attrs.Add(Attr("cubic_coeff_a", -0.75f));
            attrs.Add(Attr("exclude_outside", 0L));
        }
        return Graph.Node("Resize", [x, "", scales], attrs.ToArray());
    }

    public string GlobalAveragePool(string x) => Graph.Node("GlobalAveragePool", [x]);

    public string GlobalMaxPool(string x) => Graph.Node("GlobalMaxPool", [x]);

    public string Shape(string x) => Graph.Node("Shape", [x]);

    public string Gather(string x, string indices, int axis) => Graph.Node("Gather", [x, indices], Attr("axis", (long)axis));

    /// <summary>Slice along <paramref name="axes"/>; starts/ends are int64 tensor names.</summary>
    public string Slice(string x, string starts, string ends, string axes) => Graph.Node("Slice", [x, starts, ends, axes]);

    /// <summary>Pads with int64 pads tensor (ONNX layout: all begins, then all ends).</summary>
    public string Pad(string x, string pads, string mode) => Graph.Node("Pad", [x, pads], Attr("mode", mode));

    public string PadConstant(string x, string pads, float value) =>
        Graph.Node("Pad", [x, pads, Graph.FloatConstant("pad_value", value)], Attr("mode", "constant"));

    /// <summary>The [H, W] of an NCHW tensor as an int64 [2] tensor.</summary>
    public string SpatialSize(string x) =>
        Slice(Shape(x), Graph.Int64s(2), Graph.Int64s(4), Graph.Int64s(0));

    /// <summary>
    /// Pads height and width: <paramref name="before"/> pixels on top and left, <paramref name="before"/>
    /// plus <paramref name="extraAfter"/> (an int64 [2] tensor, or none) on bottom and right.
    /// 'reflect' reflects as far as the image allows and continues by repeating the edge, so small
    /// inputs work too; 'edge' repeats the edge.
    /// </summary>
    public string PadSpatial(string x, int before, string? extraAfter, string mode)
    {
        string beforeVec = Graph.Int64s(before, before);
        string after = extraAfter is null ? beforeVec : Add(beforeVec, extraAfter);
        string zeros = Graph.Int64s(0, 0);
        if (mode == "edge")
            return Pad(x, Concat([zeros, beforeVec, zeros, after], 0), "edge");

        string limit = Sub(SpatialSize(x), Graph.Int64s(1, 1));
        string reflectBefore = Min(beforeVec, limit);
        string reflectAfter = Min(after, limit);
        string reflected = Pad(x, Concat([zeros, reflectBefore, zeros, reflectAfter], 0), "reflect");
        string restBefore = Sub(beforeVec, reflectBefore);
        string restAfter = Sub(after, reflectAfter);
        return Pad(reflected, Concat([zeros, restBefore, zeros, restAfter], 0), "edge");
    }

    /// <summary>
    /// How much to add at the bottom/right so that a padded size (size + <paramref name="offset"/>)
    /// lands on a size the network accepts: <paramref name="extraByResidue"/>[(size + offset) mod its length].
    /// </summary>
    public string ExtraForAlignment(string spatialSize, int offset, long[] extraByResidue)
    {
        string residue = Graph.Node("Mod", [Add(spatialSize, Graph.Int64s(offset, offset)), Graph.Int64s(extraByResidue.Length)], OnnxGraphBuilder.Attr("fmod", 0L));
        return Gather(Graph.Int64s(extraByResidue), residue, 0);
    }

    /// <summary>The top-left [scale*H, scale*W] of <paramref name="y"/>, where H, W is the size of <paramref name="reference"/>.</summary>
    public string CropTopLeft(string y, string reference, int scale)
    {
        string ends = Mul(SpatialSize(reference), Graph.Int64s(scale, scale));
        return Slice(y, Graph.Int64s(0, 0), ends, Graph.Int64s(2, 3));
    }
}
