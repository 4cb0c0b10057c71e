using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Upscaler.ModelImport.Onnx;

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
/// Measures int8 copies the way the project measures models, on the user's own photos: each check
/// photo is downscaled by the model's scale as MATLAB's bicubic <c>imresize</c> does
/// (<see cref="BicubicDownscale"/>), upscaled by the float32 model and by each copy at denoise 0, and
/// the results are compared with the photo and with each other: PSNR on Y (BT.601), <c>scale</c>
/// pixels shaved at each border, all photos' squared errors pooled.
/// </summary>
public static class Int8Check
{
    /// <summary>Largest side of a check photo (callers cut the photo's centre): keeps a deep model's check to seconds.</summary>
    public const int MaxSide = 192;

    /// <summary>The smallest input side every model in the engine's contract takes.</summary>
    public const int MinimumInputSide = ModelFeeds.MinimumSide;

    internal static IReadOnlyList<Int8CheckResult> Measure(string name, byte[] float32, IReadOnlyList<byte[]> copies,
        IReadOnlyList<DenseTensor<float>> photos, string image, string? denoise, float rangeMax, bool bgr,
        CancellationToken cancellationToken = default)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var reference = new InferenceSession(float32, options);
        var sessions = copies.Select(c => new InferenceSession(c, options)).ToList();
        using var runs = new CancellableRuns(cancellationToken);
        try
        {
            int scale = ScaleOf(name, reference, image, denoise, runs);
            var photoErrors = new double[copies.Count];
            var agreementErrors = new double[copies.Count];
            double referenceErrors = 0;
            long count = 0;
            int measured = 0;
            foreach (var photo in photos.Where(p => p.Dimensions[2] >= MinimumInputSide * scale && p.Dimensions[3] >= MinimumInputSide * scale))
            {
                var lr = BicubicDownscale.Apply(photo, scale, rangeMax);
                var a = Run(runs, reference, lr, image, denoise);
                var results = sessions.Select(s => Run(runs, s, lr, image, denoise)).ToList();
                int h = lr.Dimensions[2] * scale, w = lr.Dimensions[3] * scale;
                for (int y = scale; y < h - scale; y++)
                    for (int x = scale; x < w - scale; x++)
                    {
                        double truth = Luma(photo, x, y, rangeMax, bgr), ya = Luma(a, x, y, rangeMax, bgr);
                        referenceErrors += (ya - truth) * (ya - truth);
                        for (int i = 0; i < results.Count; i++)
                        {
                            double yb = Luma(results[i], x, y, rangeMax, bgr);
                            photoErrors[i] += (yb - truth) * (yb - truth);
                            agreementErrors[i] += (yb - ya) * (yb - ya);
                        }
                        count++;
                    }
                measured++;
            }
            if (measured == 0)
                throw new ModelImportException(name, $"no int8 copy: no check photo is {MinimumInputSide * scale} px a side or more, which a x{scale} model needs");
            double Psnr(double squared) => squared > 0 ? 10 * Math.Log10(255.0 * 255.0 * count / squared) : 99;
            return Enumerable.Range(0, copies.Count)
                .Select(i => new Int8CheckResult(scale, measured, Psnr(referenceErrors), Psnr(photoErrors[i]), Psnr(agreementErrors[i])))
                .ToList();
        }
        finally
        {
            foreach (var s in sessions)
                s.Dispose();
        }
    }

    /// <summary>The model's integer scale, from a run on a small grey input; anything else is refused.</summary>
    private static int ScaleOf(string name, InferenceSession session, string image, string? denoise, CancellableRuns runs)
    {
        var probe = new DenseTensor<float>(Enumerable.Repeat(0.5f, 3 * MinimumInputSide * MinimumInputSide).ToArray(), [1, 3, MinimumInputSide, MinimumInputSide]);
        var output = Run(runs, session, probe, image, denoise);
        var d = output.Dimensions;
        if (d.Length != 4 || d[1] != 3 || d[2] != d[3] || d[2] % MinimumInputSide != 0 || d[2] / MinimumInputSide is < 1 or > 8)
            throw new ModelImportException(name, $"no int8 copy: a {MinimumInputSide}x{MinimumInputSide} input gave an output of shape [{string.Join(", ", d.ToArray())}], not [1, 3, s*{MinimumInputSide}, s*{MinimumInputSide}] for a scale s of 1 to 8");
        return d[2] / MinimumInputSide;
    }

    private static DenseTensor<float> Run(CancellableRuns runs, InferenceSession session, DenseTensor<float> input, string image, string? denoise)
    {
        using var results = runs.Run(session, ModelFeeds.For(image, input, denoise, 0f));
        return (DenseTensor<float>)results[0].AsTensor<float>().Clone();
    }

    /// <summary>Y of BT.601 in 16..235, as the project's PSNR-Y; values clamped to the model's range first, as the engine writes them.</summary>
    private static double Luma(DenseTensor<float> t, int x, int y, float rangeMax, bool bgr)
    {
        double r = Math.Clamp(t[0, bgr ? 2 : 0, y, x] / rangeMax, 0, 1), g = Math.Clamp(t[0, 1, y, x] / rangeMax, 0, 1), b = Math.Clamp(t[0, bgr ? 0 : 2, y, x] / rangeMax, 0, 1);
        return 16 + 65.481 * r + 128.553 * g + 24.966 * b;
    }
}
