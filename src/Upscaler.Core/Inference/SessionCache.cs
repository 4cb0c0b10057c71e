using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// Opens each (model, device, pinned tile) session once per process and keeps it: the file is chosen by
/// <see cref="PrecisionPolicy"/>, verified by <see cref="ModelFileVerifier"/>, and opened with the
/// device's options from <see cref="ExecutionProviders"/>. Failures are not cached, so a model fixed on
/// disk loads on the next request of a long-lived host.
/// </summary>
internal sealed class SessionCache(UpscalerSettings settings, PrecisionPolicy precision) : IDisposable
{
    private readonly Dictionary<(string Id, ComputeDevice Device, int? FixedTile), ModelSession> _sessions = new();
    private readonly Dictionary<(string Id, ComputeDevice Device), StatisticsSession> _statistics = new();
    private readonly Dictionary<(string Id, ComputeDevice Device), IReadOnlyList<DetectorSession>> _detectors = new();
    private readonly object _gate = new();
    private readonly IdleArenas? _idleArenas = settings.ReleaseCpuArenaAfterPass
        ? new IdleArenas(settings.CpuArenaIdleTime, heldTogetherBytes: 2 * settings.TileMemoryBudgetBytes)
        : null;

    /// <summary>When the CPU sessions give their arenas back; null when they keep them.</summary>
    internal IdleArenas? IdleArenas => _idleArenas;

    public SessionCache(UpscalerSettings settings) : this(settings, new PrecisionPolicy(settings)) { }

    /// <param name="device">A resolved device, <see cref="ComputeDevice.Cpu"/> or <see cref="ComputeDevice.Gpu"/>.</param>
    /// <param name="fixedTile">The tile edge the session is pinned to, or null for a session that takes any shape.</param>
    public ModelSession Get(ModelDescriptor model, ComputeDevice device, int? fixedTile = null)
    {
        if (device == ComputeDevice.Auto)
            throw new ArgumentException("resolve the device first (DeviceSelector)", nameof(device));
        lock (_gate)
        {
            if (_sessions.TryGetValue((model.Id, device, fixedTile), out var cached))
                return cached;

            var file = precision.FileFor(model, device);
            ModelFileVerifier.Verify(model, file);
            using var options = OptionsFor(device);
            var session = ModelSession.Open(model, file.Path, device, options, fixedTile, _idleArenas);
            _sessions[(model.Id, device, fixedTile)] = session;
            return session;
        }
    }

    /// <summary>The statistics graph of a split model (see <see cref="ModelStatistics"/>), verified like the main file.</summary>
    public StatisticsSession GetStatistics(ModelDescriptor model, ComputeDevice device)
    {
        lock (_gate)
        {
            if (_statistics.TryGetValue((model.Id, device), out var cached))
                return cached;
            var file = model.Statistics?.File ?? throw new ArgumentException($"{model.Id} has no statistics graph", nameof(model));
            ModelFileVerifier.Verify(model, file);
            using var options = OptionsFor(device);
            var session = StatisticsSession.Open(model, device, options);
            _statistics[(model.Id, device)] = session;
            return session;
        }
    }

    /// <summary>
    /// The face detector on a resolved device, verified like a model file. On the CPU it is one
    /// single-threaded session per inference thread, so that <see cref="Faces.FaceDetector"/> runs that many
    /// windows side by side: a 256 px window is too little work to keep two threads of one session busy
    /// (measured by <c>upscaler-dev faces-speed</c>, docs/benchmarks.md). On the GPU it is one session.
    /// </summary>
    public IReadOnlyList<DetectorSession> GetDetectors(FaceDetectorModel detector, ComputeDevice device)
    {
        if (device == ComputeDevice.Auto)
            throw new ArgumentException("resolve the device first (DeviceSelector)", nameof(device));
        lock (_gate)
        {
            if (_detectors.TryGetValue((detector.Id, device), out var cached))
                return cached;
            ModelFileVerifier.Verify(detector.Id, detector.File);
            int count = device == ComputeDevice.Gpu ? 1 : ExecutionProviders.CpuInferenceThreads(settings);
            var opened = new List<DetectorSession>(count);
            using var options = OptionsFor(device, cpuThreads: 1);
            try
            {
                for (int i = 0; i < count; i++)
                    opened.Add(DetectorSession.Open(detector, device, options));
            }
            catch
            {
                foreach (var session in opened)
                    session.Dispose();
                throw;
            }
            _detectors[(detector.Id, device)] = opened;
            return opened;
        }
    }

    /// <param name="cpuThreads">Threads inside one CPU run; null: the settings'.</param>
    private SessionOptions OptionsFor(ComputeDevice device, int? cpuThreads = null) =>
        device == ComputeDevice.Gpu ? ExecutionProviders.ForGpu(settings) : ExecutionProviders.ForCpu(settings, cpuThreads);

    /// <summary>Closes the sessions of one model (e.g. a user model that was removed).</summary>
    public void Evict(string modelId)
    {
        lock (_gate)
        {
            foreach (var key in _sessions.Keys.Where(k => k.Id == modelId).ToList())
            {
                _sessions[key].Dispose();
                _sessions.Remove(key);
            }
            foreach (var key in _statistics.Keys.Where(k => k.Id == modelId).ToList())
            {
                _statistics[key].Dispose();
                _statistics.Remove(key);
            }
        }
    }

    public void Dispose()
    {
        _idleArenas?.Dispose();
        lock (_gate)
        {
            foreach (var session in _sessions.Values)
                session.Dispose();
            foreach (var session in _statistics.Values)
                session.Dispose();
            foreach (var session in _detectors.Values.SelectMany(list => list))
                session.Dispose();
            _sessions.Clear();
            _statistics.Clear();
            _detectors.Clear();
        }
    }
}
