namespace Upscaler.PaintDotNet.Adapter;

/// <summary>The words the effect shows: its name, its property labels and its help text.</summary>
public static class EffectText
{
    public const string Name = "AI Upscale";
    public const string ScaleLabel = "Scale (the factor you resized by)";
    public const string ModelLabel = "Model";
    public const string DenoiseLabel = "Denoise (%)";
    public const string DeviceLabel = "Device";
    public const string FacesLabel = "Restore faces (general model)";
    public const string FaceStrengthLabel = "Face strength (%)";

    public static string ScaleName(ScaleChoice scale) => $"{(int)scale}×";

    public static string ModelName(ModelChoice model) => model switch
    {
        ModelChoice.General => "General (photos)",
        ModelChoice.Face => "Face",
        ModelChoice.Text => "Text and line art",
        _ => model.ToString(),
    };

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
        2. Effects › Photo › AI Upscale: pick the same factor as Scale, then the model, denoise and device.

        The effect rebuilds the original from the enlarged layer (the average of every 2×2, 3×3 or 4×4 block)
        and replaces the layer with the AI-upscaled result. If the width or height is not a multiple of the
        factor, the last columns or rows that do not fill a whole block are left as they are.

        Model: General for photos, Face for portraits, Text for scans and line art.
        Denoise: 0 % keeps grain and texture, 100 % removes noise and JPEG artifacts.
        Device: Auto uses the GPU through DirectML when there is one, else the CPU.

        Inference runs once per change of settings; Cancel stops it.
        """;
}
