namespace Upscaler.ModelImport.Ncnn;

/// <summary>
/// What the program that ships an ncnn model does around the network, which the .param file does not
/// say: which blobs are fed and read, how a tile is padded when the network crops internally, and
/// any residual added outside the graph. Recognised by the blob names each tool hard-codes:
/// <list type="bullet">
/// <item>realcugan-ncnn-vulkan ("in0" / "out0", and a network that crops internally; other
/// pnnx exports use the same blob names): reflect padding; the x4 models add the nearest-upsampled
/// input to the network's output.</item>
/// <item>waifu2x-ncnn-vulkan ("Input1" / "Eltwise4"): replicate padding.</item>
/// <item>Real-ESRGAN-ncnn-vulkan and Upscayl ("data" / "output"): replicate padding (their networks
/// need none).</item>
/// <item>Anything else: the single Input layer and the single unconsumed blob, replicate padding.</item>
/// </list>
/// All of them feed RGB scaled to [0, 1] and read [0, 1].
/// </summary>
internal sealed record NcnnToolConventions(string Tool, string InputBlob, string OutputBlob, string BorderMode, bool AddsNearestInputAtX4)
{
    public static NcnnToolConventions For(NcnnModel model, bool cropsInternally)
    {
        var produced = model.Layers.SelectMany(l => l.Tops).ToHashSet(StringComparer.Ordinal);
        var consumed = model.Layers.SelectMany(l => l.Bottoms).ToHashSet(StringComparer.Ordinal);
        bool Has(string a, string b) => produced.Contains(a) && produced.Contains(b);

        if (Has("in0", "out0") && cropsInternally)
            return new("realcugan-ncnn-vulkan", "in0", "out0", "reflect", true);
        if (Has("Input1", "Eltwise4"))
            return new("waifu2x-ncnn-vulkan", "Input1", "Eltwise4", "edge", false);
        if (Has("data", "output"))
            return new("Real-ESRGAN-ncnn-vulkan", "data", "output", "edge", false);

        if (Has("in0", "out0"))
            return new("pnnx export", "in0", "out0", "edge", false);

        var inputs = model.Layers.Where(l => l.Type == "Input").SelectMany(l => l.Tops).ToList();
        if (inputs.Count != 1)
            throw new ModelImportException(model.ParamFile, $"unsupported ncnn model: {inputs.Count} Input layers (expected one image input)");
        var terminals = produced.Where(b => !consumed.Contains(b)).ToList();
        if (terminals.Count != 1)
            throw new ModelImportException(model.ParamFile, $"unsupported ncnn model: {terminals.Count} output blobs ({string.Join(", ", terminals.Take(5))}); expected one");
        return new("generic ncnn", inputs[0], terminals[0], "edge", false);
    }
}
