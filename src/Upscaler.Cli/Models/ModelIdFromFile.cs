using System.Text;

namespace Upscaler.Cli.Models;

/// <summary>The id <c>models add</c> gives a model when not told: its file name, lower-cased, with anything else than letters, digits, '.', '_' and '-' made '-'.</summary>
internal static class ModelIdFromFile
{
    public static string For(string file)
    {
        var id = new StringBuilder();
        foreach (char c in Path.GetFileNameWithoutExtension(file).ToLowerInvariant())
            id.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' ? c : '-');
        string text = id.ToString().Trim('-', '.', '_');
        return text.Length == 0 ? "model" : text.Length > 64 ? text[..64] : text;
    }
}
