using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Upscaler.Core.Inference;

/// <summary>
/// Turns the requested device into the one that runs: <see cref="ComputeDevice.Auto"/> is the GPU when
/// its execution provider loads, else the CPU with one notice per process. An explicit GPU request that
/// cannot be met is an error (<see cref="DeviceUnavailableException"/>), never a silent fallback.
/// </summary>
internal sealed class DeviceSelector(UpscalerSettings settings, ILogger<DeviceSelector>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<DeviceSelector>.Instance;
    private readonly object _gate = new();
    private ComputeDevice? _auto;

    public ComputeDevice Resolve(ComputeDevice requested)
    {
        if (requested != ComputeDevice.Auto)
            return requested;
        lock (_gate)
            return _auto ??= ProbeGpu();
    }

    private ComputeDevice ProbeGpu()
    {
        if (!ExecutionProviders.GpuBuilt)
        {
            _logger.LogInformation("no GPU execution provider in this build; running on the CPU");
            return ComputeDevice.Cpu;
        }
        try
        {
            using var options = ExecutionProviders.ForGpu(settings);
            return ComputeDevice.Gpu;
        }
        catch (DeviceUnavailableException e)
        {
            _logger.LogWarning("{Reason}; running on the CPU", e.Message);
            return ComputeDevice.Cpu;
        }
    }
}
