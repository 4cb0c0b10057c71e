namespace Upscaler.Core;

/// <summary>One entry of the model catalog, as front ends list it.</summary>
/// <param name="FlopsPerInputPixel">Floating-point operations per input pixel, when the manifest states it.</param>
/// <param name="Int8File">The int8 copy the CPU runs where it can (see <see cref="UpscalerSettings.UseInt8OnCpu"/>), if there is one.</param>
public sealed record ModelInfo(string Id, ModelKind Kind, int Scale, string File, string Description, double? FlopsPerInputPixel = null,
    string? Int8File = null);
