using Upscaler.Core.Inference;

namespace Upscaler.DevTools.Bench;

/// <summary>What the engine's precision policy does with int8 copies on this processor, in words for the tables.</summary>
internal static class CpuInt8
{
    public static bool RunsInt8 => PrecisionPolicy.Int8DotProducts;

    public static string Describe() => RunsInt8 ? "int8 copy: this CPU has int8 dot products" : "float32: this CPU has no int8 dot products";
}
