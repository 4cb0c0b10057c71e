namespace Upscaler.Core.Faces;

/// <summary>
/// Where <see cref="FaceDetector"/> searches an image at its full size. That level is only needed for the
/// faces too small for the half-size level, up to about <see cref="SmallFaceWidth"/> px (a wider face is
/// over 40 px at half size, where the detector finds every one), and on a 12 MP photo it was three windows
/// in four of the whole search. Such a small face already stirs the detector at half size, below the
/// reporting threshold, so the half-size level's weak detections (score ≥ <see cref="CandidateThreshold"/>)
/// are taken as candidates and the full-size level is searched in a <see cref="Window"/> px window around
/// each. Measured with <c>upscaler-dev faces-recall --canvas</c> (tests/FaceSet/README.md): the same recall
/// as searching the whole full-size level from 18 to 64 px (a window of 128 px, or a threshold of 0.3, lost
/// faces), in 22-38 windows of 192 px instead of 176 of 256 on a 3000x2000 canvas.
/// </summary>
internal static class SmallFaceWindows
{
    public const double CandidateThreshold = 0.2;
    public const int SmallFaceWidth = 80;
    public const int Window = 192;
    /// <summary>A candidate lying this far inside a window planned already needs none of its own.</summary>
    public const int Margin = 16;

    /// <summary>
    /// One window per candidate (narrower than <see cref="SmallFaceWidth"/>, in full-size pixels), centred on
    /// it and moved inside the image, in candidate order; none for a candidate that an earlier window holds.
    /// </summary>
    public static DetectorWindows Plan(IEnumerable<FaceDetection> candidates, int width, int height)
    {
        var origins = new List<(int Top, int Left)>();
        foreach (var box in candidates.Select(c => c.Box).Where(b => b.Width <= SmallFaceWidth))
        {
            if (origins.Any(o => box.X0 - Margin >= o.Left && box.Y0 - Margin >= o.Top
                                 && box.X1 + Margin <= o.Left + Window && box.Y1 + Margin <= o.Top + Window))
                continue;
            int left = Math.Clamp((int)Math.Floor((box.X0 + box.X1) / 2) - Window / 2, 0, Math.Max(0, width - Window));
            int top = Math.Clamp((int)Math.Floor((box.Y0 + box.Y1) / 2) - Window / 2, 0, Math.Max(0, height - Window));
            origins.Add((top, left));
        }
        return new DetectorWindows(Window, Window, origins);
    }
}

/// <summary>The windows one pyramid level is searched in: their size and their origins in the level, in run order.</summary>
internal sealed record DetectorWindows(int Width, int Height, IReadOnlyList<(int Top, int Left)> Origins)
{
    /// <summary>What running them costs, in window pixels (the detector's time is about proportional).</summary>
    public long Pixels => (long)Width * Height * Origins.Count;
}
