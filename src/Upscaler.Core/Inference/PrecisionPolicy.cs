using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// Which of a model's files a device runs. GPUs get the float16 copy when there is one (half the memory
/// traffic on DirectML). CPUs run an int8 copy where its accuracy on that processor's int8 arithmetic
/// was measured (<see cref="Int8Kernels"/>): the <c>int8</c> copy where products are summed exactly
/// (VNNI, Arm dot product), the <c>int8Avx2</c> copy on AVX2 processors without VNNI; everything else
/// runs the float32 file.
/// </summary>
internal sealed class PrecisionPolicy(UpscalerSettings settings)
{
    public ModelFile FileFor(ModelDescriptor model, ComputeDevice device) => device switch
    {
        ComputeDevice.Gpu when model.Fp16 is { } fp16 => fp16,
        ComputeDevice.Cpu when settings.UseInt8OnCpu && Arithmetic == Int8Arithmetic.Exact && model.Int8 is { } int8 => int8,
        ComputeDevice.Cpu when settings.UseInt8OnCpu && Arithmetic == Int8Arithmetic.SaturatingPairs && model.Int8Avx2 is { } avx2 => avx2,
        _ => model.Float32,
    };

    private Int8Arithmetic Arithmetic => settings.Int8ArithmeticForTests ?? Int8Kernels.OnThisCpu;

    /// <summary>Whether this processor runs the (exact) <c>int8</c> copies.</summary>
    public static bool Int8DotProducts => Int8Kernels.OnThisCpu == Int8Arithmetic.Exact;
}
