using System.Diagnostics;
using System.Globalization;
using Upscaler.Core;

namespace Upscaler.Cli.Models;

/// <summary>
/// Seconds per input megapixel for each model on this machine, for <c>upscaler models</c>, so a user
/// knows before choosing (Real-ESRGAN x4plus is ~80 times slower than our models). Estimated, not timed
/// per model: short warm float32 runs of the lightest shipped model measure the engine's rate here
/// (FLOPs per second, the whole engine included), and each model's manifest <c>flopsPerPixel</c> divided
/// by it gives its time. Timing every model would take seconds to minutes; the estimate is within the
/// spread of ONNX Runtime's efficiency across architectures (docs/benchmarks.md compares both).
/// </summary>
internal sealed class SpeedEstimate
{
    // Large enough that the mirrored margin (12 px for ours) adds ~20 %, about what tiling adds to a big photo.
    private const int Edge = 256;
    private readonly double _flopsPerSecond;

    private SpeedEstimate(double flopsPerSecond) => _flopsPerSecond = flopsPerSecond;

    /// <summary>What the column header and the footnote call it.</summary>
    public const string Header = "S/MP*";

    public static string Footnote(string reference) =>
        $"* estimated seconds per input megapixel on this CPU: each model's FLOPs at the rate a {Edge}x{Edge} float32 run of {reference} "
        + "just measured; int8 copies run faster, and on a busy machine everything runs slower";

    /// <summary>Measures the rate with the lightest shipped model that states its FLOPs; null when there is none.</summary>
    /// <param name="float32">An engine with int8 copies turned off, so the rate is the float32 convolutions'.</param>
    public static async Task<(SpeedEstimate Estimate, string Reference)?> MeasureAsync(IUpscaler float32, IReadOnlyList<ModelInfo> models)
    {
        var reference = models.Where(m => m.Origin == ModelOrigin.Shipped && m.FlopsPerInputPixel >= 100_000)
            .OrderBy(m => m.FlopsPerInputPixel).ThenBy(m => m.Kind != ModelKind.General).FirstOrDefault();
        if (reference is null)
            return null;
        // Faces off: the rate is the model's; the face detector would add its own time to this small picture.
        var options = new UpscaleOptions { Scale = reference.Scale, ModelId = reference.Id, Device = ComputeDevice.Cpu, TileSize = 0, Denoise = 0, Faces = FaceMode.Off };
        // The first run loads and verifies the model and sets up its memory (about twice a warm run's time,
        // which made every estimate twice too slow): not part of the rate. Then the best of two.
        var picture = Picture(Edge);
        await float32.UpscaleAsync(picture, options);
        double best = double.MaxValue;
        for (int run = 0; run < 2; run++)
        {
            var clock = Stopwatch.StartNew();
            await float32.UpscaleAsync(picture, options);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        double rate = (double)Edge * Edge * reference.FlopsPerInputPixel!.Value / best;
        return (new SpeedEstimate(rate), reference.Id);
    }

    public string SecondsPerMegapixel(ModelInfo model)
    {
        if (model.FlopsPerInputPixel is not double flops)
            return "?";
        double seconds = flops * 1e6 / _flopsPerSecond;
        return seconds.ToString(seconds < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);
    }

    private static PixelImage Picture(int edge)
    {
        var image = PixelImage.Create(edge, edge, PixelLayout.Rgb, 8);
        for (int i = 0; i < image.Data.Length; i++)
            image.Data[i] = (byte)(i * 37 % 251);
        return image;
    }
}
