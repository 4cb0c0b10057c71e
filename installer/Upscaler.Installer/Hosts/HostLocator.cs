using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Hosts;

/// <summary>One place a component can be installed: the host's plug-in folder and where that guess came from.</summary>
/// <param name="PluginsFolder">The folder the component's own folder goes into (GIMP's plug-ins, Paint.NET's Effects).</param>
/// <param name="HostFolder">The folder that shows the host is there (GIMP's config folder, Paint.NET's install or files folder).</param>
public sealed record HostTarget(Component Component, string Description, string HostFolder, string PluginsFolder)
{
    /// <summary>Where the component itself goes: plug-ins/ai-upscale or Effects/AIUpscale.</summary>
    public string InstallFolder => Path.Combine(PluginsFolder, Component.PluginDirectoryName);
}

/// <summary>
/// Finds the hosts on this machine. GIMP 3 keeps plug-ins in its per-user config folder (GIMP/3.0);
/// Paint.NET in Effects beside the app (classic and portable) or in Documents (Microsoft Store).
/// An explicit folder replaces the search for that host.
/// </summary>
public sealed class HostLocator(HostEnvironment environment)
{
    public const string GimpVersionFolder = "3.0";

    /// <summary>Every GIMP 3 config folder present, or the given one (which must exist).</summary>
    public IReadOnlyList<HostTarget> FindGimp(string? explicitFolder = null)
    {
        if (explicitFolder is not null)
        {
            string full = Path.GetFullPath(explicitFolder);
            if (!Directory.Exists(full))
                throw new SetupException($"--gimp-dir {full} does not exist: give GIMP's config folder (for example ~/.config/GIMP/3.0)");
            return [GimpTarget("GIMP 3", full)];
        }
        return GimpCandidates()
            .Where(c => Directory.Exists(c.Folder))
            .DistinctBy(c => Path.GetFullPath(c.Folder))
            .Select(c => GimpTarget(c.Description, c.Folder))
            .ToList();
    }

    /// <summary>Every Paint.NET present, or the given folder: a Paint.NET folder (holding Effects) or an Effects folder.</summary>
    public IReadOnlyList<HostTarget> FindPaintDotNet(string? explicitFolder = null)
    {
        if (explicitFolder is not null)
        {
            string full = Path.GetFullPath(explicitFolder);
            if (!Directory.Exists(full))
                throw new SetupException($"--paintdotnet-dir {full} does not exist: give Paint.NET's folder or its Effects folder");
            bool isEffects = string.Equals(Path.GetFileName(Path.TrimEndingDirectorySeparator(full)), "Effects", StringComparison.OrdinalIgnoreCase);
            return [new HostTarget(Component.PaintDotNet, "Paint.NET", full, isEffects ? full : Path.Combine(full, "Effects"))];
        }
        var found = new List<HostTarget>();
        if (!environment.IsWindows)
            return found;
        // Classic (installer) edition: %ProgramFiles%\paint.net\Effects.
        if (environment.ProgramFiles is { } programFiles && Directory.Exists(Path.Combine(programFiles, "paint.net")))
            found.Add(new HostTarget(Component.PaintDotNet, "Paint.NET", Path.Combine(programFiles, "paint.net"), Path.Combine(programFiles, "paint.net", "Effects")));
        // Microsoft Store edition: plug-ins live in Documents\paint.net App Files\Effects.
        if (environment.Documents is { } documents && Directory.Exists(Path.Combine(documents, "paint.net App Files")))
            found.Add(new HostTarget(Component.PaintDotNet, "Paint.NET (Microsoft Store)", Path.Combine(documents, "paint.net App Files"), Path.Combine(documents, "paint.net App Files", "Effects")));
        // The portable edition has no fixed place: it is found only through --paintdotnet-dir.
        return found;
    }

    /// <summary>The targets for a component, as <see cref="FindGimp"/> or <see cref="FindPaintDotNet"/>.</summary>
    public IReadOnlyList<HostTarget> Find(Component component, string? explicitFolder) =>
        component.Kind == ComponentKind.Gimp ? FindGimp(explicitFolder) : FindPaintDotNet(explicitFolder);

    private IEnumerable<(string Description, string Folder)> GimpCandidates()
    {
        if (environment.IsWindows)
        {
            if (environment.AppData is { } appData)
                yield return ("GIMP 3", Path.Combine(appData, "GIMP", GimpVersionFolder));
            yield break;
        }
        string config = environment.XdgConfigHome ?? Path.Combine(environment.Home, ".config");
        yield return ("GIMP 3", Path.Combine(config, "GIMP", GimpVersionFolder));
        yield return ("GIMP 3 (Flatpak)", Path.Combine(environment.Home, ".var", "app", "org.gimp.GIMP", "config", "GIMP", GimpVersionFolder));
        yield return ("GIMP 3 (macOS)", Path.Combine(environment.Home, "Library", "Application Support", "GIMP", GimpVersionFolder));
    }

    private static HostTarget GimpTarget(string description, string configFolder) =>
        new(Component.Gimp, description, configFolder, Path.Combine(configFolder, "plug-ins"));
}
