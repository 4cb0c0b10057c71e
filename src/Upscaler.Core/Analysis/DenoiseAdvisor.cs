namespace Upscaler.Core.Analysis;

/// <summary>
/// "Auto" denoise: measures an image's noise and compression and maps them to a strength.
/// </summary>
/// <remarks>
/// The mapping is two ramps, and the stronger one wins:
/// <list type="bullet">
/// <item>noise: 0 up to <see cref="SigmaFloor"/> levels (busy texture in clean pictures reads as 1 to 4),
/// then rising slowly to 1 over <see cref="SigmaSpan"/> more: the shipped models' strength 0 already copes
/// with light noise, and their best strengths for noise alone are about 0.1 at σ 5, 0.2 to 0.3 at 10 and
/// 0.5 at 15 (levels of 255);</item>
/// <item>compression: from the JPEG quality when the file's is known, 0 at <see cref="QualityTop"/> and
/// rising to 1 over <see cref="QualitySpan"/> quality steps below it; otherwise from blockiness, 0 up to
/// <see cref="BlockinessFloor"/> and rising to 1 over <see cref="BlockinessSpan"/>. Compression gets its
/// own ramp because a JPEG encoder removes most of the noise it is given (σ 10 then reads as about
/// 0.6), and the network is still better at a high strength on such inputs.</item>
/// </list>
/// The constants come from models/eval/fit_auto_denoise.py: a grid search on the validation split (never
/// bench/) over 18 kinds of input (clean; noise σ 2 to 15; JPEG quality 40 to 95; both; with and without
/// blur) at x2 and x4, maximising first the number of kinds on which auto is within 0.3 dB of the best
/// fixed strength (clean: within 0.2 dB of strength 0), then the mean PSNR. The table it produced is in
/// models/README.md and models/eval/results/auto-denoise.json.
/// </remarks>
internal static class DenoiseAdvisor
{
    public const double SigmaFloor = 3, SigmaSpan = 24;
    public const double QualityTop = 84, QualitySpan = 40;
    public const double BlockinessFloor = 0.14, BlockinessSpan = 0.45;

    public static DenoiseSuggestion Suggest(PixelImage image, int? jpegQuality)
    {
        if (jpegQuality is < 1 or > 100)
            throw new InvalidOptionsException($"JPEG quality {jpegQuality} is out of range: use 1 to 100");
        var sample = ImageSample.Take(image);
        double sigma = NoiseEstimator.Estimate(sample);
        double blockiness = BlockinessEstimator.Estimate(sample);
        return new DenoiseSuggestion(Strength(sigma, jpegQuality, blockiness), sigma, jpegQuality, blockiness);
    }

    /// <summary>The strength for the measurements, rounded to hundredths (the precision front ends show).</summary>
    public static double Strength(double sigma, int? jpegQuality, double blockiness)
    {
        double noise = Ramp(sigma, SigmaFloor, SigmaSpan);
        double compression = jpegQuality is int quality
            ? Ramp(QualityTop - quality, 0, QualitySpan)
            : Ramp(blockiness, BlockinessFloor, BlockinessSpan);
        return Math.Round(Math.Max(noise, compression), 2);
    }

    private static double Ramp(double value, double floor, double span) => Math.Clamp((value - floor) / span, 0, 1);
}
