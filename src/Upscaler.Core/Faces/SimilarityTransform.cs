namespace Upscaler.Core.Faces;

/// <summary>A point in pixel coordinates (the centre of pixel i is at i + 0.5).</summary>
internal readonly record struct Point2(double X, double Y);

/// <summary>
/// A rotation, uniform scale and translation: x' = A·x − B·y + Tx, y' = B·x + A·y + Ty, with
/// A = scale·cos θ and B = scale·sin θ. Maps image pixels to an aligned face crop's pixels.
/// </summary>
internal readonly record struct SimilarityTransform(double A, double B, double Tx, double Ty)
{
    public double Scale => Math.Sqrt(A * A + B * B);

    public Point2 Apply(Point2 p) => new(A * p.X - B * p.Y + Tx, B * p.X + A * p.Y + Ty);

    public SimilarityTransform Inverse()
    {
        double d = A * A + B * B;
        double a = A / d, b = -B / d;
        return new SimilarityTransform(a, b, -(a * Tx - b * Ty), -(b * Tx + a * Ty));
    }

    /// <summary>This transform, then a uniform scaling of the result by <paramref name="factor"/>.</summary>
    public SimilarityTransform ThenScale(double factor) => new(A * factor, B * factor, Tx * factor, Ty * factor);

    /// <summary>A uniform scaling of the input by <paramref name="factor"/>, then this transform.</summary>
    public SimilarityTransform AfterScale(double factor) => new(A * factor, B * factor, Tx, Ty);
}
