using Upscaler.Installer.Hosts;

namespace Upscaler.Installer.Setup;

public enum UninstallAction
{
    Removed,
    NotInstalled,
    /// <summary>The folder is there but not ours: left alone.</summary>
    NotOurs,
}

public sealed record UninstallOutcome(HostTarget Target, UninstallAction Action, int FilesRemoved, IReadOnlyList<string> LeftBehind);

/// <summary>
/// Removes exactly what an install recorded in its receipt: the listed files, then the folders that
/// held them and the folders the install created, each only once empty. Anything else stays.
/// </summary>
public sealed class PluginUninstaller
{
    public UninstallOutcome Uninstall(HostTarget target)
    {
        string folder = target.InstallFolder;
        if (!Directory.Exists(folder))
            return new UninstallOutcome(target, UninstallAction.NotInstalled, 0, []);
        var receipt = InstallReceipt.TryRead(folder);
        if (receipt is null)
            return new UninstallOutcome(target, UninstallAction.NotOurs, 0, [folder]);

        int removed = 0;
        foreach (var file in receipt.Files)
        {
            string path = StagedInstall.InstalledPath(folder, file);
            if (!IsInside(folder, path))
                continue; // a receipt edited to point elsewhere: never delete outside our folder
            SafeIO.Run($"cannot remove {path} (is the host running? close it and try again)", () =>
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                    removed++;
                }
            });
        }
        removed += RemoveBytecodeOf(folder, receipt);
        SafeIO.Run($"cannot remove {InstallReceipt.PathIn(folder)}", () => File.Delete(InstallReceipt.PathIn(folder)));

        var folders = receipt.Files
            .SelectMany(f => Ancestors(folder, Path.GetDirectoryName(StagedInstall.InstalledPath(folder, f))!))
            .Distinct()
            .OrderByDescending(f => f.Length)
            .Append(folder);
        foreach (string f in folders)
            SafeIO.TryDeleteEmptyFolder(f);
        if (!Directory.Exists(folder))
            foreach (string created in receipt.CreatedFolders.Reverse())
                if (IsInside(target.HostFolder, created))
                    SafeIO.TryDeleteEmptyFolder(created);

        var left = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList()
            : [];
        return new UninstallOutcome(target, UninstallAction.Removed, removed, left);
    }

    /// <summary>
    /// Python caches what GIMP imports as __pycache__/MODULE.TAG.pyc beside our .py files: derived from
    /// our files, so ours to remove (only for the modules we installed).
    /// </summary>
    private static int RemoveBytecodeOf(string folder, InstallReceipt receipt)
    {
        int removed = 0;
        foreach (var file in receipt.Files.Where(f => f.Path.EndsWith(".py", StringComparison.Ordinal)))
        {
            string path = StagedInstall.InstalledPath(folder, file);
            string cache = Path.Combine(Path.GetDirectoryName(path)!, "__pycache__");
            if (!Directory.Exists(cache))
                continue;
            foreach (string pyc in Directory.EnumerateFiles(cache, Path.GetFileNameWithoutExtension(path) + ".*.pyc"))
            {
                SafeIO.Run($"cannot remove {pyc}", () => File.Delete(pyc));
                removed++;
            }
            SafeIO.TryDeleteEmptyFolder(cache);
        }
        return removed;
    }

    private static IEnumerable<string> Ancestors(string root, string folder)
    {
        for (string? f = folder; f is not null && IsInside(root, f) && f.Length > root.Length; f = Path.GetDirectoryName(f))
            yield return f;
    }

    private static bool IsInside(string root, string path)
    {
        string full = Path.GetFullPath(path), fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return full == fullRoot || full.StartsWith(fullRoot + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
