namespace Upscaler.Core.Imaging;

/// <summary>Splits an interleaved 8/16-bit image into the planar [0, 1] floats the models take.</summary>
internal static class PixelImageReader
{
    /// <summary>RGB planes; a gray image is repeated into all three, since the models are RGB.</summary>
    public static ImagePlanes Colour(PixelImage image)
    {
        var planes = new ImagePlanes(3, image.Width, image.Height);
        int colourChannels = image.IsGray ? 1 : 3;
        for (int c = 0; c < 3; c++)
            ReadChannel(image, Math.Min(c, colourChannels - 1), planes.Plane(c));
        return planes;
    }

    /// <summary>The alpha channel as one plane, or null when the image has none.</summary>
    public static ImagePlanes? Alpha(PixelImage image)
    {
        if (!image.HasAlpha)
            return null;
        var plane = new ImagePlanes(1, image.Width, image.Height);
        ReadChannel(image, image.Channels - 1, plane.Plane(0));
        return plane;
    }

    private static void ReadChannel(PixelImage image, int channel, Span<float> plane)
    {
        int channels = image.Channels;
        float scale = 1f / image.MaxValue;
        byte[] data = image.Data;
        if (image.BitDepth == 8)
        {
            for (int i = 0, s = channel; i < plane.Length; i++, s += channels)
                plane[i] = data[s] * scale;
        }
        else
        {
            for (int i = 0, s = channel * 2; i < plane.Length; i++, s += channels * 2)
                plane[i] = (data[s] | data[s + 1] << 8) * scale;
        }
    }
}
