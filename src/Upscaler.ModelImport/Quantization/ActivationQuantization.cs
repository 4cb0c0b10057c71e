namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// One tensor's per-tensor uint8 quantization (asymmetric; zero is exactly representable, so zero
/// padding stays exact): value = (q - ZeroPoint) * Scale for q in 0..255.
/// </summary>
internal readonly record struct ActivationQuantization(float Scale, byte ZeroPoint)
{
    /// <summary>The quantization covering [lo, hi], widened to include zero.</summary>
    public static ActivationQuantization Covering(double lo, double hi)
    {
        lo = Math.Min(lo, 0);
        hi = Math.Max(hi, 0);
        float scale = hi > lo ? (float)((hi - lo) / 255.0) : 1f;
        double zeroPoint = Math.Round(-lo / scale);
        return new ActivationQuantization(scale, (byte)Math.Clamp(zeroPoint, 0, 255));
    }

    /// <summary>The value <paramref name="v"/> becomes after quantizing and dequantizing.</summary>
    public float RoundTrip(float v) => (float)((Math.Clamp(Math.Round(v / Scale) + ZeroPoint, 0, 255) - ZeroPoint) * Scale);
}
