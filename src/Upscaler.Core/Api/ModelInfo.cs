namespace Upscaler.Core;

/// <summary>One entry of the model catalog, as front ends list it.</summary>
/// <param name="FlopsPerInputPixel">Floating-point operations per input pixel, when the manifest states it.</param>
public sealed record ModelInfo(string Id, ModelKind Kind, int Scale, string File, string Description, double? FlopsPerInputPixel = null);
