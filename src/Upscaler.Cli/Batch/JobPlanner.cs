using System.Globalization;
using Upscaler.Cli.Images;

namespace Upscaler.Cli.Batch;

/// <summary>
/// Turns the command line's inputs (files and folders) into jobs with output paths: <c>-o</c> for a
/// single input, otherwise <c>NAME_xSCALE.EXT</c> in <c>--out-dir</c> or beside each input.
/// </summary>
internal static class JobPlanner
{
    /// <summary>Extensions picked up from folders (libvips reads more; these are the usual photo formats).</summary>
    private static readonly HashSet<string> FolderExtensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif", ".heic", ".avif", ".jxl" };

    /// <summary>Expands folders (their images, not recursively, sorted); failures are per input.</summary>
    public static (List<string> Files, List<string> Errors) ExpandInputs(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        var errors = new List<string>();
        foreach (var input in inputs)
        {
            if (!Directory.Exists(input))
            {
                files.Add(input);
                continue;
            }
            var images = Directory.EnumerateFiles(input)
                .Where(f => FolderExtensions.Contains(Path.GetExtension(f)) && !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (images.Count == 0)
                errors.Add($"{input}: folder holds no images ({string.Join(", ", FolderExtensions.Order())})");
            files.AddRange(images);
        }
        return (files, errors);
    }

    public static UpscaleJob Plan(string input, string? output, string? outDir, OutputFormat? format, double scale)
    {
        if (output is not null)
            return new UpscaleJob(input, output, format ?? OutputFormats.FromPath(output) ?? OutputFormat.Png);

        var chosen = format ?? OutputFormats.FromPath(input) ?? OutputFormat.Png;
        string name = $"{Path.GetFileNameWithoutExtension(input)}_x{scale.ToString("0.##", CultureInfo.InvariantCulture)}{chosen.Extension()}";
        string directory = outDir ?? Path.GetDirectoryName(Path.GetFullPath(input))!;
        return new UpscaleJob(input, Path.Combine(directory, name), chosen);
    }
}
