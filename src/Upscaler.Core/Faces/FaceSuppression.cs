namespace Upscaler.Core.Faces;

/// <summary>
/// Merges the detections of overlapping windows and pyramid levels into one per face. First MediaPipe's
/// weighted non-maximum suppression: the best remaining detection and every remaining one overlapping it
/// by IoU ≥ <see cref="OverlapThreshold"/> are averaged (box and keypoints, weighted by score) and keep the
/// best score. Then containment: a detection lying mostly inside a better one is dropped, because on a
/// level where a face is larger than a window the detector also "finds" faces in parts of it (its nose and
/// mouth); faces in a photo do not nest like that.
/// </summary>
internal static class FaceSuppression
{
    public const double OverlapThreshold = 0.3;
    public const double ContainedShare = 0.6;

    public static List<FaceDetection> Apply(IEnumerable<FaceDetection> detections)
    {
        var rest = detections.OrderByDescending(d => d.Score).ToList();
        var merged = new List<FaceDetection>();
        while (rest.Count > 0)
        {
            var best = rest[0];
            var group = rest.Where(d => best.Box.IntersectionOverUnion(d.Box) >= OverlapThreshold).ToList();
            rest = rest.Where(d => best.Box.IntersectionOverUnion(d.Box) < OverlapThreshold).ToList();
            merged.Add(Average(best.Score, group));
        }

        var kept = new List<FaceDetection>();
        foreach (var face in merged)
            if (!kept.Any(better => face.Box.Intersection(better.Box) >= ContainedShare * face.Box.Area))
                kept.Add(face);
        return kept;
    }

    private static FaceDetection Average(double score, List<FaceDetection> group)
    {
        double total = group.Sum(d => d.Score);
        double Mean(Func<FaceDetection, double> value) => group.Sum(d => d.Score * value(d)) / total;
        var keypoints = new Point2[FaceDetection.KeypointCount];
        for (int k = 0; k < keypoints.Length; k++)
            keypoints[k] = new Point2(Mean(d => d.Keypoints[k].X), Mean(d => d.Keypoints[k].Y));
        return new FaceDetection(score, new FaceBox(Mean(d => d.Box.X0), Mean(d => d.Box.Y0), Mean(d => d.Box.X1), Mean(d => d.Box.Y1)), keypoints);
    }
}
