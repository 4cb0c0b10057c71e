using NetVips;
using Upscaler.Core;

namespace Upscaler.DevTools.Bench;

/// <summary>Smooth gradients, edges and fine texture, deterministic, so runs are comparable.</summary>
internal static class SyntheticPhoto
{
    public static PixelImage Create(int width, int height)
    {
        var image = PixelImage.Create(width, height, PixelLayout.Rgb, 8);
        var random = new Random(12345);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    double v = 0.5 + 0.3 * Math.Sin(x * 0.013 * (c + 1) + y * 0.007) + (((x / 37) + (y / 23)) % 2 == 0 ? 0.12 : -0.12)
                        + 0.04 * (random.NextDouble() - 0.5);
                    image.Data[((long)y * width + x) * 3 + c] = (byte)Math.Clamp((int)(v * 255), 0, 255);
                }
        return image;
    }

    /// <summary>Planar floats in [0, 1], as ONNX Runtime alone is fed.</summary>
    public static float[] Planar(PixelImage image)
    {
        int pixels = image.Width * image.Height;
        var planes = new float[3 * pixels];
        for (int i = 0; i < pixels; i++)
            for (int c = 0; c < 3; c++)
                planes[c * pixels + i] = image.Data[i * 3 + c] / 255f;
        return planes;
    }

    /// <summary>Writes the picture as PNG, or as JPEG at quality 92 (a camera's or phone's file) when the name ends in .jpg.</summary>
    public static void Save(PixelImage pixels, string path)
    {
        using var image = Image.NewFromMemory(pixels.Data, pixels.Width, pixels.Height, pixels.Channels, Enums.BandFormat.Uchar);
        if (path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
            image.Jpegsave(path, q: 92);
        else
            image.Pngsave(path);
    }
}
