namespace Upscaler.Core;

/// <summary>Process-wide engine settings, given once to <see cref="UpscalerServiceCollectionExtensions.AddUpscaler"/>.</summary>
public sealed class UpscalerSettings
{
    /// <summary>Folder holding <c>manifest.json</c> and the model files. Defaults to <c>models/</c> beside the application.</summary>
    public string ModelsDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>
    /// The per-user models folder that <c>upscaler models add</c> writes and every front end lists
    /// (see <see cref="UserModelsFolder"/>); null lists no user models.
    /// </summary>
    public string? UserModelsDirectory { get; set; } = UserModelsFolder.Default();

    /// <summary>
    /// Memory one tile's inference may use when tiles are sized automatically. 256 MiB gives 560 px tiles
    /// for the x4 models: within 3% of the speed of one whole-image pass, and ONNX Runtime's arena (which
    /// rounds its blocks up) then stays near 370 MB, so a 3000x2000 photo upscales x4 in well under 1 GB.
    /// </summary>
    public long TileMemoryBudgetBytes { get; set; } = 256L << 20;

    /// <summary>
    /// The same for models tiled with cross-faded overlaps (large receptive fields, e.g. Real-ESRGAN
    /// x4plus), on the CPU: their tiles compute the overlap twice, so small tiles cost far more time than
    /// the memory they save. x4plus needs ~13 KB per input pixel (its manifest's <c>memoryPerPixel</c>):
    /// 2 GiB holds a 405 px window with its 48 px overlaps, and a 1000x750 image then computes 1.8x its
    /// pixels; 6 GiB computes 1.2x. So the default is a quarter of the machine's memory, at least 2 GiB and
    /// at most 8 GiB (<see cref="BlendedBudgetFor"/>). A model whose manifest does not state its
    /// <c>memoryPerPixel</c> gets at most <see cref="BaseBlendedBudgetBytes"/>: the estimate from its channel
    /// count can be several times too low. An image whose whole pass fits is not tiled at all.
    /// </summary>
    public long BlendedTileMemoryBudgetBytes { get; set; } = BlendedBudgetFor(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>The default <see cref="BlendedTileMemoryBudgetBytes"/> on a machine (or container) with this much memory.</summary>
    public static long BlendedBudgetFor(long machineBytes) => Math.Clamp(machineBytes / 4, BaseBlendedBudgetBytes, 8L << 30);

    /// <summary>The least <see cref="BlendedTileMemoryBudgetBytes"/> defaults to, and the most a model without a measured memory need gets.</summary>
    public const long BaseBlendedBudgetBytes = 2L << 30;

    /// <summary>
    /// Run a model's int8 copy on the CPU when its manifest entry has one for this processor's int8
    /// arithmetic: <c>int8</c> where it has int8 dot products (VNNI, Arm dot product; about 2.3x faster),
    /// <c>int8Avx2</c> on AVX2 processors without them. Our shipped copies lose at most 0.05 dB on the model
    /// card's benchmarks with that arithmetic; copies made by <c>models add --int8</c> passed the same bar
    /// on the user's own photos. Off means the float32 file everywhere.
    /// </summary>
    public bool UseInt8OnCpu { get; set; } = true;

    /// <summary>
    /// Give CPU sessions the GPU's fixed tile shape too. Only for tests: it lets the fixed-shape path,
    /// which real GPUs take, run and be checked on machines without one.
    /// </summary>
    internal bool FixedTileShapesOnCpu { get; set; }

    /// <summary>
    /// Only for tests: the int8 arithmetic to assume instead of this processor's (see
    /// <see cref="Inference.Int8Kernels"/>), so the choice made on processors without VNNI is tested here.
    /// </summary>
    internal Inference.Int8Arithmetic? Int8ArithmeticForTests { get; set; }

    /// <summary>
    /// Only for tests: CPU sessions share one arena capped at this many bytes, so running out of memory,
    /// and the engine's answer to it (smaller tiles), can be tested for real on any machine.
    /// </summary>
    internal long? CpuArenaLimitBytes { get; set; }

    /// <summary>
    /// Give the CPU arena's free blocks back to the system after a model pass, once the engine has been idle
    /// for <see cref="CpuArenaIdleTime"/>, or when another model's pass needs the room (the default, for long-lived
    /// hosts such as the GIMP bridge and Paint.NET, which should not hold hundreds of MB between images).
    /// Off keeps them for good: every model's arena (both of a x8 chain, the face model's) is then held at once.
    /// </summary>
    public bool ReleaseCpuArenaAfterPass { get; set; } = true;

    /// <summary>
    /// How long the CPU arena is kept after a pass, a few hundred MB for the x4 models' automatic tiles. The
    /// next image of a batch, the alpha pass, or a host's next render within this time reuses it; after it,
    /// the arena is faulted in again and the first image is 20-40 % slower here (docs/benchmarks.md).
    /// </summary>
    public TimeSpan CpuArenaIdleTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Threads ONNX Runtime uses inside one inference on the CPU; 0 lets it choose (one per physical core).</summary>
    public int CpuThreads { get; set; }
}
