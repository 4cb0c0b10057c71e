using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// Turns ONNX Runtime's exceptions from a run into one-line engine errors, telling out-of-memory apart
/// (the engine splits tiles on those, as chaiNNer does) from everything else.
/// </summary>
internal static class InferenceFailure
{
    // How ONNX Runtime and its providers word allocation failures: its CPU arena and allocator, the
    // C++ runtime, DirectML/D3D12 (E_OUTOFMEMORY, DXGI device removal under memory pressure) and CUDA.
    private static readonly string[] OutOfMemoryMarkers =
    [
        "failed to allocate memory", "available memory of", "bad_alloc", "out of memory", "outofmemory",
        "e_outofmemory", "0x8007000e", "887a0005", "dxgi_error_device_removed", "cudaerrormemoryallocation",
    ];

    public static InferenceFailedException From(OnnxRuntimeException e, ModelDescriptor model, ComputeDevice device, int height, int width)
    {
        string reason = ErrorText.OneLine(e.Message);
        string where = device == ComputeDevice.Gpu ? "GPU" : "CPU";
        return IsOutOfMemory(e.Message)
            ? new OutOfDeviceMemoryException($"the {where} ran out of memory running {model.Id} on a {width}x{height} tile: {reason}", reason, e)
            : new InferenceFailedException($"{model.Id} failed on the {where} ({width}x{height} tile): {reason}", reason, e);
    }

    public static bool IsOutOfMemory(string message)
    {
        string lower = message.ToLowerInvariant();
        return OutOfMemoryMarkers.Any(lower.Contains);
    }
}
