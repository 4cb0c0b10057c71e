using System.Text.Json;
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
        DetectorJson? json;
        try
        {
            json = JsonSerializer.Deserialize<DetectorJson>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelCatalogException($"face detector manifest {path} is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"face detector manifest {path} cannot be read: {e.Message}", e);
        }
        string folder = Path.GetDirectoryName(path)!;
        if (json?.Id is not { Length: > 0 } id || json.File is not { Length: > 0 } file)
            throw new ModelCatalogException($"face detector manifest {path} has no id or file");
        if (json.Sha256 is not { Length: 64 } sha || !sha.All(Uri.IsHexDigit))
            throw new ModelCatalogException($"face detector manifest {path} has no valid sha256 (64 hex digits)");
        string full = Path.GetFullPath(Path.Combine(folder, file));
        if (!full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ModelCatalogException($"face detector manifest {path} names a file outside its folder");
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
