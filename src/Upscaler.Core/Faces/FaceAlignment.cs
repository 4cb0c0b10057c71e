namespace Upscaler.Core.Faces;

/// <summary>A face's canonical crop: the transform from input pixels to crop pixels, and the crop's side.</summary>
internal readonly record struct AlignedFace(SimilarityTransform ToCrop, int Side);

/// <summary>
/// Where a face goes in its canonical crop, the one policy the face model is trained on
/// (models/training/face_align.py mirrors every constant): the eye midpoint at (0.5, <see cref="EyeY"/>) of
/// the side, the side <see cref="EyeDistance"/>⁻¹ times the eye distance and at least <see cref="MinSide"/>,
/// at the face's own scale. The eye line is turned horizontal when it leans more than
/// <see cref="SnapDegrees"/>; a face leaning less is cut as a whole-pixel shift of the image, so neither the
/// crop nor the paste resamples it. Enlarging small faces to one common size was measured first and lost:
/// the resampling on the way in and out, and the face model's 12-pixel receptive field spread over fewer
/// input pixels, cost 1-2.5 dB on whole portraits before any training.
/// </summary>
internal static class FaceAlignment
{
    public const double EyeDistance = 0.25;
    public const double EyeY = 0.40;
    public const int MinSide = 96;
    public const double SnapDegrees = 15.0;

    public static AlignedFace For(FaceDetection face) => For(face.LeftEye, face.RightEye);

    public static AlignedFace For(Point2 left, Point2 right)
    {
        double dx = right.X - left.X, dy = right.Y - left.Y;
        double eyes = Math.Max(Math.Sqrt(dx * dx + dy * dy), 1e-6);
        int side = Math.Max(MinSide, (int)Math.Ceiling(eyes / EyeDistance));
        side += side % 2;
        double mx = (left.X + right.X) / 2, my = (left.Y + right.Y) / 2;
        if (Math.Abs(Math.Atan2(dy, dx) * 180 / Math.PI) <= SnapDegrees)
            return new AlignedFace(new SimilarityTransform(1, 0, Math.Floor(0.5 * side - mx + 0.5), Math.Floor(EyeY * side - my + 0.5)), side);
        // Rotating by minus the eye line's angle makes it horizontal.
        double a = dx / eyes, b = -dy / eyes;
        return new AlignedFace(new SimilarityTransform(a, b, 0.5 * side - (a * mx - b * my), EyeY * side - (b * mx + a * my)), side);
    }
}
