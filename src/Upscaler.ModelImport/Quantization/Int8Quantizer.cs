using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Upscaler.ModelImport.Onnx;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// Makes the int8 copies of a float32 model in the engine's I/O contract, one with 8-bit weights and
/// one with 7-bit weights for AVX2 processors without VNNI: evens out activation channels
/// (<see cref="ChannelEqualizer"/>), calibrates activation ranges on the given inputs
/// (<see cref="ActivationCalibrator"/>), writes the QDQ graphs (<see cref="QdqGraphWriter"/>) and
/// measures each against the float32 model on check photos (<see cref="Int8Check"/>);
/// <see cref="Int8Copy.Accepted"/> says whether a copy is good enough to use.
/// </summary>
public static class Int8Quantizer
{
    /// <param name="name">The model's file, for messages.</param>
    /// <param name="float32Onnx">The model.</param>
    /// <param name="calibration">Inputs to calibrate activation ranges on.</param>
    /// <param name="checkPhotos">Photos (NCHW, the model's range and order) to measure the copy on (<see cref="Int8Check"/>).</param>
    /// <param name="rangeMax">The top of the model's value range.</param>
    /// <param name="bgr">The model reads BGR.</param>
    /// <param name="options">How the copy is made.</param>
    /// <param name="cancellationToken">Stops the work, also in the middle of a run of the model.</param>
    /// <exception cref="OperationCanceledException">cancelled.</exception>
    public static Int8Copies Quantize(string name, byte[] float32Onnx, IReadOnlyList<CalibrationInput> calibration,
        IReadOnlyList<DenseTensor<float>> checkPhotos, float rangeMax, bool bgr = false, Int8Options? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new Int8Options();
        if (calibration.Count == 0 || checkPhotos.Count == 0)
            throw new ArgumentException("calibration inputs and check photos are needed");
        var model = OnnxProto.ModelProto.Parser.ParseFrom(float32Onnx);
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < QdqGraphWriter.MinimumOpset)
            throw new ModelImportException(name, $"no int8 copy: the model uses ONNX opset {opset}, per-channel int8 needs {QdqGraphWriter.MinimumOpset} or later");
        var (image, denoise) = Inputs(name, model);

        if (!new QdqGraphWriter(model).Convolutions.Any())
            throw new ModelImportException(name, "no int8 copy: the model has no convolution with constant weights to quantize besides its first and last, which stay float32");
        try
        {
            if (options.EqualizeChannels)
                model = ChannelEqualizer.Equalize(model, calibration, image, denoise, cancellationToken);
            var writer = new QdqGraphWriter(model);
            var statistics = ActivationCalibrator.Measure(model, writer.ActivationTensors, calibration, image, denoise, cancellationToken);
            var ranges = statistics.ToDictionary(s => s.Key, s => s.Value.ChooseRange(writer.LeakySlopeAfter(s.Key)), StringComparer.Ordinal);
            int[] bits = [8, 7];
            var copies = bits.Select(b => Google.Protobuf.MessageExtensions.ToByteArray(writer.Write(ranges, b))).ToList();
            var checks = Int8Check.Measure(name, float32Onnx, copies, checkPhotos, image, denoise, rangeMax, bgr, cancellationToken);
            var made = bits.Select((b, i) => new Int8Copy(b, copies[i], writer.Convolutions.Count, writer.ConvolutionCount, checks[i])).ToList();
            return new Int8Copies(made[0], made[1]);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelImportException(name, $"no int8 copy: ONNX Runtime could not run the model on the calibration crops ({e.Message})", e);
        }
    }

    private static (string Image, string? Denoise) Inputs(string name, OnnxProto.ModelProto model)
    {
        if (ModelFeeds.Inputs(model.Graph) is not var (image, other) || other is not null && other.Type?.TensorType?.Shape?.Dim is not [{ DimValue: 1 }])
            throw new ModelImportException(name, "no int8 copy: only models whose inputs are one image and at most a denoise strength of shape [1] are quantized (not a model split into a statistics pass)");
        return (image.Name, other?.Name);
    }
}
