using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Quantization;

/// <summary>Reads and writes the values of float32 initializers, stored either as raw bytes or as a float list.</summary>
internal static class FloatInitializers
{
    public const int FloatType = (int)OnnxProto.TensorProto.Types.DataType.Float;

    public static float[] Read(OnnxProto.TensorProto tensor) =>
        tensor.RawData.Length > 0
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
            : tensor.FloatData.ToArray();

    public static void Write(OnnxProto.TensorProto tensor, float[] values)
    {
        tensor.FloatData.Clear();
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }
}
