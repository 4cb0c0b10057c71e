using Upscaler.Core.Imaging;

namespace Upscaler.Core.Faces;

/// <summary>
/// Cuts a face's canonical crop out of the input: each crop pixel centre is mapped back through the
/// inverse transform and the image is read there bilinearly, clamped at its edges (past them the crop
/// repeats the edge pixels). The transform has scale 1 (see <see cref="FaceAlignment"/>), and for an
/// upright face a whole-pixel shift, where bilinear reading returns the pixels themselves.
/// </summary>
internal static class AlignedCrop
{
    public static ImagePlanes Cut(ImagePlanes image, AlignedFace face)
    {
        int side = face.Side;
        var crop = new ImagePlanes(3, side, side);
        var back = face.ToCrop.Inverse();
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                var p = back.Apply(new Point2(x + 0.5, y + 0.5));
                for (int c = 0; c < 3; c++)
                    crop.Data[c * side * side + y * side + x] = Bilinear.Sample(image.Plane(c), image.Width, image.Height, p.X - 0.5, p.Y - 0.5);
            }
        }
        return crop;
    }
}

/// <summary>Bilinear reading of a plane at index coordinates (pixel i's centre is i), clamped to the plane.</summary>
internal static class Bilinear
{
    public static float Sample(ReadOnlySpan<float> plane, int width, int height, double x, double y)
    {
        x = Math.Clamp(x, 0, width - 1);
        y = Math.Clamp(y, 0, height - 1);
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        int x1 = Math.Min(x0 + 1, width - 1), y1 = Math.Min(y0 + 1, height - 1);
        float fx = (float)(x - x0), fy = (float)(y - y0);
        float top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx;
        float bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx;
        return top * (1 - fy) + bottom * fy;
    }
}
