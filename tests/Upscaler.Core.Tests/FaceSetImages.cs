using System.Text.Json;
using NetVips;

namespace Upscaler.Core.Tests;

/// <summary>
/// The labelled face photographs of tests/FaceSet (README there: sources and licences). Two are committed;
/// the others come from an npm package by tests/FaceSet/fetch.sh, which this runs when they are missing.
/// </summary>
internal static class FaceSet
{
    public static string Folder => Path.Combine(Repository.Root, "tests", "FaceSet");

    public sealed record Entry(string File, double[][] Faces);

    private sealed record LabelsJson(List<Entry> Images);

    public static IReadOnlyList<Entry> Labels()
    {
        EnsureFetched();
        var json = JsonSerializer.Deserialize<LabelsJson>(File.ReadAllText(Path.Combine(Folder, "labels.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        return json.Images;
    }

    public static void EnsureFetched()
    {
        if (File.Exists(Path.Combine(Folder, "images", "sample6.jpg")))
            return;
        using var fetch = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(Folder, "fetch.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string error = fetch.StandardError.ReadToEnd();
        fetch.WaitForExit();
        if (fetch.ExitCode != 0)
            Assert.Fail($"tests/FaceSet/fetch.sh failed: {error}");
    }

    /// <summary>An 8-bit RGB image decoded by libvips, optionally shrunk by an integer factor (box filter, as a camera's smaller size would be).</summary>
    public static PixelImage Load(string file, int shrink = 1)
    {
        using var loaded = Image.NewFromFile(Path.Combine(Folder, file), access: Enums.Access.Sequential);
        using var rgb = loaded.Bands == 1 ? loaded.Bandjoin(loaded, loaded) : loaded.ExtractBand(0, 3);
        using var sized = shrink == 1 ? rgb.Copy() : rgb.Shrink(shrink, shrink);
        using var bytes = sized.Cast(Enums.BandFormat.Uchar);
        return new PixelImage(bytes.Width, bytes.Height, PixelLayout.Rgb, 8, bytes.WriteToMemory<byte>());
    }
}
