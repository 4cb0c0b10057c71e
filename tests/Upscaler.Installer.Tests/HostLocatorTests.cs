using Upscaler.Installer.Hosts;
using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Tests;

public class HostLocatorTests
{
    private Sandbox _box = null!;

    [SetUp]
    public void SetUp() => _box = new Sandbox();

    [TearDown]
    public void TearDown() => _box.Dispose();

    private string Make(params string[] parts)
    {
        string path = Path.Combine([_box.Root, .. parts]);
        Directory.CreateDirectory(path);
        return path;
    }

    [Test]
    public void Linux_GIMP_is_found_under_dot_config_and_flatpak()
    {
        string native = Make("home", ".config", "GIMP", "3.0");
        string flatpak = Make("home", ".var", "app", "org.gimp.GIMP", "config", "GIMP", "3.0");

        var found = new HostLocator(_box.Linux).FindGimp();

        Assert.That(found.Select(t => t.HostFolder), Is.EqualTo(new[] { native, flatpak }));
        Assert.That(found[0].InstallFolder, Is.EqualTo(Path.Combine(native, "plug-ins", "ai-upscale")));
        Assert.That(found[1].Description, Does.Contain("Flatpak"));
    }

    [Test]
    public void XDG_CONFIG_HOME_replaces_dot_config()
    {
        Make("home", ".config", "GIMP", "3.0");
        string xdg = Make("xdg", "GIMP", "3.0");
        var found = new HostLocator(_box.Linux with { XdgConfigHome = Path.Combine(_box.Root, "xdg") }).FindGimp();
        Assert.That(found.Select(t => t.HostFolder), Is.EqualTo(new[] { xdg }));
    }

    [Test]
    public void GIMP_2_config_alone_is_not_GIMP_3()
    {
        Make("home", ".config", "GIMP", "2.10");
        Assert.That(new HostLocator(_box.Linux).FindGimp(), Is.Empty);
    }

    [Test]
    public void Windows_GIMP_is_found_in_APPDATA()
    {
        string gimp = Make("AppData", "Roaming", "GIMP", "3.0");
        var windows = new HostEnvironment(true, _box.Home, Path.Combine(_box.Root, "AppData", "Roaming"), null, null, null);
        Assert.That(new HostLocator(windows).FindGimp().Single().PluginsFolder, Is.EqualTo(Path.Combine(gimp, "plug-ins")));
    }

    [Test]
    public void Windows_Paint_NET_classic_and_Store_are_found()
    {
        string classic = Make("Program Files", "paint.net");
        string store = Make("Documents", "paint.net App Files");
        var windows = new HostEnvironment(true, _box.Home, null, null, Path.Combine(_box.Root, "Program Files"), Path.Combine(_box.Root, "Documents"));

        var found = new HostLocator(windows).FindPaintDotNet();

        Assert.That(found.Select(t => t.InstallFolder), Is.EqualTo(new[]
        {
            Path.Combine(classic, "Effects", "AIUpscale"),
            Path.Combine(store, "Effects", "AIUpscale"),
        }));
        Assert.That(found[1].Description, Does.Contain("Store"));
    }

    [Test]
    public void Paint_NET_is_not_searched_for_off_Windows()
    {
        Make("Program Files", "paint.net");
        var linux = _box.Linux with { ProgramFiles = Path.Combine(_box.Root, "Program Files") };
        Assert.That(new HostLocator(linux).FindPaintDotNet(), Is.Empty);
    }

    [Test]
    public void Portable_Paint_NET_folder_or_its_Effects_folder_can_be_named()
    {
        string portable = Make("portable", "paint.net");
        string effects = Make("portable", "paint.net", "Effects");
        var locator = new HostLocator(_box.Linux);
        Assert.That(locator.FindPaintDotNet(portable).Single().PluginsFolder, Is.EqualTo(effects));
        Assert.That(locator.FindPaintDotNet(effects).Single().PluginsFolder, Is.EqualTo(effects));
    }

    [Test]
    public void A_named_folder_that_does_not_exist_is_a_one_line_error()
    {
        var e = Assert.Throws<SetupException>(() => new HostLocator(_box.Linux).FindGimp(Path.Combine(_box.Root, "nope")));
        Assert.That(e!.Message, Does.Contain("--gimp-dir").And.Not.Contain("\n"));
        Assert.Throws<SetupException>(() => new HostLocator(_box.Linux).FindPaintDotNet(Path.Combine(_box.Root, "nope")));
    }

    [Test]
    public void Components_name_their_payload_and_plugin_folders()
    {
        Assert.That((Component.Gimp.PayloadDirectory, Component.Gimp.PluginDirectoryName), Is.EqualTo(("gimp", "ai-upscale")));
        Assert.That((Component.PaintDotNet.PayloadDirectory, Component.PaintDotNet.PluginDirectoryName), Is.EqualTo(("paintdotnet", "AIUpscale")));
        Assert.That(Component.Gimp.Executables, Does.Contain("ai-upscale.py").And.Contain("bridge/upscaler-bridge"));
    }
}

public class PayloadManifestTests
{
    private Sandbox _box = null!;

    [SetUp]
    public void SetUp() => _box = new Sandbox();

    [TearDown]
    public void TearDown() => _box.Dispose();

    [Test]
    public void Written_manifest_reads_back_in_sha256sum_format()
    {
        string payload = FakePayload.Create(_box.Root);
        var manifest = PayloadManifest.Load(payload);
        string[] lines = File.ReadAllLines(Path.Combine(payload, PayloadManifest.FileName));

        Assert.That(lines, Has.All.Match("^[0-9a-f]{64}  [^ ].*$"));
        Assert.That(manifest.FilesOf(Component.Gimp).Select(f => f.Path), Does.Contain("bridge/upscaler-bridge"));
        Assert.That(manifest.FilesOf(Component.PaintDotNet).Select(f => f.Path), Does.Contain("AIUpscale.dll"));
        Assert.DoesNotThrow(() => manifest.Verify(Component.Gimp));
    }

    [Test]
    public void A_changed_or_missing_payload_file_fails_verification()
    {
        string payload = FakePayload.Create(_box.Root);
        File.AppendAllText(Path.Combine(payload, "gimp", "ai-upscale.py"), "# tampered\n");
        var e = Assert.Throws<SetupException>(() => PayloadManifest.Load(payload).Verify(Component.Gimp));
        Assert.That(e!.Message, Does.Contain("ai-upscale.py").And.Contain("checksum"));

        File.Delete(Path.Combine(payload, "paintdotnet", "AIUpscale.dll"));
        Assert.That(() => PayloadManifest.Load(payload).Verify(Component.PaintDotNet), Throws.TypeOf<SetupException>().With.Message.Contain("missing"));
    }

    [TestCase("not a checksum line")]
    [TestCase("0000000000000000000000000000000000000000000000000000000000000000  ../../etc/passwd")]
    [TestCase("0000000000000000000000000000000000000000000000000000000000000000  /etc/passwd")]
    public void Malformed_or_escaping_lines_are_refused(string line)
    {
        Directory.CreateDirectory(_box.Root);
        File.WriteAllText(Path.Combine(_box.Root, PayloadManifest.FileName), line + "\n");
        Assert.Throws<SetupException>(() => PayloadManifest.Load(_box.Root));
    }

    [Test]
    public void No_payload_is_a_clear_error() =>
        Assert.That(() => PayloadManifest.Load(_box.Root), Throws.TypeOf<SetupException>().With.Message.Contain("no payload"));
}
