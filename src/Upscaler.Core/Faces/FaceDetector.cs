using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Faces;

/// <summary>
/// Finds the faces in an image, from about <see cref="MinFaceWidth"/> pixels wide upwards. BlazeFace finds
/// faces of roughly 20 to 130 pixels, so the image is searched as a pyramid (each level half the last, by
/// 2x2 averages) down to the level that fits one 256 px window. The full-size level is searched only around
/// the places the half-size level nominates (<see cref="SmallFaceWindows"/>). A level up to 256 px is one 256x256 window
/// (padded with mid-gray, the size the network was trained at); a larger one is cut into windows of up to
/// <see cref="MaxWindow"/> px that overlap by <see cref="WindowOverlap"/> pixels (a face up to that size
/// lies whole in one; larger ones are found a level down). The detector file takes any multiple of 32, but
/// on the CPU 256 px windows were the fastest: a 12 MP photo took 7.0 s in 256 px windows, 15.8 s in 512
/// and 15.6 s in 1024 (the larger windows' activations no longer fit in the caches), with the same faces. The detections of all windows are merged by
/// <see cref="FaceSuppression"/>. models/training/face_align.py follows the same rules, so the face model
/// trains on the crops the engine makes. With several sessions (one single-threaded session per CPU thread,
/// <see cref="SessionCache.GetDetectors"/>) the windows of a level run side by side; the detections are
/// merged in window order, so the result does not depend on the number of sessions.
/// </summary>
internal sealed class FaceDetector(IReadOnlyList<DetectorSession> sessions)
{
    // The npm package's own default. MediaPipe's 0.5 is for one letterboxed frame; windows of a large photo
    // show the detector many more face-like textures (at 0.5, 12 false faces beside the 3 real ones on sample1).
    public const double ScoreThreshold = 0.75;
    public const int WindowOverlap = 64;
    public const int MinWindow = 256;
    public const int MaxWindow = MinWindow;
    public const int MinFaceWidth = 18;

    private readonly Dictionary<(int H, int W), (float X, float Y)[]> _anchors = new();

    /// <summary>The faces in <paramref name="image"/> (planar RGB, 0..1), in its pixels, best first.</summary>
    public IReadOnlyList<FaceDetection> Detect(ImagePlanes image, CancellationToken cancellationToken)
    {
        var found = new List<FaceDetection>();
        if (Math.Max(image.Width, image.Height) <= MinWindow)
        {
            found.AddRange(RunWindows(image, Everywhere(image), 1, ScoreThreshold, cancellationToken));
        }
        else
        {
            // The half-size level and below everywhere; the half-size level also nominates where small faces may be.
            var candidates = new List<FaceDetection>();
            var level = image;
            for (double factor = 2; Math.Max(level.Width, level.Height) > MinWindow; factor *= 2)
            {
                level = HalfScale.Apply(level);
                bool half = factor == 2;
                foreach (var detection in RunWindows(level, Everywhere(level), factor, half ? SmallFaceWindows.CandidateThreshold : ScoreThreshold, cancellationToken))
                {
                    if (half)
                        candidates.Add(detection);
                    if (detection.Score >= ScoreThreshold)
                        found.Add(detection);
                }
            }
            // The full size only for small faces, around the candidates; everywhere where their windows would cost
            // half as much or more (a small photo: little to save, and its whole windows give more context).
            var around = SmallFaceWindows.Plan(candidates, image.Width, image.Height);
            var everywhere = Everywhere(image);
            found.AddRange(RunWindows(image, 2 * around.Pixels <= everywhere.Pixels ? around : everywhere, 1, ScoreThreshold, cancellationToken)
                .Where(d => d.Box.Width <= SmallFaceWindows.SmallFaceWidth));
        }
        found.RemoveAll(f => f.Box.Width < MinFaceWidth);
        return FaceSuppression.Apply(found);
    }

