namespace Upscaler.Core.Faces;

/// <summary>A box in pixel coordinates: left, top, right, bottom.</summary>
internal readonly record struct FaceBox(double X0, double Y0, double X1, double Y1)
{
    public double Width => X1 - X0;
    public double Height => Y1 - Y0;
    public double Area => Math.Max(0, Width) * Math.Max(0, Height);

    public double Intersection(FaceBox other) =>
        Math.Max(0, Math.Min(X1, other.X1) - Math.Max(X0, other.X0)) * Math.Max(0, Math.Min(Y1, other.Y1) - Math.Max(Y0, other.Y0));

    public double IntersectionOverUnion(FaceBox other)
    {
        double inner = Intersection(other);
        double union = Area + other.Area - inner;
        return union > 0 ? inner / union : 0;
    }
}

/// <summary>
/// One face the detector found: its confidence, box and BlazeFace's six keypoints, in this order: the eye
/// on the image's left, the eye on the image's right, nose tip, mouth centre, left and right ear tragion.
/// </summary>
internal sealed record FaceDetection(double Score, FaceBox Box, IReadOnlyList<Point2> Keypoints)
{
    public const int KeypointCount = 6;

    public Point2 LeftEye => Keypoints[0];
    public Point2 RightEye => Keypoints[1];
}
