using System.Diagnostics;

namespace Upscaler.Cli.Images;

/// <summary>
/// The hidden temporary file an output is written to before it is renamed into place. It is created
/// before any work starts, so an unwritable folder fails at once; it is removed on failure and on
/// Ctrl+C, and its name carries the writer's process id so that the next run beside the same target
/// can sweep the ones left by a killed process.
/// </summary>
internal sealed class PendingOutput : IDisposable
{
    private const string Suffix = ".partial";
    private bool _committed;

    private PendingOutput(string path, string temporaryPath)
    {
        Path = path;
        TemporaryPath = temporaryPath;
    }

    /// <summary>The final name.</summary>
    public string Path { get; }

    /// <summary><c>.NAME.PID@HOST.RANDOM.partial</c> beside the final name.</summary>
    public string TemporaryPath { get; }

    /// <summary>
    /// Creates the temporary file, which proves the folder writable, and checks that its file system has
    /// <paramref name="requiredBytes"/> free (a lower bound of the encoded size): both before any work.
    /// </summary>
    public static PendingOutput Create(string path, bool overwrite, long requiredBytes = 0)
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string name = System.IO.Path.GetFileName(path);
        if (FileInTheWay(directory) is { } file)
            throw new ImageFileException($"{path}: {file} is a file, not a folder");
        string? temporary = null;
        try
        {
            Directory.CreateDirectory(directory);
            SweepStale(directory, name);
            if (!overwrite && File.Exists(path))
                throw new ImageFileException($"{path}: already exists (use --overwrite to replace it)");
            temporary = System.IO.Path.Combine(directory, $".{name}.{Environment.ProcessId}@{Host}.{Guid.NewGuid():N}{Suffix}");
            File.Create(temporary).Dispose();
            if (FreeBytes(directory) is long free && free < requiredBytes)
                throw new ImageFileException($"{path}: not enough free space in {directory}: {Megabytes(free)} left, and the result needs at least {Megabytes(requiredBytes)}");
            return new PendingOutput(path, temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageFileException)
        {
            if (temporary is not null)
                File.Delete(temporary);
            throw e as ImageFileException ?? new ImageFileException($"{path}: cannot write in {directory}: {e.Message}", e);
        }
    }

    /// <summary>The free space of the folder's file system, when it can be known (not, e.g., for a Windows network share).</summary>
    private static long? FreeBytes(string directory)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Megabytes(long bytes) => $"{bytes / 1e6:0.0} MB";

    /// <summary>The nearest existing ancestor of a folder to be, when it is a file.</summary>
    private static string? FileInTheWay(string directory)
    {
        for (string? d = directory; d is not null; d = System.IO.Path.GetDirectoryName(d))
        {
            if (Directory.Exists(d))
                return null;
            if (File.Exists(d))
                return d;
        }
        return null;
    }

    /// <summary>Renames the finished temporary file to the final name.</summary>
    public void Commit(bool overwrite)
    {
        try
        {
            File.Move(TemporaryPath, Path, overwrite);
            _committed = true;
        }
        catch (IOException e) when (!overwrite && File.Exists(Path))
        {
            throw new ImageFileException($"{Path}: already exists (use --overwrite to replace it)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageFileException($"{Path}: cannot write: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        if (!_committed)
            File.Delete(TemporaryPath);
    }

    /// <summary>
    /// Removes temporary files of the same target written on this machine by processes that no longer
    /// run (killed, or the machine lost power). A live writer's file, or another machine's on a shared
    /// folder, is left alone.
    /// </summary>
    private static void SweepStale(string directory, string name)
    {
        string prefix = $".{name}.";
        foreach (var file in Directory.EnumerateFiles(directory, $"{prefix}*{Suffix}"))
        {
            string fileName = System.IO.Path.GetFileName(file);
            if (!fileName.StartsWith(prefix, StringComparison.Ordinal))
                continue; // the name held wildcard characters
            string[] parts = fileName[prefix.Length..^Suffix.Length].Split('.');
            if (parts is not [var owner, _] || owner.Split('@') is not [var pid, var host]
                || host != Host || !int.TryParse(pid, out int id) || IsRunning(id))
                continue;
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's problem to clean; it must not fail this run.
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The machine name reduced to characters that are safe in a file name and free of the separators used here.</summary>
    private static string Host { get; } = new(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').ToArray());
}
