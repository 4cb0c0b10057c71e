namespace Upscaler.ModelImport;

/// <summary>The file formats the converter reads.</summary>
public enum ModelFormat
{
    /// <summary>ncnn .param + .bin (Upscayl's, realcugan-ncnn-vulkan's and waifu2x-ncnn-vulkan's models).</summary>
    Ncnn,

    /// <summary>A PyTorch checkpoint (.pth) written by torch.save.</summary>
    PyTorch,

    /// <summary>A .safetensors state dict.</summary>
    Safetensors,

    /// <summary>An ONNX file, validated and passed through unchanged.</summary>
    Onnx,
}

/// <summary>The value range the network's input and output use.</summary>
public enum PixelRange
{
    /// <summary>[0, 1].</summary>
    ZeroToOne,

    /// <summary>[0, 255].</summary>
    ZeroTo255,
}

/// <summary>The channel order of the network's input and output.</summary>
public enum ChannelOrder
{
    Rgb,
    Bgr,
}

/// <summary>
/// A model in the engine's I/O contract: one float32 NCHW image input [1,3,H,W] with dynamic H and W
/// (any H, W >= 16), output [1,3,s*H,s*W], and optionally a float input of shape [1] for the denoise
/// strength. Everything else the source network needed (padding to a multiple, internal crops,
/// residual additions done by the original tool) is folded into <see cref="Onnx"/>.
/// </summary>
public sealed record ConvertedModel
{
    /// <summary>The ONNX model (opset 17, float32 weights). For <see cref="ModelFormat.Onnx"/> the file's own bytes.</summary>
    public required byte[] Onnx { get; init; }

    public required ModelFormat SourceFormat { get; init; }

    /// <summary>False when an ONNX file was only validated.</summary>
    public required bool Converted { get; init; }

    /// <summary>A short architecture name, e.g. "RRDBNet (ESRGAN, 23 blocks, 64 features)".</summary>
    public required string Architecture { get; init; }

    public required string InputName { get; init; }

    public required string OutputName { get; init; }

    /// <summary>The denoise input's name (shape [1], 0 = weakest, 1 = strongest); null when the model has no denoise control.</summary>
    public string? DenoiseInputName { get; init; }

    public bool HasDenoiseInput => DenoiseInputName is not null;

    /// <summary>Value range of input and output. For ONNX files given directly: assumed [0, 1] (the common export convention).</summary>
    public required PixelRange Range { get; init; }

    /// <summary>Channel order of input and output. For ONNX files given directly: assumed RGB.</summary>
    public required ChannelOrder Order { get; init; }

    /// <summary>The integer scale from the architecture; null for ONNX files given directly (probe it).</summary>
    public int? Scale { get; init; }

    /// <summary>
    /// Input pixels on each side an output pixel can depend on (a conservative bound): padding tiles by
    /// this much gives the same result as one pass. Null when unbounded (global pooling, see
    /// <see cref="ReceptiveFieldUnbounded"/>) or unknown (ONNX files given directly).
    /// </summary>
    public int? ReceptiveField { get; init; }

    /// <summary>True when some output depends on the whole image (e.g. squeeze-excitation blocks with global pooling).</summary>
    public bool ReceptiveFieldUnbounded { get; init; }

    /// <summary>
    /// The receptive field of the convolution paths alone (input pixels on each side), counting a
    /// global pooling as a per-image constant. Equals <see cref="ReceptiveField"/> for bounded models;
    /// for unbounded ones it is the overlap beyond which tiles differ from one pass only through the
    /// pooled statistics: the natural blend overlap. Null when unknown (ONNX files given directly).
    /// </summary>
    public int? LocalReceptiveField { get; init; }

    /// <summary>
    /// The network is shift-equivariant only in steps of this many input pixels (strided layers,
    /// pixel-unshuffle): exact tiling needs tile origins at multiples of it. 1 for most models.
    /// </summary>
    public int Alignment { get; init; } = 1;

    /// <summary>The widest activation in channels (tile memory grows with it); null when unknown.</summary>
    public int? Features { get; init; }

    /// <summary>Number of weights (for a denoise twin: of one of the two weight sets).</summary>
    public required long Parameters { get; init; }

    /// <summary>FLOPs per input pixel (multiply-adds x2 of convolutions and fully-connected layers); null when unknown.</summary>
    public double? FlopsPerPixel { get; init; }

    /// <summary>
    /// Set when the network pools globally and <see cref="ConvertOptions.SplitGlobalPooling"/> asked
    /// for the split form: <see cref="Onnx"/> then takes each pooled value as an extra input (and is
    /// local: <see cref="ReceptiveField"/> holds), and <see cref="PooledStatistics.Onnx"/> computes
    /// them from an image. Tiled use: run the statistics graph on every tile, combine each value over
    /// the tiles (area-weighted mean, or max), then run the main graph on every tile with the combined
    /// values. On one tile covering the image this equals the unsplit model.
    /// </summary>
    public PooledStatistics? Statistics { get; init; }
}

/// <summary>How tiles' values of one pooled statistic combine into the image's.</summary>
public enum PoolingKind
{
    /// <summary>Global average pooling: the area-weighted mean of the tiles' values.</summary>
    Mean,

    /// <summary>Global max pooling: the maximum of the tiles' values.</summary>
    Max,
}

/// <summary>One globally pooled value of a split model: an input of the main graph, an output of the statistics graph, shape [1, Channels, 1, 1].</summary>
public sealed record PooledStatistic(string Name, int Channels, PoolingKind Kind);

/// <summary>The graph computing a split model's pooled statistics (input: the image, as the main graph's).</summary>
public sealed record PooledStatistics(byte[] Onnx, IReadOnlyList<PooledStatistic> Values);
