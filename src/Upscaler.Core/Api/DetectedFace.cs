namespace Upscaler.Core;

/// <summary>
/// A face the engine found (see <see cref="IUpscaler.FindFaces"/>): the detector's confidence, its box and
/// the eye centres, in pixels of the image (the eye on the image's left first).
/// </summary>
public sealed record DetectedFace(double Score, double Left, double Top, double Right, double Bottom,
    double LeftEyeX, double LeftEyeY, double RightEyeX, double RightEyeY);
