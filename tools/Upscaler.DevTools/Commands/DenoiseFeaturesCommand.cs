using System.Text.Json;
using Upscaler.Cli.Images;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// Prints what automatic denoise measures in each file, as a JSON array, for models/eval/fit_auto_denoise.py:
/// the features come from the engine's own code, so the fitted mapping is fitted to what ships.
/// </summary>
internal sealed class DenoiseFeaturesCommand : IDevCommand
{
    public string Name => "denoise-features";
    public string Usage => "FILE...";
    public string Summary => "noise sigma, JPEG quality, blockiness and the suggested strength (with and without the quality) per file, as JSON";

    public Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0)
        {
            error.WriteLine($"usage: upscaler-dev {Name} {Usage}");
            return Task.FromResult(2);
        }
        var upscaler = Engine.Create();
        var rows = new List<Dictionary<string, object?>>();
        int failures = 0;
        foreach (string path in args)
        {
            try
            {
                var image = VipsImageReader.Read(path).Pixels;
                int? quality = JpegQualityReader.Read(path);
                var fromFile = upscaler.SuggestDenoise(image, quality);
                var fromPixels = quality is null ? fromFile : upscaler.SuggestDenoise(image);
                rows.Add(new()
                {
                    ["file"] = path,
                    ["width"] = image.Width,
                    ["height"] = image.Height,
                    ["jpegQuality"] = quality,
                    ["noiseSigma"] = Math.Round(fromFile.NoiseSigma, 4),
                    ["blockiness"] = Math.Round(fromFile.Blockiness, 4),
                    ["strength"] = fromFile.Strength,
                    ["strengthPixelsOnly"] = fromPixels.Strength,
                });
            }
            catch (ImageFileException e)
            {
                error.WriteLine(e.Message);
                failures++;
            }
        }
        output.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        return Task.FromResult(failures == 0 ? 0 : 1);
    }
}
