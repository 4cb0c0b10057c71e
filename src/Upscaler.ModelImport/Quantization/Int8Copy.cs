namespace Upscaler.ModelImport.Quantization;

/// <summary>The int8 copy of a model and what it was measured to lose against the float32 model.</summary>
/// <param name="Onnx">The QDQ ONNX file.</param>
/// <param name="QuantizedConvolutions">Convolutions that run in int8.</param>
/// <param name="Convolutions">All convolutions.</param>
/// <param name="Check">Loss and agreement on the check photos (<see cref="Int8Check"/>).</param>
public sealed record Int8Copy(byte[] Onnx, int QuantizedConvolutions, int Convolutions, Int8CheckResult Check)
{
    /// <summary>The most PSNR-Y a copy may lose against the float32 model: the bar our own int8 copies meet on Set5/Set14.</summary>
    public const double MaximumLossDb = 0.05;

    /// <summary>
    /// The least agreement with the float32 output. PSNR against the photo alone would pass a copy of a
    /// GAN model that blurs its invented texture (that can even raise PSNR); at under ~40 dB the int8
    /// result differs visibly at 100 %. Our own copies agree to 45-51 dB.
    /// </summary>
    public const double MinimumAgreementDb = 40;

    public bool Accepted => Check.LossDb <= MaximumLossDb && Check.AgreementDb >= MinimumAgreementDb;

    /// <summary>One line: what was measured, and the bars.</summary>
    public string Summary =>
        $"PSNR-Y {-Check.LossDb:+0.000;-0.000;0.000} dB against float32's on {Check.Photos} check photos (downscaled x{Check.Scale}, upscaled again), "
        + $"agreement with float32 {Check.AgreementDb:0.0} dB ({QuantizedConvolutions} of {Convolutions} convolutions int8; "
        + $"bars: at most {MaximumLossDb} dB lower, agreement at least {MinimumAgreementDb:0} dB)";
}
