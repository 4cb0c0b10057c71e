using Upscaler.Core;

namespace Upscaler.Installer.Setup;

/// <summary>Turns the file system's exceptions into one-line <see cref="SetupException"/>s that name the folder.</summary>
internal static class SafeIO
{
    public static T Run<T>(string what, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (UnauthorizedAccessException e)
        {
            // The usual cause is Paint.NET's folder under Program Files from a prompt that is not elevated.
            throw new SetupException($"{what}: {ErrorText.OneLine(e.Message)} (no permission: run as administrator or root, or choose a folder you can write to)", e);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ArgumentException)
        {
            throw new SetupException($"{what}: {ErrorText.OneLine(e.Message)}", e);
        }
    }

    public static void Run(string what, Action action) => Run(what, () => { action(); return 0; });

    /// <summary>Deletes a folder tree, ignoring failures: used only to clean up after a failure that is already being reported.</summary>
    public static void TryDeleteTree(string? folder)
    {
        if (folder is null)
            return;
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes a folder if it is empty; returns whether it is gone.</summary>
    public static bool TryDeleteEmptyFolder(string folder)
    {
        try
        {
            if (!Directory.Exists(folder))
                return true;
            if (Directory.EnumerateFileSystemEntries(folder).Any())
                return false;
            Directory.Delete(folder);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
