using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;
using Upscaler.Cli.Images;
using Upscaler.ModelImport;
using Upscaler.ModelImport.Analysis;
using Upscaler.ModelImport.Quantization;

namespace Upscaler.Cli.Models;

/// <summary>
/// <c>upscaler models</c> (list), <c>models add FILE…</c> (convert, probe and register a model in the
/// per-user folder) and <c>models remove ID</c>. Every failure is one line and a non-zero exit code,
/// with nothing registered and nothing left behind.
/// </summary>
internal sealed class ModelsCommand(TextWriter output, TextWriter error, Func<Action<UpscalerSettings>?, ServiceProvider> createServices)
{
    private static readonly string[] KindNames = Enum.GetNames<ModelKind>().Select(n => n.ToLowerInvariant()).ToArray();

    public Command Build()
    {
        var list = new Command("models", "List the installed models (ours, the bundled open models and yours); add or remove your own");
        list.SetAction(_ => List());

        var files = new Argument<string[]>("FILE")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "The model: ONNX, PyTorch .pth, .safetensors, or ncnn .param + .bin (ESRGAN/Real-ESRGAN RRDBNet, SRVGGNetCompact, Real-CUGAN, waifu2x); "
                + "two .pth/.safetensors of one network (e.g. realesr-general-x4v3 and its -wdn twin) become one model with a denoise control",
        };
        var id = new Option<string?>("--id") { Description = "The model's id (default: from the file name)" };
        var kind = new Option<string?>("--kind") { Description = $"What it is for: {string.Join(", ", KindNames)} (default: guessed from the file name, else sharp)" };
        kind.AcceptOnlyFromAmong(KindNames);
        var name = new Option<string?>("--name") { Description = "One line shown in model lists" };
        var range = new Option<string?>("--range") { Description = "ONNX files only: the values the network reads, 0-1 (default) or 0-255" };
        range.AcceptOnlyFromAmong("0-1", "0-255");
        var order = new Option<string?>("--order") { Description = "ONNX files only: channel order, rgb (default) or bgr" };
        order.AcceptOnlyFromAmong("rgb", "bgr");
        var overlap = new Option<int?>("--overlap") { Description = "Tile overlap in pixels for cross-faded tiling (default: exact tiling where the receptive field is small, else 32)" };
        var licence = new Option<string?>("--licence") { Description = "The weights' licence, recorded in the catalog (e.g. BSD-3-Clause)" };
        var source = new Option<string?>("--source") { Description = "Where the weights came from, recorded in the catalog (default: the file names)" };
        var into = new Option<string?>("--into")
        {
            Description = "Register into this models folder instead of yours (used to build the bundled open models)",
            Hidden = true,
        };
        var int8 = new Option<bool>("--int8")
        {
            Description = "Also make int8 copies (for CPUs with int8 dot products, and for AVX2 CPUs without them; 1.5-2x faster there); each is kept only if, "
                + $"on your --calibrate photos, it loses at most {Int8Copy.MaximumLossDb} dB PSNR-Y and agrees with the float model to {Int8Copy.MinimumAgreementDb:0} dB",
        };
        var calibrate = new Option<string[]>("--calibrate")
        {
            Description = "With --int8: a few photos like those you will upscale, to calibrate and check the int8 copy on",
            AllowMultipleArgumentsPerToken = true,
        };
        var add = new Command("add", "Add a model file to your models folder (it is converted to ONNX where needed)")
        {
            files, id, kind, name, range, order, overlap, licence, source, into, int8, calibrate,
        };
        // Synchronous work, but it takes the token: quantizing a big model takes minutes and Ctrl+C must stop it.
        add.SetAction((result, cancellationToken) => Task.FromResult(Add(new AddRequest(
            result.GetValue(files)!, result.GetValue(id), result.GetValue(kind), result.GetValue(name), result.GetValue(range),
            result.GetValue(order), result.GetValue(overlap), result.GetValue(licence), result.GetValue(source), result.GetValue(into),
            result.GetValue(int8), result.GetValue(calibrate) ?? []), cancellationToken)));
        list.Subcommands.Add(add);

