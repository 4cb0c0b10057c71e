using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Upscaler.ModelImport.Quantization;

/// <summary>What an int8 copy was measured to do on the check photos.</summary>
/// <param name="Scale">The model's scale, found by running it.</param>
/// <param name="Photos">Check photos measured.</param>
/// <param name="Float32Db">PSNR-Y of the float32 model's result against the photos.</param>
/// <param name="Int8Db">PSNR-Y of the int8 copy's result against the photos.</param>
/// <param name="AgreementDb">PSNR-Y of the int8 result against the float32 result.</param>
public sealed record Int8CheckResult(int Scale, int Photos, double Float32Db, double Int8Db, double AgreementDb)
{
    public double LossDb => Float32Db - Int8Db;
}

/// <summary>
/// Measures an int8 copy the way the project measures models, on the user's own photos: each photo
/// (its centre, at most <see cref="MaxSide"/> px) is downscaled by the model's scale as MATLAB's
/// bicubic <c>imresize</c> does (<see cref="BicubicDownscale"/>), upscaled by the float32 model and by
/// the copy at denoise 0, and both results are compared with the photo and with each other: PSNR on
/// Y (BT.601), <c>scale</c> pixels shaved at each border, all photos' squared errors pooled.
/// </summary>
public static class Int8Check
{
    /// <summary>Largest side of a check photo: keeps a deep model's check to seconds.</summary>
    public const int MaxSide = 192;

    /// <returns>Null when no photo is large enough for the model's scale.</returns>
    internal static Int8CheckResult? Measure(byte[] float32, byte[] int8, IReadOnlyList<DenseTensor<float>> photos,
        string image, string? denoise, float rangeMax, bool bgr)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var reference = new InferenceSession(float32, options);
        using var quantized = new InferenceSession(int8, options);
        int scale = 0, measured = 0;
        var errors = new double[3];   // float32 vs photo, int8 vs photo, int8 vs float32
        long count = 0;
        foreach (var photo in photos)
        {
            if (scale == 0)
                scale = ScaleOf(reference, photo, image, denoise);
            var lr = BicubicDownscale.Apply(photo, scale, rangeMax);
            if (lr.Dimensions[2] < 16 || lr.Dimensions[3] < 16)
                continue;
            var a = Run(reference, lr, image, denoise);
            var b = Run(quantized, lr, image, denoise);
            int h = lr.Dimensions[2] * scale, w = lr.Dimensions[3] * scale;
            for (int y = scale; y < h - scale; y++)
                for (int x = scale; x < w - scale; x++)
                {
                    double truth = Luma(photo, x, y, rangeMax, bgr), ya = Luma(a, x, y, rangeMax, bgr), yb = Luma(b, x, y, rangeMax, bgr);
                    errors[0] += (ya - truth) * (ya - truth);
                    errors[1] += (yb - truth) * (yb - truth);
                    errors[2] += (yb - ya) * (yb - ya);
                    count++;
                }
            measured++;
        }
        if (measured == 0)
            return null;
        double Psnr(double squared) => squared > 0 ? 10 * Math.Log10(255.0 * 255.0 * count / squared) : 99;
        return new Int8CheckResult(scale, measured, Psnr(errors[0]), Psnr(errors[1]), Psnr(errors[2]));
    }

    private static int ScaleOf(InferenceSession session, DenseTensor<float> probe, string image, string? denoise)
    {
        var small = Crop(probe, 16, 16);
        return Run(session, small, image, denoise).Dimensions[3] / 16;
    }

    private static DenseTensor<float> Run(InferenceSession session, DenseTensor<float> input, string image, string? denoise)
    {
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(image, input) };
        if (denoise is not null)
            feeds.Add(NamedOnnxValue.CreateFromTensor(denoise, new DenseTensor<float>(new[] { 0f }, [1])));
        using var results = session.Run(feeds);
        return (DenseTensor<float>)results[0].AsTensor<float>().Clone();
    }

    /// <summary>Y of BT.601 in 16..235, as the project's PSNR-Y; values clamped to the model's range first, as the engine writes them.</summary>
    private static double Luma(DenseTensor<float> t, int x, int y, float rangeMax, bool bgr)
    {
        double r = Math.Clamp(t[0, bgr ? 2 : 0, y, x] / rangeMax, 0, 1), g = Math.Clamp(t[0, 1, y, x] / rangeMax, 0, 1), b = Math.Clamp(t[0, bgr ? 0 : 2, y, x] / rangeMax, 0, 1);
        return 16 + 65.481 * r + 128.553 * g + 24.966 * b;
    }

    private static DenseTensor<float> Crop(DenseTensor<float> t, int h, int w)
    {
        var crop = new DenseTensor<float>([1, 3, h, w]);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    crop[0, c, y, x] = t[0, c, y, x];
        return crop;
    }
}
