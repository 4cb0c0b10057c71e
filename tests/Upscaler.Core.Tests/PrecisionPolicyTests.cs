using System.Security.Cryptography;
using Upscaler.Core.Catalog;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tests;

/// <summary>
/// Which file the CPU runs for each kind of int8 arithmetic (issue #15: int8 on AVX2 without VNNI only
/// where its loss was measured with those kernels), on a real catalog whose float32, int8 and int8Avx2
/// files are distinct real models, and on this machine's processor.
/// </summary>
[TestFixture]
public class PrecisionPolicyTests
{
    private string _folder = "";

    [SetUp]
    public void CreateCatalog()
    {
        _folder = Path.Combine(Path.GetTempPath(), "upscaler-precision-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        string model = Path.Combine(Engines.TestModels, "test-x2.onnx");
        foreach (string name in new[] { "with.onnx", "with.int8.onnx", "with.int8avx2.onnx", "without.onnx", "without.int8.onnx" })
            File.Copy(model, Path.Combine(_folder, name));
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model)));
        string Entry(string id, bool avx2) => $$"""
            { "id": "{{id}}", "kind": "general", "scale": 2, "file": "{{id}}.onnx", "sha256": "{{sha}}",
              "int8": { "file": "{{id}}.int8.onnx", "sha256": "{{sha}}" },
              {{(avx2 ? $"\"int8Avx2\": {{ \"file\": \"{id}.int8avx2.onnx\", \"sha256\": \"{sha}\" }}," : "")}}
              "input": { "name": "image" }, "output": { "name": "upscaled" },
              "denoise": { "input": "denoise", "shape": [1] }, "receptiveField": 2, "description": "test" }
            """;
        File.WriteAllText(Path.Combine(_folder, "manifest.json"),
            $$"""{ "formatVersion": 1, "models": [ {{Entry("with", avx2: true)}}, {{Entry("without", avx2: false)}} ] }""");
    }

    [TearDown]
    public void RemoveCatalog() => Directory.Delete(_folder, recursive: true);

    private string FileRun(string id, Int8Arithmetic? arithmetic, bool useInt8 = true)
    {
        var settings = new UpscalerSettings { ModelsDirectory = _folder, UserModelsDirectory = null, UseInt8OnCpu = useInt8, Int8ArithmeticForTests = arithmetic };
        var model = new ModelCatalog(settings).GetById(id);
        using var cache = new SessionCache(settings);
        return Path.GetFileName(cache.Get(model, ComputeDevice.Cpu).File);
    }

    [TestCase("Exact", "with", "with.int8.onnx")]
    [TestCase("Exact", "without", "without.int8.onnx")]
    [TestCase("SaturatingPairs", "with", "with.int8avx2.onnx")]
    [TestCase("SaturatingPairs", "without", "without.onnx")]
    [TestCase("None", "with", "with.onnx")]
    [TestCase("None", "without", "without.onnx")]
    public void Each_arithmetic_runs_the_copy_measured_for_it_or_float32(string arithmeticName, string id, string expected)
    {
        var arithmetic = Enum.Parse<Int8Arithmetic>(arithmeticName);
        Assert.That(FileRun(id, arithmetic), Is.EqualTo(expected));
        Assert.That(FileRun(id, arithmetic, useInt8: false), Is.EqualTo($"{id}.onnx"), "int8 turned off");
    }

    [Test]
    public void This_processor_runs_what_its_arithmetic_calls_for()
    {
        string expected = Int8Kernels.OnThisCpu switch
        {
            Int8Arithmetic.Exact => "with.int8.onnx",
            Int8Arithmetic.SaturatingPairs => "with.int8avx2.onnx",
            _ => "with.onnx",
        };
        TestContext.Out.WriteLine($"this processor: {Int8Kernels.OnThisCpu}");
        Assert.That(FileRun("with", arithmetic: null), Is.EqualTo(expected));
    }

    [Test]
    public void Processors_with_vnni_sum_exactly()
    {
        // The VEX (AVX-VNNI) and EVEX (AVX-512 VNNI) forms and Arm's dot product all count.
        bool vnni = System.Runtime.Intrinsics.X86.AvxVnni.IsSupported || System.Runtime.Intrinsics.Arm.Dp.IsSupported
            || (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && (System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0);
        Assert.That(Int8Kernels.OnThisCpu == Int8Arithmetic.Exact, Is.EqualTo(vnni));
    }

    [Test]
    public void A_bad_int8Avx2_entry_is_a_clear_catalog_error()
    {
        string manifest = Path.Combine(_folder, "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("with.int8avx2.onnx", "../outside.onnx"));
        var error = Assert.Throws<ModelCatalogException>(() => _ = new ModelCatalog(new UpscalerSettings { ModelsDirectory = _folder, UserModelsDirectory = null }).Models)!;
        Assert.That(error.Message, Does.Contain("\"with\"").And.Contain("outside the models folder"));
    }
}
