namespace Upscaler.Core;

/// <summary>The exact size an upscale produces, and the limits it must stay within.</summary>
public readonly record struct OutputSize(int Width, int Height)
{
    /// <summary>Largest output side, the common limit of PNG, JPEG and TIFF writers and of GIMP.</summary>
    public const int MaxSide = 65_535;

    /// <summary>Largest output area: keeps a 16-bit RGBA result inside one buffer.</summary>
    public const long MaxPixels = 250_000_000;

    public long Pixels => (long)Width * Height;

    /// <summary>The output size for an input size and scale factor: each side rounded, at least 1.</summary>
    public static OutputSize For(int width, int height, double scale) =>
        new(Math.Max(1, (int)Math.Round(width * scale, MidpointRounding.AwayFromZero)),
            Math.Max(1, (int)Math.Round(height * scale, MidpointRounding.AwayFromZero)));

    /// <summary>Throws <see cref="ImageTooLargeException"/> when the output would exceed the stated limits.</summary>
    public void EnsureWithinLimits()
    {
        if (Width > MaxSide || Height > MaxSide || Pixels > MaxPixels)
            throw new ImageTooLargeException(
                $"the output would be {Width}x{Height} ({Pixels / 1e6:0.#} MP), over the limit of {MaxSide} px per side and {MaxPixels / 1_000_000} MP");
    }
}
