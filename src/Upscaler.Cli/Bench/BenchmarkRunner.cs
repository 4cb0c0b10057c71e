using System.Diagnostics;
using System.Runtime.InteropServices;
using NetVips;
using Upscaler.Cli.Images;
using Upscaler.Core;

namespace Upscaler.Cli.Bench;

/// <summary>
/// <c>upscaler bench</c>: times the shipped models on a synthetic photo-like image and prints a
/// Markdown table for docs/benchmarks.md. Every number in one table comes from one run, so ratios
/// between rows are meaningful even on a noisy shared machine.
/// </summary>
internal sealed class BenchmarkRunner(IUpscaler upscaler, TextWriter output)
{
    public async Task<int> RunAsync(int width, int height, int repeats, CancellationToken cancellationToken)
    {
        var input = SyntheticPhoto(width, height);
        var (ceiling, isa) = FmaCeiling.Measure(Environment.ProcessorCount);
        output.WriteLine($"# upscaler bench: {width}x{height} input ({width * height / 1e6:0.##} MP), best of {repeats}");
        output.WriteLine($"- machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
        output.WriteLine($"- FP32 FMA ceiling measured now: {ceiling:0} GFLOP/s ({isa}, {Environment.ProcessorCount} threads)");
        output.WriteLine();
        output.WriteLine("| model | tiles | time (s) | input MP/s | GFLOP/s | of FMA ceiling | max diff vs whole image |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");

        var startups = new List<string>();
        foreach (var model in upscaler.Models.Where(m => m.Kind == ModelKind.General).OrderBy(m => m.Scale))
        {
            var options = new UpscaleOptions { Scale = model.Scale, Model = model.Kind, Denoise = 0.5, Device = ComputeDevice.Cpu };
            var startup = Stopwatch.StartNew();
            await upscaler.UpscaleAsync(SyntheticPhoto(16, 16), options, null, cancellationToken); // verifies and loads the session
            startups.Add($"{model.Id} {startup.Elapsed.TotalSeconds:0.000} s");

            var (whole, wholeTime) = await Time(input, options with { TileSize = 0 }, repeats, cancellationToken);
            var (auto, autoTime) = await Time(input, options, repeats, cancellationToken);
            var (small, smallTime) = await Time(input, options with { TileSize = 128 }, repeats, cancellationToken);
            foreach (var (label, result, seconds) in new[] { ("whole image", whole, wholeTime), ("auto", auto, autoTime), ("128 px", small, smallTime) })
            {
                double mps = width * height / 1e6 / seconds;
                string gflops = model.FlopsPerInputPixel is double f ? $"{mps * f / 1e3:0}" : "?";
                string share = model.FlopsPerInputPixel is double g ? $"{mps * g / 1e3 / ceiling:0%}" : "?";
                output.WriteLine($"| {model.Id} | {label} | {seconds:0.000} | {mps:0.000} | {gflops} | {share} | {MaxDifference(whole, result) * 255:0.##}/255 |");
            }
        }
        output.WriteLine();
        output.WriteLine($"Session start-up (checksum, load, probe run): {string.Join(", ", startups)}");

        // The whole command-line pipeline on a real file: decode, upscale, encode.
        string folder = Path.Combine(Path.GetTempPath(), "upscaler-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string source = Path.Combine(folder, "bench.png"), target = Path.Combine(folder, "bench_x4.png");
            SavePng(input, source);
            var clock = Stopwatch.StartNew();
            var decoded = VipsImageReader.Read(source);
            double decode = clock.Elapsed.TotalSeconds;
            var upscaled = await upscaler.UpscaleAsync(decoded.Pixels, new UpscaleOptions { Scale = 4, Device = ComputeDevice.Cpu }, null, cancellationToken);
            double upscale = clock.Elapsed.TotalSeconds - decode;
            VipsImageWriter.Write(decoded, upscaled, target, OutputFormat.Png, null, overwrite: true);
            double total = clock.Elapsed.TotalSeconds;
            output.WriteLine();
            output.WriteLine($"Pipeline x4 (PNG in, PNG out): decode {decode:0.000} s, upscale {upscale:0.000} s, encode {total - decode - upscale:0.000} s, total {total:0.000} s; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)} MiB");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return ExitCodes.Success;
    }

    private async Task<(PixelImage Result, double Seconds)> Time(PixelImage input, UpscaleOptions options, int repeats, CancellationToken cancellationToken)
    {
        PixelImage? result = null;
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            result = await upscaler.UpscaleAsync(input, options, null, cancellationToken);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return (result!, best);
    }

    private static double MaxDifference(PixelImage a, PixelImage b)
    {
        int worst = 0;
        for (int i = 0; i < a.Data.Length; i++)
            worst = Math.Max(worst, Math.Abs(a.Data[i] - b.Data[i]));
        return worst / 255.0;
    }

    /// <summary>Smooth gradients, edges and fine texture, deterministic, so runs are comparable.</summary>
    private static PixelImage SyntheticPhoto(int width, int height)
    {
        var image = PixelImage.Create(width, height, PixelLayout.Rgb, 8);
        var random = new Random(12345);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    double v = 0.5 + 0.3 * Math.Sin(x * 0.013 * (c + 1) + y * 0.007) + (((x / 37) + (y / 23)) % 2 == 0 ? 0.12 : -0.12)
                        + 0.04 * (random.NextDouble() - 0.5);
                    image.Data[((long)y * width + x) * 3 + c] = (byte)Math.Clamp((int)(v * 255), 0, 255);
                }
        return image;
    }

    private static void SavePng(PixelImage pixels, string path)
    {
        using var image = NetVips.Image.NewFromMemory(pixels.Data, pixels.Width, pixels.Height, pixels.Channels, Enums.BandFormat.Uchar);
        image.Pngsave(path);
    }
}
