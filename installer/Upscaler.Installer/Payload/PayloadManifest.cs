namespace Upscaler.Installer.Payload;

/// <summary>One file of the payload: its path relative to the payload folder (forward slashes) and its SHA-256.</summary>
public sealed record PayloadFile(string Path, string Sha256);

/// <summary>
/// The payload's list of files with their checksums: <c>payload/SHA256SUMS</c>, in sha256sum's format
/// ("HASH  PATH" per line), so the payload can also be checked by hand with <c>sha256sum -c</c>.
/// Written by the build (Upscaler.Installer.csproj, target UpscalerPayload) or by <see cref="Write"/>.
/// </summary>
public sealed class PayloadManifest
{
    public const string FileName = "SHA256SUMS";

    private PayloadManifest(string root, IReadOnlyList<PayloadFile> files)
    {
        Root = root;
        Files = files;
    }

    /// <summary>The payload folder.</summary>
    public string Root { get; }

    public IReadOnlyList<PayloadFile> Files { get; }

    /// <summary>The files of one component, with paths relative to the component's folder.</summary>
    public IReadOnlyList<PayloadFile> FilesOf(Component component)
    {
        string prefix = component.PayloadDirectory + "/";
        return Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => f with { Path = f.Path[prefix.Length..] })
            .ToList();
    }

    public bool Carries(Component component) => FilesOf(component).Count > 0;

    public string SourcePath(Component component, PayloadFile file) =>
        System.IO.Path.Combine(Root, component.PayloadDirectory, file.Path.Replace('/', System.IO.Path.DirectorySeparatorChar));

    public static PayloadManifest Load(string root)
    {
        string path = System.IO.Path.Combine(root, FileName);
        if (!File.Exists(path))
            throw new SetupException($"no payload in {root} (missing {FileName}): run upscaler-setup from its published folder, or pass --payload");
        var files = new List<PayloadFile>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            // "HASH  PATH" (text mode) or "HASH *PATH" (binary mode), as sha256sum writes them.
            if (line.Length < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') || !IsHex(line.AsSpan(0, 64)))
                throw new SetupException($"{path} line {lineNumber} is not \"SHA256  PATH\"");
            string relative = line[66..].Replace('\\', '/');
            if (relative.StartsWith('/') || relative.Split('/').Contains(".."))
                throw new SetupException($"{path} line {lineNumber} names a path outside the payload: {relative}");
            files.Add(new PayloadFile(relative, line[..64].ToLowerInvariant()));
        }
        return new PayloadManifest(root, files);
    }

    /// <summary>Writes the manifest of every file under <paramref name="root"/> (except the manifest itself).</summary>
    public static PayloadManifest Write(string root)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(p => System.IO.Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => p != FileName)
            .Order(StringComparer.Ordinal)
            .Select(p => new PayloadFile(p, FileHashes.Sha256(System.IO.Path.Combine(root, p))))
            .ToList();
        File.WriteAllLines(System.IO.Path.Combine(root, FileName), files.Select(f => $"{f.Sha256}  {f.Path}"));
        return new PayloadManifest(root, files);
    }

    /// <summary>Checks the payload's copy of a component before anything is copied. Throws naming the first bad file.</summary>
    public void Verify(Component component)
    {
        foreach (var file in FilesOf(component))
        {
            string source = SourcePath(component, file);
            if (!File.Exists(source))
                throw new SetupException($"the payload is incomplete: {component.PayloadDirectory}/{file.Path} is missing");
            if (FileHashes.Sha256(source) != file.Sha256)
                throw new SetupException($"the payload is damaged: {component.PayloadDirectory}/{file.Path} does not match its checksum");
        }
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (!char.IsAsciiHexDigit(c))
                return false;
        return true;
    }
}
