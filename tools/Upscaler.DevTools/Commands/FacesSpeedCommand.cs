using System.Diagnostics;
using System.Runtime.InteropServices;
using Upscaler.Core;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// Times face detection (<see cref="IUpscaler.FindFaces"/>) on a photo and, unless told not to, a x4
/// upscale of it with faces off and with faces auto, and prints detection's share of the upscale: the
/// issue's target is at most 5 % of a x4 upscale of a 12 MP photo on the CPU.
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
        var upscaler = Engine.Create();
        output.WriteLine($"# faces: {Path.GetFileName(path)} ({image.Width}x{image.Height}, {image.Width * (long)image.Height / 1e6:0.0} MP), device {device}, best of {repeats}");
        output.WriteLine($"- machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");

        IReadOnlyList<DetectedFace> faces = upscaler.FindFaces(image, device);     // first call opens the session
        double detect = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            faces = upscaler.FindFaces(image, device);
            detect = Math.Min(detect, clock.Elapsed.TotalSeconds);
        }
        output.WriteLine($"- face detection: {detect:0.000} s (best), {faces.Count} faces: " +
            string.Join(", ", faces.Select(f => $"{f.Right - f.Left:0} px at ({f.Left:0}, {f.Top:0}) score {f.Score:0.00}")));
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
        output.WriteLine($"- detection's share of the x4 upscale (faces off): {detect / plain:0.0%}");
        return 0;
    }
}
