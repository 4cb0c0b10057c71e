using Upscaler.ModelImport.Architectures;
using Upscaler.ModelImport.Ncnn;
using Upscaler.ModelImport.Onnx;
using Upscaler.ModelImport.Torch;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport;

/// <summary>Choices the files themselves cannot tell.</summary>
public sealed record ConvertOptions
{
    /// <summary>
    /// SRVGGNetCompact without PReLU leaves no activation weights: LeakyReLU(0.1) (the default) or ReLU.
    /// </summary>
    public bool SrvggPlainReLU { get; init; }

    /// <summary>
    /// For ncnn networks with global pooling (Real-CUGAN, waifu2x cunet): return the split form, a main
    /// graph taking the pooled values as inputs plus a graph computing them (<see cref="ConvertedModel.Statistics"/>).
    /// </summary>
    public bool SplitGlobalPooling { get; init; }
}

/// <summary>
/// The converter's entry point: give it the files a user holds, it recognises the format by content
/// and returns an ONNX model in the engine's I/O contract.
/// <list type="bullet">
/// <item>One .pth or .safetensors file: RRDBNet (ESRGAN, Real-ESRGAN) or SRVGGNetCompact.</item>
/// <item>Two .pth/.safetensors files of the same SRVGGNetCompact: a denoise twin. The weak-denoise
/// end (d = 0) is the file whose name contains "wdn" (Real-ESRGAN's realesr-general-wdn-x4v3), else
/// the first file; the other is the strong end (d = 1). This matches Real-ESRGAN's own
/// denoise_strength: d * general + (1 - d) * wdn.</item>
/// <item>An ncnn .param (its .bin given too, or lying beside it), or the .bin with its .param beside it.</item>
/// <item>An .onnx file: validated, passed through.</item>
/// </list>
/// Every problem is a <see cref="ModelImportException"/> with a one-line message naming the file.
/// </summary>
public static class ModelConverter
{
    public static ConvertedModel Convert(IReadOnlyList<string> files, ConvertOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
            throw new ArgumentException("no files given", nameof(files));
        options ??= new ConvertOptions();
        var kinds = files.Select(f => (File: f, Kind: Sniff(f))).ToList();

        var param = kinds.Where(k => k.Kind == FileKind.NcnnParam).ToList();
        if (param.Count > 0 || kinds.Any(k => k.Kind == FileKind.Unknown && Path.GetExtension(k.File).Equals(".bin", StringComparison.OrdinalIgnoreCase)))
            return ConvertNcnn(kinds, param, options);

        var unknown = kinds.FirstOrDefault(k => k.Kind == FileKind.Unknown);
        if (unknown.File is not null)
            throw new ModelImportException(unknown.File, "not a model (not an ncnn .param, PyTorch checkpoint, safetensors or ONNX file)");

        if (kinds.Count == 1)
        {
            var (file, kind) = kinds[0];
            if (kind == FileKind.Onnx)
                return OnnxModelValidator.Validate(file);
            return BuildNetwork(ReadWeights(file, kind), FormatOf(kind), options);
        }

        if (kinds.Count == 2 && kinds.All(k => k.Kind is FileKind.PyTorch or FileKind.Safetensors))
            return BuildDenoiseTwin(kinds, options);

        throw new ModelImportException(files[0], $"cannot combine these {files.Count} files (give one model, an ncnn .param with its .bin, or two weight files of one SRVGGNetCompact for a denoise twin)");
    }

    /// <summary>The format of a file, recognised by its content (ncnn .bin files have no signature).</summary>
    public static ModelFormat? DetectFormat(string file) => Sniff(file) switch
    {
        FileKind.NcnnParam => ModelFormat.Ncnn,
        FileKind.PyTorch => ModelFormat.PyTorch,
        FileKind.Safetensors => ModelFormat.Safetensors,
        FileKind.Onnx => ModelFormat.Onnx,
        _ => null,
    };

    private enum FileKind
    {
        Unknown,
        NcnnParam,
        PyTorch,
        Safetensors,
        Onnx,
    }

