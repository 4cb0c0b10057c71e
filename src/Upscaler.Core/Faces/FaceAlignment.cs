namespace Upscaler.Core.Faces;

/// <summary>A face's canonical crop: the transform from input pixels to crop pixels, and the crop's side.</summary>
internal readonly record struct AlignedFace(SimilarityTransform ToCrop, int Side);

/// <summary>
/// Where a face goes in its canonical crop, the one policy the face model is trained on
/// (models/training/face_align.py mirrors every constant): the eye line horizontal, the eye midpoint at
/// (0.5, <see cref="EyeY"/>) of the side, and the eye distance <see cref="EyeDistance"/> of the side. The
/// side is at least <see cref="MinSide"/> input pixels, so small faces are enlarged to one common size
/// while large faces keep every pixel they have (a crop never shrinks a face).
/// </summary>
internal static class FaceAlignment
{
    public const double EyeDistance = 0.25;
    public const double EyeY = 0.40;
    public const int MinSide = 96;

    public static AlignedFace For(FaceDetection face)
    {
        Point2 left = face.LeftEye, right = face.RightEye;
        double dx = right.X - left.X, dy = right.Y - left.Y;
        double eyes = Math.Max(Math.Sqrt(dx * dx + dy * dy), 1e-6);
        int side = Math.Max(MinSide, (int)Math.Ceiling(eyes / EyeDistance));
        side += side % 2;
        double scale = EyeDistance * side / eyes;
        double cos = dx / eyes, sin = dy / eyes;
        // Rotating by minus the eye line's angle makes it horizontal.
        double a = scale * cos, b = -scale * sin;
        double mx = (left.X + right.X) / 2, my = (left.Y + right.Y) / 2;
        double tx = 0.5 * side - (a * mx - b * my);
        double ty = EyeY * side - (b * mx + a * my);
        return new AlignedFace(new SimilarityTransform(a, b, tx, ty), side);
    }
}
