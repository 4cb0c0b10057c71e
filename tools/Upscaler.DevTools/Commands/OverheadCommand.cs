using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using Upscaler.Core;
using Upscaler.Core.Catalog;
using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;
using Upscaler.Core.Tiling;
using Upscaler.DevTools.Bench;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// Where the engine's time goes beyond ONNX Runtime's own, for one model and precision: ONNX Runtime
/// alone on the whole image, on the whole image with the engine's mirrored margin, and on exactly the
/// tile windows the engine feeds it (so the margins' cost is measured, not estimated); the engine's
/// pixel copies (reading, gathering tiles, writing the output) alone; and the engine itself after an idle
/// spell (its CPU arena given back, IdleArenas) and for the next image at once (the arena still held, as in
/// a batch), all with face restoration off, and once with it on, so that the detector's cost is shown apart.
/// Every variant runs once per round, rounds interleave them, and the best of each is reported, so a
/// busy machine slows all variants alike.
/// </summary>
internal sealed class OverheadCommand : IDevCommand
{
    public string Name => "overhead";
    public string Usage => "[--models ID,...] [--size N | --image WxH] [--repeat R] [--int8] [--tile N] [--user-models DIR] [--quick]";
    public string Summary => "the engine against ONNX Runtime alone, split into margins, copies, arena and the rest";

