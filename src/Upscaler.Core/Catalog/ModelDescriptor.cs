namespace Upscaler.Core.Catalog;

/// <summary>Everything the engine needs to know about one model, read from its manifest entry.</summary>
internal sealed record ModelDescriptor(
    string Id,
    ModelKind Kind,
    int Scale,
    string FilePath,
    string Sha256,
    string? Fp16FilePath,
    string? Fp16Sha256,
    string? Int8FilePath,
    string? Int8Sha256,
    string InputName,
    string OutputName,
    float RangeMin,
    float RangeMax,
    string? DenoiseInputName,
    int ReceptiveField,
    int Features,
    double? FlopsPerPixel,
    string Description)
{
    public ModelInfo ToInfo(string modelsDirectory) =>
        new(Id, Kind, Scale, Path.GetRelativePath(modelsDirectory, FilePath), Description, FlopsPerPixel,
            Int8FilePath is null ? null : Path.GetRelativePath(modelsDirectory, Int8FilePath));
}
