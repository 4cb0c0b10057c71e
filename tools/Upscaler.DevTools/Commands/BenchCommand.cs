using System.Globalization;
using System.Runtime.InteropServices;
using Upscaler.Core;
using Upscaler.DevTools.Bench;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// <c>upscaler-dev bench</c>: the numbers of docs/benchmarks.md, from one process so ratios between rows
/// are meaningful on a noisy shared machine. The FMA ceiling first and last (a large change means the
/// machine was busy: rerun); the real command line end to end on a photo and a large PNG, with where
/// the time goes; then the inference table (ONNX Runtime alone against the engine, float32 and int8,
/// whole image and tiled), optionally with PyTorch on the same weights.
/// </summary>
internal sealed class BenchCommand : IDevCommand
{
    public string Name => "bench";
    public string Usage => "[--size N] [--repeat R] [--photo WxH] [--small-photo FILE|WxH] [--models ID,...] [--user-models DIR] [--no-cli] [--pytorch PYTHON]";
    public string Summary => "time the models and the command line on this machine, as Markdown for docs/benchmarks.md";

    private sealed record Request(int Size, int Repeats, (int W, int H) Photo, string SmallPhoto, string[]? Models, string? UserModels, bool Cli, string? Python);

    public async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        Request request;
        try
        {
            request = Parse(args);
        }
        catch (FormatException e)
        {
            error.WriteLine($"upscaler-dev bench: {e.Message}");
            error.WriteLine($"usage: upscaler-dev {Name} {Usage}");
            return 2;
        }

