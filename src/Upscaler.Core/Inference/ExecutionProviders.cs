using Microsoft.ML.OnnxRuntime;

namespace Upscaler.Core.Inference;

/// <summary>
/// Builds ONNX Runtime session options for the CPU or the GPU. The GPU path is DirectML and exists
/// only in Windows builds (UPSCALER_DIRECTML); everything else runs on the CPU provider.
/// </summary>
internal static class ExecutionProviders
{
    // A property, not a const: the CPU-only build would otherwise flag the GPU branches as unreachable.
    public static bool GpuBuilt { get; } =
#if UPSCALER_DIRECTML
        true;
#else
        false;
#endif

    /// <summary>Threads for CPU inference: the setting, else one per logical processor.</summary>
    public static int CpuInferenceThreads(UpscalerSettings settings) =>
        settings.CpuThreads > 0 ? settings.CpuThreads : Environment.ProcessorCount;

    /// <param name="intraOpThreads">Threads inside one run; null: the setting's (ONNX Runtime's own choice when 0).</param>
    public static SessionOptions ForCpu(UpscalerSettings settings, int? intraOpThreads = null)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // The arena keeps a tile's activations between runs. Without it every tile mallocs and
            // page-faults its feature maps afresh: 2.1 s instead of 1.2 s for a 1 MP x4 tile. Every tile of
            // a pass has one shape (TileGrid), so the arena holds one tile's worth; the tile sizer's
            // budget bounds it, and it is given back once the engine is idle (IdleArenas).
            EnableCpuMemArena = true,
            // Memory patterns plan one block for a run's tensors from the second run of a shape on; that block
            // cannot reuse the arena regions the first run grew tensor by tensor, so every pass of two tiles or
            // more held both: Real-ESRGAN x4plus in four tiles peaked at 0.95 GB instead of 0.60, and two
            // 447k-pixel windows at 10.9 GB instead of one window's ~6. Without them each run reuses the first
            // run's regions, at the same speed (x4plus, and general-x4 on 1 MP and 3000x2000: within the noise).
            EnableMemoryPattern = false,
        };
        if (intraOpThreads is int threads)
            options.IntraOpNumThreads = threads;
        else if (settings.CpuThreads > 0)
            options.IntraOpNumThreads = settings.CpuThreads;
        if (settings.CpuArenaLimitBytes is long limit)
        {
            LimitedCpuArena.Register(limit);
            options.AddSessionConfigEntry("session.use_env_allocators", "1");
        }
        return options;
    }

    /// <summary>
    /// A process-wide CPU arena with a hard size limit, shared by the sessions that opt in: how tests make
    /// ONNX Runtime run out of memory for real (the limit is fixed by the first caller).
    /// </summary>
    private static class LimitedCpuArena
    {
        private static readonly object Gate = new();
        private static bool _registered;

        public static void Register(long limit)
        {
            lock (Gate)
            {
                if (_registered)
                    return;
                using var memory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
                using var arena = new OrtArenaCfg((uint)limit, arenaExtendStrategy: 1, initialChunkSizeBytes: -1, maxDeadBytesPerChunk: -1);
                OrtEnv.Instance().CreateAndRegisterAllocator(memory, arena);
                _registered = true;
            }
        }
    }

    /// <summary>Session options for DirectML; throws <see cref="DeviceUnavailableException"/> when it cannot load.</summary>
    public static SessionOptions ForGpu(UpscalerSettings settings)
    {
#if UPSCALER_DIRECTML
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            // DirectML's rules: no memory pattern, sequential execution (and one Run at a time,
            // which ModelSession enforces).
            EnableMemoryPattern = false,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        try
        {
            options.AppendExecutionProvider_DML(0);
            return options;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            options.Dispose();
            throw new DeviceUnavailableException($"the DirectML GPU provider could not be loaded: {ErrorText.OneLine(e.Message)}", e);
        }
#else
        _ = settings;
        throw new DeviceUnavailableException(
            "no GPU execution provider in this build (DirectML is built into the Windows version only); use --device cpu or auto");
#endif
    }
}
