using static Upscaler.ModelImport.Tests.SyntheticModels;

namespace Upscaler.ModelImport.Tests;

/// <summary>
/// Files that are not models, truncated, of an unsupported architecture or layer, or carrying an
/// unsafe pickle: one ModelImportException with a one-line message naming the file, nothing written.
/// </summary>
public class BadInputTests
{
    [TestCaseSource(typeof(SyntheticModels), nameof(SyntheticModels.BadFiles))]
    public void Bad_file_gives_one_line_error_naming_it(string file)
    {
        string expected = Get().Bad[file];
        var before = Directory.GetFiles(Get().Directory).Length;
        var e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([PathOf(file)]));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.Contain(expected).IgnoreCase);
            Assert.That(e.Message, Does.Contain(Path.GetFileNameWithoutExtension(file)));
            Assert.That(e.Message, Does.Not.Contain('\n'));
            Assert.That(Directory.GetFiles(Get().Directory), Has.Length.EqualTo(before), "nothing written");
        });
    }

    [Test]
    public void Unsafe_pickle_is_refused_by_name_before_anything_is_built()
    {
        var e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([PathOf("unsafe.pth")]));
        Assert.That(e!.Message, Does.Contain("system"), "names the refused global (os.system)");
    }

    [Test]
    public void Missing_file_and_lone_ncnn_bin_are_clear_errors()
    {
        var e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([PathOf("no-such-model.pth")]));
        Assert.That(e!.Message, Does.Contain("not found"));

        string dir = Path.Combine(Get().Directory, "lonely");
        Directory.CreateDirectory(dir);
        string bin = Path.Combine(dir, "model.bin");
        File.Copy(PathOf("ncnn_esrgan_like.bin"), bin, overwrite: true);
        e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([bin]));
        Assert.That(e!.Message, Does.Contain("needs its .param"));
    }

    [Test]
    public void Unrelated_files_together_are_refused()
    {
        var e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([PathOf("rrdb_x4.pth"), PathOf("srvgg_prelu_x4.pth"), PathOf("rrdb_x1.safetensors")]));
        Assert.That(e!.Message, Does.Contain("cannot combine"));
    }
}
