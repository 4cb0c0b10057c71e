using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// Opens each (model, device) session once per process, after verifying the file against its checksum.
/// Failures are not cached, so a model fixed on disk loads on the next request of a long-lived host.
/// </summary>
internal sealed class SessionCache : IDisposable
{
    private readonly UpscalerSettings _settings;
    private readonly ILogger _logger;
    private readonly Dictionary<(string Id, ComputeDevice Device), ModelSession> _sessions = new();
    private readonly object _gate = new();
    private bool _gpuUnavailable;

    public SessionCache(UpscalerSettings settings, ILogger<SessionCache>? logger = null)
    {
        _settings = settings;
        _logger = logger ?? NullLogger<SessionCache>.Instance;
    }

    /// <summary>Returns the session for a model, resolving <see cref="ComputeDevice.Auto"/> to the GPU or the CPU.</summary>
    public ModelSession Get(ModelDescriptor model, ComputeDevice device)
    {
        lock (_gate)
        {
            if (device == ComputeDevice.Auto)
                device = _gpuUnavailable ? ComputeDevice.Cpu : TryGpuOrFallBack(model);
            return GetOrOpen(model, device);
        }
    }

    private ComputeDevice TryGpuOrFallBack(ModelDescriptor model)
    {
        if (!ExecutionProviders.GpuBuilt)
        {
            _gpuUnavailable = true;
            _logger.LogInformation("no GPU execution provider in this build; running on the CPU");
            return ComputeDevice.Cpu;
        }
        try
        {
            GetOrOpen(model, ComputeDevice.Gpu);
            return ComputeDevice.Gpu;
        }
        catch (DeviceUnavailableException e)
        {
            _gpuUnavailable = true;
            _logger.LogWarning("{Reason}; running on the CPU", e.Message);
            return ComputeDevice.Cpu;
        }
    }

    private ModelSession GetOrOpen(ModelDescriptor model, ComputeDevice device)
    {
        if (_sessions.TryGetValue((model.Id, device), out var cached))
            return cached;

        // GPUs get the float16 copy when there is one: half the memory traffic on DirectML.
        bool fp16 = device == ComputeDevice.Gpu && model.Fp16FilePath is not null;
        string file = fp16 ? model.Fp16FilePath! : model.FilePath;
        Verify(model, file, fp16 ? model.Fp16Sha256! : model.Sha256);

        using SessionOptions options = device == ComputeDevice.Gpu
            ? ExecutionProviders.ForGpu(_settings)
            : ExecutionProviders.ForCpu(_settings);
        var session = ModelSession.Open(model, file, device, options);
        _sessions[(model.Id, device)] = session;
        return session;
    }

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
