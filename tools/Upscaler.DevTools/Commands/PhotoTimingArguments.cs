using Upscaler.Cli.Images;
using Upscaler.Core;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// What the commands that time one step against a x4 upscale of a photo share:
/// <c>FILE [--repeats N] [--no-upscale] [--device cpu|gpu|auto]</c>, and reading FILE as the command line does.
/// </summary>
internal sealed record PhotoTimingArguments(string Path, int Repeats, bool Upscale, ComputeDevice Device)
{
    /// <summary>The parsed arguments, or null (after printing the usage line) when they do not parse.</summary>
    public static PhotoTimingArguments? Parse(IDevCommand command, string[] args, int defaultRepeats, bool acceptsDevice, TextWriter error)
    {
        string? path = null;
        int repeats = defaultRepeats;
        bool upscale = true, understood = true;
        var device = ComputeDevice.Cpu;
        for (int i = 0; i < args.Length && understood; i++)
        {
            if (args[i] == "--no-upscale")
                upscale = false;
            else if (args[i] == "--repeats" && i + 1 < args.Length && int.TryParse(args[++i], out int n))
                repeats = n;
            else if (acceptsDevice && args[i] == "--device" && i + 1 < args.Length && Enum.TryParse(args[++i], ignoreCase: true, out ComputeDevice d))
                device = d;
            else if (path is null && !args[i].StartsWith("--", StringComparison.Ordinal))
                path = args[i];
            else
                understood = false;
        }
        if (understood && path is not null && repeats >= 1)
            return new PhotoTimingArguments(path, repeats, upscale, device);
        error.WriteLine($"usage: upscaler-dev {command.Name} {command.Usage}");
        return null;
    }

    /// <summary>The photo's pixels, or null (after printing the one-line reason) when it cannot be read.</summary>
    public PixelImage? ReadImage(TextWriter error)
    {
        try
        {
            return VipsImageReader.Read(Path).Pixels;
        }
        catch (ImageFileException e)
        {
            error.WriteLine(e.Message);
            return null;
        }
    }
}
