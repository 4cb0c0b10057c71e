using Upscaler.Cli.Images;
using Upscaler.ModelImport.Quantization;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// Writes an int8 copy <c>upscaler models add --int8</c> would make of a float32 ONNX model (RGB), whether
/// or not it passes the bars, so its accuracy can be measured the standard way (Set5/Set14,
/// models/eval/evaluate_int8_copies.py) and its speed timed. <c>--calibrate</c> comes last: every
/// argument after it is a photo.
/// </summary>
internal sealed class Int8CopyCommand : IDevCommand
{
    public string Name => "int8-copy";
    public string Usage => "MODEL.onnx OUT.onnx [--range-255] [--no-equalize] [--avx2] --calibrate FILE...";
    public string Summary => "the int8 copy models add --int8 makes (--avx2: the 7-bit one), written even when rejected, with what it measured";

    public Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        int calibrate = Array.IndexOf(args, "--calibrate");
        if (args.Length < 4 || calibrate < 2 || calibrate == args.Length - 1)
        {
            error.WriteLine($"usage: upscaler-dev {Name} {Usage}");
            return Task.FromResult(2);
        }
        float rangeMax = args.Contains("--range-255") ? 255f : 1f;
        var options = new Int8Options { EqualizeChannels = !args.Contains("--no-equalize") };
        var (calibration, photos) = CalibrationSet.From(args[(calibrate + 1)..].Select(p => (Func<Core.PixelImage>)(() => VipsImageReader.Read(p).Pixels)).ToList(), rangeMax, bgr: false);
        var copies = Int8Quantizer.Quantize(args[0], File.ReadAllBytes(args[0]), calibration, photos, rangeMax, bgr: false, options);
        var copy = args.Contains("--avx2") ? copies.Int8Avx2 : copies.Int8;
        File.WriteAllBytes(args[1], copy.Onnx);
        output.WriteLine($"{args[1]}: {(copy.Accepted ? "accepted" : "rejected")}: {copy.Summary}; "
            + $"float32 {copy.Check.Float32Db:0.000} dB, int8 {copy.Check.Int8Db:0.000} dB");
        return Task.FromResult(0);
    }
}
