using System.Globalization;

namespace Upscaler.Core;

/// <summary>
/// The one policy for turning a <see cref="DenoiseSetting"/> into the strength an upscale runs with, shared
/// by every front end (command line, bridge, Paint.NET): a fixed strength is used as it is; automatic
/// measures the image (<see cref="IUpscaler.SuggestDenoise"/>) and uses the suggestion, except for models
/// without a denoise input, where there is nothing to choose and nothing is measured.
/// </summary>
public static class AutoDenoise
{
    /// <summary>
    /// Whether the options select a model that takes a denoise strength: false only when every installed
    /// model they can select (the id's, or every model of the kind) has no denoise input. An id that is not
    /// installed counts as taking one; the upscale then reports it.
    /// </summary>
    public static bool TakesDenoise(IReadOnlyList<ModelInfo> models, UpscaleOptions options)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        var chosen = Candidates(models, options);
        return chosen.Count == 0 || chosen.Any(m => m.HasDenoise);
    }

    /// <summary>"realesrgan-x4plus has no denoise control", or "the sharp model …" when chosen by kind.</summary>
    public static string NoControlReason(UpscaleOptions options) =>
        $"{options.ModelId ?? $"the {options.Model.ToString().ToLowerInvariant()} model"} has no denoise control";

    /// <summary>Decides the strength for one image; <see cref="UpscaleOptions.Denoise"/> is left to the caller to set from it.</summary>
    /// <param name="jpegQuality">The quality of the JPEG file the image came from, when known (see <see cref="IUpscaler.SuggestDenoise"/>).</param>
    /// <exception cref="ModelCatalogException">the catalog cannot be read (automatic only).</exception>
    /// <exception cref="InvalidOptionsException">the quality is outside 1..100.</exception>
    public static DenoiseDecision Decide(IUpscaler upscaler, PixelImage image, UpscaleOptions options, DenoiseSetting setting, int? jpegQuality = null)
    {
        ArgumentNullException.ThrowIfNull(upscaler);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        if (setting.Strength is double strength)
            return new DenoiseDecision(setting, true, strength, null);
        if (!TakesDenoise(upscaler.Models, options))
            return new DenoiseDecision(setting, false, 0, null);
        var suggestion = upscaler.SuggestDenoise(image, jpegQuality);
        return new DenoiseDecision(setting, true, suggestion.Strength, suggestion);
    }

    private static List<ModelInfo> Candidates(IReadOnlyList<ModelInfo> models, UpscaleOptions options) =>
        options.ModelId is { } id
            ? models.Where(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase)).ToList()
            : models.Where(m => m.Kind == options.Model).ToList();
}

/// <summary>The denoise strength chosen for one image, and how.</summary>
/// <param name="Setting">What the user asked for.</param>
/// <param name="ModelTakesDenoise">False when the model has no denoise input: the strength is ignored and nothing was measured.</param>
/// <param name="Strength">The strength the upscale runs with (0 when the model has no denoise input).</param>
/// <param name="Measured">What automatic denoise measured; null for a fixed strength or a model without a denoise input.</param>
public sealed record DenoiseDecision(DenoiseSetting Setting, bool ModelTakesDenoise, double Strength, DenoiseSuggestion? Measured)
{
    /// <summary>
    /// One line for users: "denoise auto → 0.35 (noise 3.1, JPEG q78)", "denoise auto → 0 (noise 0.8,
    /// blockiness 0.03)" when the file's quality is unknown, "denoise 0.3" for a fixed strength.
    /// </summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        if (!ModelTakesDenoise)
            return $"denoise {Setting}: the model has no denoise control";
        if (Measured is not { } m)
            return $"denoise {Setting}";
        string compression = m.JpegQuality is int q ? $"JPEG q{q}" : $"blockiness {m.Blockiness.ToString("0.00", c)}";
        return $"denoise auto → {Strength.ToString("0.##", c)} (noise {m.NoiseSigma.ToString("0.0", c)}, {compression})";
    }
}
