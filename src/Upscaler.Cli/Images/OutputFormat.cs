namespace Upscaler.Cli.Images;

/// <summary>The file formats the command line writes.</summary>
internal enum OutputFormat
{
    Png,
    Jpeg,
    Webp,
    Tiff,
}

internal static class OutputFormats
{
    public const string Names = "png, jpg, webp, tiff";

    public static OutputFormat? FromName(string name) => name.ToLowerInvariant() switch
    {
        "png" => OutputFormat.Png,
        "jpg" or "jpeg" => OutputFormat.Jpeg,
        "webp" => OutputFormat.Webp,
        "tif" or "tiff" => OutputFormat.Tiff,
        _ => null,
    };

    /// <summary>The format a path's extension names, if it names one we write.</summary>
    public static OutputFormat? FromPath(string path) =>
        Path.GetExtension(path) is { Length: > 1 } ext ? FromName(ext[1..]) : null;

    public static string Extension(this OutputFormat format) => format switch
    {
        OutputFormat.Png => ".png",
        OutputFormat.Jpeg => ".jpg",
        OutputFormat.Webp => ".webp",
        _ => ".tif",
    };

    public static bool KeepsAlpha(this OutputFormat format) => format != OutputFormat.Jpeg;

    public static bool Keeps16Bit(this OutputFormat format) => format is OutputFormat.Png or OutputFormat.Tiff;

    /// <summary>WebP cannot encode more than 16383 pixels per side.</summary>
    public static int MaxSide(this OutputFormat format) => format switch
    {
        OutputFormat.Webp => 16_383,
        OutputFormat.Jpeg => 65_500,
        _ => 65_535,
    };

    public static int DefaultQuality(this OutputFormat format) => format == OutputFormat.Webp ? 90 : 92;
}
