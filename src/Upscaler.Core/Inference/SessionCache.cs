using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;
using Upscaler.Core.Tiling;

namespace Upscaler.Core.Inference;

/// <summary>
/// Opens each (model, device) session once per process, after verifying the file against its checksum.
/// Failures are not cached, so a model fixed on disk loads on the next request of a long-lived host.
/// </summary>
internal sealed class SessionCache : IDisposable
{
    private readonly UpscalerSettings _settings;
    private readonly ILogger _logger;
    private readonly Dictionary<(string Id, ComputeDevice Device, int? FixedTile), ModelSession> _sessions = new();
    private readonly object _gate = new();
    // The card does not change while the process runs; DXGI is asked once, when a GPU tile is first sized.
    private readonly Lazy<long?> _gpuTileBudget = new(AdapterMemory.TileBudgetBytes);
    private bool _gpuUnavailable;

    public SessionCache(UpscalerSettings settings, ILogger<SessionCache>? logger = null)
    {
        _settings = settings;
        _logger = logger ?? NullLogger<SessionCache>.Instance;
    }

    /// <summary>Returns the session for a model, resolving <see cref="ComputeDevice.Auto"/> to the GPU or the CPU.</summary>
    /// <param name="requestedTile">The request's tile size: it fixes the tile shape of GPU sessions.</param>
    public ModelSession Get(ModelDescriptor model, ComputeDevice device, int? requestedTile = null)
    {
        lock (_gate)
        {
            if (device == ComputeDevice.Auto)
                device = _gpuUnavailable ? ComputeDevice.Cpu : TryGpuOrFallBack(model, requestedTile);
            return GetOrOpen(model, device, FixedTileFor(model, device, requestedTile));
        }
    }

    /// <summary>
    /// GPU sessions run one tile shape for their whole life (DirectML compiles shaders per shape), so
    /// their tile is chosen here, from the card's memory (else the budget) unless the request names one;
    /// a request for one whole-image pass gets the automatic size there. CPU sessions take any shape.
    /// </summary>
    private int? FixedTileFor(ModelDescriptor model, ComputeDevice device, int? requestedTile)
    {
        if (device != ComputeDevice.Gpu && !_settings.FixedTileShapesOnCpu)
            return null;
        long budget = device == ComputeDevice.Gpu ? _gpuTileBudget.Value ?? _settings.TileMemoryBudgetBytes : _settings.TileMemoryBudgetBytes;
        return TileSizer.Resolve(requestedTile is 0 ? null : requestedTile, model, budget);
    }

    private ComputeDevice TryGpuOrFallBack(ModelDescriptor model, int? requestedTile)
    {
        if (!ExecutionProviders.GpuBuilt)
        {
            _gpuUnavailable = true;
            _logger.LogInformation("no GPU execution provider in this build; running on the CPU");
            return ComputeDevice.Cpu;
        }
        try
        {
            GetOrOpen(model, ComputeDevice.Gpu, FixedTileFor(model, ComputeDevice.Gpu, requestedTile));
            return ComputeDevice.Gpu;
        }
        catch (DeviceUnavailableException e)
        {
            _gpuUnavailable = true;
            _logger.LogWarning("{Reason}; running on the CPU", e.Message);
            return ComputeDevice.Cpu;
        }
    }

    private ModelSession GetOrOpen(ModelDescriptor model, ComputeDevice device, int? fixedTile)
    {
        if (_sessions.TryGetValue((model.Id, device, fixedTile), out var cached))
            return cached;

        // GPUs get the float16 copy when there is one: half the memory traffic on DirectML. CPUs with
        // int8 dot products get the int8 copy: its convolutions run ~3.7x faster than float32 ones.
        var (file, sha) = device == ComputeDevice.Gpu && model.Fp16FilePath is not null ? (model.Fp16FilePath, model.Fp16Sha256!)
            : device == ComputeDevice.Cpu && model.Int8FilePath is not null && _settings.UseInt8OnCpu && Int8DotProducts ? (model.Int8FilePath, model.Int8Sha256!)
            : (model.FilePath, model.Sha256);
        Verify(model, file, sha);

        using SessionOptions options = device == ComputeDevice.Gpu
            ? ExecutionProviders.ForGpu(_settings)
            : ExecutionProviders.ForCpu(_settings);
        var session = ModelSession.Open(model, file, device, options, fixedTile);
        _sessions[(model.Id, device, fixedTile)] = session;
        return session;
    }

    /// <summary>
    /// Without them ONNX Runtime's uint8 x int8 kernels can saturate on x64 (its own guidance), and int8
    /// gains little: those processors keep the float32 file.
    /// </summary>
    private static bool Int8DotProducts =>
        System.Runtime.Intrinsics.X86.AvxVnni.IsSupported || System.Runtime.Intrinsics.Arm.Dp.IsSupported;

    private static void Verify(ModelDescriptor model, string file, string expectedSha256)
    {
        if (!File.Exists(file))
            throw new ModelCatalogException($"model file {file} is missing (manifest entry \"{model.Id}\")");
        string actual;
        try
        {
            using var stream = File.OpenRead(file);
            actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (IOException e)
        {
            throw new ModelCatalogException($"model file {file} cannot be read: {e.Message}", e);
        }
        if (actual != expectedSha256)
            throw new ModelCatalogException($"model file {file} does not match its sha256 in the manifest (corrupt or replaced)");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var session in _sessions.Values)
                session.Dispose();
            _sessions.Clear();
        }
    }
}
