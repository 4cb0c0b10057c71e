using Upscaler.Core;

namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// Paint.NET's BGRA ⇄ the engine's RGBA. Both use straight alpha and 8 bits, so this is a channel
/// swap: no premultiplying, no rounding, and a round trip is exact.
/// </summary>
public static class PixelConversion
{
    public static PixelImage ToEngine(BgraCanvas canvas)
    {
        var rgba = new byte[canvas.Data.Length];
        SwapRedBlue(canvas.Data, rgba);
        return new PixelImage(canvas.Width, canvas.Height, PixelLayout.Rgba, 8, rgba);
    }

    /// <summary>Converts an engine result to BGRA. Only 8-bit RGBA comes back from an 8-bit RGBA input.</summary>
    public static BgraCanvas FromEngine(PixelImage image)
    {
        if (image.Layout != PixelLayout.Rgba || image.BitDepth != 8)
            throw new ArgumentException($"expected an 8-bit RGBA image, got {image.BitDepth}-bit {image.Layout}", nameof(image));
        var bgra = new byte[image.Data.Length];
        SwapRedBlue(image.Data, bgra);
        return new BgraCanvas(image.Width, image.Height, bgra);
    }

    private static void SwapRedBlue(ReadOnlySpan<byte> from, Span<byte> to)
    {
        for (int i = 0; i < from.Length; i += 4)
        {
            to[i] = from[i + 2];
            to[i + 1] = from[i + 1];
            to[i + 2] = from[i];
            to[i + 3] = from[i + 3];
        }
    }
}
