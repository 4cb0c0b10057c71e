using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Upscaler.Core.Tests;

/// <summary>
/// Models shaped like the open models the engine runs beside ours (tests/TestModels/foreign): another
/// value range and channel order, no denoise input, a receptive field too wide for exact tiling.
/// </summary>
[TestFixture]
public class ForeignModelTests
{
    private static string Foreign => Path.Combine(Engines.TestModels, "foreign");

    private static readonly IUpscaler Engine = Engines.Create(Foreign);

    [Test]
    public async Task A_bgr_model_in_0_to_255_gets_and_returns_its_channels_the_right_way_round()
    {
        // The model multiplies its channels by 0.5, 1, 0.25 in B, G, R order, on values 0..255.
        var input = TestImages.Pattern(20, 14);
        var output = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "bgr255-x2", Denoise = 0 });
        double[] gains = [0.25, 1.0, 0.5];
        for (int y = 0; y < output.Height; y++)
            for (int x = 0; x < output.Width; x++)
                for (int c = 0; c < 3; c++)
                    Assert.That(output.GetSample(x, y, c), Is.EqualTo(input.GetSample(x / 2, y / 2, c) * gains[c]).Within(0.51), $"({x}, {y}, {c})");
    }

    [Test]
    public async Task A_kind_selects_the_first_model_of_that_kind()
    {
        var byKind = await Engine.UpscaleAsync(TestImages.Pattern(12, 10), new UpscaleOptions { Scale = 2, Model = ModelKind.Anime });
        var byId = await Engine.UpscaleAsync(TestImages.Pattern(12, 10), new UpscaleOptions { Scale = 2, ModelId = "bgr255-x2" });
        Assert.That(TestImages.MaxDifference(byKind, byId), Is.Zero);
    }

    [TestCase("deep-exact-x2")]
    [TestCase("deep-wide-x2")]
    public async Task Tiles_whose_context_covers_the_receptive_field_give_the_whole_image_result(string id)
    {
        // Exact tiling pads by the receptive field; cross-faded tiles whose blend keeps it whole must
        // agree too, which also shows the blend weights sum to one everywhere.
        var input = TestImages.Pattern(150, 110);
        var whole = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = id, TileSize = 0 });
        var tiled = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = id, TileSize = 96 });
        Assert.That(TestImages.MaxDifference(whole, tiled), Is.LessThanOrEqualTo(1.0 / 255));
    }

    [Test]
    public async Task Cross_fading_hides_the_seams_that_a_too_small_margin_leaves()
    {
        // Both read tiles with 8 pixels of context around a receptive field of 24: cut hard, the tile
        // borders show; cross-faded, the same shortfall is spread over the blend.
        // Compared away from the image's borders, where the two policies pad differently (mirrored
        // pixels for exact tiles, the network's own zero padding for cross-faded ones): only seams count.
        var input = TestImages.Pattern(160, 120, seed: 3);
        var whole = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "deep-exact-x2", TileSize = 0 });
        var cut = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "deep-cut-x2", TileSize = 64 });
        var blended = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "deep-narrow-x2", TileSize = 64 });
        double hard = Interior(whole, cut), soft = Interior(whole, blended);
        TestContext.Out.WriteLine($"max difference from one pass: hard cut {hard * 255:0.0} levels, cross-faded {soft * 255:0.0}");
        Assert.That(hard, Is.GreaterThan(2.0 / 255), "the test model must be sensitive to missing context");
        Assert.That(soft, Is.LessThan(hard));
    }

    [Test]
    public async Task A_cross_faded_model_on_one_tile_is_the_networks_own_pass_without_padding()
    {
        // The whole image in one window: no mirrored context, so the engine runs exactly what ONNX
        // Runtime alone runs (and at its cost); checked against the same network tiled exactly with no
        // margin and one tile (receptiveField 0 pads nothing).
        var input = TestImages.Pattern(70, 50, seed: 4);
        var blended = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "deep-wide-x2" });
        var unpadded = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "deep-unpadded-x2", TileSize = 0 });
        Assert.That(TestImages.MaxDifference(blended, unpadded), Is.Zero);
    }

    [Test]
    public async Task A_split_model_on_one_tile_equals_the_unsplit_network()
    {
        var input = TestImages.Pattern(90, 70, seed: 6);
        var unsplit = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "global-blend-x2", TileSize = 0 });
        var split = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "global-split-x2", TileSize = 0 });
        Assert.That(TestImages.MaxDifference(unsplit, split), Is.LessThanOrEqualTo(1.0 / 255));
    }

    [Test]
    public async Task Tiles_sharing_the_images_statistics_stay_close_to_one_pass_where_tiles_pooling_alone_do_not()
    {
        // A picture whose halves differ: tiles that pool over themselves gate each half differently.
        var input = TestImages.Pattern(160, 96, seed: 2);
        for (int y = 0; y < 96; y++)
            for (int x = 80; x < 160; x++)
                for (int c = 0; c < 3; c++)
                    TestImages.Set(input, x, y, c, input.GetSample(x, y, c) / 255.0 * 0.3);
        var whole = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "global-split-x2", TileSize = 0 });
        var alone = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "global-blend-x2", TileSize = 64 });
        var shared = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "global-split-x2", TileSize = 64 });
        double apart = TestImages.MaxDifference(whole, alone), together = TestImages.MaxDifference(whole, shared);
        TestContext.Out.WriteLine($"from one pass: tiles pooling alone {apart * 255:0.0} levels, sharing statistics {together * 255:0.0}");
        Assert.That(together, Is.LessThan(apart / 2));
    }

    /// <summary>The largest difference more than 56 output pixels (28 input pixels, beyond the receptive field of 24) from the image's borders.</summary>
    private static double Interior(PixelImage a, PixelImage b)
    {
        int worst = 0;
        for (int y = 56; y < a.Height - 56; y++)
            for (int x = 56; x < a.Width - 56; x++)
                for (int c = 0; c < a.Channels; c++)
                    worst = Math.Max(worst, Math.Abs(a.GetSample(x, y, c) - b.GetSample(x, y, c)));
        return worst / 255.0;
    }

    [Test]
    public async Task A_split_model_counts_both_passes_in_its_progress()
    {
        var seen = new List<UpscaleProgress>();
        await Engine.UpscaleAsync(TestImages.Pattern(100, 60), new UpscaleOptions { Scale = 2, ModelId = "global-split-x2", TileSize = 64 },
            new SyncProgress(seen.Add));
        Assert.That(seen.Last(), Is.EqualTo(new UpscaleProgress(4, 4)), "2 tiles, statistics then main graph");
    }

    [Test]
    public async Task A_model_id_runs_that_model_alone_as_often_as_the_factor_needs()
    {
        var engine = Engines.Create(Engines.TestModels);
        var input = TestImages.Pattern(24, 18);
        var twice = await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 4, ModelId = "test-x2", Denoise = 0 });
        var once = await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "test-x2", Denoise = 0 });
        var again = await engine.UpscaleAsync(once, new UpscaleOptions { Scale = 2, ModelId = "test-x2", Denoise = 0 });
        var byKind = await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 4, Denoise = 0 });

        Assert.That(TestImages.MaxDifference(twice, again), Is.LessThanOrEqualTo(2.0 / 255), "x2 twice, up to 8-bit rounding in between");
        Assert.That(TestImages.MaxDifference(twice, byKind), Is.GreaterThan(2.0 / 255), "the kind would have run test-x4");
    }

    [Test]
    public void An_unknown_model_id_is_one_line_naming_the_installed_ones()
    {
        var e = Assert.ThrowsAsync<ModelCatalogException>(() =>
            Engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { ModelId = "realesrgan-x4plus" }));
        Assert.That(e!.Message, Does.Contain("realesrgan-x4plus").And.Contain("deep-wide-x2").And.Not.Contain("\n"));
    }

    [Test]
    public void Models_without_a_denoise_input_say_so_and_blended_ones_give_their_overlap()
    {
        var models = Engine.Models.ToDictionary(m => m.Id);
        Assert.That(models["bgr255-x2"].HasDenoise, Is.False);
        Assert.That(models["bgr255-x2"].Kind, Is.EqualTo(ModelKind.Anime));
        Assert.That(models["deep-wide-x2"].Overlap, Is.EqualTo(48));
        Assert.That(models["deep-exact-x2"].Overlap, Is.Null);
        Assert.That(Engines.Create(Engines.TestModels).Models.All(m => m.HasDenoise), Is.True);
    }
}

