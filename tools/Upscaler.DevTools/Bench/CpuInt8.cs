using Upscaler.Core.Inference;

namespace Upscaler.DevTools.Bench;

/// <summary>What the engine's precision policy does with int8 copies on this processor, in words for the tables.</summary>
internal static class CpuInt8
{
    /// <summary>Whether the engine as shipped runs the manifests' <c>int8</c> copies here (the ones <see cref="Upscaler.Core.ModelInfo.Int8File"/> names).</summary>
    public static bool RunsInt8 => Int8Kernels.OnThisCpu == Int8Arithmetic.Exact;

    public static string Describe() => Int8Kernels.OnThisCpu switch
    {
        Int8Arithmetic.Exact => "int8 copy: this CPU sums int8 products exactly, with VNNI or Arm dot product",
        Int8Arithmetic.SaturatingPairs => "int8Avx2 copy where the manifest has one: AVX2 without VNNI",
        _ => "float32: no int8 arithmetic worth using",
    };
}
