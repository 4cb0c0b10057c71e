namespace Upscaler.Core.Catalog;

/// <summary>One file of a model (the float32 network or a copy of it) and the SHA-256 it must have.</summary>
internal sealed record ModelFile(string Path, string Sha256);

/// <summary>
/// How tiles of a model are cut. <see cref="Blended"/> false: every tile is padded by <see cref="Margin"/>,
/// the model's receptive field, and the result equals one whole-image pass. True: the receptive field is
/// too large (or unbounded) for that, so tiles overlap by <see cref="Margin"/> and are cross-faded.
/// </summary>
internal readonly record struct ModelTiling(int Margin, bool Blended)
{
    public static ModelTiling Exact(int receptiveField) => new(receptiveField, false);

    public static ModelTiling Overlapped(int overlap) => new(overlap, true);
}

/// <summary>One globally pooled value of a split model: an output of its statistics graph and an input of its main graph, [1, C, 1, 1].</summary>
internal sealed record PooledValue(string Name, int Channels, bool IsMax);

/// <summary>
/// The statistics graph of a model whose network pools globally (Real-CUGAN's squeeze-excitation): it
/// computes the pooled values from an image, and the main graph takes them as inputs and is local.
/// Tiles then share the image's values instead of each pooling over itself.
/// </summary>
internal sealed record ModelStatistics(ModelFile File, IReadOnlyList<PooledValue> Values);

/// <summary>Everything the engine needs to know about one model, read from its manifest entry.</summary>
/// <param name="Int8">The int8 copy for processors whose int8 products are summed exactly (VNNI, Arm dot product).</param>
/// <param name="MemoryPerPixel">Measured bytes of CPU inference memory per input pixel at the peak (sizes tiles), when the manifest states it.</param>
/// <param name="Int8Avx2">The int8 copy measured with the saturating int16 pair sums of AVX2 without VNNI (may be the same file).</param>
internal sealed record ModelDescriptor(
    string Id,
    ModelKind Kind,
    int Scale,
    ModelFile Float32,
    ModelFile? Fp16,
    ModelFile? Int8,
    string InputName,
    string OutputName,
    float RangeMin,
    float RangeMax,
    ChannelOrder Order,
    string? DenoiseInputName,
    ModelTiling Tiling,
    int Features,
    double? FlopsPerPixel,
    string Description,
    ModelOrigin Origin = ModelOrigin.Shipped,
    string? Architecture = null,
    string? Licence = null,
    string? Source = null,
    ModelStatistics? Statistics = null,
    ModelFile? Int8Avx2 = null,
    double? MemoryPerPixel = null)
{
    /// <summary>The float32 file: what the manifest's <c>file</c> names.</summary>
    public string FilePath => Float32.Path;

    public bool HasDenoise => DenoiseInputName is not null;

    /// <summary>The receptive-field margin for exact tiling (0 for blended models, which use <see cref="ModelTiling.Margin"/> as overlap).</summary>
    public int ReceptiveField => Tiling.Blended ? 0 : Tiling.Margin;

    public ModelInfo ToInfo(string manifestDirectory) =>
        new(Id, Kind, Scale, System.IO.Path.GetRelativePath(manifestDirectory, FilePath), Description, FlopsPerPixel,
            Int8 is null ? null : System.IO.Path.GetRelativePath(manifestDirectory, Int8.Path))
        {
            Origin = Origin,
            HasDenoise = HasDenoise,
            Architecture = Architecture,
            Licence = Licence,
            Source = Source,
            Overlap = Tiling.Blended ? Tiling.Margin : null,
        };
}
