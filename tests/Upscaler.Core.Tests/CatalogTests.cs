using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Upscaler.Core.Tests;

[TestFixture]
public class CatalogTests
{
    private string _dir = "";

    [SetUp]
    public void CopyTestCatalog()
    {
        _dir = Path.Combine(Path.GetTempPath(), "upscaler-catalog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        foreach (var file in Directory.GetFiles(Engines.TestModels))
            File.Copy(file, Path.Combine(_dir, Path.GetFileName(file)));
    }

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private Task<PixelImage> Upscale(double scale = 2, ModelKind kind = ModelKind.General) =>
        Engines.Create(_dir).UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Scale = scale, Model = kind });

    private void EditManifest(Action<JsonObject> edit)
    {
        string path = Path.Combine(_dir, "manifest.json");
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
    }

    private static JsonObject Entry(JsonObject root, int i) => root["models"]![i]!.AsObject();

    private static void AssertOneLine(UpscalerException? e, string contains)
    {
        Assert.That(e, Is.Not.Null);
        Assert.That(e!.Message, Does.Contain(contains));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Lists_the_models_in_the_manifest()
    {
        var models = Engines.Create(_dir).Models;
        Assert.That(models.Select(m => (m.Id, m.Kind, m.Scale)),
            Is.EqualTo(new[] { ("test-x2", ModelKind.General, 2), ("test-x4", ModelKind.General, 4) }));
    }

    [Test]
    public async Task A_models_folder_given_with_a_trailing_separator_works()
    {
        // UPSCALER_MODELS_DIR=/path/models/ once made every model "outside the models folder".
        var engine = Engines.Create(_dir + Path.DirectorySeparatorChar);
        Assert.That(engine.Models, Has.Count.EqualTo(2));
        var result = await engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Scale = 2 });
        Assert.That(result.Width, Is.EqualTo(16));
    }

    [Test]
    public void A_missing_manifest_is_named()
    {
        File.Delete(Path.Combine(_dir, "manifest.json"));
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "manifest.json");
    }

    [Test]
    public void Invalid_json_is_named()
    {
        File.WriteAllText(Path.Combine(_dir, "manifest.json"), "{ \"models\": [ ");
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "not valid JSON");
    }

    [Test]
    public void An_entry_without_a_checksum_is_refused()
    {
        EditManifest(root => Entry(root, 0).Remove("sha256"));
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "\"test-x2\"");
    }

    [Test]
    public void An_unknown_kind_is_refused()
    {
        EditManifest(root => Entry(root, 1)["kind"] = "cartoon");
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "cartoon");
    }

    [Test]
    public void A_file_outside_the_models_folder_is_refused()
    {
        EditManifest(root => Entry(root, 0)["file"] = "../../etc/passwd");
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "outside the models folder");
    }

    [Test]
    public void A_missing_model_file_is_named()
    {
        File.Delete(Path.Combine(_dir, "test-x2.onnx"));
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "test-x2.onnx is missing");
    }

    [Test]
    public void A_modified_model_file_fails_its_checksum()
    {
        using (var stream = File.OpenWrite(Path.Combine(_dir, "test-x4.onnx")))
        {
            stream.Seek(-5, SeekOrigin.End);
            stream.WriteByte(0x5A);
        }
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale(4)), "test-x4.onnx does not match its sha256");
    }

    [Test]
    public void A_corrupt_model_with_a_matching_checksum_is_a_clear_error_not_a_crash()
    {
        string path = Path.Combine(_dir, "test-x2.onnx");
        File.WriteAllBytes(path, "this is not an ONNX model at all"u8.ToArray());
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        EditManifest(root => Entry(root, 0)["sha256"] = sha);
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "test-x2.onnx could not be loaded");
    }

    [Test]
    public void A_model_whose_real_scale_differs_from_its_entry_is_caught()
    {
        // Swap the two entries' files (and checksums): "x4" now points at the x2 network.
        EditManifest(root =>
        {
            var (a, b) = (Entry(root, 0), Entry(root, 1));
            (a["file"], b["file"]) = (b["file"]!.GetValue<string>(), a["file"]!.GetValue<string>());
            (a["sha256"], b["sha256"]) = (b["sha256"]!.GetValue<string>(), a["sha256"]!.GetValue<string>());
        });
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale(4)), "does not upscale by x4");
    }

    [Test]
    public void A_wrong_input_name_is_caught()
    {
        EditManifest(root => Entry(root, 0)["input"]!["name"] = "pixels");
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale()), "no input named \"pixels\"");
    }

    [Test]
    public void Asking_for_a_kind_with_no_model_says_so()
    {
        AssertOneLine(Assert.ThrowsAsync<ModelCatalogException>(() => Upscale(kind: ModelKind.Face)), "no face model is installed");
    }

    [Test]
    public async Task A_model_fixed_on_disk_loads_on_the_next_request()
    {
        var engine = Engines.Create(_dir);
        string path = Path.Combine(_dir, "test-x2.onnx");
        byte[] good = File.ReadAllBytes(path);
        File.Delete(path);
        Assert.ThrowsAsync<ModelCatalogException>(() => engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Scale = 2 }));

        File.WriteAllBytes(path, good);
        var output = await engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Scale = 2 });
        Assert.That(output.Width, Is.EqualTo(16));
    }
}
