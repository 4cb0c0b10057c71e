using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Upscaler.Core.Inference;

/// <summary>
/// Keeps ONNX Runtime from recording usage data: the engine promises local computation. The Linux and
/// macOS builds of ONNX Runtime 1.31 start a telemetry queue when their environment is created
/// (~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db with events naming the executable,
/// OS, CPU and a device id, plus a deviceid file, and a "Failed to persist telemetry device ID" line
/// where that folder is not writable). Only the ORT_DISABLE_TELEMETRY environment variable, read when
/// the environment is created, prevents it: <see cref="OrtEnv.DisableTelemetryEvents"/> comes after the
/// files are written. On Unix .NET keeps its own copy of the environment, so the variable is set with
/// libc's setenv for the native library to see. Windows builds log through ETW, which
/// DisableTelemetryEvents switches off.
/// </summary>
internal static class OnnxRuntimeTelemetry
{
    private const string Variable = "ORT_DISABLE_TELEMETRY";
    private static readonly Lazy<bool> Off = new(TurnOffOnce);

    /// <summary>Call before ONNX Runtime's environment exists (any session or <see cref="OrtEnv"/> use); later calls do nothing.</summary>
    public static void TurnOff() => _ = Off.Value;

    private static bool TurnOffOnce()
    {
        Environment.SetEnvironmentVariable(Variable, "1");
        if (!OperatingSystem.IsWindows())
            _ = setenv(Variable, "1", 1);
        try
        {
            OrtEnv.Instance().DisableTelemetryEvents();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or OnnxRuntimeException)
        {
            // ONNX Runtime does not load here: the first session reports that, clearly, when it is needed.
        }
        return true;
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
