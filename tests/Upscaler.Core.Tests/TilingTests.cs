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
