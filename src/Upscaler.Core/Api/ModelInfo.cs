namespace Upscaler.Core;

/// <summary>One entry of the model catalog, as front ends list it.</summary>
public sealed record ModelInfo(string Id, ModelKind Kind, int Scale, string File, string Description);
