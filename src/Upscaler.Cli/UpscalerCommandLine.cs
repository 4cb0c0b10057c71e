using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Upscaler.Cli.Batch;
using Upscaler.Cli.Images;
using Upscaler.Cli.Models;
using Upscaler.Cli.Terminal;
using Upscaler.Core;

namespace Upscaler.Cli;

/// <summary>The <c>upscaler</c> command line: its syntax, usage checks and exit codes.</summary>
internal sealed class UpscalerCommandLine
{
    private const string Examples = """

        Examples:
          upscaler photo.jpg -o photo_x4.png --scale 4 --model general
          upscaler old-scan.jpg --denoise 0.8
          upscaler scans/ --out-dir big/ --scale 2 --format tiff
          upscaler a.png b.png --scale 3 --tile 256
          upscaler models
        """;

    private readonly Argument<string[]> _inputs = new("INPUT") { Arity = ArgumentArity.OneOrMore, Description = "Image files or folders of images to upscale" };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Output file (one input only); its extension picks the format" };
    private readonly Option<string?> _outDir = new("--out-dir") { Description = "Folder for the outputs of a batch (default: beside each input, as NAME_xSCALE.EXT)" };
    private readonly Option<double> _scale = new("--scale", "-s") { Description = "Scale factor from 1 to 8, fractions allowed", DefaultValueFactory = _ => 4.0 };
    private readonly Option<string> _model = new("--model", "-m")
    {
        Description = "Model: a kind (general: faithful photos; face; text; sharp: GAN-style detail; anime: anime and art) or a model id from 'upscaler models'",
        DefaultValueFactory = _ => "general",
    };
    private readonly Option<string> _denoise = new("--denoise", "-d")
    {
        Description = "Denoise: auto (measured in each image: its noise and JPEG compression) or a strength from 0 (keep grain) to 1 (remove noise and JPEG artifacts)",
        DefaultValueFactory = _ => "auto",
    };
    private readonly Option<string> _faces = new("--faces") { Description = "auto: find the faces and restore each with the face model (when one is installed for the scale); off: the general model only", DefaultValueFactory = _ => "auto" };
    private readonly Option<double> _faceStrength = new("--face-strength") { Description = "How much of each restored face replaces the general result, from 0 (none) to 1", DefaultValueFactory = _ => 1.0 };
    private readonly Option<string> _device = new("--device") { Description = "Where to run: auto (GPU if available), cpu or gpu", DefaultValueFactory = _ => "auto" };
    private readonly Option<int?> _tile = new("--tile") { Description = "Tile edge in input pixels (default: sized from memory; 0 = whole image in one pass). The result is the same, except a few levels for cross-faded and pooled models (x4plus, Real-CUGAN)" };
    private readonly Option<string?> _format = new("--format", "-f") { Description = $"Output format: {OutputFormats.Names} (default: from -o, else the input's)" };
    private readonly Option<int?> _quality = new("--quality", "-q") { Description = "JPEG/WebP quality from 1 to 100 (default 92 for JPEG, 90 for WebP)" };
    private readonly Option<bool> _overwrite = new("--overwrite") { Description = "Replace output files that already exist" };
    private readonly Option<bool> _timings = new("--timings")
    {
        Description = "After each image, print where its time went: start-up (first image), decode, model load, upscale, encode, and the peak memory",
    };

    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly bool _interactive;
    private readonly string _modelsDirectory;

