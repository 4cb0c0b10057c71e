namespace Upscaler.Core;

/// <summary>The families of models a user picks from.</summary>
public enum ModelKind
{
    /// <summary>Faithful photo upscaling (our own general models).</summary>
    General,
    Face,
    Text,

    /// <summary>GAN-style models that invent crisp texture (sharp and detailed, less faithful; not for text).</summary>
    Sharp,

    /// <summary>Anime, drawings and digital art.</summary>
    Anime,
}

/// <summary>Where inference runs. <see cref="Auto"/> prefers a GPU and falls back to the CPU.</summary>
public enum ComputeDevice
{
    Auto,
    Cpu,
    Gpu,
}

/// <summary>Whether faces get their own restoration (see <see cref="UpscaleOptions.Faces"/>).</summary>
public enum FaceMode
{
    /// <summary>Restore the faces found when a face model and the face detector are installed.</summary>
    Auto,
    Off,
}

/// <summary>What one upscale should do. Validate with <see cref="Validate"/>; the engine does too.</summary>
public sealed record UpscaleOptions
{
    public const double MinScale = 1.0;
    public const double MaxScale = 8.0;
    public const int MinTileSize = 16;
    public const int MaxTileSize = 8192;

    /// <summary>Output size over input size, 1 to 8, fractional factors included.</summary>
    public double Scale { get; init; } = 4.0;

    /// <summary>The family of models to use; the catalog's first model of this kind at each scale runs.</summary>
    public ModelKind Model { get; init; } = ModelKind.General;

    /// <summary>
    /// A specific catalog entry (see <see cref="IUpscaler.Models"/>); when set it wins over <see cref="Model"/>,
    /// and that model alone runs, as many passes as the factor needs.
    /// </summary>
    public string? ModelId { get; init; }

    /// <summary>0 keeps grain and texture, 1 removes noise and compression artifacts strongly.</summary>
    public double Denoise { get; init; } = 0.5;

    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>
    /// Tile edge in input pixels. <c>null</c> sizes tiles from the memory budget; 0 runs the whole
    /// image in one pass. For exactly tiled models (ours) the result is the same either way and only memory and
    /// speed change; cross-faded and pooled ones (Real-ESRGAN x4plus, Real-CUGAN) differ from one whole-image
    /// pass by a few levels (models/README.md).
    /// </summary>
    public int? TileSize { get; init; }

    /// <summary>
    /// Auto: faces found in the image are cut out aligned, upscaled by the face model and blended over the
    /// general model's result. Only with the general models, and only when a face model reaches the factor
    /// in one pass; an image without faces comes out exactly as with <see cref="FaceMode.Off"/>.
    /// </summary>
    public FaceMode Faces { get; init; } = FaceMode.Auto;

    /// <summary>How much of the restored face replaces the general result, 0 (none, as off) to 1 (all of it inside the face).</summary>
    public double FaceStrength { get; init; } = 1.0;

    /// <summary>
    /// The options with the model a user named: a kind (general, face, text, sharp, anime; any letter case)
    /// or else a model id (see <see cref="IUpscaler.Models"/>). The one rule for every front end's model text.
    /// </summary>
    public UpscaleOptions WithModel(string kindOrId)
    {
        string value = (kindOrId ?? "").Trim();
        foreach (var kind in Enum.GetValues<ModelKind>())
            if (value.Equals(kind.ToString(), StringComparison.OrdinalIgnoreCase))
                return this with { Model = kind, ModelId = null };
        return this with { Model = ModelKind.General, ModelId = value };
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Scale) || Scale < MinScale || Scale > MaxScale)
            throw new InvalidOptionsException($"scale {Scale} is out of range: use a factor from {MinScale} to {MaxScale}");
        if (!double.IsFinite(Denoise) || Denoise < 0 || Denoise > 1)
            throw new InvalidOptionsException($"denoise {Denoise} is out of range: use a strength from 0 to 1");
        if (!Enum.IsDefined(Model))
            throw new InvalidOptionsException($"unknown model kind {Model}");
        if (ModelId is { } id && string.IsNullOrWhiteSpace(id))
            throw new InvalidOptionsException("the model id is empty");
        if (!Enum.IsDefined(Faces))
            throw new InvalidOptionsException($"unknown face mode {Faces}");
        if (!double.IsFinite(FaceStrength) || FaceStrength < 0 || FaceStrength > 1)
            throw new InvalidOptionsException($"face strength {FaceStrength} is out of range: use a strength from 0 to 1");
        if (!Enum.IsDefined(Device))
            throw new InvalidOptionsException($"unknown device {Device}");
        if (TileSize is int t && t != 0 && (t < MinTileSize || t > MaxTileSize))
            throw new InvalidOptionsException($"tile size {t} is out of range: use 0 (whole image) or {MinTileSize} to {MaxTileSize}");
    }
}
