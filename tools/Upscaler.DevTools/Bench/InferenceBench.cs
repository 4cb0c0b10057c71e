using System.Diagnostics;
using Upscaler.Core;

namespace Upscaler.DevTools.Bench;

/// <summary>
/// The inference table of <c>upscaler-dev bench</c>: for each model, ONNX Runtime alone (float32 and the
/// int8 copy) against the engine (float32 and as shipped) on one synthetic photo, whole image and tiled,
/// with each tiled result's largest difference from the engine's whole-image result. GFLOP/s count the
/// float32 network's operations (the manifest's <c>flopsPerPixel</c>) for every row.
/// </summary>
/// <param name="shipped">The engine as the command line runs it (int8 copies where the CPU runs them well).</param>
/// <param name="float32">The same engine with int8 copies turned off.</param>
internal sealed class InferenceBench(IUpscaler shipped, IUpscaler float32, TextWriter output)
{
    /// <summary>Prints the table and returns one summary line per model.</summary>
    public async Task<List<string>> RunAsync(IReadOnlyList<(ModelInfo Model, string Directory)> models, int width, int height, int repeats,
        double ceiling, PyTorchComparison? pytorch, CancellationToken cancellationToken)
    {
        var input = SyntheticPhoto.Create(width, height);
        var planes = SyntheticPhoto.Planar(input);
        output.WriteLine($"## Inference, {width}x{height} input");
        output.WriteLine();
        output.WriteLine("GFLOP/s count the float32 network's operations (the manifest's flopsPerPixel) for every row, int8 included: the same work, done faster.");
        output.WriteLine();
        output.WriteLine("| model | what runs | time (s) | input MP/s | GFLOP/s | of FMA ceiling | max diff vs whole image |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        var summary = new List<string>();
        foreach (var (model, directory) in models)
        {
            double flops = model.FlopsPerInputPixel ?? 0;
            // Faces off: these rows compare the upscale with ONNX Runtime's; face detection has its own benchmark (faces-speed).
            var options = new UpscaleOptions { Scale = model.Scale, ModelId = model.Id, Denoise = 0.5, Device = ComputeDevice.Cpu, Faces = FaceMode.Off };
            var startup = Stopwatch.StartNew();
            await shipped.UpscaleAsync(SyntheticPhoto.Create(16, 16), options, null, cancellationToken); // verifies and loads the session
            double startupSeconds = startup.Elapsed.TotalSeconds;
            await float32.UpscaleAsync(SyntheticPhoto.Create(16, 16), options, null, cancellationToken);

            void Row(string what, double seconds, string difference)
            {
                double mps = width * height / 1e6 / seconds, gflops = mps * flops / 1e3;
                output.WriteLine($"| {model.Id} | {what} | {seconds:0.000} | {mps:0.000} | {gflops:0} | {gflops / ceiling:0%} | {difference} |");
            }

            double alone = OnnxRuntimeAlone.BestSeconds(Path.GetFullPath(model.File, directory), planes, width, height, 0.5f, repeats);
            Row("ONNX Runtime alone, float32, whole image", alone, "");
            double? aloneInt8 = null;
            if (model.Int8File is { } int8File)
            {
                aloneInt8 = OnnxRuntimeAlone.BestSeconds(Path.GetFullPath(int8File, directory), planes, width, height, 0.5f, repeats);
                Row("ONNX Runtime alone, int8 copy, whole image", aloneInt8.Value, "");
            }
            var (f32Whole, f32WholeTime) = await Time(float32, input, options with { TileSize = 0 }, repeats, cancellationToken);
            Row("engine, float32, whole image", f32WholeTime, "0/255");
            var (f32Auto, f32AutoTime) = await Time(float32, input, options, repeats, cancellationToken);
            Row("engine, float32, automatic tiles", f32AutoTime, Difference(f32Whole, f32Auto));
            string line = $"{model.Id}: float32 engine at {alone / f32WholeTime:0%} (whole image) and {alone / f32AutoTime:0%} (automatic tiles) "
                          + "of float32 ONNX Runtime alone's speed";

            double autoTime = f32AutoTime;
            if (model.Int8File is not null)
            {
                string engine = $"engine as shipped ({CpuInt8.Describe()})";
                var (whole, wholeTime) = await Time(shipped, input, options with { TileSize = 0 }, repeats, cancellationToken);
                Row($"{engine}, whole image", wholeTime, "0/255");
                var (auto, shippedAutoTime) = await Time(shipped, input, options, repeats, cancellationToken);
                Row($"{engine}, automatic tiles", shippedAutoTime, Difference(whole, auto));
                var (small, smallTime) = await Time(shipped, input, options with { TileSize = 128 }, repeats, cancellationToken);
                Row($"{engine}, 128 px tiles", smallTime, Difference(whole, small));
                autoTime = shippedAutoTime;
                if (CpuInt8.RunsInt8)
                    line += $"; int8 engine at {aloneInt8 / wholeTime:0%} (whole image) and {aloneInt8 / shippedAutoTime:0%} (automatic tiles) of int8 ONNX Runtime alone's";
            }
            else
            {
                var (small, smallTime) = await Time(float32, input, options with { TileSize = 128 }, repeats, cancellationToken);
                Row("engine, float32, 128 px tiles", smallTime, Difference(f32Whole, small));
            }
            summary.Add(line);
            summary.Add($"{model.Id}: session start-up (checksum, load, probe run) {startupSeconds:0.000} s");

            if (pytorch is not null && model.Architecture is null or "CompactSR")
            {
                var torch = await pytorch.RunAsync(Path.GetFullPath(model.File, directory), width, Environment.ProcessorCount, repeats, cancellationToken);
                Row($"PyTorch {torch.Torch} ({torch.BestVariant}, {torch.Threads} threads), float32, whole image", torch.Seconds, "");
                summary.Add($"{model.Id}: against PyTorch, the engine as shipped (automatic tiles) is {torch.Seconds / autoTime:0.00}x as fast, " +
                            $"the float32 engine {torch.Seconds / f32AutoTime:0.00}x; PyTorch allocator: {torch.Allocator}");
            }
        }
        output.WriteLine();
        return summary;
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

    private static string Difference(PixelImage a, PixelImage b)
    {
        int worst = 0;
        for (int i = 0; i < a.Data.Length; i++)
            worst = Math.Max(worst, Math.Abs(a.Data[i] - b.Data[i]));
        return $"{worst}/255";
    }
}
