using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace Upscaler.Cli.Tests;

/// <summary>
/// <c>upscaler bench</c> on the real shipped models, at sizes small enough for a test: every row is
/// there, tiled results equal the whole-image result, and the PyTorch comparison's contract holds.
/// The numbers themselves are for docs/benchmarks.md, not for assertions.
/// </summary>
[TestFixture]
public class BenchCommandTests : ScratchFolderTests
{
    [Test]
    public async Task Bench_prints_every_measurement_for_every_general_model()
    {
        var result = await Cli.RunAsync(Cli.ShippedModels, "bench", "--size", "40", "--repeat", "1", "--photo", "64x48");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output, Does.Match(@"FMA ceiling measured at the start: \d+ GFLOP/s"));
        Assert.That(result.Output, Does.Contain("general-x2 428,544").And.Contain("general-x4 459,648"), "FLOPs counted from the graphs");
        Assert.That(result.Output, Does.Match(@"decode [\d.]+ s, upscale [\d.]+ s, encode [\d.]+ s, total [\d.]+ s: \d+ GFLOP/s, \d+% of the FMA ceiling; peak working set [\d.]+ GB"));
        Assert.That(result.Output, Does.Contain("64x48 PNG to 256x192 PNG"));
        foreach (string model in new[] { "general-x2", "general-x4" })
        {
            foreach (string run in new[] { "ONNX Runtime alone, float32, whole image", "ONNX Runtime alone, int8 copy, whole image", "engine, float32, automatic tiles" })
                Assert.That(result.Output, Does.Match($@"\| {model} \| {run} \| [\d.]+ \| [\d.]+ \| \d+ \| \d+% \|"));
            foreach (string run in new[] { "whole image", "automatic tiles", "128 px tiles" })
                Assert.That(result.Output, Does.Match($@"\| {model} \| engine \(int8 copy where the CPU has VNNI\), {run} \| [\d.]+ \| [\d.]+ \| \d+ \| \d+% \| 0/255 \|"));
            Assert.That(result.Output, Does.Match($@"{model}: automatic tiles take [+-][\d.]+% vs one whole-image pass"));
        }
        Assert.That(result.Output, Does.Not.Contain("PyTorch"));
    }

    [Test, Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public async Task The_pytorch_row_comes_from_the_scripts_json_line()
    {
        // A stand-in interpreter that answers like models/eval/torch_bench.py: lines on stderr, one JSON line on stdout.
        string python = Executable("fake-python", """
            echo "torch 9.9, 2 threads" >&2
            echo '{"model": "x", "size": 40, "threads": 2, "torch": "9.9", "allocator": "test allocator", "best_variant": "jit-frozen", "seconds": 0.5, "variants": {}}'
            """);

        var result = await Cli.RunAsync(Cli.ShippedModels, "bench", "--size", "40", "--repeat", "1", "--photo", "32x32", "--pytorch", python);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(Regex.Matches(result.Output, @"\| general-x\d \| PyTorch 9\.9 \(jit-frozen, 2 threads\), float32, whole image \| 0\.500 \| 0\.003 \|"), Has.Count.EqualTo(2));
        Assert.That(result.Output, Does.Match(@"general-x4: against PyTorch, the engine \(automatic tiles\) is [\d.]+x as fast, the float32 engine [\d.]+x; PyTorch allocator: test allocator"));
    }

    [Test, Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public async Task A_failing_pytorch_script_is_one_clear_line()
    {
        string python = Executable("broken-python", """
            echo "Traceback (most recent call last):" >&2
            echo "ModuleNotFoundError: No module named 'torch'" >&2
            exit 1
            """);

        var result = await Cli.RunAsync(Cli.ShippedModels, "bench", "--size", "40", "--repeat", "1", "--photo", "32x32", "--pytorch", python);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error.Trim(), Is.EqualTo("upscaler: bench: torch_bench.py failed (exit 1): ModuleNotFoundError: No module named 'torch'"));
    }

    [TestCase("3000")]
    [TestCase("0x10")]
    [TestCase("axb")]
    public async Task A_bad_photo_size_is_a_usage_error(string photo)
    {
        var result = await Cli.RunAsync(Cli.ShippedModels, "bench", "--photo", photo);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.StartWith($"upscaler: error: --photo must be WIDTHxHEIGHT, each 16 to 8000, not '{photo}'"));
    }

    [UnsupportedOSPlatform("windows")]
    private string Executable(string name, string body)
    {
        string path = Dir.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
