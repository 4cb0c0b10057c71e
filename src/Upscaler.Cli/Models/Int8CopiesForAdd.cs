using Upscaler.Cli.Images;
using Upscaler.Core;
using Upscaler.ModelImport;
using Upscaler.ModelImport.Quantization;

namespace Upscaler.Cli.Models;

/// <summary>
/// The int8 part of <c>models add --int8 --calibrate PHOTO…</c>: calibration crops from the photos
/// (<see cref="CalibrationSet"/>), the two copies, the files of those that pass their bars, and one line per copy saying what was
/// measured. A model that cannot be quantized is still added (float32), with a line saying why;
/// unreadable photos are the caller's error.
/// </summary>
internal static class Int8CopiesForAdd
{
    public sealed record Result(string? Int8File, string? Int8Avx2File, IReadOnlyList<string> Notes);

    public static Result Make(string modelFile, byte[] onnx, IReadOnlyList<string> photos, float rangeMax, Core.ChannelOrder order, string scratch,
        CancellationToken cancellationToken)
    {
        var (calibration, checkPhotos) = CalibrationSet.From(photos.Select(p => (Func<PixelImage>)(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return VipsImageReader.Read(p).Pixels;
        })).ToList(), rangeMax, order == Core.ChannelOrder.Bgr);
        if (calibration.Count < 2)
            throw new ImageFileException($"--calibrate: the images give {calibration.Count} crops of {CalibrationSet.Side}x{CalibrationSet.Side} px; give larger or more photos");
        Int8Copies copies;
        try
        {
            copies = Int8Quantizer.Quantize(modelFile, onnx, calibration, checkPhotos, rangeMax, order == Core.ChannelOrder.Bgr, cancellationToken: cancellationToken);
        }
        catch (ModelImportException e)
        {
            return new Result(null, null, [e.Problem]);
        }
        var notes = new List<string>();
        string? Keep(Int8Copy copy, string fileName, string label)
        {
            notes.Add(copy.Accepted ? $"{label}: {copy.Summary}" : $"no {label} (float32 runs there): {copy.Summary}");
            if (!copy.Accepted)
                return null;
            string path = Path.Combine(scratch, fileName);
            File.WriteAllBytes(path, copy.Onnx);
            return path;
        }
        return new Result(
            Keep(copies.Int8, "model.int8.onnx", "int8 copy for CPUs with int8 dot products"),
            Keep(copies.Int8Avx2, "model.int8avx2.onnx", "int8 copy for AVX2 CPUs without them"),
            notes);
    }
}
