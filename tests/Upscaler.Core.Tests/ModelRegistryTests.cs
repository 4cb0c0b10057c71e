using Microsoft.Extensions.DependencyInjection;

namespace Upscaler.Core.Tests;

/// <summary>Adding and removing models in a per-user folder, as <c>upscaler models add/remove</c> does.</summary>
[TestFixture]
public class ModelRegistryTests
{
    private string _user = "";
    private ServiceProvider _services = null!;

    private IUpscaler Engine => _services.GetRequiredService<IUpscaler>();
    private IModelRegistry Registry => _services.GetRequiredService<IModelRegistry>();

    private static string TestModel(string relative) => Path.Combine(Engines.TestModels, relative);

    [SetUp]
    public void Start()
    {
        _user = Path.Combine(Path.GetTempPath(), "upscaler-user-models-" + Guid.NewGuid().ToString("N"));
        _services = new ServiceCollection()
            .AddUpscaler(s =>
            {
                s.ModelsDirectory = Engines.TestModels;
                s.UserModelsDirectory = _user;
            })
            .BuildServiceProvider();
    }

    [TearDown]
    public void Stop()
    {
        _services.Dispose();
        if (Directory.Exists(_user))
            Directory.Delete(_user, recursive: true);
    }

    private ModelInfo Add(string id, string file, ModelKind kind = ModelKind.Sharp) =>
        Registry.Add(new ModelRegistration { Id = id, Kind = kind, OnnxFile = file, Description = "added by a test" });

    private string[] LeftInFolder() =>
        Directory.Exists(_user) ? Directory.GetFiles(_user).Select(f => Path.GetFileName(f)).ToArray() : [];

