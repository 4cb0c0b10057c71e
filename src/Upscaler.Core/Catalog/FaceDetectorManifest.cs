using System.Text.Json.Serialization;

namespace Upscaler.Core.Catalog;

/// <summary>The face detector's file, verified like a model's, and where it came from.</summary>
internal sealed record FaceDetectorModel(string Id, ModelFile File, string Licence, string Source);

/// <summary>
/// Reads <c>faces/detector.json</c> in the shipped models folder: the face detector the face restoration
/// runs (its file, SHA-256, licence and source). A missing manifest means no detector is installed and
/// faces are left to the general model; a broken one is a one-line error naming it.
/// </summary>
internal static class FaceDetectorManifest
{
    public const string FolderName = "faces";
    public const string FileName = "detector.json";

    public static string PathIn(string modelsDirectory) => Path.Combine(modelsDirectory, FolderName, FileName);

    /// <summary>The detector listed in <paramref name="modelsDirectory"/>, or null when none is installed.</summary>
    public static FaceDetectorModel? Read(string modelsDirectory)
    {
        string path = PathIn(modelsDirectory);
        if (!File.Exists(path))
            return null;
        var json = CatalogFiles.ReadJson<DetectorJson>(path, "face detector manifest");
        string folder = Path.GetDirectoryName(path)!;
        if (json?.Id is not { Length: > 0 } id || json.File is not { Length: > 0 } file)
            throw new ModelCatalogException($"face detector manifest {path} has no id or file");
        if (json.Sha256 is not { } sha || !CatalogFiles.IsSha256(sha))
            throw new ModelCatalogException($"face detector manifest {path} has no valid sha256 (64 hex digits)");
        string full = CatalogFiles.Inside(folder, file)
            ?? throw new ModelCatalogException($"face detector manifest {path} names a file outside its folder");
        return new FaceDetectorModel(id, new ModelFile(full, sha.ToLowerInvariant()), json.Licence ?? "", json.Source ?? "");
    }

    private sealed class DetectorJson
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("file")] public string? File { get; set; }
        [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
        [JsonPropertyName("licence")] public string? Licence { get; set; }
        [JsonPropertyName("source")] public string? Source { get; set; }
    }
}
