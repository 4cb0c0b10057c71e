using System.Diagnostics;
using System.Text.Json;

namespace Upscaler.Installer.Tests;

/// <summary>
/// The real thing: `dotnet publish` of upscaler-setup (with its payload: the self-contained bridge,
/// the models and the GIMP plug-in from the repository), run as a separate process against a
/// temporary HOME, and, where the GIMP 3 test root exists (scripts/gimp/setup-gimp-root.sh),
/// GIMP itself loading and running the installed plug-in.
/// </summary>
[NonParallelizable]
public class PublishedSetupTests
{
    private string _work = null!;
    private string _setup = null!;
    private static readonly string Repo = Repository.Root;

    [OneTimeSetUp]
    public void Publish()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("the published-setup tests run on Linux");
        _work = Path.Combine(Path.GetTempPath(), "upscaler-setup-published-" + Guid.NewGuid().ToString("N")[..8]);
        string output = Path.Combine(_work, "setup");
        // Its own artifacts path: nothing in the source tree's bin/obj folders is touched while other tests run.
        var run = Exec("dotnet", ["publish", Path.Combine(Repo, "installer", "Upscaler.Installer"), "-c", "Release", "-o", output,
            "--artifacts-path", Path.Combine(_work, "artifacts"), "-nologo"], TimeSpan.FromMinutes(9));
        Assert.That(run.ExitCode, Is.Zero, "dotnet publish failed:\n" + run.Output);
        _setup = Path.Combine(output, "upscaler-setup");
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        if (_work is not null && Directory.Exists(_work))
            Directory.Delete(_work, recursive: true);
    }

    [Test]
    public void Published_payload_verifies_with_sha256sum_and_carries_bridge_models_and_plugin()
    {
        string payload = Path.Combine(Path.GetDirectoryName(_setup)!, "payload");
        var check = Exec("sha256sum", ["-c", "--quiet", "SHA256SUMS"], TimeSpan.FromMinutes(2), workingDirectory: payload);
        Assert.That(check.ExitCode, Is.Zero, check.Output);
        var pluginModules = Directory.GetFiles(Path.Combine(Repo, "plugins", "gimp", "ai-upscale"), "*.py").Select(p => "gimp/" + Path.GetFileName(p));
        foreach (string file in pluginModules.Concat(["gimp/ai-upscale.py", "gimp/bridge/upscaler-bridge", "gimp/bridge/models/manifest.json", "gimp/bridge/models/general/general-x4.onnx"]))
            Assert.That(File.Exists(Path.Combine(payload, file)), file);
    }

    [Test]
    public void Published_payload_carries_the_bundled_open_models_when_they_were_fetched()
    {
        string open = Path.Combine(Repo, "models", "open");
        if (!File.Exists(Path.Combine(open, "manifest.json")))
            Assert.Ignore("models/open/manifest.json is absent: the bundled open models are not fetched; run scripts/fetch-open-models.sh to test them");
        string shipped = Path.Combine(Path.GetDirectoryName(_setup)!, "payload", "gimp", "bridge", "models", "open");
        var files = Directory.GetFiles(open).Select(f => Path.GetFileName(f)).ToList();
        Assert.That(files, Does.Contain("THIRD-PARTY-NOTICES.md").And.Some.EndsWith(".stats.onnx"));
        foreach (string file in files)
        {
            var copy = new FileInfo(Path.Combine(shipped, file));
            Assert.That(copy.Exists ? copy.Length : -1, Is.EqualTo(new FileInfo(Path.Combine(open, file)).Length), $"payload gimp/bridge/models/open/{file}");
        }
    }

    [Test]
    public void Install_into_a_fresh_home_runs_the_bridge_without_dotnet_then_uninstall_leaves_nothing()
    {
        string home = Path.Combine(_work, "home-" + Guid.NewGuid().ToString("N")[..6]);
        string gimp = Path.Combine(home, ".config", "GIMP", "3.0");
        Directory.CreateDirectory(gimp);
        var before = Sandbox.Snapshot(home);
        var env = new Dictionary<string, string> { ["HOME"] = home };

        var install = Exec(_setup, ["install"], TimeSpan.FromMinutes(5), env);
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        string plugin = Path.Combine(gimp, "plug-ins", "ai-upscale");
        Assert.That(install.Output, Does.Contain("installed into " + plugin));

        // env -i: no PATH, no DOTNET_ROOT; the bridge must bring its own runtime.
        var bridge = Exec("env", ["-i", Path.Combine(plugin, "bridge", "upscaler-bridge"), "--version"], TimeSpan.FromMinutes(1));
        Assert.That(bridge.ExitCode, Is.Zero, bridge.Output);
        Assert.That(bridge.Output, Does.Contain("upscaler-bridge"));

        var status = Exec(_setup, ["status"], TimeSpan.FromMinutes(2), env);
        Assert.That(status.Output, Does.Contain("installed").And.Contain("checksums verified"));

        var again = Exec(_setup, ["install"], TimeSpan.FromMinutes(2), env);
        Assert.That(again.Output, Does.Contain("up to date"));

        var uninstall = Exec(_setup, ["uninstall"], TimeSpan.FromMinutes(2), env);
        Assert.That(uninstall.ExitCode, Is.Zero, uninstall.Output);
        Assert.That(Sandbox.Snapshot(home), Is.EqualTo(before));
    }

    [Test]
    public void Real_GIMP_loads_and_runs_the_installed_plugin()
    {
        if (Environment.GetEnvironmentVariable("UPSCALER_SKIP_GIMP_E2E") == "1")
            Assert.Ignore("UPSCALER_SKIP_GIMP_E2E=1");
        string root = Environment.GetEnvironmentVariable("UPSCALER_GIMP_ROOT") is { Length: > 0 } r ? r : "/var/tmp/upscaler-gimp-root";
        string scripts = Path.Combine(Repo, "scripts", "gimp");
        foreach (string needed in new[] { "chroot-run.sh", "e2e_batch.py", "png_pixels.py" })
            if (!File.Exists(Path.Combine(scripts, needed)))
                Assert.Ignore($"scripts/gimp/{needed} is missing");
        // Only a finished root is used, never built here: setup-gimp-root.sh is not safe to run twice at
        // once, and the GIMP end-to-end run (scripts/gimp/run-gimp-e2e.sh) owns it.
        if (!File.Exists(Path.Combine(root, ".upscaler-stamp")))
            Assert.Ignore($"no GIMP 3 test root at {root}: run scripts/gimp/setup-gimp-root.sh (as root) before the tests to enable this one");

        // The work folder lives inside the root so GIMP (chrooted) sees it as /tmp/upscaler-setup-e2e-*.
        // Unique per run: two test runs on one machine must not share it.
        string inRoot = "/tmp/upscaler-setup-e2e-" + Guid.NewGuid().ToString("N")[..8];
        string work = Path.Combine(root, inRoot.TrimStart('/'));
        string home = Path.Combine(work, "home");
        string gimp = Path.Combine(home, ".config", "GIMP", "3.0");
        Directory.CreateDirectory(gimp);
        try
        {
            var env = new Dictionary<string, string> { ["HOME"] = home };
            var install = Exec(_setup, ["install"], TimeSpan.FromMinutes(5), env);
            Assert.That(install.ExitCode, Is.Zero, install.Output);

            // A small RGBA picture, written by the GIMP test's own PNG writer.
            var png = Exec("python3", ["-c", $"import sys; sys.path.insert(0, {Py(scripts)}); import png_pixels; " +
                $"png_pixels.write({Py(Path.Combine(work, "in.png"))}, 9, 7, 4, 8, [(i * 37) % 256 for i in range(9 * 7 * 4)])"], TimeSpan.FromMinutes(1));
            Assert.That(png.ExitCode, Is.Zero, png.Output);
            File.Copy(Path.Combine(scripts, "e2e_batch.py"), Path.Combine(work, "e2e_batch.py"));
            File.WriteAllText(Path.Combine(work, "plan.json"), JsonSerializer.Serialize(new
            {
                results = $"{inRoot}/results.json",
                cases = new[] { new { name = "installed-x2", input = $"{inRoot}/in.png", output = $"{inRoot}/out.png", scale = 2.0, model = "general", denoise = 0.3 } },
            }));

            // GIMP finds the plug-in the way a user's GIMP does: in $HOME/.config/GIMP/3.0/plug-ins.
            var gimpRun = Exec(Path.Combine(scripts, "chroot-run.sh"), [root, "/usr/bin/timeout", "600", "/usr/bin/env",
                $"HOME={inRoot}/home", $"UPSCALER_E2E_PLAN={inRoot}/plan.json",
                "gimp-console-3.0", "-i", "--batch-interpreter=python-fu-eval", "-b", $"exec(open(\"{inRoot}/e2e_batch.py\").read())", "--quit"],
                TimeSpan.FromMinutes(9));
            string results = Path.Combine(work, "results.json");
            Assert.That(File.Exists(results), "GIMP wrote no results:\n" + gimpRun.Output[^Math.Min(3000, gimpRun.Output.Length)..]);
            using var doc = JsonDocument.Parse(File.ReadAllText(results));
            var record = doc.RootElement[0];
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("success"), record.ToString());
            Assert.That(record.GetProperty("after").GetProperty("canvas").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 18, 14 }));
            Assert.That(File.Exists(Path.Combine(work, "out.png")));

            var uninstall = Exec(_setup, ["uninstall"], TimeSpan.FromMinutes(2), env);
            Assert.That(uninstall.ExitCode, Is.Zero, uninstall.Output);
            string plugins = Path.Combine(gimp, "plug-ins");
            Assert.That(Directory.Exists(Path.Combine(plugins, "ai-upscale")), Is.False);
            Assert.That(Directory.Exists(plugins) ? Directory.EnumerateFileSystemEntries(plugins).Where(p => Path.GetFileName(p).Contains("ai-upscale")) : [], Is.Empty);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Py(string s) => JsonSerializer.Serialize(s);

    private sealed record Result(int ExitCode, string Output);

    private static Result Exec(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        start.Environment.Remove("XDG_CONFIG_HOME");
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return new Result(-1, $"{file} timed out after {timeout}\n{stdout.Result}{stderr.Result}");
        }
        return new Result(process.ExitCode, stdout.Result + stderr.Result);
    }
}
