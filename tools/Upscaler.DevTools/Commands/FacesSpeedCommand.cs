using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;
using Upscaler.Core.Faces;
using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// Times face detection on a photo and, unless told not to, a x4 upscale of it with faces off and with faces
/// auto, and prints detection's share of the upscale: the target is at most 5 % of a x4 upscale of a
/// 12 MP photo on the CPU. Detection is timed in two parts, as <see cref="IUpscaler.FindFaces"/> does it:
/// converting the image to planar floats, which an upscale does anyway and shares with its detector, and
/// the search itself (<see cref="FaceDetector.Detect"/>), which is what faces auto adds.
/// </summary>
internal sealed class FacesSpeedCommand : IDevCommand
{
    public string Name => "faces-speed";
    public string Usage => "FILE [--repeats N] [--no-upscale] [--device cpu|gpu|auto]";
    public string Summary => "seconds face detection takes on FILE, and its share of a x4 upscale of it";

    public async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (PhotoTimingArguments.Parse(this, args, defaultRepeats: 3, acceptsDevice: true, error) is not { } arguments)
            return 2;
        if (arguments.ReadImage(error) is not { } image)
            return 1;
        var (path, repeats, upscale, device) = arguments;
        using var services = Engine.Services();
        var upscaler = services.GetRequiredService<IUpscaler>();
        output.WriteLine($"# faces: {Path.GetFileName(path)} ({image.Width}x{image.Height}, {image.Width * (long)image.Height / 1e6:0.0} MP), device {device}, best of {repeats}");
        output.WriteLine($"- machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var resolved = services.GetRequiredService<DeviceSelector>().Resolve(device);
        if (services.GetRequiredService<FaceRestorer>().Detector(resolved) is not { } detector)
        {
            error.WriteLine("upscaler-dev faces-speed: no face detector is installed (models/faces)");
            return 1;
        }

        var faces = detector.Detect(PixelImageReader.Colour(image), CancellationToken.None);     // the first run opens the sessions
        double convert = double.MaxValue, search = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            var planes = PixelImageReader.Colour(image);
            convert = Math.Min(convert, clock.Elapsed.TotalSeconds);
            clock.Restart();
            faces = detector.Detect(planes, CancellationToken.None);
            search = Math.Min(search, clock.Elapsed.TotalSeconds);
        }
        output.WriteLine($"- face detection: {search:0.000} s (best), after converting the image to planes: {convert:0.000} s (best; an upscale does that anyway); " +
            $"{faces.Count} faces: " + string.Join(", ", faces.Select(f => $"{f.Box.Width:0} px at ({f.Box.X0:0}, {f.Box.Y0:0}) score {f.Score:0.00}")));
        if (!upscale)
            return 0;

        var options = new UpscaleOptions { Scale = 4, Model = ModelKind.General, Denoise = 0.2, Device = device };
        var off = Stopwatch.StartNew();
        await upscaler.UpscaleAsync(image, options with { Faces = FaceMode.Off });
        double plain = off.Elapsed.TotalSeconds;
        var on = Stopwatch.StartNew();
        await upscaler.UpscaleAsync(image, options);
        double withFaces = on.Elapsed.TotalSeconds;
        output.WriteLine($"- x4 upscale, faces off: {plain:0.0} s; faces auto (detection + {faces.Count} faces restored): {withFaces:0.0} s");
        output.WriteLine($"- detection's share of the x4 upscale (faces off): {search / plain:0.0%}");
        return 0;
    }
}
