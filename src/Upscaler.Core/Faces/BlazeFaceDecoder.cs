namespace Upscaler.Core.Faces;

/// <summary>
/// Turns the raw outputs of BlazeFace's 256x256 "back" model into detections, by MediaPipe's rules for
/// it (SsdAnchorsCalculator with strides 16, 32, 32, 32 and fixed anchor size; TensorsToDetections with
/// all scales 256): 896 anchors at cell centres, 16x16 cells x 2 then 8x8 cells x 6; a box or keypoint is
/// its anchor plus raw / 256, in window units; the score is the sigmoid of the raw score clipped to ±80.
/// </summary>
internal static class BlazeFaceDecoder
{
    public const int InputSize = 256;
    private const float RawScoreLimit = 80f;

    /// <summary>The anchor centres (x, y) in window units, in the model's output order.</summary>
    public static readonly (float X, float Y)[] Anchors = CreateAnchors();

    private static (float X, float Y)[] CreateAnchors()
    {
        var anchors = new List<(float X, float Y)>(896);
        foreach (var (cells, perCell) in new[] { (16, 2), (8, 6) })
            for (int y = 0; y < cells; y++)
                for (int x = 0; x < cells; x++)
                    for (int k = 0; k < perCell; k++)
                        anchors.Add(((x + 0.5f) / cells, (y + 0.5f) / cells));
        return anchors.ToArray();
    }

    public static double Score(float raw) => 1.0 / (1.0 + Math.Exp(-Math.Clamp(raw, -RawScoreLimit, RawScoreLimit)));

    /// <summary>
    /// The detections of one window scoring at least <paramref name="threshold"/>, mapped to image pixels:
    /// a window unit u is (<paramref name="originX"/> + u·256)·<paramref name="factor"/> (the window's origin
    /// in its pyramid level, and the level's input pixels per pixel).
    /// </summary>
    public static void Decode(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, double threshold,
        double originX, double originY, double factor, List<FaceDetection> into)
    {
        for (int i = 0; i < Anchors.Length; i++)
        {
            double score = Score(scores[i]);
            if (score < threshold)
                continue;
            var raw = boxes.Slice(i * 16, 16);
            var (ax, ay) = Anchors[i];
            double X(double u) => (originX + u * InputSize) * factor;
            double Y(double v) => (originY + v * InputSize) * factor;
            double cx = ax + raw[0] / (double)InputSize, cy = ay + raw[1] / (double)InputSize;
            double w = raw[2] / (double)InputSize, h = raw[3] / (double)InputSize;
            var keypoints = new Point2[FaceDetection.KeypointCount];
            for (int k = 0; k < keypoints.Length; k++)
                keypoints[k] = new Point2(X(ax + raw[4 + 2 * k] / (double)InputSize), Y(ay + raw[5 + 2 * k] / (double)InputSize));
            into.Add(new FaceDetection(score, new FaceBox(X(cx - w / 2), Y(cy - h / 2), X(cx + w / 2), Y(cy + h / 2)), keypoints));
        }
    }
}