[TestFixture]
public class OutOfMemoryTests
{
    [Test]
    public async Task Running_out_of_memory_retries_with_smaller_tiles_and_gives_the_same_pixels()
    {
        // A real ONNX Runtime allocation failure: CPU sessions share an arena capped at 4 MiB, too small
        // for this image in one pass (the request asks for exactly that) but enough for smaller tiles.
        var notices = new List<string>();
        var services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(new ListLoggerProvider(notices)))
            .AddUpscaler(s =>
            {
                s.ModelsDirectory = Engines.TestModels;
                s.UserModelsDirectory = null;
                s.CpuArenaLimitBytes = 4 << 20;
            })
            .BuildServiceProvider();
        var limited = services.GetRequiredService<IUpscaler>();
        var input = TestImages.Pattern(300, 260);
        var options = new UpscaleOptions { Scale = 2, TileSize = 0, Denoise = 0.2 };

        var result = await limited.UpscaleAsync(input, options);

        var expected = await Engines.Create(Engines.TestModels).UpscaleAsync(input, options);
        Assert.That(TestImages.MaxDifference(result, expected), Is.LessThanOrEqualTo(1.0 / 255));
        Assert.That(notices, Has.Some.Contains("out of memory with 300 px tiles"));
    }

    [Test]
    public void Out_of_memory_is_recognised_in_the_wordings_of_onnx_runtime_and_its_providers()
    {
        Assert.That(Inference.InferenceFailure.IsOutOfMemory("Failed to allocate memory for requested buffer of size 123"), Is.True);
        Assert.That(Inference.InferenceFailure.IsOutOfMemory("Available memory of 0 is smaller than requested bytes of 4096"), Is.True);
        Assert.That(Inference.InferenceFailure.IsOutOfMemory("...DmlExecutionProvider... 887A0005 The GPU device instance has been suspended"), Is.True);
        Assert.That(Inference.InferenceFailure.IsOutOfMemory("Got invalid dimensions for input: image"), Is.False);
    }

    private sealed class ListLoggerProvider(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose() { }

        private sealed class ListLogger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines)
                    lines.Add(formatter(state, exception));
            }
        }
    }
}
