namespace Upscaler.Core;

/// <summary>
/// Adds models to, and removes them from, the per-user models folder (<see cref="UpscalerSettings.UserModelsDirectory"/>)
/// that every front end lists. Only ONNX files are registered here; other formats are converted first
/// (the command line's <c>upscaler models add</c> does both).
/// </summary>
public interface IModelRegistry
{
    /// <summary>The folder models are added to.</summary>
    string Folder { get; }

    /// <summary>
    /// Probes the ONNX file (its inputs, its integer scale, its receptive field where unknown), copies it
    /// into the folder and lists it. All or nothing: on any error nothing is registered or left behind.
    /// </summary>
    /// <exception cref="ModelCatalogException">not a usable model, a taken id, an unwritable folder.</exception>
    ModelInfo Add(ModelRegistration registration);

    /// <summary>
    /// What <see cref="Add"/> would say about <paramref name="id"/> alone, said before slow work (converting,
    /// quantizing) rather than after it.
    /// </summary>
    /// <exception cref="ModelCatalogException">not a usable id, taken by an installed model, or its file exists in the folder.</exception>
    void CheckId(string id);

    /// <summary>Unlists a model added earlier and deletes its file.</summary>
    /// <exception cref="ModelCatalogException">no such model in the folder (shipped and bundled models cannot be removed).</exception>
    void Remove(string id);
}

/// <summary>A model to add: an ONNX file and what the user (or a converter) knows about it.</summary>
public sealed record ModelRegistration
{
    /// <summary>Lower-case letters, digits, '.', '_' and '-', starting with a letter or digit; unique in the catalog.</summary>
    public required string Id { get; init; }

    public required ModelKind Kind { get; init; }

    /// <summary>The ONNX file to copy in.</summary>
    public required string OnnxFile { get; init; }

    /// <summary>One line shown in model lists: what the model is for.</summary>
    public string Description { get; init; } = "";

    /// <summary>The top of the value range the network reads and writes: 1 (0..1) or 255 (0..255).</summary>
    public float RangeMax { get; init; } = 1f;

    public ChannelOrder Order { get; init; } = ChannelOrder.Rgb;

    /// <summary>The receptive field when known (a converter computes it from the architecture); else it is measured.</summary>
    public int? ReceptiveField { get; init; }

    /// <summary>Known to be unbounded (e.g. global pooling): tiles are cross-faded.</summary>
    public bool ReceptiveFieldUnbounded { get; init; }

    /// <summary>Overlap for cross-faded tiles, when the receptive field is too large for exact tiling.</summary>
    public int? Overlap { get; init; }

    /// <summary>Widest activation in channels, for sizing tiles from a memory budget.</summary>
    public int? Features { get; init; }

    /// <summary>
    /// For a network with global pooling converted to split form: the ONNX file computing the pooled
    /// values (<see cref="OnnxFile"/> then takes them as inputs). Tiles share the image's values.
    /// </summary>
    public string? StatisticsFile { get; init; }

    /// <summary>The pooled values <see cref="StatisticsFile"/> computes, in the order the main graph takes them.</summary>
    public IReadOnlyList<PooledValueSpec> PooledValues { get; init; } = [];

    /// <summary>
    /// An int8 copy of <see cref="OnnxFile"/> for processors with int8 dot products (the manifest's
    /// <c>int8</c> entry; <see cref="UpscalerSettings.UseInt8OnCpu"/>). Whoever made it judged its accuracy.
    /// </summary>
    public string? Int8File { get; init; }

    /// <summary>
    /// An int8 copy for x86 processors with AVX2 but no VNNI (the manifest's <c>int8Avx2</c> entry), whose
    /// weights fit their saturating int16 sums (7-bit). Whoever made it judged its accuracy.
    /// </summary>
    public string? Int8Avx2File { get; init; }

    public double? FlopsPerPixel { get; init; }

    /// <summary>
    /// Bytes of CPU inference memory per input pixel at the peak, where known (the manifest's
    /// <c>memoryPerPixel</c>): tiles are sized from it instead of an estimate from <see cref="Features"/>,
    /// which misses networks that work above the input's resolution (RRDBNet's last convolutions).
    /// </summary>
    public double? MemoryPerPixel { get; init; }
    public long? Parameters { get; init; }
    public string? Architecture { get; init; }
    public string? Licence { get; init; }
    public string? Source { get; init; }
}

/// <summary>One globally pooled value of a split model, [1, Channels, 1, 1]; tiles combine it by mean or max.</summary>
public sealed record PooledValueSpec(string Name, int Channels, bool IsMax);
