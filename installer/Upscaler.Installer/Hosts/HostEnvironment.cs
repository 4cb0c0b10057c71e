namespace Upscaler.Installer.Hosts;

/// <summary>
/// The parts of the machine host discovery reads: the platform and a few well-known folders.
/// An object rather than static calls so the Windows rules are tested on Linux against fake folders.
/// </summary>
public sealed record HostEnvironment(
    bool IsWindows,
    string Home,
    string? AppData,
    string? XdgConfigHome,
    string? ProgramFiles,
    string? Documents)
{
    /// <summary>This process's machine and user.</summary>
    public static HostEnvironment Current()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
            home = Environment.GetEnvironmentVariable("HOME") ?? "/";
        return new HostEnvironment(
            OperatingSystem.IsWindows(),
            home,
            NullIfEmpty(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)),
            NullIfEmpty(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME")),
            NullIfEmpty(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles)),
            NullIfEmpty(Environment.GetFolderPath(Environment.SpecialFolder.MyDocuments)));
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
