using System.Diagnostics;
using System.Runtime.InteropServices;
using Upscaler.Cli.Images;
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
        string? path = null;
        int repeats = 3;
        bool upscale = true, understood = true;
        var device = ComputeDevice.Cpu;
        for (int i = 0; i < args.Length && understood; i++)
        {
            if (args[i] == "--no-upscale")
                upscale = false;
            else if (args[i] == "--repeats" && i + 1 < args.Length && int.TryParse(args[++i], out int n))
                repeats = n;
            else if (args[i] == "--device" && i + 1 < args.Length && Enum.TryParse(args[++i], ignoreCase: true, out ComputeDevice d))
                device = d;
            else if (path is null && !args[i].StartsWith("--", StringComparison.Ordinal))
                path = args[i];
            else
                understood = false;
        }
        if (!understood || path is null || repeats < 1)
        {
            error.WriteLine($"usage: upscaler-dev {Name} {Usage}");
            return 2;
        }

        PixelImage image;
        try
        {
            image = VipsImageReader.Read(path).Pixels;
        }
        catch (ImageFileException e)
        {
            error.WriteLine(e.Message);
            return 1;
        }
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
