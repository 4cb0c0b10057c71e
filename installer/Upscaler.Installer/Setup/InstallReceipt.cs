using System.Text.Json;
using System.Text.Json.Serialization;
using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Setup;

/// <summary>
/// What one install put where: kept as <c>.upscaler-install.json</c> inside the installed folder, so
/// uninstall removes exactly these files (and the folders it created, once empty) and nothing else,
/// and a later install knows the folder is its own to replace.
/// </summary>
public sealed record InstallReceipt
{
    public const string FileName = ".upscaler-install.json";
    public const string ProductName = "Upscaler";

    public string Product { get; init; } = ProductName;
    public int FormatVersion { get; init; } = 1;
    public required string Version { get; init; }
    public required string Component { get; init; }
    public DateTimeOffset InstalledAt { get; init; }

    /// <summary>Folders above the install folder that did not exist before (e.g. GIMP's plug-ins), outermost first.</summary>
    public IReadOnlyList<string> CreatedFolders { get; init; } = [];

    /// <summary>The installed files, relative to the install folder with forward slashes.</summary>
    public required IReadOnlyList<PayloadFile> Files { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string PathIn(string installFolder) => Path.Combine(installFolder, FileName);

    /// <summary>The receipt in <paramref name="installFolder"/>, or null when there is none or it is not ours.</summary>
    public static InstallReceipt? TryRead(string installFolder)
    {
        string path = PathIn(installFolder);
        if (!File.Exists(path))
            return null;
        try
        {
            var receipt = JsonSerializer.Deserialize<InstallReceipt>(File.ReadAllText(path), Json);
            return receipt is { Product: ProductName } && receipt.Files is not null ? receipt : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void WriteTo(string installFolder) => File.WriteAllText(PathIn(installFolder), JsonSerializer.Serialize(this, Json));
}