        string scratch = Path.Combine(Path.GetTempPath(), "upscaler-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            var shipped = Engine.Create(request.UserModels);
            var float32 = Engine.Create(request.UserModels, settings => settings.UseInt8OnCpu = false);
            var models = Choose(shipped, request);
            var torch = PyTorchComparison.Find(request.Python);

            var (ceiling, isa) = FmaCeiling.Measure(Environment.ProcessorCount);
            output.WriteLine($"# upscaler-dev bench: {request.Size}x{request.Size} inference input ({request.Size * request.Size / 1e6:0.##} MP), best of {request.Repeats}");
            output.WriteLine($"- machine: {CpuName()}, {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}; load average at the start {LoadAverage()}");
            output.WriteLine($"- FP32 FMA ceiling measured at the start: {ceiling:0} GFLOP/s ({isa}, {Environment.ProcessorCount} threads); shares below use it");
            output.WriteLine($"- int8 on this CPU: {CpuInt8.Describe()}");
            output.WriteLine($"- FLOPs per input pixel, from the manifests (checked against each graph at export): {string.Join(", ", models.Select(m => $"{m.Model.Id} {m.Model.FlopsPerInputPixel:N0}"))}");
            output.WriteLine();

            var summary = new List<string>();
            if (request.Cli && models.FirstOrDefault(m => m.Model.Scale == 4 && m.Model.Kind == ModelKind.General).Model is { } x4)
                summary.AddRange(await CommandLine(request, x4, ceiling, scratch, output));
            summary.AddRange(await new InferenceBench(shipped, float32, output).RunAsync(models, request.Size, request.Size, request.Repeats, ceiling, torch, CancellationToken.None));

            foreach (string line in summary)
                output.WriteLine($"- {line}");
            output.WriteLine($"- FP32 FMA ceiling measured again at the end: {FmaCeiling.Measure(Environment.ProcessorCount).GflopsPerSecond:0} GFLOP/s; load average at the end {LoadAverage()}");
            return 0;
        }
        catch (Exception e) when (e is UpscalerException or BenchmarkException)
        {
            error.WriteLine($"upscaler-dev bench: {e.Message}");
            return 1;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The command line as a user runs it: a photo and a large PNG, x4, to PNG.</summary>
    private static async Task<List<string>> CommandLine(Request request, ModelInfo x4, double ceiling, string scratch, TextWriter output)
    {
        string noUserModels = Path.Combine(scratch, "no-user-models");
        Directory.CreateDirectory(noUserModels);
        string small = request.SmallPhoto;
        if (!File.Exists(small))
        {
            var (w, h) = ParseSize(small, "--small-photo");
            SyntheticPhoto.Save(SyntheticPhoto.Create(w, h), small = Path.Combine(scratch, $"photo{w}x{h}.jpg"));
        }
        string large = Path.Combine(scratch, $"large{request.Photo.W}x{request.Photo.H}.png");
        SyntheticPhoto.Save(SyntheticPhoto.Create(request.Photo.W, request.Photo.H), large);

        output.WriteLine("## The command line, end to end (x4 to PNG, default settings, a fresh process each)");
        output.WriteLine();
        output.WriteLine("Phases as `upscaler --timings` prints them; wall time measured from outside the process. GFLOP/s count the float32 x4 network's operations over the whole wall time.");
        output.WriteLine();
        output.WriteLine("| input | start-up (s) | decode (s) | model load (s) | upscale (s) | encode (s) | wall (s) | GFLOP/s | of FMA ceiling | peak memory (GB) |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var lines = new List<string>();
        foreach (string input in new[] { small, large })
        {
            var (width, height) = ImageSize(input);
            // The best of the repeats: each run is a fresh process, as a user's is.
            CommandLineRun.Result? best = null;
            for (int i = 0; i < request.Repeats; i++)
            {
                var run = await CommandLineRun.RunAsync(input, Path.Combine(scratch, "out.png"), noUserModels, ["--scale", "4"], CancellationToken.None);
                if (best is null || run.WallSeconds < best.WallSeconds)
                    best = run;
            }
            double gflops = width * (double)height * (x4.FlopsPerInputPixel ?? 0) / best!.WallSeconds / 1e9;
            string Phase(string name) => best.Phases.TryGetValue(name, out double s) ? s.ToString("0.00", CultureInfo.InvariantCulture) : "?";
            output.WriteLine($"| {Path.GetFileName(input)} ({width}x{height}) | {Phase("start-up")} | {Phase("decode")} | {Phase("model load")} | {Phase("upscale")} | "
                             + $"{Phase("encode")} | {best.WallSeconds:0.00} | {gflops:0} | {gflops / ceiling:0%} | {best.PeakGigabytes:0.00} |");
            double inside = best.Phases.Where(p => p.Key != "total").Sum(p => p.Value);
            lines.Add($"command line on {width}x{height}: {gflops / ceiling:0%} of the FMA ceiling end to end; the process's exit and unaccounted time {best.WallSeconds - inside:0.00} s");
        }
        output.WriteLine();
        return lines;
    }

    private static List<(ModelInfo Model, string Directory)> Choose(IUpscaler upscaler, Request request)
    {
        var all = upscaler.Models;
        var chosen = request.Models is null
            ? all.Where(m => m.Kind == ModelKind.General && m.Origin == ModelOrigin.Shipped).OrderBy(m => m.Scale).ToList()
            : request.Models.Select(id => all.FirstOrDefault(m => m.Id == id) ?? throw new BenchmarkException($"no model \"{id}\" (installed: {string.Join(", ", all.Select(m => m.Id))})")).ToList();
        var missing = chosen.FirstOrDefault(m => m.FlopsPerInputPixel is null);
        if (missing is not null)
            throw new BenchmarkException($"{missing.Id}: its manifest entry has no flopsPerPixel");
        return chosen.Select(m => (m, Engine.ManifestDirectory(m, request.UserModels))).ToList();
    }

    private static Request Parse(string[] args)
    {
        int size = 1000, repeats = 2;
        (int, int) photo = (3000, 2000);
        string smallPhoto = "960x640";
        string[]? models = null;
        string? userModels = null, python = null;
        bool cli = true;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--size": size = Int(Value(), "--size", 16, 8000); break;
                case "--repeat": repeats = Int(Value(), "--repeat", 1, 100); break;
                case "--photo": photo = ParseSize(Value(), "--photo"); break;
                case "--small-photo": smallPhoto = Value(); break;
                case "--models": models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--user-models": userModels = Path.GetFullPath(Value()); break;
                case "--pytorch": python = Value(); break;
                case "--no-cli": cli = false; break;
                default: throw new FormatException($"unknown argument '{args[i]}'");
            }
        }
        if (!File.Exists(smallPhoto))
            ParseSize(smallPhoto, "--small-photo");
        return new Request(size, repeats, photo, smallPhoto, models, userModels, cli, python);
    }

    private static int Int(string text, string name, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v : throw new FormatException($"{name} must be a whole number from {min} to {max}, not '{text}'");

    private static (int W, int H) ParseSize(string text, string name) =>
        text.Split('x') is [var w, var h] && int.TryParse(w, out int width) && int.TryParse(h, out int height)
        && width is >= 16 and <= 8000 && height is >= 16 and <= 8000
            ? (width, height)
            : throw new FormatException($"{name} must be WIDTHxHEIGHT, each 16 to 8000{(name == "--small-photo" ? ", or an image file" : "")}, not '{text}'");

    private static (int Width, int Height) ImageSize(string path)
    {
        using var image = NetVips.Image.NewFromFile(path);
        return (image.Width, image.Height);
    }

    private static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