    public UpscalerCommandLine(TextWriter output, TextWriter error, bool interactive, string modelsDirectory)
    {
        _out = output;
        _error = error;
        _interactive = interactive;
        _modelsDirectory = modelsDirectory;
        _device.AcceptOnlyFromAmong("auto", "cpu", "gpu");
        _faces.AcceptOnlyFromAmong("auto", "off");
        _format.AcceptOnlyFromAmong("png", "jpg", "jpeg", "webp", "tif", "tiff");
    }

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = BuildCommand();
        var parsed = root.Parse(args);
        if (UnknownOptions.Find(parsed) is { } unknown)
            return Usage(unknown);
        if (parsed.Errors.Count > 0)
            return Usage(ErrorText.OneLine(parsed.Errors[0].Message));
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = _out,
                Error = _error,
                EnableDefaultExceptionHandler = false,
                // Signals are ours (Terminal/InterruptSignals): this handler would end the process two
                // seconds after Ctrl+C even while a half-written file is being removed.
                ProcessTerminationTimeout = null,
            }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _error.WriteLine($"upscaler: {ErrorText.Internal(e)}");
            return ExitCodes.SomeFailed;
        }
    }

    private RootCommand BuildCommand()
    {
        var root = new RootCommand("AI image upscaling on your CPU or GPU: seam-free enlargements from x1 to x8." + Examples)
        {
            _inputs, _output, _outDir, _scale, _model, _denoise, _faces, _faceStrength, _device, _tile, _format, _quality, _overwrite, _timings,
        };
        root.SetAction((result, cancellationToken) => UpscaleAsync(result, cancellationToken));

        root.Subcommands.Add(new ModelsCommand(_out, _error, CreateServices).Build());

        return root;
    }

    private async Task<int> UpscaleAsync(ParseResult result, CancellationToken cancellationToken)
    {
        BatchSettings settings;
        try
        {
            settings = ReadSettings(result);
        }
        catch (UsageException e)
        {
            return Usage(e.Message);
        }
        catch (InvalidOptionsException e)
        {
            return Usage(e.Message);
        }

        using var services = CreateServices();
        var upscaler = services.GetRequiredService<IUpscaler>();
        if (CheckModel(upscaler, settings, denoiseGiven: result.GetResult(_denoise) is { Implicit: false }) is { } problem)
            return Usage(problem);
        var runner = new BatchRunner(upscaler, _out, _error, new ProgressDisplay(_error, _interactive));
        return await runner.RunAsync(settings, cancellationToken);
    }

    /// <summary>
    /// A model id that is not installed is a usage error (nothing is processed); for models without a
    /// denoise control, a strength given or the automatic default gets a notice, since neither changes
    /// anything. A catalog that cannot be read is left to the batch, which reports it for the first input.
    /// </summary>
    private string? CheckModel(IUpscaler upscaler, BatchSettings settings, bool denoiseGiven)
    {
        var options = settings.Options;
        IReadOnlyList<ModelInfo> models;
        try
        {
            models = upscaler.Models;
        }
        catch (UpscalerException)
        {
            return null;
        }
        var chosen = options.ModelId is { } id
            ? models.Where(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase)).ToList()
            : models.Where(m => m.Kind == options.Model).ToList();
        if (options.ModelId is null && chosen.Count == 0)
            return $"no {KindName(options.Model)} model is installed (installed: {string.Join(", ", models.Select(m => m.Id))}; 'upscaler models' lists them)";
        if (options.ModelId is not null && chosen.Count == 0)
            return $"unknown model \"{options.ModelId}\": give a kind ({string.Join(", ", Enum.GetNames<ModelKind>().Select(n => n.ToLowerInvariant()))}) "
                + $"or one of the installed ids ({string.Join(", ", models.Select(m => m.Id))})";
        if (!AutoDenoise.TakesDenoise(models, options) && (denoiseGiven || settings.Denoise.IsAuto))
            _error.WriteLine($"upscaler: notice: {AutoDenoise.NoControlReason(options)}; "
                + (settings.Denoise.IsAuto ? "automatic denoise does nothing" : "--denoise is ignored"));
        return null;
    }

    private static string KindName(ModelKind kind) => kind.ToString().ToLowerInvariant();

    private BatchSettings ReadSettings(ParseResult result)
    {
        var inputs = result.GetValue(_inputs)!;
        string? output = result.GetValue(_output), outDir = result.GetValue(_outDir);
        OutputFormat? format = result.GetValue(_format) is { } name ? OutputFormats.FromName(name) : null;
        int? quality = result.GetValue(_quality);

        if (output is not null && outDir is not null)
            throw new UsageException("use either -o/--output or --out-dir, not both");
        if (output is not null && (inputs.Length > 1 || Directory.Exists(inputs[0])))
            throw new UsageException("-o/--output takes a single input file; use --out-dir for several inputs or a folder");
        if (output is not null && format is null && OutputFormats.FromPath(output) is null)
            throw new UsageException($"cannot tell the output format from \"{output}\": name it .png, .jpg, .webp or .tif, or give --format");
        if (output is not null && format is { } f && OutputFormats.FromPath(output) is { } implied && implied != f)
            throw new UsageException($"\"{output}\" does not match --format {result.GetValue(_format)}");
        if (quality is < 1 or > 100)
            throw new UsageException($"quality {quality} is out of range: use 1 to 100");
        if (outDir is not null && File.Exists(outDir))
            throw new UsageException($"--out-dir {outDir} is a file, not a folder");

        var options = new UpscaleOptions
        {
            Scale = result.GetValue(_scale),
            Faces = Enum.Parse<FaceMode>(result.GetValue(_faces)!, ignoreCase: true),
            FaceStrength = result.GetValue(_faceStrength),
            Device = Enum.Parse<ComputeDevice>(result.GetValue(_device)!, ignoreCase: true),
            TileSize = result.GetValue(_tile),
        }.WithModel(result.GetValue(_model)!);
        options.Validate();
        var denoise = DenoiseSetting.Parse(result.GetValue(_denoise)!);
        return new BatchSettings(inputs, output, outDir, format, quality, result.GetValue(_overwrite),
            options with { Denoise = denoise.Strength ?? 0 }, denoise, result.GetValue(_timings));
    }

    /// <summary>The per-user models folder (<see cref="UserModelsFolder"/>); tests point it at a scratch folder.</summary>
    public string? UserModelsDirectory { get; init; } = UserModelsFolder.Default();

    private ServiceProvider CreateServices(Action<UpscalerSettings>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.ClearProviders().AddProvider(new NoticeLoggerProvider(_error)));
        services.AddUpscaler(settings =>
        {
            settings.ModelsDirectory = _modelsDirectory;
            settings.UserModelsDirectory = UserModelsDirectory;
            configure?.Invoke(settings);
        });
        return services.BuildServiceProvider();
    }

    private int Usage(string message)
    {
        _error.WriteLine($"upscaler: error: {message}");
        _error.WriteLine("Try 'upscaler --help' for usage and examples.");
        return ExitCodes.Usage;
    }

    private sealed class UsageException(string message) : Exception(message);
}
