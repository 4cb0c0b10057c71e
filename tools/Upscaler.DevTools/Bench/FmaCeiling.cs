using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Upscaler.DevTools.Bench;

/// <summary>
/// Measures this CPU's FP32 fused-multiply-add peak with the widest vectors it has, on a given number
/// of threads: the ceiling that inference speed is judged against. Independent accumulators hide the
/// FMA latency, so the loop is bound by FMA throughput alone.
/// </summary>
internal static class FmaCeiling
{
    private const int Iterations = 20_000_000;
    private static float s_sink;

    public static (double GflopsPerSecond, string Isa) Measure(int threads)
    {
        string isa = Avx512F.IsSupported ? "AVX-512 FMA" : Fma.IsSupported ? "AVX2 FMA" : "scalar";
        Run(threads, Iterations / 20); // warm up: JIT and clocks
        // Best of several short runs: on a shared machine a run that another process interrupted
        // would understate the ceiling and flatter every share judged against it.
        double best = 0;
        for (int i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            double flops = Run(threads, Iterations);
            best = Math.Max(best, flops / clock.Elapsed.TotalSeconds / 1e9);
        }
        return (best, isa);
    }

    private static double Run(int threads, int iterations)
    {
        var sink = new float[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sink[t] = Kernel(iterations));
        int lanes = Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : 1;
        s_sink = sink.Sum(); // keeps the loops' results alive so the JIT cannot drop them
        return (double)threads * iterations * 8 * lanes * 2; // 8 FMAs of `lanes` lanes, 2 flops each
    }

    private static float Kernel(int iterations)
    {
        if (Avx512F.IsSupported)
        {
            var a = Vector512.Create(0.999f);
            var b = Vector512.Create(1e-6f);
            Vector512<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Avx512F.FusedMultiplyAdd(c0, a, b); c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
                c2 = Avx512F.FusedMultiplyAdd(c2, a, b); c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
                c4 = Avx512F.FusedMultiplyAdd(c4, a, b); c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
                c6 = Avx512F.FusedMultiplyAdd(c6, a, b); c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
        }
        if (Fma.IsSupported)
        {
            var a = Vector256.Create(0.999f);
            var b = Vector256.Create(1e-6f);
            Vector256<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b);
                c2 = Fma.MultiplyAdd(c2, a, b); c3 = Fma.MultiplyAdd(c3, a, b);
                c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
                c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b);
            }
            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
        }
        float s0 = 1e-6f;
        for (int i = 0; i < iterations * 8; i++)
            s0 = MathF.FusedMultiplyAdd(s0, 0.999f, 1e-6f);
        return s0;
    }
}
