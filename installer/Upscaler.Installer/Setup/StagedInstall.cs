using Upscaler.Installer.Hosts;
using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Setup;

public enum InstallAction
{
    Installed,
    Updated,
    UpToDate,
}

/// <summary>
/// One component going into one host, in three steps so several hosts succeed or fail together:
/// <see cref="Prepare"/> copies into a staging folder beside the destination and verifies every
/// checksum; <see cref="Commit"/> renames it into place (moving a previous install of ours aside);
/// <see cref="Finish"/> deletes what was moved aside, or <see cref="Rollback"/> puts everything back.
/// Renames within one folder are atomic, so the destination is always either the old or the new install.
/// </summary>
internal sealed class StagedInstall
{
    private const UnixFileMode ExecutableBits =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _token = Guid.NewGuid().ToString("N")[..8];
    private IReadOnlyList<string> _createdFolders = [];
    private string? _staging;
    private string? _backup;
    private bool _committed;

    private StagedInstall(HostTarget target, InstallAction action, int files, long bytes)
    {
        Target = target;
        Action = action;
        FileCount = files;
        Bytes = bytes;
    }

    public HostTarget Target { get; }
    public InstallAction Action { get; }
    public int FileCount { get; }
    public long Bytes { get; }

    public static StagedInstall Prepare(PayloadManifest payload, string version, HostTarget target, bool dryRun)
    {
        var component = target.Component;
        var files = payload.FilesOf(component);
        long bytes = files.Sum(f => new FileInfo(payload.SourcePath(component, f)).Length);
        string destination = target.InstallFolder;

        InstallReceipt? previous = null;
        if (File.Exists(destination))
            throw new SetupException($"{destination} is a file, not installed by upscaler-setup: move it away, then install again");
        if (Directory.Exists(destination))
        {
            previous = InstallReceipt.TryRead(destination)
                ?? throw new SetupException($"{destination} already exists and was not installed by upscaler-setup: move it away, then install again");
            if (IsUpToDate(previous, version, files, destination))
                return new StagedInstall(target, InstallAction.UpToDate, files.Count, bytes);
        }

        var staged = new StagedInstall(target, previous is null ? InstallAction.Installed : InstallAction.Updated, files.Count, bytes);
        if (dryRun)
        {
            CheckCreatable(target.PluginsFolder);
            return staged;
        }

        try
        {
            staged._createdFolders = CreateFolders(target.PluginsFolder);
            staged._staging = Path.Combine(target.PluginsFolder, $".{component.PluginDirectoryName}.upscaler-staging-{staged._token}");
            string staging = staged._staging;
            SafeIO.Run($"cannot write to {target.PluginsFolder}", () => Directory.CreateDirectory(staging));
            foreach (var file in files)
                CopyVerified(payload.SourcePath(component, file), staging, file, component.Executables.Contains(file.Path));
            if (previous is not null)
                CarryOverForeignFiles(destination, previous, staging, files);
            new InstallReceipt
            {
                Version = version,
                Component = component.PayloadDirectory,
                InstalledAt = DateTimeOffset.UtcNow,
                // An update keeps the record of the folders the first install created.
                CreatedFolders = previous?.CreatedFolders.Count > 0 ? previous.CreatedFolders : staged._createdFolders,
                Files = files,
            }.WriteTo(staging);
            return staged;
        }
        catch
        {
            staged.Rollback();
            throw;
        }
    }

    public void Commit()
    {
        if (_staging is null)
            return;
        string destination = Target.InstallFolder;
        SafeIO.Run($"cannot replace {destination} (is {HostName} running? close it and try again)", () =>
        {
            if (Directory.Exists(destination))
            {
                _backup = Path.Combine(Target.PluginsFolder, $".{Target.Component.PluginDirectoryName}.upscaler-old-{_token}");
                Directory.Move(destination, _backup);
            }
            Directory.Move(_staging, destination);
            _committed = true;
            _staging = null;
        });
    }

    public void Finish() => SafeIO.TryDeleteTree(_backup);

    public void Rollback()
    {
        if (_committed)
        {
            SafeIO.TryDeleteTree(Target.InstallFolder);
            _committed = false;
        }
        if (_backup is not null && Directory.Exists(_backup) && !Directory.Exists(Target.InstallFolder))
        {
            try
            {
                Directory.Move(_backup, Target.InstallFolder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        SafeIO.TryDeleteTree(_staging);
        _staging = null;
        foreach (string folder in _createdFolders.Reverse())
            SafeIO.TryDeleteEmptyFolder(folder);
    }

    private string HostName => Target.Component.Kind == ComponentKind.Gimp ? "GIMP" : "Paint.NET";

    private static bool IsUpToDate(InstallReceipt previous, string version, IReadOnlyList<PayloadFile> files, string destination) =>
        previous.Version == version
        && previous.Files.OrderBy(f => f.Path, StringComparer.Ordinal).SequenceEqual(files.OrderBy(f => f.Path, StringComparer.Ordinal))
        && files.All(f => File.Exists(InstalledPath(destination, f)) && FileHashes.Sha256(InstalledPath(destination, f)) == f.Sha256);

    internal static string InstalledPath(string folder, PayloadFile file) => Path.Combine(folder, file.Path.Replace('/', Path.DirectorySeparatorChar));

    private static void CopyVerified(string source, string staging, PayloadFile file, bool executable)
    {
        string target = InstalledPath(staging, file);
        SafeIO.Run($"cannot copy {file.Path} into {staging}", () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target, overwrite: false);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(target, File.GetUnixFileMode(source) | (executable ? ExecutableBits : UnixFileMode.UserRead | UnixFileMode.UserWrite));
        });
        if (FileHashes.Sha256(target) != file.Sha256)
            throw new SetupException($"the copy of {file.Path} in {staging} does not match its checksum: the disk may be full or failing");
    }

    /// <summary>Files a user added to our folder are not ours to delete: they move over to the new install.</summary>
    private static void CarryOverForeignFiles(string destination, InstallReceipt previous, string staging, IReadOnlyList<PayloadFile> files)
    {
        var ours = previous.Files.Concat(files).Select(f => f.Path).Append(InstallReceipt.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(destination, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(destination, path).Replace('\\', '/');
            if (ours.Contains(relative))
                continue;
            string target = Path.Combine(staging, relative);
            SafeIO.Run($"cannot keep {path}", () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(path, target, overwrite: false);
            });
        }
    }

    /// <summary>Creates the plug-in folder and any missing parents; returns those it created, outermost first.</summary>
    private static IReadOnlyList<string> CreateFolders(string folder)
    {
        var missing = MissingFolders(folder);
        SafeIO.Run($"cannot create {folder}", () => Directory.CreateDirectory(folder));
        return missing;
    }

    /// <summary>For a dry run: fails as creating the folder would when a path component is a file.</summary>
    private static void CheckCreatable(string folder) => MissingFolders(folder);

    private static List<string> MissingFolders(string folder)
    {
        var missing = new List<string>();
        for (string? f = Path.GetFullPath(folder); f is not null && !Directory.Exists(f); f = Path.GetDirectoryName(f))
        {
            if (File.Exists(f))
                throw new SetupException($"cannot create {folder}: {f} is a file, not a folder");
            missing.Insert(0, f);
        }
        return missing;
    }
}