    /// <summary>A whole level in windows of up to <see cref="MaxWindow"/> px overlapping by <see cref="WindowOverlap"/>.</summary>
    private static DetectorWindows Everywhere(ImagePlanes level)
    {
        int winW = WindowSide(level.Width), winH = WindowSide(level.Height);
        return new DetectorWindows(winW, winH,
            (from top in WindowStarts(level.Height, winH) from left in WindowStarts(level.Width, winW) select (top, left)).ToArray());
    }

    /// <summary>
    /// The detections scoring at least <paramref name="threshold"/> in each window of one level, in window order.
    /// Worker i of n takes windows i, i + n, ... (they cost the same).
    /// </summary>
    private List<FaceDetection> RunWindows(ImagePlanes level, DetectorWindows windows, double factor, double threshold, CancellationToken cancellationToken)
    {
        int winW = windows.Width, winH = windows.Height;
        var origins = windows.Origins;
        var perWindow = new List<FaceDetection>[origins.Count];
        var anchors = AnchorsFor(winH, winW);
        int workers = Math.Min(sessions.Count, origins.Count);
        void Work(int worker)
        {
            var window = new float[winW * winH * 3];
            for (int i = worker; i < origins.Count; i += workers)
            {
                var (top, left) = origins[i];
                Fill(window, winW, winH, level, left, top);
                var (scores, boxes) = sessions[worker].Run(window, winH, winW, cancellationToken);
                perWindow[i] = [];
                BlazeFaceDecoder.Decode(scores, boxes, anchors, threshold, left, top, factor, perWindow[i]);
            }
        }
        if (workers == 1)
            Work(0);
        else if (workers > 1)
        {
            try
            {
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Work);
            }
            catch (AggregateException e)
            {
                // The caller sees what one window threw, cancellation first, as from the sequential loop.
                var first = e.InnerExceptions.FirstOrDefault(x => x is OperationCanceledException) ?? e.InnerExceptions[0];
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            }
        }
        return perWindow.SelectMany(d => d).ToList();
    }

    private (float X, float Y)[] AnchorsFor(int height, int width)
    {
        if (!_anchors.TryGetValue((height, width), out var anchors))
            _anchors[(height, width)] = anchors = BlazeFaceDecoder.Anchors(height, width);
        return anchors;
    }

    /// <summary>A window side for a level side: 256 for short sides, else the side rounded up to 32, at most <see cref="MaxWindow"/>.</summary>
    public static int WindowSide(int length) =>
        length <= MinWindow ? MinWindow : Math.Min(MaxWindow, (length + DetectorSession.Granularity - 1) / DetectorSession.Granularity * DetectorSession.Granularity);

    /// <summary>Window origins along one side of a level: every (window − overlap) pixels, the last flush with the end.</summary>
    public static IReadOnlyList<int> WindowStarts(int length, int window)
    {
        if (length <= window)
            return [0];
        var starts = new List<int>();
        for (int s = 0; s < length - window; s += window - WindowOverlap)
            starts.Add(s);
        starts.Add(length - window);
        return starts;
    }

    /// <summary>NHWC in [-1, 1]; past the level's edge (a level smaller than a window) mid-gray, 0.</summary>
    private static void Fill(float[] window, int winW, int winH, ImagePlanes level, int left, int top)
    {
        Array.Clear(window);
        int w = Math.Min(winW, level.Width - left), h = Math.Min(winH, level.Height - top);
        var r = level.Plane(0);
        var g = level.Plane(1);
        var b = level.Plane(2);
        for (int y = 0; y < h; y++)
        {
            int src = (top + y) * level.Width + left, dst = y * winW * 3;
            for (int x = 0; x < w; x++, src++, dst += 3)
            {
                window[dst] = r[src] * 2 - 1;
                window[dst + 1] = g[src] * 2 - 1;
                window[dst + 2] = b[src] * 2 - 1;
            }
        }
    }
}
