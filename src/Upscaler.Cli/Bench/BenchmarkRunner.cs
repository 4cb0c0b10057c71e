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
/// <param name="float32">The same engine with int8 copies turned off, for the float32 rows.</param>
internal sealed class BenchmarkRunner(IUpscaler upscaler, IUpscaler float32, string modelsDirectory, TextWriter output)
{
    /// <param name="photo">The whole-pipeline photo; 3000x2000 is the memory target's (12000x8000 in at most 1 GB).</param>
    public async Task<int> RunAsync(int width, int height, (int Width, int Height) photo, int repeats, PyTorchComparison? pytorch, CancellationToken cancellationToken)
    {
        var (ceiling, isa) = FmaCeiling.Measure(Environment.ProcessorCount);
        var general = upscaler.Models.Where(m => m.Kind == ModelKind.General).OrderBy(m => m.Scale).ToList();
        var files = general.ToDictionary(m => m.Id, m => Path.GetFullPath(m.File, modelsDirectory));
        var flops = general.ToDictionary(m => m.Id, m => ModelGraphFlops.PerInputPixel(files[m.Id]));
        output.WriteLine($"# upscaler bench: {width}x{height} input ({width * height / 1e6:0.##} MP), best of {repeats}");
        output.WriteLine($"- machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
        output.WriteLine($"- FP32 FMA ceiling measured at the start: {ceiling:0} GFLOP/s ({isa}, {Environment.ProcessorCount} threads); shares below use it");
        output.WriteLine($"- FLOPs per input pixel, counted from each graph's convolutions: {string.Join(", ", flops.Select(f => $"{f.Key} {f.Value:N0}"))}");
        output.WriteLine();

        // First, while this process is fresh, so its peak memory is the pipeline's own.
        var x4 = general.FirstOrDefault(m => m.Scale == 4);
        if (x4 is not null)
            await Pipeline(photo.Width, photo.Height, flops[x4.Id], ceiling, cancellationToken);

        var input = SyntheticPhoto(width, height);
        var planes = PlanarFloats(input);
        output.WriteLine($"## Inference, {width}x{height} input");
        output.WriteLine();
        output.WriteLine("GFLOP/s count the float32 network's operations (from its graph) for every row, int8 included: the same work, done faster.");
        output.WriteLine();
        output.WriteLine("| model | what runs | time (s) | input MP/s | GFLOP/s | of FMA ceiling | max diff vs whole image |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        var startups = new List<string>();
        var summary = new List<string>();
        foreach (var model in general)
        {
            var options = new UpscaleOptions { Scale = model.Scale, Model = model.Kind, Denoise = 0.5, Device = ComputeDevice.Cpu };
            var startup = Stopwatch.StartNew();
            await upscaler.UpscaleAsync(SyntheticPhoto(16, 16), options, null, cancellationToken); // verifies and loads the session
            startups.Add($"{model.Id} {startup.Elapsed.TotalSeconds:0.000} s");

            void Row(string what, double seconds, string difference)
            {
                double mps = width * height / 1e6 / seconds, gflops = mps * flops[model.Id] / 1e3;
                output.WriteLine($"| {model.Id} | {what} | {seconds:0.000} | {mps:0.000} | {gflops:0} | {gflops / ceiling:0%} | {difference} |");
            }

            double alone = OnnxRuntimeAlone.BestSeconds(files[model.Id], planes, width, height, 0.5f, repeats);
            Row("ONNX Runtime alone, float32, whole image", alone, "");
            string? int8File = model.Int8File is null ? null : Path.GetFullPath(model.Int8File, modelsDirectory);
            double? aloneInt8 = int8File is null ? null : OnnxRuntimeAlone.BestSeconds(int8File, planes, width, height, 0.5f, repeats);
            if (aloneInt8 is double q)
                Row("ONNX Runtime alone, int8 copy, whole image", q, "");
            await float32.UpscaleAsync(SyntheticPhoto(16, 16), options, null, cancellationToken);
            var (_, float32Time) = await Time(float32, input, options, repeats, cancellationToken);
            Row("engine, float32, automatic tiles", float32Time, "");
            var (whole, wholeTime) = await Time(upscaler, input, options with { TileSize = 0 }, repeats, cancellationToken);
            var (auto, autoTime) = await Time(upscaler, input, options, repeats, cancellationToken);
            var (small, smallTime) = await Time(upscaler, input, options with { TileSize = 128 }, repeats, cancellationToken);
            string engine = int8File is null ? "engine" : "engine (int8 copy where the CPU has VNNI)";
            Row($"{engine}, whole image", wholeTime, "0/255");
            Row($"{engine}, automatic tiles", autoTime, $"{MaxDifference(whole, auto) * 255:0.##}/255");
            Row($"{engine}, 128 px tiles", smallTime, $"{MaxDifference(whole, small) * 255:0.##}/255");
            summary.Add($"{model.Id}: automatic tiles take {autoTime / wholeTime - 1:+0.0%;-0.0%} vs one whole-image pass; " +
                        $"the float32 engine runs at {alone / float32Time:0%} of float32 ONNX Runtime alone's speed");

            if (pytorch is not null)
            {
                var torch = await pytorch.RunAsync(files[model.Id], width, Environment.ProcessorCount, repeats, cancellationToken);
                Row($"PyTorch {torch.Torch} ({torch.BestVariant}, {torch.Threads} threads), float32, whole image", torch.Seconds, "");
                summary.Add($"{model.Id}: against PyTorch, the engine (automatic tiles) is {torch.Seconds / autoTime:0.00}x as fast, " +
                            $"the float32 engine {torch.Seconds / float32Time:0.00}x; PyTorch allocator: {torch.Allocator}");
            }
        }
        output.WriteLine();
        foreach (string line in summary)
            output.WriteLine($"- {line}");
        output.WriteLine($"- session start-up (checksum, load, probe run): {string.Join(", ", startups)}");
        // A ceiling far from the start's means the machine was busy part of the time: rerun then.
        output.WriteLine($"- FP32 FMA ceiling measured again at the end: {FmaCeiling.Measure(Environment.ProcessorCount).GflopsPerSecond:0} GFLOP/s");
        return ExitCodes.Success;
    }

    /// <summary>The command line's own path on a real PNG: decode, upscale x4 with automatic tiles, encode.</summary>
    private async Task Pipeline(int width, int height, double flopsPerPixel, double ceiling, CancellationToken cancellationToken)
    {
        string folder = Path.Combine(Path.GetTempPath(), "upscaler-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string source = Path.Combine(folder, "bench.png"), target = Path.Combine(folder, "bench_x4.png");
            SavePng(SyntheticPhoto(width, height), source);
            var clock = Stopwatch.StartNew();
            var decoded = VipsImageReader.Read(source);
            double decode = clock.Elapsed.TotalSeconds;
            var upscaled = await upscaler.UpscaleAsync(decoded.Pixels, new UpscaleOptions { Scale = 4, Device = ComputeDevice.Cpu }, null, cancellationToken);
            double upscale = clock.Elapsed.TotalSeconds - decode;
            using (var pending = PendingOutput.Create(target, overwrite: true))
            {
                VipsImageWriter.Write(decoded, upscaled, pending, OutputFormat.Png, null, cancellationToken);
                pending.Commit(overwrite: true);
            }
            double total = clock.Elapsed.TotalSeconds;
            double gflops = (double)width * height * flopsPerPixel / total / 1e9;
            output.WriteLine($"## Whole pipeline, {width}x{height} PNG to {width * 4}x{height * 4} PNG (x4, automatic tiles)");
            output.WriteLine();
            output.WriteLine($"decode {decode:0.00} s, upscale {upscale:0.00} s, encode {total - decode - upscale:0.00} s, total {total:0.00} s: " +
                             $"{gflops:0} GFLOP/s, {gflops / ceiling:0%} of the FMA ceiling; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:0.00} GB");
            output.WriteLine();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(PixelImage Result, double Seconds)> Time(IUpscaler upscaler, PixelImage input, UpscaleOptions options, int repeats, CancellationToken cancellationToken)
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

    private static float[] PlanarFloats(PixelImage image)
    {
        int pixels = image.Width * image.Height;
        var planes = new float[3 * pixels];
        for (int i = 0; i < pixels; i++)
            for (int c = 0; c < 3; c++)
                planes[c * pixels + i] = image.Data[i * 3 + c] / 255f;
        return planes;
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
