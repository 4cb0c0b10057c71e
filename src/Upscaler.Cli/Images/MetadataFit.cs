using NetVips;
using Upscaler.Core;

namespace Upscaler.Cli.Images;

/// <summary>
/// Checks, before the upscale, that the output format can carry the input's metadata. libvips drops a
/// block that does not fit (one JPEG APP1 segment holds 64 KB) with nothing but a warning, and only when
/// the file is written, so a small stand-in image with the same blocks is encoded in memory first and
/// read back: a block lost there for its size is an error; a kind of block that libvips never writes to
/// the format (IPTC outside TIFF, EXIF in TIFF) is a notice.
/// </summary>
internal static class MetadataFit
{
    /// <summary>libexif reads at most this much EXIF, the most one APP1 segment can hold; the rest of a larger block is lost in every format.</summary>
    public const int MaxExifBytes = 0xfffe;

    /// <summary>Throws <see cref="ImageFileException"/> for a block that is too large; returns notices about blocks the format never carries.</summary>
    public static IReadOnlyList<string> Check(DecodedImage source, OutputFormat format)
    {
        if (source.Metadata.TryGetValue("exif-data", out var exif) && exif.Length > MaxExifBytes)
            throw new ImageFileException($"its EXIF block ({exif.Length:N0} bytes) is larger than the {MaxExifBytes:N0} bytes EXIF allows, and libvips would keep only a part of it: remove or shrink it first");
        if (source.Metadata.Count == 0)
            return [];

        var standIn = PixelImage.Create(16, 16, source.Pixels.Layout, source.Pixels.BitDepth);
        var withBlocks = new DecodedImage(standIn, source.Metadata, source.XResolution, source.YResolution);
        using var image = VipsImageWriter.ToVips(withBlocks, standIn, format);
        byte[] encoded;
        try
        {
            encoded = image.WriteToBuffer(format.Extension());
        }
        catch (VipsException e)
        {
            throw new ImageFileException($"its metadata cannot be written to {format}: {VipsErrorText.Reason(e)}", e);
        }
        using var readBack = Image.NewFromBuffer(encoded);

        var notices = new List<string>();
        foreach (var (name, block) in source.Metadata)
        {
            if (readBack.Contains(name))
                continue;
            if (!format.Carries(name))
                notices.Add($"its {BlockName(name)} block is not carried over: libvips does not write it to {Display(format)} files");
            else
                throw new ImageFileException($"its {BlockName(name)} block ({block.Length:N0} bytes) is too large for a {Display(format)} file: choose {string.Join(" or ", Enum.GetValues<OutputFormat>().Where(f => f != format && f.Carries(name)).Select(Display))}");
        }
        return notices;
    }

    private static string Display(OutputFormat format) => format.ToString().ToUpperInvariant();

    private static string BlockName(string name) => name switch
    {
        "exif-data" => "EXIF",
        "xmp-data" => "XMP",
        "iptc-data" => "IPTC",
        "icc-profile-data" => "ICC profile",
        _ => name,
    };
}
