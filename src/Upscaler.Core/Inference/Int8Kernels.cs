using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Upscaler.Core.Inference;

/// <summary>How ONNX Runtime's CPU kernels multiply a uint8 activation by an int8 weight on this processor.</summary>
internal enum Int8Arithmetic
{
    /// <summary>int8 dot products with int32 sums (x86 VNNI, AVX-VNNI or AVX-512; Arm dot product): exact, and ~2.3x float32 here.</summary>
    Exact,

    /// <summary>
    /// x86 with AVX2 (or AVX-512) but no VNNI: vpmaddubsw adds pairs of products in a saturating int16, so
    /// an 8-bit weight copy can be clipped (255 x 127 x 2 &gt; 32767). Only copies measured with these kernels
    /// (models/eval/evaluate_avx2_int8.py) may run here.
    /// </summary>
    SaturatingPairs,

    /// <summary>Older x86 (SSE only) and everything else: int8 gains too little, float32 runs.</summary>
    None,
}

/// <summary>Reads <see cref="Int8Arithmetic"/> from the processor once.</summary>
internal static class Int8Kernels
{
    public static Int8Arithmetic OnThisCpu { get; } = Detect();

    private static Int8Arithmetic Detect()
    {
        if (AvxVnni.IsSupported || Dp.IsSupported || Avx512Vnni())
            return Int8Arithmetic.Exact;
        return Avx2.IsSupported ? Int8Arithmetic.SaturatingPairs : Int8Arithmetic.None;
    }

    /// <summary>
    /// AVX-512 VNNI without the VEX-encoded AVX-VNNI (Ice Lake, Cascade Lake, Zen 4): CPUID leaf 7 ECX
    /// bit 11, usable when the runtime uses AVX-512 (which means the OS saves its registers).
    /// </summary>
    private static bool Avx512Vnni() =>
        Avx512F.IsSupported && X86Base.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;
}
