using Upscaler.Installer.Setup;

namespace Upscaler.Installer.Tests;

/// <summary>upscaler-setup end to end, in process, against a temporary home and a small payload.</summary>
public class InstallUninstallTests
{
    private Sandbox _box = null!;
    private string _payload = null!;

    [SetUp]
    public void SetUp()
    {
        _box = new Sandbox();
        _payload = FakePayload.Create(Path.Combine(_box.Root, "dist"));
    }

    [TearDown]
    public void TearDown() => _box.Dispose();

    private static void AssertOneLineError(Sandbox box, string fragment)
    {
        string error = box.Error.ToString();
        Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), error);
        Assert.That(error, Does.StartWith("upscaler-setup: error: ").And.Contain(fragment));
    }

    [Test]
    public void Install_status_reinstall_uninstall_leaves_nothing_behind()
    {
        _box.WithGimp();
        var before = _box.Snapshot();

        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(0), _box.Error.ToString());
        Assert.That(_box.Out.ToString(), Does.Contain("installed into " + _box.GimpPlugin));
        Assert.That(File.ReadAllText(Path.Combine(_box.GimpPlugin, "ai-upscale.py")), Does.Contain("ai-upscale"));
        Assert.That(File.Exists(Path.Combine(_box.GimpPlugin, "ai_upscale_support.py")), "sibling modules travel with the plug-in");
        Assert.That(File.Exists(Path.Combine(_box.GimpPlugin, "bridge", "models", "general", "general-x4.onnx")));
        Assert.That(File.Exists(Path.Combine(_box.GimpPlugin, InstallReceipt.FileName)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(Path.Combine(_box.GimpPlugin, "ai-upscale.py")) & UnixFileMode.UserExecute, Is.Not.EqualTo((UnixFileMode)0));
            Assert.That(File.GetUnixFileMode(Path.Combine(_box.GimpPlugin, "bridge", "upscaler-bridge")) & UnixFileMode.OtherExecute, Is.Not.EqualTo((UnixFileMode)0));
        }

        Assert.That(_box.Run(_payload, "status"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("installed 0.1.0").And.Contain("checksums verified"));

        var installed = _box.Snapshot();
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("up to date"));
        Assert.That(_box.Snapshot(), Is.EqualTo(installed), "a second install changes nothing");

        Assert.That(_box.Run(_payload, "uninstall"), Is.EqualTo(0), _box.Error.ToString());
        Assert.That(_box.Out.ToString(), Does.Contain("removed " + _box.GimpPlugin));
        Assert.That(_box.Snapshot(), Is.EqualTo(before), "uninstall removes the files and the plug-ins folder it created");

        Assert.That(_box.Run(_payload, "status"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("not installed"));
    }

    [Test]
    public void Uninstall_keeps_the_users_own_files_and_folders()
    {
        _box.WithGimp();
        string other = Path.Combine(_box.GimpConfig, "plug-ins", "someone-elses");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "someone-elses.py"), "pass\n");
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(0));
        string note = Path.Combine(_box.GimpPlugin, "my-notes.txt");
        File.WriteAllText(note, "mine");

        Assert.That(_box.Run(_payload, "uninstall"), Is.EqualTo(0));

        Assert.That(File.Exists(note), "a file install did not put there stays");
        Assert.That(File.Exists(Path.Combine(other, "someone-elses.py")));
        Assert.That(Directory.EnumerateFiles(_box.GimpPlugin, "*", SearchOption.AllDirectories), Is.EqualTo(new[] { note }));
        Assert.That(_box.Out.ToString(), Does.Contain("kept 1 files"));
    }

    [Test]
    public void Update_replaces_our_files_and_keeps_the_users()
    {
        _box.WithGimp();
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(0));
        File.WriteAllText(Path.Combine(_box.GimpPlugin, "my-notes.txt"), "mine");
        string newer = FakePayload.Create(Path.Combine(_box.Root, "dist2"), pluginText: "#!/usr/bin/env python3\nprint('ai-upscale v2')\n");

        Assert.That(_box.Run(newer, "install"), Is.EqualTo(0), _box.Error.ToString());

        Assert.That(_box.Out.ToString(), Does.Contain("updated"));
        Assert.That(File.ReadAllText(Path.Combine(_box.GimpPlugin, "ai-upscale.py")), Does.Contain("v2"));
        Assert.That(File.ReadAllText(Path.Combine(_box.GimpPlugin, "my-notes.txt")), Is.EqualTo("mine"));
        Assert.That(Directory.EnumerateDirectories(Path.Combine(_box.GimpConfig, "plug-ins")).Select(Path.GetFileName), Is.EqualTo(new[] { "ai-upscale" }), "no staging or backup folder is left");
    }

    [Test]
    public void Status_notices_a_changed_file()
    {
        _box.WithGimp();
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(0));
        File.AppendAllText(Path.Combine(_box.GimpPlugin, "ai-upscale.py"), "# edited\n");
        Assert.That(_box.Run(_payload, "status"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("1 of 6 files are changed or missing"));
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("updated"), "install repairs it");
    }

    [Test]
    public void No_GIMP_is_a_one_line_error_and_changes_nothing()
    {
        var before = _box.Snapshot();
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(1));
        AssertOneLineError(_box, "no GIMP 3 or Paint.NET found");
        Assert.That(_box.Run(_payload, "install", "--gimp"), Is.EqualTo(1));
        AssertOneLineError(_box, "GIMP 3 was not found");
        Assert.That(_box.Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public void A_path_component_that_is_a_file_is_a_one_line_error_and_nothing_is_half_installed()
    {
        // Tests run as root, for whom permission bits stop nothing: a plug-ins that is a regular file
        // makes the destination impossible to create for any user.
        _box.WithGimp();
        File.WriteAllText(Path.Combine(_box.GimpConfig, "plug-ins"), "not a folder");
        var before = _box.Snapshot();

        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(1));

        AssertOneLineError(_box, "plug-ins is a file, not a folder");
        Assert.That(_box.Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public void A_folder_even_root_cannot_write_is_a_one_line_error()
    {
        // sysfs refuses new folders to every user, root included: a real unwritable host folder.
        if (OperatingSystem.IsWindows() || !Directory.Exists("/sys/kernel"))
            Assert.Ignore("needs Linux sysfs");
        Assert.That(_box.Run(_payload, "install", "--gimp-dir", "/sys"), Is.EqualTo(1));
        AssertOneLineError(_box, "cannot create /sys/plug-ins");
        Assert.That(Directory.Exists("/sys/plug-ins"), Is.False);
    }

    [Test]
    public void A_foreign_folder_in_the_way_is_refused_and_left_untouched()
    {
        _box.WithGimp();
        Directory.CreateDirectory(_box.GimpPlugin);
        File.WriteAllText(Path.Combine(_box.GimpPlugin, "ai-upscale.py"), "someone else's plug-in");
        var before = _box.Snapshot();

        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(1));
        AssertOneLineError(_box, "was not installed by upscaler-setup");
        Assert.That(_box.Snapshot(), Is.EqualTo(before));

        Assert.That(_box.Run(_payload, "uninstall"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("left alone"));
        Assert.That(_box.Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public void A_damaged_payload_installs_nothing()
    {
        _box.WithGimp();
        File.AppendAllText(Path.Combine(_payload, "gimp", "bridge", "models", "general", "general-x4.onnx"), "x");
        var before = Sandbox.Snapshot(_box.Home);
        Assert.That(_box.Run(_payload, "install"), Is.EqualTo(1));
        AssertOneLineError(_box, "damaged");
        Assert.That(Sandbox.Snapshot(_box.Home), Is.EqualTo(before));
    }

    [Test]
    public void Dry_run_reports_and_changes_nothing()
    {
        _box.WithGimp();
        var before = _box.Snapshot();
        Assert.That(_box.Run(_payload, "install", "--dry-run"), Is.EqualTo(0));
        Assert.That(_box.Out.ToString(), Does.Contain("would install into " + _box.GimpPlugin).And.Contain("6 files"));
        Assert.That(_box.Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public void Paint_NET_effect_goes_into_Effects_AIUpscale_of_a_named_folder()
    {
        string pdn = Path.Combine(_box.Root, "paint.net");
        Directory.CreateDirectory(Path.Combine(pdn, "Effects"));
        var before = _box.Snapshot();

        Assert.That(_box.Run(_payload, "install", "--paintdotnet-dir", pdn), Is.EqualTo(0), _box.Error.ToString());
        Assert.That(File.Exists(Path.Combine(pdn, "Effects", "AIUpscale", "AIUpscale.dll")));
        Assert.That(File.Exists(Path.Combine(pdn, "Effects", "AIUpscale", "runtimes", "win-x64", "native", "onnxruntime.dll")));
        Assert.That(_box.Out.ToString(), Does.Contain("Effects › Photo › AI Upscale"));

        Assert.That(_box.Run(_payload, "uninstall", "--paintdotnet-dir", pdn), Is.EqualTo(0));
        Assert.That(_box.Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public void Windows_discovery_installs_into_GIMP_and_the_Store_Paint_NET()
    {
        string appData = Path.Combine(_box.Root, "AppData");
        Directory.CreateDirectory(Path.Combine(appData, "GIMP", "3.0"));
        string documents = Path.Combine(_box.Root, "Documents");
        Directory.CreateDirectory(Path.Combine(documents, "paint.net App Files"));
        var windows = new Upscaler.Installer.Hosts.HostEnvironment(true, _box.Home, appData, null, Path.Combine(_box.Root, "Program Files"), documents);
        var before = _box.Snapshot();

        Assert.That(_box.Run(windows, _payload, "install"), Is.EqualTo(0), _box.Error.ToString());
        Assert.That(File.Exists(Path.Combine(appData, "GIMP", "3.0", "plug-ins", "ai-upscale", "ai-upscale.py")));
        Assert.That(File.Exists(Path.Combine(documents, "paint.net App Files", "Effects", "AIUpscale", "AIUpscale.dll")));

        Assert.That(_box.Run(windows, _payload, "uninstall"), Is.EqualTo(0));
        Assert.That(_box.Snapshot(), Is.EqualTo(before), "Effects, created by install, goes too");
    }

    [Test]
    public void One_failing_host_rolls_back_the_others()
    {
        _box.WithGimp();
        string pdn = Path.Combine(_box.Root, "paint.net");
        Directory.CreateDirectory(pdn);
        File.WriteAllText(Path.Combine(pdn, "Effects"), "a file where Effects should be");
        var before = _box.Snapshot();

        Assert.That(_box.Run(_payload, "install", "--gimp", "--paintdotnet-dir", pdn), Is.EqualTo(1));

        AssertOneLineError(_box, "is a file");
        Assert.That(_box.Snapshot(), Is.EqualTo(before), "GIMP's plug-in is not left half the install");
    }

    [Test]
    public void A_setup_without_the_Paint_NET_effect_says_so()
    {
        string noPdn = FakePayload.Create(Path.Combine(_box.Root, "dist3"), withPaintDotNet: false);
        string pdn = Path.Combine(_box.Root, "paint.net");
        Directory.CreateDirectory(pdn);
        Assert.That(_box.Run(noPdn, "install", "--paintdotnet-dir", pdn), Is.EqualTo(1));
        AssertOneLineError(_box, "carries no Paint.NET effect");
    }

    [Test]
    public void Usage_errors_exit_2()
    {
        Assert.That(_box.Run(_payload, "install", "--no-such-option"), Is.EqualTo(2));
        Assert.That(_box.Error.ToString(), Does.StartWith("upscaler-setup: error: "));
    }
}

public class BytecodeTests
{
    [Test]
    public void Python_bytecode_of_our_modules_goes_with_them_but_not_of_others()
    {
        using var box = new Sandbox();
        box.WithGimp();
        string payload = FakePayload.Create(Path.Combine(box.Root, "dist"));
        Assert.That(box.Run(payload, "install"), Is.EqualTo(0));
        string cache = Path.Combine(box.GimpPlugin, "__pycache__");
        Directory.CreateDirectory(cache);
        File.WriteAllText(Path.Combine(cache, "ai_upscale_support.cpython-313.pyc"), "bytecode");
        File.WriteAllText(Path.Combine(cache, "users_module.cpython-313.pyc"), "not ours");

        Assert.That(box.Run(payload, "uninstall"), Is.EqualTo(0));

        Assert.That(Directory.EnumerateFiles(box.GimpPlugin, "*", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EqualTo(new[] { "users_module.cpython-313.pyc" }));
    }
}
