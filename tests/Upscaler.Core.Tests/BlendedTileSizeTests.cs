using System.Security.Cryptography;
using Upscaler.Core.Catalog;
using Upscaler.Core.Inference;
using Upscaler.Core.Tiling;

namespace Upscaler.Core.Tests;

/// <summary>
/// Automatic tiles for cross-faded models (issue #15: big open models at ONNX Runtime's own speed): the
/// manifest's measured memory per pixel sizes them, and an image whose whole pass fits the budget is not
/// cut at all, so no overlap is computed twice. On a real network (tests/TestModels/foreign/deep-x2.onnx).
/// </summary>
[TestFixture]
public class BlendedTileSizeTests
{
    private string _folder = "";

    [SetUp]
    public void CreateCatalog()
    {
        _folder = Path.Combine(Path.GetTempPath(), "upscaler-blended-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        string model = Path.Combine(Engines.TestModels, "foreign", "deep-x2.onnx");
        File.Copy(model, Path.Combine(_folder, "deep-x2.onnx"));
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model)));
        string Entry(string id, string memory) => $$"""
            { "id": "{{id}}", "kind": "sharp", "scale": 2, "file": "deep-x2.onnx", "sha256": "{{sha}}",
              "input": { "name": "image" }, "output": { "name": "upscaled" }, "overlap": 32, "features": 8, {{memory}}
              "description": "test" }
            """;
        File.WriteAllText(Path.Combine(_folder, "manifest.json"),
            $$"""{ "formatVersion": 1, "models": [ {{Entry("light", "")}}, {{Entry("heavy", "\"memoryPerPixel\": 100,")}} ] }""");
    }

    [TearDown]
    public void RemoveCatalog() => Directory.Delete(_folder, recursive: true);

    private Task<(int Tiles, PixelImage Result)> Run(string id, int size, long budget, int? tile = null) => Run(id, size, size, budget, tile);

    private async Task<(int Tiles, PixelImage Result)> Run(string id, int width, int height, long budget, int? tile = null)
    {
        var engine = Engines.Create(_folder, s => s.BlendedTileMemoryBudgetBytes = budget);
        int tiles = 0;
        var result = await engine.UpscaleAsync(TestImages.Pattern(width, height, seed: 7), new UpscaleOptions { Scale = 2, ModelId = id, TileSize = tile },
            new SyncProgress(p => tiles = p.TilesTotal));
        return (tiles, result);
    }

    [TestCase(4L << 30, 2L << 30)]      // small machines keep 2 GiB
    [TestCase(16L << 30, 4L << 30)]     // a quarter of the memory
    [TestCase(24L << 30, 6L << 30)]
    [TestCase(128L << 30, 8L << 30)]    // at most 8 GiB
    public void The_default_budget_is_a_quarter_of_the_machines_memory_between_2_and_8_GiB(long machine, long budget) =>
        Assert.That(UpscalerSettings.BlendedBudgetFor(machine), Is.EqualTo(budget));

    [Test]
    public void The_default_budget_is_this_machines()
    {
        long machine = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Assert.That(new UpscalerSettings().BlendedTileMemoryBudgetBytes, Is.EqualTo(UpscalerSettings.BlendedBudgetFor(machine)));
    }

    [Test]
    public void A_model_without_a_measured_memory_need_gets_no_more_than_the_base_budget()
    {
        // A 5000x4000 photo with 8 GiB to spend, at the 176 bytes per pixel that 8 features give: 3.5 GB for the
        // whole image. Measured, that need is trusted with the whole budget; estimated, only with the base 2 GiB.
        var settings = new UpscalerSettings { BlendedTileMemoryBudgetBytes = 8L << 30 };
        var catalog = new ModelCatalog(new UpscalerSettings { ModelsDirectory = _folder, UserModelsDirectory = null });
        var light = catalog.Models.Single(m => m.Id == "light");
        Assert.That(TileSizer.BytesPerPixel(light), Is.EqualTo(176));
        var sizer = new TileSizer(settings);
        Assert.That(sizer.Choose(light with { MemoryPerPixel = 176 }, ComputeDevice.Cpu, requested: null, 5000, 4000).Edge, Is.Zero);
        int edge = sizer.Choose(light, ComputeDevice.Cpu, requested: null, 5000, 4000).Edge;
        Assert.That(edge, Is.GreaterThan(0));
        // TileGrid's windows: near-equal cells plus the 32 px overlap on each side, inside the image.
        int columns = (5000 + edge - 1) / edge, rows = (4000 + edge - 1) / edge;
        long window = (long)Math.Min((5000 + columns - 1) / columns + 64, 5000) * Math.Min((4000 + rows - 1) / rows + 64, 4000) * TileSizer.BytesPerPixel(light);
        Assert.That(window, Is.LessThanOrEqualTo(UpscalerSettings.BaseBlendedBudgetBytes));
    }

    [Test]
    public async Task An_image_whose_whole_pass_fits_the_budget_is_one_tile_and_the_networks_own_pass()
    {
        // 100 bytes per pixel: 100x100 needs 1,000,000 bytes, inside 1 MiB; tiles sized from 1 MiB alone would be 64 px.
        var (tiles, result) = await Run("heavy", 100, 1 << 20);
        var (_, whole) = await Run("heavy", 100, 1 << 20, tile: 0);
        Assert.That(tiles, Is.EqualTo(1));
        Assert.That(TestImages.MaxDifference(result, whole), Is.Zero);
    }

    [Test]
    public async Task The_measured_memory_per_pixel_replaces_the_estimate_and_larger_images_are_cut()
    {
        // 100x100 at 1 MiB: the measured 100 bytes per pixel fit; the estimate from 8 features, 4 x (4 + 16 + 24) = 176, does not.
        var (measured, _) = await Run("heavy", 100, 1 << 20);
        var (estimated, _) = await Run("light", 100, 1 << 20);
        var (larger, _) = await Run("heavy", 110, 1 << 20);
        Assert.That(measured, Is.EqualTo(1));
        Assert.That(estimated, Is.GreaterThan(1));
        Assert.That(larger, Is.GreaterThan(1), "1.21 MB does not fit 1 MiB");
    }

    [Test]
    public async Task The_cut_that_computes_the_fewest_pixels_within_the_budget_is_chosen()
    {
        // 240x96 at 100 bytes per pixel in 2 MB (20,000 px per window; the whole image is 23,040): two
        // 184x96 windows; squares from the budget alone would be eight 124x96 ones, 2.7 times the work.
        var (tiles, result) = await Run("heavy", 240, 96, 2_000_000);
        var (_, whole) = await Run("heavy", 240, 96, 2_000_000, tile: 0);
        Assert.That(tiles, Is.EqualTo(2));
        Assert.That(TestImages.MaxDifference(result, whole), Is.LessThanOrEqualTo(1.0 / 255), "32 px of context covers this network's receptive field of 24");
    }
}