        var removeId = new Argument<string>("ID") { Description = "The id of a model you added" };
        var remove = new Command("remove", "Remove a model you added") { removeId };
        remove.SetAction(result => Remove(result.GetValue(removeId)!));
        list.Subcommands.Add(remove);
        return list;
    }

    private sealed record AddRequest(
        string[] Files, string? Id, string? Kind, string? Name, string? Range, string? Order, int? Overlap, string? Licence, string? Source, string? Into,
        bool Int8, string[] Calibrate);

    private async Task<int> List()
    {
        // int8 copies off: the speed column's rate is the float32 convolutions' (SpeedEstimate).
        using var services = createServices(settings => settings.UseInt8OnCpu = false);
        IReadOnlyList<ModelInfo> models;
        (SpeedEstimate Estimate, string Reference)? speed;
        try
        {
            var upscaler = services.GetRequiredService<IUpscaler>();
            models = upscaler.Models;
            speed = await SpeedEstimate.MeasureAsync(upscaler, models);
        }
        catch (UpscalerException e)
        {
            return Fail(e.Message);
        }

        output.WriteLine($"{"ID",-28} {"KIND",-8} {"SCALE",-6} {"DENOISE",-8} {"FROM",-8} {SpeedEstimate.Header,-6} DESCRIPTION");
        foreach (var m in models)
            output.WriteLine($"{m.Id,-28} {m.Kind.ToString().ToLowerInvariant(),-8} {"x" + m.Scale.ToString(CultureInfo.InvariantCulture),-6} "
                + $"{(m.HasDenoise ? "yes" : "no"),-8} {Origin(m.Origin),-8} {speed?.Estimate.SecondsPerMegapixel(m) ?? "?",-6} {m.Description}");
        var settings = services.GetRequiredService<UpscalerSettings>();
        output.WriteLine($"({models.Count} models; ours and bundled in {settings.ModelsDirectory}, yours in {settings.UserModelsDirectory ?? "(no user folder)"})");
        output.WriteLine(speed is { } s ? SpeedEstimate.Footnote(s.Reference) : $"* {SpeedEstimate.Header}: no shipped model states its FLOPs to measure this CPU's rate with");
        return ExitCodes.Success;
    }

    private static string Origin(ModelOrigin origin) => origin switch
    {
        ModelOrigin.Shipped => "ours",
        ModelOrigin.Bundled => "bundled",
        _ => "yours",
    };

    private int Add(AddRequest request, CancellationToken cancellationToken)
    {
        string scratch = Path.Combine(Path.GetTempPath(), $"upscaler-add-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            foreach (var file in request.Files.Concat(request.Calibrate).Where(f => !File.Exists(f)))
                return Fail($"{file}: no such file");
            if (request.Int8 != request.Calibrate.Length > 0)
                return Fail(request.Int8 ? "--int8 needs --calibrate FILE...: a few photos like those you will upscale" : "--calibrate is for --int8");
            string modelId = request.Id ?? ModelIdFromFile.For(request.Files[0]);
            using var services = createServices(request.Into is { } into ? s => s.UserModelsDirectory = Path.GetFullPath(into) : null);
            var registry = services.GetRequiredService<IModelRegistry>();
            registry.CheckId(modelId);   // before converting and quantizing, which can take minutes

            // The steps below cannot be stopped midway (only the int8 copies' runs can): Ctrl+C is looked at
            // between them, and once more after the model is registered, which then takes it out again.
            var converted = ModelConverter.Convert(request.Files, new ConvertOptions { SplitGlobalPooling = true });
            cancellationToken.ThrowIfCancellationRequested();
            Directory.CreateDirectory(scratch);
            string onnx = Path.Combine(scratch, "model.onnx");
            File.WriteAllBytes(onnx, converted.Onnx);
            string? statistics = null;
            if (converted.Statistics is { } split)
                File.WriteAllBytes(statistics = Path.Combine(scratch, "model.stats.onnx"), split.Onnx);

            bool raw = !converted.Converted;
            if (!raw && (request.Range is not null || request.Order is not null))
                return Fail("--range and --order describe ONNX files; for converted models they come from the architecture");
            float rangeMax = (raw ? request.Range == "0-255" : converted.Range == PixelRange.ZeroTo255) ? 255f : 1f;
            var channelOrder = (raw ? request.Order == "bgr" : converted.Order == Upscaler.ModelImport.ChannelOrder.Bgr) ? Core.ChannelOrder.Bgr : Core.ChannelOrder.Rgb;
            var int8 = request.Int8
                ? Int8CopiesForAdd.Make(request.Files[0], converted.Onnx, request.Calibrate, rangeMax, channelOrder, scratch, cancellationToken)
                : new Int8CopiesForAdd.Result(null, null, []);
            double? memoryPerPixel = InferenceMemory.PerInputPixel(converted.Onnx);
            cancellationToken.ThrowIfCancellationRequested();

            var registration = new ModelRegistration
            {
                Id = modelId,
                Kind = request.Kind is { } k ? Enum.Parse<ModelKind>(k, ignoreCase: true) : KindGuess.FromFileName(request.Files[0]),
                OnnxFile = onnx,
                StatisticsFile = statistics,
                PooledValues = converted.Statistics?.Values.Select(v => new PooledValueSpec(v.Name, v.Channels, v.Kind == PoolingKind.Max)).ToList() ?? [],
                Description = request.Name ?? $"{converted.Architecture} x{converted.Scale?.ToString(CultureInfo.InvariantCulture) ?? "?"}, added from {string.Join(" + ", request.Files.Select(Path.GetFileName))}",
                RangeMax = rangeMax,
                Order = channelOrder,
                Int8File = int8.Int8File,
                Int8Avx2File = int8.Int8Avx2File,
                ReceptiveField = converted.ReceptiveField,
                ReceptiveFieldUnbounded = converted.ReceptiveFieldUnbounded,
                Overlap = request.Overlap,
                Features = converted.Features,
                FlopsPerPixel = converted.FlopsPerPixel,
                MemoryPerPixel = memoryPerPixel,
                Parameters = raw ? null : converted.Parameters,
                Architecture = raw ? null : converted.Architecture,
                Licence = request.Licence,
                Source = request.Source ?? string.Join(" + ", request.Files.Select(Path.GetFileName)),
            };

            var added = registry.Add(registration);
            if (cancellationToken.IsCancellationRequested)
            {
                registry.Remove(added.Id);
                throw new OperationCanceledException(cancellationToken);
            }
            output.WriteLine($"added {added.Id}: {added.Kind.ToString().ToLowerInvariant()} x{added.Scale}"
                + $"{(added.Architecture is { } a ? $", {a}" : "")}, {(added.HasDenoise ? "with" : "no")} denoise control, "
                + $"{(added.Overlap is int o ? $"tiles cross-faded over {o} px" : "tiles exact")}; in {registry.Folder}");
            foreach (string note in int8.Notes)
                output.WriteLine(note);
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("upscaler: cancelled; nothing was added");
            return ExitCodes.Cancelled;
        }
        catch (ModelImportException e)
        {
            return Fail(e.Message);
        }
        catch (UpscalerException e)
        {
            return Fail(e.Message);
        }
        catch (ImageFileException e)
        {
            return Fail(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ErrorText.OneLine(e.Message));
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }

    private int Remove(string id)
    {
        using var services = createServices(null);
        try
        {
            var registry = services.GetRequiredService<IModelRegistry>();
            registry.Remove(id);
            output.WriteLine($"removed {id} from {registry.Folder}");
            return ExitCodes.Success;
        }
        catch (UpscalerException e)
        {
            return Fail(e.Message);
        }
    }

    private int Fail(string message)
    {
        error.WriteLine($"upscaler: error: {ErrorText.OneLine(message)}");
        return ExitCodes.SomeFailed;
    }
}