    [Test]
    public async Task An_added_model_is_probed_listed_and_runs_like_the_original()
    {
        var added = Add("my-model", TestModel("test-x2.onnx"));

        Assert.That((added.Scale, added.Origin, added.HasDenoise, added.Overlap), Is.EqualTo((2, ModelOrigin.User, true, (int?)null)));
        Assert.That(Engine.Models.Select(m => m.Id), Does.Contain("my-model"));
        var input = TestImages.Pattern(40, 30);
        var mine = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "my-model", Denoise = 0.4 });
        var original = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "test-x2", Denoise = 0.4 });
        Assert.That(TestImages.MaxDifference(mine, original), Is.Zero);
    }

    [Test]
    public void The_receptive_field_is_measured_and_decides_the_tiling()
    {
        var deep = Add("deep", TestModel("foreign/deep-x2.onnx"));
        var global = Add("global", TestModel("unlisted/global-x2.onnx"));

        string manifest = File.ReadAllText(Path.Combine(_user, "manifest.json"));
        Assert.That(manifest, Does.Contain("\"receptiveField\": 24"), "24 stacked 3x3 convolutions");
        Assert.That(deep.Overlap, Is.Null);
        Assert.That(global.Overlap, Is.EqualTo(32), "global pooling: unbounded, so cross-faded tiles");
        Assert.That(global.HasDenoise, Is.False);
    }

    [Test]
    public async Task A_split_model_is_added_with_its_statistics_graph_and_removed_with_it()
    {
        Registry.Add(new ModelRegistration
        {
            Id = "split", Kind = ModelKind.Anime, OnnxFile = TestModel("foreign/global-split-x2.onnx"),
            StatisticsFile = TestModel("foreign/global-split-x2.stats.onnx"),
            PooledValues = [new PooledValueSpec("pool0", 3, IsMax: false)],
        });
        var input = TestImages.Pattern(50, 40);
        var mine = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "split", TileSize = 32 });
        var listed = await Engines.Create(Path.Combine(Engines.TestModels, "foreign"))
            .UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "global-split-x2", TileSize = 32 });
        Assert.That(TestImages.MaxDifference(mine, listed), Is.Zero);

        Registry.Remove("split");
        Assert.That(LeftInFolder(), Is.EquivalentTo(new[] { "manifest.json" }));
    }

    [Test]
    public async Task A_second_registry_on_the_same_folder_sees_the_model_and_removal_deletes_it()
    {
        Add("gone-soon", TestModel("test-x4.onnx"));
        using var other = new ServiceCollection().AddUpscaler(s => { s.ModelsDirectory = Engines.TestModels; s.UserModelsDirectory = _user; }).BuildServiceProvider();
        Assert.That(other.GetRequiredService<IUpscaler>().Models.Single(m => m.Id == "gone-soon").Scale, Is.EqualTo(4));

        _ = await Engine.UpscaleAsync(TestImages.Pattern(10, 10), new UpscaleOptions { Scale = 4, ModelId = "gone-soon" });
        Registry.Remove("gone-soon");

        Assert.That(Engine.Models.Select(m => m.Id), Does.Not.Contain("gone-soon"));
        Assert.That(LeftInFolder(), Is.EquivalentTo(new[] { "manifest.json" }));
    }

    [TestCase("test-x2", "taken")]
    [TestCase("Bad Id!", "not a usable model id")]
    public void Bad_ids_are_refused_and_nothing_is_left(string id, string message)
    {
        var e = Assert.Throws<ModelCatalogException>(() => Add(id, TestModel("test-x2.onnx")));
        Assert.That(e!.Message, Does.Contain(message).And.Not.Contain("\n"));
        Assert.That(LeftInFolder(), Is.Empty);
    }

    [Test]
    public void A_file_that_is_not_a_model_or_is_truncated_is_refused_and_nothing_is_left()
    {
        string notModel = Path.Combine(Path.GetTempPath(), $"not-a-model-{Guid.NewGuid():N}.onnx");
        string truncated = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllText(notModel, "<html>this is a web page</html>");
            byte[] bytes = File.ReadAllBytes(TestModel("test-x2.onnx"));
            File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

            foreach (var file in new[] { notModel, truncated })
            {
                var e = Assert.Throws<ModelCatalogException>(() => Add("broken", file));
                Assert.That(e!.Message, Does.Contain("not an ONNX model").And.Not.Contain("\n"), file);
            }
            Assert.That(LeftInFolder(), Is.Empty);
            Assert.That(Engine.Models.Select(m => m.Id), Does.Not.Contain("broken"));
        }
        finally
        {
            File.Delete(notModel);
            File.Delete(truncated);
        }
    }

    [Test]
    public void Only_models_the_user_added_can_be_removed()
    {
        Assert.That(Assert.Throws<ModelCatalogException>(() => Registry.Remove("test-x2"))!.Message, Does.Contain("shipped model"));
        Assert.That(Assert.Throws<ModelCatalogException>(() => Registry.Remove("nothing-here"))!.Message, Does.Contain("no model with id"));
    }

    [Test]
    public async Task A_broken_user_catalog_leaves_the_shipped_models_working()
    {
        Directory.CreateDirectory(_user);
        File.WriteAllText(Path.Combine(_user, "manifest.json"), "{ not json");

        Assert.That(Engine.Models.Select(m => m.Id), Is.EquivalentTo(new[] { "test-x2", "test-x4" }));
        var result = await Engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Scale = 2 });
        Assert.That(result.Width, Is.EqualTo(16));
        Assert.That(Assert.Throws<ModelCatalogException>(() => Add("new", TestModel("test-x2.onnx")))!.Message,
            Does.Contain("not a valid catalog"));
    }

    [Test]
    public async Task Bundled_open_models_are_listed_after_ours_and_do_not_shadow_our_kinds()
    {
        string models = Path.Combine(_user, "shipped");
        Directory.CreateDirectory(Path.Combine(models, "open"));
        foreach (var file in Directory.GetFiles(Engines.TestModels))
            File.Copy(file, Path.Combine(models, Path.GetFileName(file)));
        // The bundled catalog offers another general x2 model: ours stays the general one.
        File.Copy(TestModel("foreign/gain-x2.onnx"), Path.Combine(models, "open", "gain-x2.onnx"));
        string bundled = File.ReadAllText(TestModel("foreign/manifest.json")).Replace("\"anime\"", "\"general\"");
        File.WriteAllText(Path.Combine(models, "open", "manifest.json"), bundled);

        using var services = new ServiceCollection().AddUpscaler(s => { s.ModelsDirectory = models + Path.DirectorySeparatorChar; s.UserModelsDirectory = null; }).BuildServiceProvider();
        var engine = services.GetRequiredService<IUpscaler>();
        var list = engine.Models;
        Assert.That(list.First(m => m.Id == "bgr255-x2").Origin, Is.EqualTo(ModelOrigin.Bundled));
        Assert.That(list.First(m => m.Id == "bgr255-x2").File, Is.EqualTo("gain-x2.onnx"));

        var input = TestImages.Pattern(16, 12);
        var general = await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, Model = ModelKind.General });
        var ours = await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, ModelId = "test-x2" });
        Assert.That(TestImages.MaxDifference(general, ours), Is.Zero);
    }
}
