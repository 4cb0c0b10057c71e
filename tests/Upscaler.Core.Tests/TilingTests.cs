namespace Upscaler.Core.Tests;

[TestFixture]
public class TilingTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);

    [TestCase(2.0, 16)]
    [TestCase(2.0, 23)]
    [TestCase(4.0, 16)]
    [TestCase(4.0, 40)]
    [TestCase(8.0, 17)]
    [TestCase(3.0, 19)]
    public async Task Tiled_result_equals_whole_image_result(double scale, int tile)
    {
        var input = TestImages.Pattern(75, 53);
        var whole = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = scale, TileSize = 0, Denoise = 0.3 });
        var tiled = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = scale, TileSize = tile, Denoise = 0.3 });

        Assert.That(TestImages.MaxDifference(whole, tiled), Is.LessThanOrEqualTo(1.0 / 255));
    }

    // The path GPU sessions take (one pinned tile shape per session), run on the CPU.
    [TestCase(75, 53, 2.0, 24)]   // several tiles, far edges shifted inwards
    [TestCase(75, 53, 4.0, 40)]
    [TestCase(20, 9, 4.0, 32)]    // image smaller than the tile: the window mirrors past it
    [TestCase(75, 53, 8.0, 17)]   // two passes, each with its own pinned shape
    public async Task Fixed_tile_shapes_give_the_same_pixels(int width, int height, double scale, int tile)
    {
        var input = TestImages.Pattern(width, height, PixelLayout.Rgba);
        var options = new UpscaleOptions { Scale = scale, TileSize = tile, Denoise = 0.3 };
        var free = await Engine.UpscaleAsync(input, options with { TileSize = 0 });
        var pinned = await Engines.Create(Engines.TestModels, s => s.FixedTileShapesOnCpu = true).UpscaleAsync(input, options);

        Assert.That(TestImages.MaxDifference(free, pinned), Is.LessThanOrEqualTo(1.0 / 255));
    }

    [Test]
    public async Task A_pinned_session_asked_for_the_whole_image_tiles_automatically()
    {
        var input = TestImages.Pattern(150, 100);
        var engine = Engines.Create(Engines.TestModels, s => { s.FixedTileShapesOnCpu = true; s.TileMemoryBudgetBytes = 1 << 20; });
        var recorder = new List<UpscaleProgress>();
        var result = await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, TileSize = 0 }, new SyncProgress(recorder.Add));

        Assert.That(recorder.Last().TilesTotal, Is.GreaterThan(1), "a 1 MiB budget gives 64 px tiles for the test model");
        Assert.That(TestImages.MaxDifference(result, await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, TileSize = 0 })),
            Is.LessThanOrEqualTo(1.0 / 255));
    }

    [Test]
    public void A_pinned_session_runs_its_one_shape_only()
    {
        using var cache = new Inference.SessionCache(new UpscalerSettings { ModelsDirectory = Engines.TestModels, FixedTileShapesOnCpu = true });
        var catalog = new Catalog.ModelCatalog(new UpscalerSettings { ModelsDirectory = Engines.TestModels });
        var session = cache.Get(catalog.Get(ModelKind.General, 2), ComputeDevice.Cpu, fixedTile: 16);
        Assert.That(session.FixedTile, Is.EqualTo(16));

        int window = 16 + 2 * session.Model.ReceptiveField;
        int outputs = 0;
        session.Run(new float[3 * window * window], window, window, 0f, _ => outputs++, CancellationToken.None);
        Assert.That(outputs, Is.EqualTo(1));
        Assert.Throws<InferenceFailedException>(() =>
            session.Run(new float[3 * 30 * 30], 30, 30, 0f, _ => { }, CancellationToken.None));
    }

    [Test]
    public void Without_dxgi_the_gpu_tile_falls_back_to_the_memory_budget()
    {
        // DXGI exists only on Windows; elsewhere the card's memory is unknown, never an error.
        if (OperatingSystem.IsWindows())
            Assert.Ignore("DXGI is present on Windows");
        Assert.That(Inference.AdapterMemory.DedicatedBytes(), Is.Null);
        Assert.That(Inference.AdapterMemory.TileBudgetBytes(), Is.Null);
    }

    [Test]
    public void A_fixed_window_is_the_tile_size_even_past_the_image()
    {
        var grid = Tiling.TileGrid.Create(20, 50, 32, fixedWindow: true);
        Assert.That((grid.WindowWidth, grid.WindowHeight), Is.EqualTo((32, 32)));
        Assert.That(grid.Tiles.Select(t => (t.X, t.Width, t.WindowX)), Is.All.EqualTo((0, 20, 0)));
        Assert.That(grid.Tiles.Select(t => (t.Y, t.Height, t.WindowY)), Is.EqualTo(new[] { (0, 25, 0), (25, 25, 18) }));
    }

    [Test]
    public async Task The_result_does_not_depend_on_the_thread_count()
    {
        var input = TestImages.Pattern(64, 48);
        var options = new UpscaleOptions { Scale = 4, TileSize = 24 };
        var one = await Engines.Create(Engines.TestModels, s => s.CpuThreads = 1).UpscaleAsync(input, options);
        var two = await Engines.Create(Engines.TestModels, s => s.CpuThreads = 2).UpscaleAsync(input, options);
        Assert.That(TestImages.MaxDifference(one, two), Is.LessThanOrEqualTo(1.0 / 255));
    }

    [Test]
    public async Task Images_smaller_than_the_padding_still_upscale_consistently()
    {
        // Mirroring must repeat for a 3x2 image whose border margin is larger than the image itself.
        var input = TestImages.Pattern(3, 2);
        var whole = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 4, TileSize = 0 });
        var auto = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 4 });

        Assert.That((whole.Width, whole.Height), Is.EqualTo((12, 8)));
        Assert.That(TestImages.MaxDifference(whole, auto), Is.EqualTo(0));
    }

    [Test]
    public void Tile_grid_covers_every_pixel_exactly_once_through_windows_of_one_size()
    {
        var grid = Tiling.TileGrid.Create(101, 37, 16);
        var covered = new int[101 * 37];
        foreach (var t in grid.Tiles)
        {
            Assert.That(t.Width, Is.InRange(1, 16));
            Assert.That(t.Height, Is.InRange(1, 16));
            // The window holds the cell and stays inside the image.
            Assert.That(t.WindowX, Is.InRange(0, t.X));
            Assert.That(t.WindowY, Is.InRange(0, t.Y));
            Assert.That(t.WindowX + grid.WindowWidth, Is.InRange(t.X + t.Width, 101));
            Assert.That(t.WindowY + grid.WindowHeight, Is.InRange(t.Y + t.Height, 37));
            for (int y = t.Y; y < t.Y + t.Height; y++)
                for (int x = t.X; x < t.X + t.Width; x++)
                    covered[y * 101 + x]++;
        }
        Assert.That(covered, Is.All.EqualTo(1));
        Assert.That(grid.Tiles, Has.Count.EqualTo(7 * 3));
        Assert.That((grid.WindowWidth, grid.WindowHeight), Is.EqualTo((15, 13)));
    }

    [TestCase(-1, 5, 1)]
    [TestCase(-3, 5, 3)]
    [TestCase(5, 5, 3)]
    [TestCase(9, 5, 1)]
    [TestCase(-7, 3, 1)]
    [TestCase(4, 1, 0)]
    public void Mirror_reflects_without_repeating_the_edge(int index, int length, int expected) =>
        Assert.That(Imaging.Mirror.Index(index, length), Is.EqualTo(expected));
}
