using Upscaler.Installer.Hosts;
using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Setup;

public enum InstallState
{
    NotInstalled,
    Installed,
    /// <summary>Installed, but some files were changed or deleted since.</summary>
    Damaged,
    /// <summary>A folder of that name is there, not installed by upscaler-setup.</summary>
    Foreign,
}

public sealed record StatusEntry(HostTarget Target, InstallState State, string? Version, int Files, int BadFiles);

/// <summary>What is installed in a host, checked against the receipt's checksums.</summary>
public static class InstallStatus
{
    public static StatusEntry Of(HostTarget target)
    {
        string folder = target.InstallFolder;
        if (!Directory.Exists(folder))
            return new StatusEntry(target, InstallState.NotInstalled, null, 0, 0);
        var receipt = InstallReceipt.TryRead(folder);
        if (receipt is null)
            return new StatusEntry(target, InstallState.Foreign, null, 0, 0);
        int bad = receipt.Files.Count(f =>
        {
            string path = StagedInstall.InstalledPath(folder, f);
            return !File.Exists(path) || FileHashes.Sha256(path) != f.Sha256;
        });
        return new StatusEntry(target, bad == 0 ? InstallState.Installed : InstallState.Damaged, receipt.Version, receipt.Files.Count, bad);
    }

    public static string Describe(StatusEntry entry) => entry.State switch
    {
        InstallState.NotInstalled => "not installed",
        InstallState.Installed => $"installed {entry.Version} ({entry.Files} files, checksums verified)",
        InstallState.Damaged => $"installed {entry.Version}, but {entry.BadFiles} of {entry.Files} files are changed or missing: run install again",
        InstallState.Foreign => $"{entry.Target.InstallFolder} exists but was not installed by upscaler-setup",
        _ => entry.State.ToString(),
    };
}
