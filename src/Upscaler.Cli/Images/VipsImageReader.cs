using System.Runtime.InteropServices;
using NetVips;
using Upscaler.Core;
using VipsImage = NetVips.Image;

namespace Upscaler.Cli.Images;

/// <summary>
/// Decodes image files with libvips into engine pixels: EXIF orientation applied, CMYK and other
/// colour spaces converted to sRGB, and anything that is not 8- or 16-bit brought to 16-bit.
/// </summary>
internal static class VipsImageReader
{
    /// <summary>Metadata blocks copied to the output unchanged.</summary>
    public static readonly string[] KeptBlocks = ["icc-profile-data", "exif-data", "xmp-data", "iptc-data"];

    /// <summary>Reads only the header: width and height after orientation, cheap even for huge files.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var image = Open(path);
        bool swapped = image.Contains("orientation") && image.Get("orientation") is int o && o >= 5;
        return swapped ? (image.Height, image.Width) : (image.Width, image.Height);
    }

    public static DecodedImage Read(string path)
    {
        using var opened = Open(path);
        try
        {
            using var image = ToEngineColour(opened.Autorot());
            int bitDepth = image.Format == Enums.BandFormat.Uchar ? 8 : 16;
            var layout = (PixelLayout)image.Bands;
            byte[] data = bitDepth == 8
                ? image.WriteToMemory<byte>()
                : MemoryMarshal.AsBytes(image.WriteToMemory<ushort>().AsSpan()).ToArray();
            var metadata = KeptBlocks.Where(image.Contains)
                .Select(name => (name, value: image.Get(name) as byte[]))
                .Where(b => b.value is { Length: > 0 })
                .ToDictionary(b => b.name, b => b.value!);
            return new DecodedImage(new PixelImage(image.Width, image.Height, layout, bitDepth, data), metadata, image.Xres, image.Yres);
        }
        catch (VipsException e)
        {
            throw new ImageFileException($"{path}: cannot decode the image (truncated or corrupt): {VipsErrorText.Reason(e)}", e);
        }
    }

    private static VipsImage Open(string path)
    {
        var file = new FileInfo(path);
        if (Directory.Exists(path))
            throw new ImageFileException($"{path}: is a folder with no images to upscale");
        if (!file.Exists)
            throw new ImageFileException($"{path}: no such file");
        if (file.Length == 0)
            throw new ImageFileException($"{path}: the file is empty");
        try
        {
            // Fail on truncation instead of libvips' default of padding missing rows with grey.
            return VipsImage.NewFromFile(path, access: Enums.Access.Random, failOn: Enums.FailOn.Truncated);
        }
        catch (VipsException e)
        {
            throw new ImageFileException($"{path}: not a supported image file ({VipsErrorText.Reason(e)})", e);
        }
    }

    private static VipsImage ToEngineColour(VipsImage image)
    {
        var interpretation = image.Interpretation;
        if (interpretation == Enums.Interpretation.Cmyk)
        {
            // Use the file's own CMYK profile when it has one; libvips falls back to a generic CMYK profile.
            image = image.IccTransform("srgb", embedded: true, intent: Enums.Intent.Relative);
        }
        else if (interpretation is not (Enums.Interpretation.Srgb or Enums.Interpretation.Rgb or Enums.Interpretation.Bw
                 or Enums.Interpretation.Rgb16 or Enums.Interpretation.Grey16 or Enums.Interpretation.Multiband))
        {
            bool high = image.Format is not (Enums.BandFormat.Uchar or Enums.BandFormat.Char);
            bool gray = image.Bands - (image.HasAlpha() ? 1 : 0) == 1;
            image = image.Colourspace(gray ? (high ? Enums.Interpretation.Grey16 : Enums.Interpretation.Bw)
                                           : (high ? Enums.Interpretation.Rgb16 : Enums.Interpretation.Srgb));
        }

        if (image.Format is not (Enums.BandFormat.Uchar or Enums.BandFormat.Ushort))
        {
            var wanted = image.Bands <= 2 ? Enums.Interpretation.Grey16 : Enums.Interpretation.Rgb16;
            image = image.Format is Enums.BandFormat.Float or Enums.BandFormat.Double
                ? image.Colourspace(wanted)
                : image.Cast(Enums.BandFormat.Ushort);
        }
        if (image.Format is not (Enums.BandFormat.Uchar or Enums.BandFormat.Ushort))
            image = image.Cast(Enums.BandFormat.Ushort);
        if (image.Bands is < 1 or > 4)
            throw new ImageFileException($"images with {image.Bands} channels are not supported (gray, gray+alpha, RGB or RGBA only)");
        return image;
    }
}
