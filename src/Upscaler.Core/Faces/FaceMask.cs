namespace Upscaler.Core.Faces;

/// <summary>
/// Where a restored face replaces the general result, in canonical crop coordinates (fractions of the
/// side): an ellipse over the face from hairline to chin, 1 inside <see cref="Inner"/> of its radius,
/// 0 outside it, and a smoothstep between, so the paste has no edge. The training recipe
/// (face_align.mask) uses the same ellipse to pick its patches.
/// </summary>
internal static class FaceMask
{
    public const double CentreX = 0.5, CentreY = 0.48, RadiusX = 0.34, RadiusY = 0.44, Inner = 0.7;

    public static double Weight(double u, double v)
    {
        double dx = (u - CentreX) / RadiusX, dy = (v - CentreY) / RadiusY;
        double t = Math.Clamp((1 - Math.Sqrt(dx * dx + dy * dy)) / (1 - Inner), 0, 1);
        return t * t * (3 - 2 * t);
    }
}
