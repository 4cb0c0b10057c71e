using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// Which of a model's files a device runs. GPUs get the float16 copy when there is one (half the memory
/// traffic on DirectML); CPUs with int8 dot products get the int8 copy (its convolutions run ~3.7x
/// faster than float32 ones); everything else runs the float32 file.
/// </summary>
internal sealed class PrecisionPolicy(UpscalerSettings settings)
{
    public ModelFile FileFor(ModelDescriptor model, ComputeDevice device) => device switch
    {
        ComputeDevice.Gpu when model.Fp16 is { } fp16 => fp16,
        ComputeDevice.Cpu when model.Int8 is { } int8 && settings.UseInt8OnCpu && Int8DotProducts => int8,
        _ => model.Float32,
    };

    /// <summary>
    /// Without them ONNX Runtime's uint8 x int8 kernels can saturate on x64 (its own guidance), and int8
    /// gains little: those processors keep the float32 file.
    /// </summary>
    public static bool Int8DotProducts =>
        System.Runtime.Intrinsics.X86.AvxVnni.IsSupported || System.Runtime.Intrinsics.Arm.Dp.IsSupported;
}
