namespace Upscaler.Core.Faces;

/// <summary>
/// Turns the raw outputs of BlazeFace's "back" model into detections, by MediaPipe's rules for it
/// (SsdAnchorsCalculator with strides 16, 32, 32, 32 and fixed anchor size; TensorsToDetections with all
/// scales equal to the 256 px input): anchors at cell centres, 2 per 16 px cell then 6 per 32 px cell (896
/// for 256x256); a box centre or keypoint is its anchor plus the raw offset, and a box's size the raw
/// size, in the window's pixels (MediaPipe divides by 256 and multiplies back); the score is the sigmoid
/// of the raw score clipped to ±80. The network is fully convolutional, so the same rules hold for any
/// window size that is a multiple of 32.
/// </summary>
internal static class BlazeFaceDecoder
{
    private const float RawScoreLimit = 80f;

    /// <summary>The anchor centres (x, y) in a window's pixels, in the model's output order.</summary>
    public static (float X, float Y)[] Anchors(int height, int width)
    {
        var anchors = new List<(float X, float Y)>(Inference.DetectorSession.AnchorCount(height, width));
        foreach (var (stride, perCell) in new[] { (16, 2), (32, 6) })
            for (int y = 0; y < height / stride; y++)
                for (int x = 0; x < width / stride; x++)
                    for (int k = 0; k < perCell; k++)
                        anchors.Add(((x + 0.5f) * stride, (y + 0.5f) * stride));
        return anchors.ToArray();
    }

    public static double Score(float raw) => 1.0 / (1.0 + Math.Exp(-Math.Clamp(raw, -RawScoreLimit, RawScoreLimit)));

    /// <summary>
    /// The detections of one window scoring at least <paramref name="threshold"/>, mapped to image pixels:
    /// a window pixel coordinate u is (<paramref name="originX"/> + u)·<paramref name="factor"/> (the window's
    /// origin in its pyramid level, and the level's input pixels per pixel).
    /// </summary>
    public static void Decode(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, (float X, float Y)[] anchors, double threshold,
        double originX, double originY, double factor, List<FaceDetection> into)
    {
        for (int i = 0; i < anchors.Length; i++)
        {
            double score = Score(scores[i]);
            if (score < threshold)
                continue;
            var raw = boxes.Slice(i * 16, 16);
            var (ax, ay) = anchors[i];
            double X(double u) => (originX + u) * factor;
            double Y(double v) => (originY + v) * factor;
            double cx = ax + raw[0], cy = ay + raw[1], w = raw[2], h = raw[3];
            var keypoints = new Point2[FaceDetection.KeypointCount];
            for (int k = 0; k < keypoints.Length; k++)
                keypoints[k] = new Point2(X(ax + raw[4 + 2 * k]), Y(ay + raw[5 + 2 * k]));
            into.Add(new FaceDetection(score, new FaceBox(X(cx - w / 2), Y(cy - h / 2), X(cx + w / 2), Y(cy + h / 2)), keypoints));
        }
    }
}
