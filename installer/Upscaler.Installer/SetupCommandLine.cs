using System.CommandLine;
using System.Reflection;
using Upscaler.Installer.Hosts;
using Upscaler.Installer.Payload;
using Upscaler.Installer.Setup;
using Upscaler.Core;

namespace Upscaler.Installer;

/// <summary>The <c>upscaler-setup</c> command line: install, status, uninstall.</summary>
public sealed class SetupCommandLine(TextWriter output, TextWriter error, HostEnvironment environment, string defaultPayload)
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int UsageError = 2;

    private readonly Option<bool> _gimp = new("--gimp") { Description = "Only GIMP 3's plug-in" };
    private readonly Option<bool> _paintDotNet = new("--paintdotnet") { Description = "Only Paint.NET's effect" };
    private readonly Option<string?> _gimpDir = new("--gimp-dir") { Description = "GIMP's config folder to use (e.g. ~/.config/GIMP/3.0) instead of searching; implies --gimp" };
    private readonly Option<string?> _paintDotNetDir = new("--paintdotnet-dir") { Description = "Paint.NET's folder or its Effects folder (portable edition) instead of searching; implies --paintdotnet" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Show what would be done and change nothing" };
    private readonly Option<string?> _payload = new("--payload") { Description = "Payload folder (default: payload/ beside upscaler-setup)", Hidden = true };

    public static string Version =>
        typeof(SetupCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(SetupCommandLine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public int Run(string[] args)
    {
        var root = new RootCommand("Installs the AI Upscale plug-ins into GIMP 3 and Paint.NET 5, checks them, and removes them.");
        var install = new Command("install", "Install (or update) the plug-ins into the hosts found, or the ones named") { _gimp, _paintDotNet, _gimpDir, _paintDotNetDir, _dryRun, _payload };
        install.SetAction(r => Guarded(() => Install(r)));
        var status = new Command("status", "Show what is installed where, checking every file's checksum") { _gimpDir, _paintDotNetDir };
        status.SetAction(r => Guarded(() => Status(r)));
        var uninstall = new Command("uninstall", "Remove exactly the files install put there") { _gimp, _paintDotNet, _gimpDir, _paintDotNetDir };
        uninstall.SetAction(r => Guarded(() => Uninstall(r)));
        root.Subcommands.Add(install);
        root.Subcommands.Add(status);
        root.Subcommands.Add(uninstall);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine($"upscaler-setup: error: {ErrorText.OneLine(parsed.Errors[0].Message)}");
            error.WriteLine("Try 'upscaler-setup --help'.");
            return UsageError;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private int Install(ParseResult r)
    {
        bool dryRun = r.GetValue(_dryRun);
        var payload = PayloadManifest.Load(r.GetValue(_payload) ?? defaultPayload);
        var targets = SelectTargets(r, forInstall: true, payload);
        var outcomes = new PluginInstaller(payload, Version).Install(targets, dryRun);
        foreach (var o in outcomes)
        {
            string size = $"{o.Files} files, {o.Bytes / 1048576.0:0.0} MiB";
            output.WriteLine((dryRun, o.Action) switch
            {
                (_, InstallAction.UpToDate) => $"{o.Target.Description}: {o.Target.InstallFolder} is up to date ({Version})",
                (true, InstallAction.Updated) => $"{o.Target.Description}: would update {o.Target.InstallFolder} to {Version} ({size})",
                (true, _) => $"{o.Target.Description}: would install into {o.Target.InstallFolder} ({size})",
                (false, InstallAction.Updated) => $"{o.Target.Description}: updated {o.Target.InstallFolder} to {Version} ({size}, checksums verified)",
                _ => $"{o.Target.Description}: installed into {o.Target.InstallFolder} ({size}, checksums verified)",
            });
        }
        if (!dryRun && outcomes.Any(o => o.Target.Component.Kind == ComponentKind.Gimp && o.Action != InstallAction.UpToDate))
            output.WriteLine("Restart GIMP, then use Filters › Enhance › AI Upscale.");
        if (!dryRun && outcomes.Any(o => o.Target.Component.Kind == ComponentKind.PaintDotNet && o.Action != InstallAction.UpToDate))
            output.WriteLine("Restart Paint.NET, resize the image by the factor (Image › Resize), then use Effects › Photo › AI Upscale.");
        return Success;
    }

    private int Status(ParseResult r)
    {
        var locator = new HostLocator(environment);
        var targets = new List<HostTarget>();
        targets.AddRange(locator.FindGimp(r.GetValue(_gimpDir)));
        targets.AddRange(locator.FindPaintDotNet(r.GetValue(_paintDotNetDir)));
        if (targets.Count == 0)
            output.WriteLine("no GIMP 3 or Paint.NET found");
        foreach (var target in targets)
            output.WriteLine($"{target.Description} ({target.HostFolder}): {InstallStatus.Describe(InstallStatus.Of(target))}");
        return Success;
    }

    private int Uninstall(ParseResult r)
    {
        var targets = SelectTargets(r, forInstall: false, payload: null);
        var uninstaller = new PluginUninstaller();
        foreach (var target in targets)
        {
            var o = uninstaller.Uninstall(target);
            output.WriteLine(o.Action switch
            {
                UninstallAction.NotInstalled => $"{target.Description}: not installed in {target.PluginsFolder}",
                UninstallAction.NotOurs => $"{target.Description}: {target.InstallFolder} was not installed by upscaler-setup; left alone",
                _ when o.LeftBehind.Count > 0 => $"{target.Description}: removed {o.FilesRemoved} files; kept {o.LeftBehind.Count} files that install did not put there, in {target.InstallFolder}",
                _ => $"{target.Description}: removed {target.InstallFolder} ({o.FilesRemoved} files)",
            });
        }
        return Success;
    }

    /// <summary>
    /// The hosts to work on. Named hosts (--gimp, --gimp-dir, ...) must be found; with none named,
    /// every host found is used, and finding none is an error.
    /// </summary>
    private List<HostTarget> SelectTargets(ParseResult r, bool forInstall, PayloadManifest? payload)
    {
        var locator = new HostLocator(environment);
        string? gimpDir = r.GetValue(_gimpDir), pdnDir = r.GetValue(_paintDotNetDir);
        bool gimp = r.GetValue(_gimp) || gimpDir is not null, pdn = r.GetValue(_paintDotNet) || pdnDir is not null;
        var targets = new List<HostTarget>();
        if (gimp || pdn)
        {
            if (gimp)
            {
                var found = locator.FindGimp(gimpDir);
                if (found.Count == 0)
                    throw new SetupException("GIMP 3 was not found (no GIMP/3.0 config folder; start GIMP 3 once to create it), or give --gimp-dir");
                targets.AddRange(found);
            }
            if (pdn)
            {
                if (forInstall && payload is not null && !payload.Carries(Component.PaintDotNet))
                    throw new SetupException("this setup carries no Paint.NET effect: it is built on Windows only (see installer/README.md)");
                var found = locator.FindPaintDotNet(pdnDir);
                if (found.Count == 0)
                    throw new SetupException(environment.IsWindows
                        ? "Paint.NET was not found (neither %ProgramFiles%\\paint.net nor Documents\\paint.net App Files); for the portable edition give --paintdotnet-dir"
                        : "Paint.NET was not found (it runs on Windows); give --paintdotnet-dir to install into a Paint.NET folder anyway");
                targets.AddRange(found);
            }
            return targets;
        }

        targets.AddRange(locator.FindGimp());
        if (!forInstall || payload!.Carries(Component.PaintDotNet))
            targets.AddRange(locator.FindPaintDotNet());
        if (targets.Count == 0)
            throw new SetupException(forInstall
                ? "no GIMP 3 or Paint.NET found: install one (start GIMP 3 once so it creates its config folder), or give --gimp-dir / --paintdotnet-dir"
                : "no GIMP 3 or Paint.NET found: give --gimp-dir / --paintdotnet-dir");
        return targets;
    }

    private int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (SetupException e)
        {
            error.WriteLine($"upscaler-setup: error: {ErrorText.OneLine(e.Message)}");
            return Failed;
        }
    }
}
