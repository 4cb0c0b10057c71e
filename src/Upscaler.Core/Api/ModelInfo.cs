namespace Upscaler.Core;

/// <summary>One entry of the model catalog, as front ends list it.</summary>
/// <param name="File">The float32 file, relative to the folder of the manifest that lists it.</param>
/// <param name="FlopsPerInputPixel">Floating-point operations per input pixel, when the manifest states it.</param>
/// <param name="Int8File">The int8 copy the CPU runs where it can (see <see cref="UpscalerSettings.UseInt8OnCpu"/>), if there is one.</param>
public sealed record ModelInfo(string Id, ModelKind Kind, int Scale, string File, string Description, double? FlopsPerInputPixel = null,
    string? Int8File = null)
{
    /// <summary>Shipped with the product, an open model bundled with it, or added by the user.</summary>
    public ModelOrigin Origin { get; init; } = ModelOrigin.Shipped;

    /// <summary>Whether the model takes a denoise strength; front ends disable the control when not.</summary>
    public bool HasDenoise { get; init; } = true;

    /// <summary>The network family (e.g. CompactSR, RRDBNet, SRVGGNetCompact), when the manifest states it.</summary>
    public string? Architecture { get; init; }

    /// <summary>The weights' licence, for models we did not train.</summary>
    public string? Licence { get; init; }

    /// <summary>Where the weights came from, for models we did not train.</summary>
    public string? Source { get; init; }

    /// <summary>
    /// Overlap in input pixels for models tiled with cross-faded overlaps (their receptive field is too
    /// large for exact tiling, so tiles differ from one whole-image pass by a small measured amount); null
    /// for models whose tiled result is exact.
    /// </summary>
    public int? Overlap { get; init; }
}

/// <summary>Where a catalog entry comes from.</summary>
public enum ModelOrigin
{
    /// <summary>Our own models, in the product's <c>models/manifest.json</c>.</summary>
    Shipped,

    /// <summary>Open models fetched and converted at build time (<c>models/open/manifest.json</c>).</summary>
    Bundled,

    /// <summary>Models the user added with <c>upscaler models add</c> (the per-user models folder).</summary>
    User,
}

/// <summary>The order of colour channels a model reads and writes.</summary>
public enum ChannelOrder
{
    Rgb,
    Bgr,
}
