using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Upscaler.DevTools.Commands;

namespace Upscaler.DevTools.Tests;

/// <summary>
/// <c>upscaler-dev bench</c> on the real shipped models and the real command line (started as a process),
/// at sizes small enough for a test: every row is there, tiled results equal the whole-image result, the
/// FLOPs come from the manifest, and the PyTorch comparison's contract holds. The numbers themselves are
/// for docs/benchmarks.md, not for assertions.
/// </summary>
[TestFixture]
public class BenchCommandTests
{
    private string _scratch = "";

    [SetUp]
    public void CreateScratch() => Directory.CreateDirectory(_scratch = Path.Combine(Path.GetTempPath(), "upscaler-dev-tests-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void RemoveScratch() => Directory.Delete(_scratch, recursive: true);

    private static Task<(int Code, string Output, string Error)> Bench(params string[] args) =>
        DevCommand.RunAsync(new BenchCommand(), args);

    [Test]
    public async Task Bench_prints_every_measurement_for_every_general_model_and_the_command_line()
    {
        var (code, output, error) = await Bench("--size", "40", "--repeat", "1", "--photo", "64x48", "--small-photo", "48x32");

        Assert.That(code, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Match(@"FMA ceiling measured at the start: \d+ GFLOP/s"));
        Assert.That(output, Does.Match(@"FMA ceiling measured again at the end: \d+ GFLOP/s; load average at the end [\d.]+ [\d.]+ [\d.]+"));
        Assert.That(output, Does.Contain("general-x2 428,544").And.Contain("general-x4 459,648"), "FLOPs from the manifest");
        // The command line ran as a process, once per input, and printed its phases.
        foreach (string input in new[] { @"photo48x32\.jpg \(48x32\)", @"large64x48\.png \(64x48\)" })
            Assert.That(output, Does.Match($@"\| {input} \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| \d+ \| \d+% \| [\d.]+ \|"));
        Assert.That(output, Does.Match(@"command line on 64x48: \d+% of the FMA ceiling end to end"));
        foreach (string model in new[] { "general-x2", "general-x4" })
        {
            foreach (string run in new[] { "ONNX Runtime alone, float32, whole image", "ONNX Runtime alone, int8 copy, whole image" })
                Assert.That(output, Does.Match($@"\| {model} \| {run} \| [\d.]+ \| [\d.]+ \| \d+ \| \d+% \|  \|"));
            foreach (string run in new[] { "engine, float32, whole image", "engine, float32, automatic tiles",
                         @"engine as shipped \([^)]*\), whole image", @"engine as shipped \([^)]*\), automatic tiles", @"engine as shipped \([^)]*\), 128 px tiles" })
                Assert.That(output, Does.Match($@"\| {model} \| {run} \| [\d.]+ \| [\d.]+ \| \d+ \| \d+% \| 0/255 \|"));
            Assert.That(output, Does.Match($@"{model}: float32 engine at \d+% \(whole image\) and \d+% \(automatic tiles\) of float32 ONNX Runtime alone's speed"));
        }
        Assert.That(output, Does.Not.Contain("PyTorch"));
    }

    [Test]
    public async Task A_model_is_chosen_by_id_also_from_a_user_models_folder()
    {
        string folder = UserModels(flops: 2304);

        var (code, output, error) = await Bench("--size", "32", "--repeat", "1", "--no-cli", "--models", "tiny-x2", "--user-models", folder);

        Assert.That(code, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("tiny-x2 2,304"));
        Assert.That(output, Does.Match(@"\| tiny-x2 \| engine, float32, 128 px tiles \| [\d.]+ \| [\d.]+ \| \d+ \| \d+% \| 0/255 \|"));
        Assert.That(output, Does.Not.Contain("general-x4 |").And.Not.Contain("command line"));
    }

    [Test]
    public async Task A_model_without_flops_in_its_manifest_is_one_clear_line()
    {
        string folder = UserModels(flops: null);

        var (code, _, error) = await Bench("--size", "32", "--repeat", "1", "--no-cli", "--models", "tiny-x2", "--user-models", folder);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.Trim(), Is.EqualTo("upscaler-dev bench: tiny-x2: its manifest entry has no flopsPerPixel"));
    }

    [Test]
    public async Task An_unknown_model_names_the_installed_ones()
    {
        var (code, _, error) = await Bench("--no-cli", "--models", "nonesuch");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("upscaler-dev bench: no model \"nonesuch\" (installed: ").And.Contain("general-x4"));
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

        var (code, output, error) = await Bench("--size", "40", "--repeat", "1", "--no-cli", "--pytorch", python);

        Assert.That(code, Is.EqualTo(0), output + error);
        Assert.That(Regex.Matches(output, @"\| general-x\d \| PyTorch 9\.9 \(jit-frozen, 2 threads\), float32, whole image \| 0\.500 \| 0\.003 \|"), Has.Count.EqualTo(2));
        Assert.That(output, Does.Match(@"general-x4: against PyTorch, the engine as shipped \(automatic tiles\) is [\d.]+x as fast, the float32 engine [\d.]+x; PyTorch allocator: test allocator"));
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

        var (code, _, error) = await Bench("--size", "40", "--repeat", "1", "--no-cli", "--pytorch", python);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.Trim(), Is.EqualTo("upscaler-dev bench: torch_bench.py failed (exit 1): ModuleNotFoundError: No module named 'torch'"));
    }

    [TestCase("--photo", "3000", "--photo must be WIDTHxHEIGHT, each 16 to 8000, not '3000'")]
    [TestCase("--photo", "0x10", "--photo must be WIDTHxHEIGHT, each 16 to 8000, not '0x10'")]
    [TestCase("--small-photo", "nofile.jpg", "--small-photo must be WIDTHxHEIGHT, each 16 to 8000, or an image file, not 'nofile.jpg'")]
    [TestCase("--size", "big", "--size must be a whole number from 16 to 8000, not 'big'")]
    [TestCase("--sise", "40", "unknown argument '--sise'")]
    public async Task Bad_arguments_are_a_usage_error(string option, string value, string message)
    {
        var (code, output, error) = await Bench(option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty, "nothing measured");
        Assert.That(error, Does.StartWith($"upscaler-dev bench: {message}\nusage: upscaler-dev bench "));
    }

    /// <summary>A user models folder with one tiny real model (tests/TestModels/test-x2.onnx).</summary>
    private string UserModels(int? flops)
    {
        string folder = Path.Combine(_scratch, "user-models");
        Directory.CreateDirectory(folder);
        string model = Path.Combine(TestContext.CurrentContext.TestDirectory, "TestModels", "test-x2.onnx");
        File.Copy(model, Path.Combine(folder, "tiny-x2.onnx"));
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(model)));
        File.WriteAllText(Path.Combine(folder, "manifest.json"), $$"""
            { "formatVersion": 1, "models": [ {
              "id": "tiny-x2", "kind": "sharp", "scale": 2, "file": "tiny-x2.onnx", "sha256": "{{sha}}",
              "input": { "name": "image", "range": [0, 1] }, "output": { "name": "upscaled", "range": [0, 1] },
              "denoise": { "input": "denoise", "shape": [1] }, "receptiveField": 2, "features": 8,
              {{(flops is int f ? $"\"flopsPerPixel\": {f}," : "")}} "description": "test model" } ] }
            """);
        return folder;
    }

    [UnsupportedOSPlatform("windows")]
    private string Executable(string name, string body)
    {
        string path = Path.Combine(_scratch, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
