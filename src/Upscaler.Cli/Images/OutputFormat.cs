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

    /// <summary>Whether libvips writes a metadata block (<c>exif-data</c>, <c>xmp-data</c>, <c>iptc-data</c>, <c>icc-profile-data</c>) to this format.</summary>
    public static bool Carries(this OutputFormat format, string block) => block switch
    {
        "iptc-data" => format == OutputFormat.Tiff,
        "exif-data" => format != OutputFormat.Tiff,
        _ => true,
    };

    /// <summary>
    /// A size the encoded file cannot be smaller than, to refuse a folder without that much free space
    /// before the upscale: the samples over the best ratio the codec reaches on a flat image. Deflate
    /// (PNG, TIFF) cannot beat 1032:1; baseline JPEG spends at least 12 bits per 16x16 macroblock of
    /// 768 samples (512:1; 510:1 measured); lossy WebP can spend less than a bit per macroblock, so
    /// 8192:1 (1671:1 measured on 4000x4000 grey).
    /// </summary>
    public static long MinimumBytes(this OutputFormat format, int width, int height, int channels, int bitDepth)
    {
        int kept = format.KeepsAlpha() || channels is 1 or 3 ? channels : channels - 1;
        int bytesPerSample = format.Keeps16Bit() ? bitDepth / 8 : 1;
        long samples = (long)width * height * kept * bytesPerSample;
        return samples / format switch
        {
            OutputFormat.Jpeg => 512,
            OutputFormat.Webp => 8192,
            _ => 1032,
        };
    }
}
