using System.Buffers.Binary;

namespace Upscaler.ModelImport.Weights;

/// <summary>The element types weight files store, and how to widen each to float32.</summary>
internal enum ElementType
{
    Float32,
    Float16,
    BFloat16,
    Float64,
    /// <summary>Integer and boolean tensors (e.g. BatchNorm counters): kept out of the weights.</summary>
    NonFloat,
}

internal static class ElementTypes
{
    public static int Size(ElementType type, int nonFloatSize) => type switch
    {
        ElementType.Float32 => 4,
        ElementType.Float16 or ElementType.BFloat16 => 2,
        ElementType.Float64 => 8,
        _ => nonFloatSize,
    };

    /// <summary>Little-endian bytes of <paramref name="count"/> elements to float32.</summary>
    public static float[] ToFloat32(ReadOnlySpan<byte> bytes, ElementType type, long count)
    {
        var result = new float[count];
        switch (type)
        {
            case ElementType.Float32:
                for (long i = 0; i < count; i++)
                    result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice((int)(i * 4), 4));
                break;
            case ElementType.Float16:
                for (long i = 0; i < count; i++)
                    result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice((int)(i * 2), 2)));
                break;
            case ElementType.BFloat16:
                for (long i = 0; i < count; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice((int)(i * 2), 2)) << 16);
                break;
            case ElementType.Float64:
                for (long i = 0; i < count; i++)
                    result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice((int)(i * 8), 8));
                break;
            default:
                throw new InvalidOperationException("not a float type");
        }
        return result;
    }
}
