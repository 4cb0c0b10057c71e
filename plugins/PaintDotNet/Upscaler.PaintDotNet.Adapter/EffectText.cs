using Upscaler.Core;

namespace Upscaler.PaintDotNet.Adapter;

/// <summary>The words the effect shows: its name, its property labels and its help text.</summary>
public static class EffectText
{
    public const string Name = "AI Upscale";
    public const string ScaleLabel = "Scale (the factor you resized by)";
    public const string ModelTitle = "Model";
    public const string AutoDenoiseLabel = "Denoise";
    public const string AutoDenoiseDescription = "Automatic (measured from the image's noise and JPEG compression)";
    public const string DenoiseLabel = "Denoise strength (%)";
    public const string DeviceLabel = "Device";
    public const string FacesLabel = "Restore faces (general model)";
    public const string FaceStrengthLabel = "Face strength (%)";

    public static string ScaleName(ScaleChoice scale) => $"{(int)scale}×";

    /// <summary>A kind's row: "General photos, faithful (x2, x4)".</summary>
    public static string KindLabel(ModelKind kind, IReadOnlyList<int> scales)
    {
        string name = kind switch
        {
            ModelKind.General => "General photos, faithful",
            ModelKind.Face => "Faces",
            ModelKind.Text => "Text, screenshots and line art",
            ModelKind.Sharp => "Sharp and detailed (GAN-style, invents texture)",
            ModelKind.Anime => "Anime and art",
            _ => kind.ToString(),
        };
        return scales.Count == 0 ? name : $"{name} ({string.Join(", ", scales.Select(s => $"x{s}"))})";
    }

    /// <summary>
    /// A model's row: "realesrgan-x4plus: Real-ESRGAN x4plus, sharp and detailed (no denoise control)". The
    /// reason is in the row itself because Paint.NET's dialogs cannot change their texts while open.
    /// </summary>
    public static string ModelLabel(string id, string description, bool takesDenoise)
    {
        string text = description.Length > 0 ? $"{id}: {description}" : id;
        return takesDenoise ? text : $"{text} (no denoise control)";
    }

    public static string DeviceName(DeviceChoice device) => device switch
    {
        DeviceChoice.Auto => "Auto (GPU if available)",
        DeviceChoice.Gpu => "GPU (DirectML)",
        DeviceChoice.Cpu => "CPU",
        _ => device.ToString(),
    };

    public const string Help = """
        AI Upscale enlarges an image with a neural network.

        Paint.NET effects cannot change the canvas size, so upscaling takes two steps:
        1. Image › Resize: enlarge the image by 200 %, 300 % or 400 %. Any resampling works; Nearest Neighbor is exact.
        2. Effects › Photo › AI Upscale: pick the same factor as Scale, then the model, denoise, device and faces.

        The effect rebuilds the original from the enlarged layer (the average of every 2×2, 3×3 or 4×4 block)
        and replaces the layer with the AI-upscaled result. If the width or height is not a multiple of the
        factor, the last columns or rows that do not fill a whole block are left as they are.

        Model: General for photos, Faces for portraits, Text for scans and line art, Sharp for GAN-style detail,
        Anime for art; or one model by name, including models you added with "upscaler models add".
        Denoise: Automatic measures the image's noise and JPEG compression and chooses the strength; switch it
        off to set it yourself (0 % keeps grain and texture, 100 % removes noise and JPEG artifacts). A model
        marked "no denoise control" in the list ignores denoise, and the denoise settings are then disabled.
        Device: Auto uses the GPU through DirectML when there is one, else the CPU.
        Restore faces: with the general model, each face found is restored by the face model (at 2× and 4×) and
        blended in; Face strength sets how much of it replaces the general result. Without faces nothing changes.

        Inference runs once per change of settings; Cancel stops it.
        """;
}