    private static FileKind Sniff(string file)
    {
        if (!File.Exists(file))
            throw new ModelImportException(file, "file not found");
        var head = new byte[64];
        long length;
        int n;
        try
        {
            using var stream = File.OpenRead(file);
            length = stream.Length;
            n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelImportException(file, $"cannot read the file ({e.Message})", e);
        }
        if (length == 0)
            throw new ModelImportException(file, "empty file (not a model)");
        var span = head.AsSpan(0, n);
        if (NcnnModelReader.LooksLikeParam(span))
            return FileKind.NcnnParam;
        if (TorchCheckpointReader.LooksLikeZip(span) || TorchCheckpointReader.LooksLikeLegacy(span))
            return FileKind.PyTorch;
        if (SafetensorsReader.LooksLike(span, length))
            return FileKind.Safetensors;
        if (OnnxModelValidator.LooksLike(span) && (Path.GetExtension(file).Equals(".onnx", StringComparison.OrdinalIgnoreCase) || OnnxModelValidator.Parses(file)))
            return FileKind.Onnx;
        if (span.Length >= 2 && span[0] == 0x80 && span[1] <= 5)
            throw new ModelImportException(file, "a bare pickle, not a torch.save checkpoint (re-save it with torch.save)");
        return FileKind.Unknown;
    }

    private static ConvertedModel ConvertNcnn(List<(string File, FileKind Kind)> kinds, List<(string File, FileKind Kind)> param, ConvertOptions options)
    {
        string paramFile;
        string binFile;
        if (param.Count > 1)
            throw new ModelImportException(param[1].File, "more than one ncnn .param given");
        var others = kinds.Where(k => k.Kind != FileKind.NcnnParam).ToList();
        if (others.Count > 1)
            throw new ModelImportException(others[1].File, "an ncnn model is one .param and one .bin; extra file given");
        if (param.Count == 1)
        {
            paramFile = param[0].File;
            binFile = others.Count == 1 ? others[0].File : Path.ChangeExtension(paramFile, ".bin");
        }
        else
        {
            binFile = others[0].File;
            paramFile = Path.ChangeExtension(binFile, ".param");
            if (!File.Exists(paramFile))
                throw new ModelImportException(binFile, "an ncnn .bin needs its .param (none given and none beside it)");
            if (Sniff(paramFile) != FileKind.NcnnParam)
                throw new ModelImportException(paramFile, "not an ncnn .param file");
        }
        return NcnnGraphTranslator.Translate(NcnnModelReader.Read(paramFile, binFile), options.SplitGlobalPooling);
    }

    private static StateDict ReadWeights(string file, FileKind kind) =>
        kind == FileKind.Safetensors ? SafetensorsReader.Read(file) : TorchCheckpointReader.Read(file);

    private static ModelFormat FormatOf(FileKind kind) => kind == FileKind.Safetensors ? ModelFormat.Safetensors : ModelFormat.PyTorch;

    private static ConvertedModel BuildNetwork(StateDict weights, ModelFormat format, ConvertOptions options)
    {
        if (RrdbNetBuilder.Matches(weights))
            return RrdbNetBuilder.Build(weights, format);
        if (SrvggBuilder.Matches(weights))
            return SrvggBuilder.Build(weights, format, PlainActivation(options));
        string sample = string.Join(", ", weights.Keys.Order(StringComparer.Ordinal).Take(3));
        throw new ModelImportException(weights.File, $"unknown architecture (supported: RRDBNet/ESRGAN, SRVGGNetCompact; the file holds {weights.Count} tensors such as {sample})");
    }

    private static ConvertedModel BuildDenoiseTwin(List<(string File, FileKind Kind)> kinds, ConvertOptions options)
    {
        bool firstIsWeak = !IsWeakDenoiseName(kinds[1].File) || IsWeakDenoiseName(kinds[0].File);
        var weak = firstIsWeak ? kinds[0] : kinds[1];
        var strong = firstIsWeak ? kinds[1] : kinds[0];
        var weakWeights = ReadWeights(weak.File, weak.Kind);
        var strongWeights = ReadWeights(strong.File, strong.Kind);
        foreach (var w in new[] { weakWeights, strongWeights })
        {
            if (!SrvggBuilder.Matches(w))
                throw new ModelImportException(w.File, "a denoise twin needs two weight files of one SRVGGNetCompact (e.g. realesr-general-x4v3 and realesr-general-wdn-x4v3)");
        }
        if (!weakWeights.Keys.ToHashSet().SetEquals(strongWeights.Keys))
            throw new ModelImportException(strong.File, $"not the same network as {Path.GetFileName(weak.File)} (different tensors)");
        return SrvggBuilder.Build(weakWeights, FormatOf(weak.Kind), PlainActivation(options), strongWeights);
    }

    private static bool IsWeakDenoiseName(string file) => Path.GetFileName(file).Contains("wdn", StringComparison.OrdinalIgnoreCase);

    private static SrvggBuilder.ActivationWithoutWeights PlainActivation(ConvertOptions options) =>
        options.SrvggPlainReLU ? SrvggBuilder.ActivationWithoutWeights.Relu : SrvggBuilder.ActivationWithoutWeights.LeakyRelu;
}
