using System.Diagnostics;

namespace Upscaler.Installer.Tests;

/// <summary>
/// installer/windows: the NSIS script compiles without warnings (where makensis is installed), and
/// its silent install/uninstall/rollback logic holds under Wine (where wine64 is installed, via
/// wine-check.sh). Both are skipped, saying why, on machines without those tools.
/// </summary>
[NonParallelizable]
public class WindowsSetupScriptTests
{
    private static readonly string Windows = Path.Combine(Repository.Root, "installer", "windows");

    [TestCase(false)]
    [TestCase(true)]
    public void NSIS_script_compiles_without_warnings(bool withPaintDotNet)
    {
        string makensis = Which("makensis") ?? "";
        if (makensis.Length == 0)
            Assert.Ignore("makensis is not installed (apt-get install nsis)");
        using var box = new Sandbox();
        string payload = Path.Combine(box.Root, "setup");
        FakePayload.Write(payload, "upscaler-setup.exe", "stand-in");
        FakePayload.Write(payload, "payload/SHA256SUMS", "");
        var args = new List<string> { "-V2", "-WX", "-INPUTCHARSET", "UTF8", "-DVERSION=0.0.0-test", "-DPAYLOAD_DIR=" + payload, "-DOUT_FILE=" + Path.Combine(box.Root, "UpscalerSetup.exe") };
        if (withPaintDotNet)
            args.Add("-DWITH_PAINTDOTNET");
        args.Add(Path.Combine(Windows, "UpscalerSetup.nsi"));

        var (code, output) = Run(makensis, args);

        Assert.That(code, Is.Zero, output);
        Assert.That(File.Exists(Path.Combine(box.Root, "UpscalerSetup.exe")));
    }

    [Test]
    public void Silent_install_uninstall_and_rollback_hold_under_Wine()
    {
        if (Which("makensis") is null || (Which("wine64") is null && !File.Exists("/usr/lib/wine/wine64")))
            Assert.Ignore("needs makensis and wine64 (apt-get install nsis wine64)");
        var (code, output) = Run(Path.Combine(Windows, "wine-check.sh"), []);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("wine-check: passed"));
    }

    private static (int Code, string Output) Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out\n" + stdout.Result + stderr.Result);
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
