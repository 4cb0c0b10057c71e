using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Faces;

/// <summary>
/// Finds the faces in an image, from about <see cref="MinFaceWidth"/> pixels wide upwards. BlazeFace sees
/// 256x256 windows and finds faces of roughly 20 to 130 pixels in them, so the image is searched as a
/// pyramid (each level half the last, by 2x2 averages) down to the level that fits one window, every level
/// cut into windows overlapping by <see cref="WindowOverlap"/> pixels (a face up to that size lies whole in
/// one). The detections of all windows are merged by <see cref="FaceSuppression"/>.
/// models/training/face_align.py follows the same rules, so the face model trains on the crops the
/// engine makes.
/// </summary>
internal sealed class FaceDetector(DetectorSession session)
{
    // The npm package's own default. MediaPipe's 0.5 is for one letterboxed frame; 256 px windows of a large photo
    // show the detector many more face-like textures (at 0.5, 12 false faces beside the 3 real ones on sample1).
    public const double ScoreThreshold = 0.75;
    public const int WindowOverlap = 64;
    public const int MinFaceWidth = 18;
    private const int Size = DetectorSession.Size;

    /// <summary>The faces in <paramref name="image"/> (planar RGB, 0..1), in its pixels, best first.</summary>
    public IReadOnlyList<FaceDetection> Detect(ImagePlanes image, CancellationToken cancellationToken)
    {
        var found = new List<FaceDetection>();
        var window = new float[Size * Size * 3];
        var level = image;
        for (double factor = 1; ; factor *= 2)
        {
            foreach (int top in WindowStarts(level.Height))
            {
                foreach (int left in WindowStarts(level.Width))
                {
                    Fill(window, level, left, top);
                    var (scores, boxes) = session.Run(window, cancellationToken);
                    BlazeFaceDecoder.Decode(scores, boxes, ScoreThreshold, left, top, factor, found);
                }
            }
            if (Math.Max(level.Width, level.Height) <= Size)
                break;
            level = HalfScale.Apply(level);
        }
        found.RemoveAll(f => f.Box.Width < MinFaceWidth);
        return FaceSuppression.Apply(found);
    }

    /// <summary>Window origins along one side of a level: every (256 − overlap) pixels, the last flush with the end.</summary>
    public static IReadOnlyList<int> WindowStarts(int length)
    {
        if (length <= Size)
            return [0];
        var starts = new List<int>();
        for (int s = 0; s < length - Size; s += Size - WindowOverlap)
            starts.Add(s);
        starts.Add(length - Size);
        return starts;
    }

    /// <summary>NHWC in [-1, 1]; past the level's edge (a level smaller than a window) mid-gray, 0.</summary>
    private static void Fill(float[] window, ImagePlanes level, int left, int top)
    {
        Array.Clear(window);
        int w = Math.Min(Size, level.Width - left), h = Math.Min(Size, level.Height - top);
        var r = level.Plane(0);
        var g = level.Plane(1);
        var b = level.Plane(2);
        for (int y = 0; y < h; y++)
        {
            int src = (top + y) * level.Width + left, dst = y * Size * 3;
            for (int x = 0; x < w; x++, src++, dst += 3)
            {
                window[dst] = r[src] * 2 - 1;
                window[dst + 1] = g[src] * 2 - 1;
                window[dst + 2] = b[src] * 2 - 1;
            }
        }
    }
}
