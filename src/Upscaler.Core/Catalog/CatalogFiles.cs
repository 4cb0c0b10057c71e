using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Upscaler.Core.Catalog;

/// <summary>
/// The rules every catalog file follows (the model manifests and the face detector's): how it is read,
/// what a SHA-256 looks like, and that the files it names stay inside its folder.
/// </summary>
internal static class CatalogFiles
{
    /// <summary>The JSON at <paramref name="path"/>; unreadable or invalid JSON is a one-line error naming <paramref name="what"/> and the path.</summary>
    public static T? ReadJson<T>(string path, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelCatalogException($"{what} {path} is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"{what} {path} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>64 hexadecimal digits, in either case.</summary>
    public static bool IsSha256([NotNullWhen(true)] string? sha) => sha is { Length: 64 } && sha.All(Uri.IsHexDigit);

    /// <summary>The full path of <paramref name="relative"/> under <paramref name="folder"/>, or null when it leads outside it.</summary>
    public static string? Inside(string folder, string relative)
    {
        string full = Path.GetFullPath(Path.Combine(folder, relative));
        return full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }
}
