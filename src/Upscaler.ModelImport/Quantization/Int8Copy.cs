namespace Upscaler.ModelImport.Quantization;

/// <summary>The two int8 copies of a model: the manifest's <c>int8</c> and <c>int8Avx2</c> entries.</summary>
/// <param name="Int8">8-bit weights, for processors that sum int8 products exactly (VNNI, Arm dot product).</param>
/// <param name="Int8Avx2">7-bit weights, for AVX2 processors without VNNI, whose saturating sums they cannot overflow.</param>
public sealed record Int8Copies(Int8Copy Int8, Int8Copy Int8Avx2);

/// <summary>An int8 copy of a model and what it was measured to lose against the float32 model.</summary>
/// <param name="WeightBits">8, or 7 for the AVX2 copy.</param>
/// <param name="Onnx">The QDQ ONNX file.</param>
/// <param name="QuantizedConvolutions">Convolutions that run in int8.</param>
/// <param name="Convolutions">All convolutions.</param>
/// <param name="Check">Loss and agreement on the check photos (<see cref="Int8Check"/>).</param>
public sealed record Int8Copy(int WeightBits, byte[] Onnx, int QuantizedConvolutions, int Convolutions, Int8CheckResult Check)
{
    /// <summary>The most PSNR-Y a copy may lose against the float32 model: the bar our own int8 copies meet on Set5/Set14.</summary>
    public const double MaximumLossDb = 0.05;

    /// <summary>
    /// The least agreement with the float32 output. PSNR against the photo alone would pass a copy of a
    /// GAN model that softens its invented texture (which can even raise PSNR). Measured on
    /// samples/*.png: our own models' copies agree to 50-56 dB, the open GAN models' to 32-41 dB
    /// (models/README.md, "int8 copies of the open models").
    /// </summary>
    public const double MinimumAgreementDb = 42;

    public bool Accepted => Check.LossDb <= MaximumLossDb && Check.AgreementDb >= MinimumAgreementDb;

    /// <summary>One line: what was measured, and the bars.</summary>
    public string Summary =>
        $"PSNR-Y {-Check.LossDb:+0.000;-0.000;0.000} dB against float32's on {Check.Photos} check photos (downscaled x{Check.Scale}, upscaled again), "
        + $"agreement with float32 {Check.AgreementDb:0.0} dB ({QuantizedConvolutions} of {Convolutions} convolutions int8, {WeightBits}-bit weights; "
        + $"bars: at most {MaximumLossDb} dB lower, agreement at least {MinimumAgreementDb:0} dB)";
}
