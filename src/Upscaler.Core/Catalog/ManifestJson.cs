using System.Text.Json.Serialization;

namespace Upscaler.Core.Catalog;

// The on-disk shape of models/manifest.json (docs/model-contract.md). Every field is nullable
// here so that a missing one becomes a clear error from ModelCatalog, not a parser exception.

internal sealed class ManifestJson
{
    [JsonPropertyName("formatVersion")] public int? FormatVersion { get; set; }
    [JsonPropertyName("models")] public List<ManifestEntryJson?>? Models { get; set; }
}

internal sealed class ManifestEntryJson
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("scale")] public int? Scale { get; set; }
    [JsonPropertyName("file")] public string? File { get; set; }
    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
    [JsonPropertyName("fp16")] public FileRefJson? Fp16 { get; set; }
    [JsonPropertyName("int8")] public FileRefJson? Int8 { get; set; }
    [JsonPropertyName("int8Avx2")] public FileRefJson? Int8Avx2 { get; set; }
    [JsonPropertyName("input")] public TensorJson? Input { get; set; }
    [JsonPropertyName("output")] public TensorJson? Output { get; set; }
    [JsonPropertyName("denoise")] public DenoiseJson? Denoise { get; set; }
    [JsonPropertyName("receptiveField")] public int? ReceptiveField { get; set; }
    [JsonPropertyName("overlap")] public int? Overlap { get; set; }
    [JsonPropertyName("features")] public int? Features { get; set; }
    [JsonPropertyName("flopsPerPixel")] public double? FlopsPerPixel { get; set; }
    [JsonPropertyName("memoryPerPixel")] public double? MemoryPerPixel { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("architecture")] public string? Architecture { get; set; }
    [JsonPropertyName("licence")] public string? Licence { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("statistics")] public StatisticsJson? Statistics { get; set; }
}

internal sealed class StatisticsJson
{
    [JsonPropertyName("file")] public string? File { get; set; }
    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
    [JsonPropertyName("values")] public List<PooledValueJson?>? Values { get; set; }
}

internal sealed class PooledValueJson
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("channels")] public int? Channels { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
}

internal sealed class FileRefJson
{
    [JsonPropertyName("file")] public string? File { get; set; }
    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
}

internal sealed class TensorJson
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("layout")] public string? Layout { get; set; }
    [JsonPropertyName("channels")] public int? Channels { get; set; }
    [JsonPropertyName("range")] public float[]? Range { get; set; }
    [JsonPropertyName("order")] public string? Order { get; set; }
}

internal sealed class DenoiseJson
{
    [JsonPropertyName("input")] public string? Input { get; set; }
    [JsonPropertyName("shape")] public int[]? Shape { get; set; }
}
