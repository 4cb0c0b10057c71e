using System.Security.Cryptography;

namespace Upscaler.Installer.Payload;

public static class FileHashes
{
    /// <summary>Lower-case hex SHA-256 of a file, the form sha256sum prints.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
