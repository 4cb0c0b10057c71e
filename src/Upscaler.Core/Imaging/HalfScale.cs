namespace Upscaler.Core.Imaging;

/// <summary>
/// Halves an image by averaging 2x2 blocks (an odd last row or column is averaged with itself): the
/// face detector's pyramid step, cheap and free of aliasing for the detector's purposes.
/// </summary>
internal static class HalfScale
{
    public static ImagePlanes Apply(ImagePlanes source)
    {
        int w = (source.Width + 1) / 2, h = (source.Height + 1) / 2;
        var half = new ImagePlanes(source.Channels, w, h);
        for (int c = 0; c < source.Channels; c++)
        {
            var from = source.Plane(c);
            var to = half.Plane(c);
            int sw = source.Width;
            for (int y = 0; y < h; y++)
            {
                int y0 = 2 * y, y1 = Math.Min(2 * y + 1, source.Height - 1);
                for (int x = 0; x < w; x++)
                {
                    int x0 = 2 * x, x1 = Math.Min(2 * x + 1, sw - 1);
                    to[y * w + x] = 0.25f * (from[y0 * sw + x0] + from[y0 * sw + x1] + from[y1 * sw + x0] + from[y1 * sw + x1]);
                }
            }
        }
        return half;
    }
}
