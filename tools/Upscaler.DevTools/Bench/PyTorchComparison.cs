using System.Diagnostics;
using System.Text.Json;

namespace Upscaler.DevTools.Bench;

/// <summary>
/// Runs models/eval/torch_bench.py: the same architecture and weights in PyTorch on the CPU, tuned
/// (best of eager, channels_last and a frozen TorchScript trace; allocator kept from returning memory),
/// which is what a Real-ESRGAN Python user would run. It checks the weights against ONNX Runtime's
/// reference output before timing anything.
/// </summary>
internal sealed class PyTorchComparison(string python, string script)
{
    public sealed record Result(double Seconds, string Torch, string BestVariant, string Allocator, int Threads);

    public static PyTorchComparison? Find(string? python)
    {
        if (python is null)
            return null;
        // The script lives in the source tree: look for it from the working folder upwards.
        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "models", "eval", "torch_bench.py");
            if (File.Exists(candidate))
                return new PyTorchComparison(python, candidate);
        }
        throw new BenchmarkException("models/eval/torch_bench.py not found above the working folder; run the bench from the source tree");
    }

    public async Task<Result> RunAsync(string modelFile, int size, int threads, int repeats, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { script, "--model", modelFile, "--size", $"{size}", "--threads", $"{threads}", "--repeat", $"{repeats}" })
            start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BenchmarkException($"could not start {python}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchmarkException($"could not start {python}: {e.Message}");
        }
        using var _ = process;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            string last = (await stderr).Trim().Split('\n').LastOrDefault() ?? "";
            throw new BenchmarkException($"torch_bench.py failed (exit {process.ExitCode}): {last}");
        }

        try
        {
            using var json = JsonDocument.Parse((await stdout).Trim().Split('\n').Last());
            var root = json.RootElement;
            return new Result(
                root.GetProperty("seconds").GetDouble(),
                root.GetProperty("torch").GetString() ?? "?",
                root.GetProperty("best_variant").GetString() ?? "?",
                root.GetProperty("allocator").GetString() ?? "?",
                root.GetProperty("threads").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BenchmarkException($"torch_bench.py printed no result line this bench understands ({e.Message})");
        }
    }
}

/// <summary>A benchmark that cannot run as asked; its message is one line for the user.</summary>
internal sealed class BenchmarkException(string message) : Exception(message);
