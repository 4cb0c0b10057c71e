namespace Upscaler.Core;

/// <summary>
/// Where models a user adds live, one folder per user shared by every front end: the command line, the
/// GIMP plug-in's bridge and the Paint.NET effect all list what is there.
/// <list type="bullet">
/// <item>Linux: <c>$XDG_DATA_HOME/upscaler/models</c>, else <c>~/.local/share/upscaler/models</c></item>
/// <item>Windows: <c>%LOCALAPPDATA%\Upscaler\models</c></item>
/// <item>macOS: <c>~/Library/Application Support/Upscaler/models</c></item>
/// </list>
/// <c>UPSCALER_USER_MODELS_DIR</c> overrides it (tests, portable installs).
/// </summary>
public static class UserModelsFolder
{
    public const string EnvironmentVariable = "UPSCALER_USER_MODELS_DIR";

    public static string? Default()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
            return configured;
        if (OperatingSystem.IsWindows())
            return Under(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "Upscaler", "models");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsMacOS())
            return Under(home, "Library", "Application Support", "Upscaler", "models");
        string? data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return data is { Length: > 0 } && Path.IsPathRooted(data)
            ? Path.Combine(data, "upscaler", "models")
            : Under(home, ".local", "share", "upscaler", "models");
    }

    /// <summary>Null when the base folder is unknown (no home directory, e.g. a service account).</summary>
    private static string? Under(string root, params string[] parts) =>
        string.IsNullOrEmpty(root) ? null : Path.Combine([root, .. parts]);
}