    public async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        string[] ids = ["general-x4"];
        int width = 1000, height = 1000, repeats = 3;
        int? tile = null;
        bool int8 = false, quick = false;
        string? userModels = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--models": ids = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                    case "--size": width = height = int.Parse(Value()); break;
                    case "--image" when Value().Split('x') is [var w, var h]: width = int.Parse(w); height = int.Parse(h); break;
                    case "--repeat": repeats = int.Parse(Value()); break;
                    case "--tile": tile = int.Parse(Value()); break;
                    case "--int8": int8 = true; break;
                    case "--quick": quick = true; break;
                    case "--user-models": userModels = Path.GetFullPath(Value()); break;
                    default: throw new FormatException($"unknown argument '{args[i]}'");
                }
            }
            if (width is < 16 or > 8000 || height is < 16 or > 8000 || repeats is < 1 or > 100)
                throw new FormatException("the image must be 16 to 8000 px per side and --repeat 1 to 100");
        }
        catch (FormatException e)
        {
            error.WriteLine($"upscaler-dev overhead: {e.Message}");
            error.WriteLine($"usage: upscaler-dev {Name} {Usage}");
            return 2;
        }

        var (ceiling, isa) = FmaCeiling.Measure(Environment.ProcessorCount);
        output.WriteLine($"# upscaler-dev overhead: {width}x{height}, {(int8 ? "int8 copies" : "float32")}, best of {repeats} interleaved rounds");
        output.WriteLine($"- FMA ceiling at the start {ceiling:0} GFLOP/s ({isa}); load average {File.ReadAllText("/proc/loadavg").Trim()}");
        try
        {
            foreach (string id in ids)
                await Measure(id, width, height, repeats, tile, int8, quick, userModels, output);
        }
        catch (UpscalerException e)
        {
            error.WriteLine($"upscaler-dev overhead: {e.Message}");
            return 1;
        }
        output.WriteLine($"- FMA ceiling at the end {FmaCeiling.Measure(Environment.ProcessorCount).GflopsPerSecond:0} GFLOP/s; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <param name="quick">Only ONNX Runtime alone, its tile windows, the copies and the tiled engine (for big models, whose every run takes a minute).</param>
    private static async Task Measure(string id, int width, int height, int repeats, int? tileSize, bool int8, bool quick, string? userModels, TextWriter output)
    {
        using var services = Engine.Services(userModels, s => s.UseInt8OnCpu = int8);
        // Images in a row, as in a batch: each within CpuArenaIdleTime of the last, so the arena is held.
        // A round here takes longer than that, hence a second engine that waits an hour before giving it back.
        using var inRow = Engine.Services(userModels, s => { s.UseInt8OnCpu = int8; s.CpuArenaIdleTime = TimeSpan.FromHours(1); });
        var settings = services.GetRequiredService<UpscalerSettings>();
        var idle = services.GetRequiredService<SessionCache>().IdleArenas!;
        var model = services.GetRequiredService<ModelCatalog>().GetById(id);
        var file = int8 ? model.Int8 ?? throw new ModelCatalogException($"{id} has no int8 copy") : model.Float32;
        var choice = services.GetRequiredService<TileSizer>().Choose(model, ComputeDevice.Cpu, tileSize, width, height);
        var grid = TileGrid.Create(width, height, choice.Edge);
        int margin = model.Tiling.Margin, s = model.Scale;

        var input = SyntheticPhoto.Create(width, height);
        var planes = PixelImageReader.Colour(input);
        var whole = new TileTensor(model, width, height);
        whole.Gather(planes, 0, 0);
        var padded = new TileTensor(model, width + 2 * margin, height + 2 * margin);
        padded.Gather(planes, -margin, -margin);
        // The windows the pass feeds ONNX Runtime: exact tiles mirror their margin past the image's borders,
        // cross-faded ones stay inside the image (BlendedTiledPass).
        bool blended = model.Tiling.Blended;
        int windowW = blended ? Math.Min(grid.WindowWidth + 2 * margin, width) : grid.WindowWidth + 2 * margin;
        int windowH = blended ? Math.Min(grid.WindowHeight + 2 * margin, height) : grid.WindowHeight + 2 * margin;
        int OriginX(Tile t) => blended ? Math.Clamp(t.WindowX - margin, 0, width - windowW) : t.WindowX - margin;
        int OriginY(Tile t) => blended ? Math.Clamp(t.WindowY - margin, 0, height - windowH) : t.WindowY - margin;
        var windows = grid.Tiles.Select(t =>
        {
            var w = new TileTensor(model, windowW, windowH);
            w.Gather(planes, OriginX(t), OriginY(t));
            return w;
        }).ToList();

        using var options = ExecutionProviders.ForCpu(settings);
        using var session = new InferenceSession(file.Path, options);
        var names = session.InputNames.Take(model.HasDenoise ? 2 : 1).ToArray();
        double Ort(TileTensor t)
        {
            using var image = OrtValue.CreateTensorValueFromMemory(t.Data, [1, 3, t.Height, t.Width]);
            using var strength = OrtValue.CreateTensorValueFromMemory(new[] { 0.5f }, [1]);
            OrtValue[] values = names.Length == 2 ? [image, strength] : [image];
            var clock = Stopwatch.StartNew();
            using (session.Run(new RunOptions(), names, values, session.OutputNames)) { }
            return clock.Elapsed.TotalSeconds;
        }

        // Faces off: the comparison is the upscale against ONNX Runtime's; face detection (on by default when a
        // face model is installed) is its own variant below and its own benchmark (faces-speed).
        var options8 = new UpscaleOptions { Scale = s, ModelId = id, Denoise = 0.5, Device = ComputeDevice.Cpu, TileSize = tileSize, Faces = FaceMode.Off };
        // After an idle spell: the arena was given back, as it is CpuArenaIdleTime after the last image, and
        // is page-faulted in again (the first two runs after that are slower: docs/benchmarks.md).
        async Task<double> AfterIdle(UpscaleOptions o)
        {
            idle.GiveAllBack();
            return await Time(services.GetRequiredService<IUpscaler>(), o);
        }
        Task<double> InRow(UpscaleOptions o) => Time(inRow.GetRequiredService<IUpscaler>(), o);
        async Task<double> Time(IUpscaler engine, UpscaleOptions o)
        {
            var clock = Stopwatch.StartNew();
            await engine.UpscaleAsync(input, o);
            return clock.Elapsed.TotalSeconds;
        }

        // The engine's pixel work without inference: the input read into planes, every tile gathered,
        // and every tile's kept block written into an 8-bit output from an output-sized buffer.
        var fakeOutput = new float[3 * windows[0].Width * s * windows[0].Height * s];
        for (int i = 0; i < fakeOutput.Length; i++)
            fakeOutput[i] = (i % 997) / 997f;
        double Copies()
        {
            var clock = Stopwatch.StartNew();
            var colour = PixelImageReader.Colour(input);
            var target = PixelImage.Create(width * s, height * s, input.Layout, input.BitDepth);
            var writer = PixelImageWriter.Colour(target);
            var tensor = new TileTensor(model, windowW, windowH);
            int outW = tensor.Width * s, outH = tensor.Height * s;
            foreach (var t in grid.Tiles)
            {
                tensor.Gather(colour, OriginX(t), OriginY(t));
                var keep = tensor.OutputLayout((t.X - OriginX(t)) * s, (t.Y - OriginY(t)) * s, outW, outH);
                writer.Write(t.X * s, t.Y * s, t.Width * s, t.Height * s, tensor.Output(fakeOutput), keep);
            }
            return clock.Elapsed.TotalSeconds;
        }

        var variants = new List<(string Name, Func<Task<double>> Run)>
        {
            ("ONNX Runtime alone, whole image", () => Task.FromResult(Ort(whole))),
            ($"ONNX Runtime alone, whole image + {margin} px mirrored margin{(blended ? " (not what cross-faded passes do)" : "")}", () => Task.FromResult(Ort(padded))),
            ($"ONNX Runtime alone, the engine's {grid.Tiles.Count} tile windows ({windows[0].Width}x{windows[0].Height})", () => Task.FromResult(windows.Sum(Ort))),
            ("engine's pixel copies alone (read, gather, write 8-bit)", () => Task.FromResult(Copies())),
            ("engine, these tiles, after an idle spell (arena given back)", () => AfterIdle(options8)),
            ("engine, these tiles, images in a row (arena held)", () => InRow(options8)),
            ("engine, whole image, after an idle spell", () => AfterIdle(options8 with { TileSize = 0 })),
            ("engine, whole image, images in a row", () => InRow(options8 with { TileSize = 0 })),
        };
        if (quick)
            variants.RemoveAll(v => v.Name.Contains("mirrored margin") || v.Name.Contains("whole image,"));
        const string resampled = "engine, these tiles, arena held, x", withFaces = "engine, these tiles, arena held, faces auto";
        if (s > 2 && !quick)
            variants.Add(($"{resampled}{s - 1}: the x{s} output streamed through the Lanczos resampler", () => InRow(options8 with { Scale = s - 1 })));
        if (!quick)
            variants.Add(($"{withFaces} (the face detector over the whole input)", () => InRow(options8 with { Faces = FaceMode.Auto })));
        // Warm-up: sessions load, the arena grows, JIT compiles.
        foreach (var v in variants)
            await v.Run();
        var best = variants.Select(_ => double.MaxValue).ToArray();
        for (int r = 0; r < repeats; r++)
            for (int v = 0; v < variants.Count; v++)
                best[v] = Math.Min(best[v], await variants[v].Run());

        output.WriteLine();
        output.WriteLine($"## {id} ({Path.GetFileName(file.Path)}), {width}x{height}, {(tileSize is null ? "automatic" : "chosen")} tiles {(choice.Edge == 0 ? "whole image" : $"{choice.Edge} px")} ({grid.Tiles.Count} tiles of {windowW}x{windowH} windows, {(blended ? $"cross-faded over {margin} px" : $"exact, {margin} px margin")}; {TileSizer.BytesPerPixel(model) * (long)windowW * windowH / 1e9:0.00} GB estimated per window)");
        output.WriteLine();
        output.WriteLine("| what runs | best (s) | vs ONNX Runtime alone |");
        output.WriteLine("| --- | --- | --- |");
        for (int v = 0; v < variants.Count; v++)
            output.WriteLine($"| {variants[v].Name} | {best[v]:0.000} | {best[v] / best[0] - 1:+0.0%;-0.0%} |");
        output.WriteLine();
        double Best(string start) => best[variants.FindIndex(v => v.Name.StartsWith(start, StringComparison.Ordinal))];
        bool Has(string start) => variants.Exists(v => v.Name.StartsWith(start, StringComparison.Ordinal));
        double alone = best[0], windowsTime = Best("ONNX Runtime alone, the engine's"), copies = Best("engine's pixel copies"),
            released = Best("engine, these tiles, after an idle"), kept = Best("engine, these tiles, images in a row");
        if (Has(resampled + (s - 1)))
            output.WriteLine($"- a non-integer scale (x{s - 1} from this x{s} model) adds {(Best(resampled + (s - 1)) - kept) / alone:+0.0%;-0.0%} for resampling (and writes a smaller image)");
        if (Has(withFaces))
            output.WriteLine($"- face detection (faces auto, the default when a face model is installed) adds {(Best(withFaces) - kept) / alone:+0.0%;-0.0%}; the comparison above runs with faces off");
        output.WriteLine($"- the engine at {alone / kept:0%} of ONNX Runtime alone's speed for images in a row, {alone / released:0%} for the first after an idle spell");
        output.WriteLine($"- where the difference goes: margins/overlaps {windowsTime / alone - 1:+0.0%;-0.0%}, pixel copies {copies / alone:+0.0%;-0.0%}, "
                         + $"rest {(kept - windowsTime - copies) / alone:+0.0%;-0.0%}; an idle spell (the arena faulted in again) adds {(released - kept) / alone:+0.0%;-0.0%}");
    }
}
